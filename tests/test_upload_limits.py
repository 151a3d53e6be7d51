"""Uploads refused while they stream, files that must open, a bounded history (issue 6 item 6)."""

import io
import os
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from PIL import Image

import cursus.uploads
from applications import services
from applications.demo import tiny_pdf
from applications.models import DocumentFile, Dossier
from applications.selectors import document_slots
from applications.uploads import MAX_IMAGE_PIXELS
from audit.models import AuditEvent
from catalog.models import DocumentType
from cursus.errors import DomainError
from cursus.uploads import too_large_message, upload_too_large
from tests.conftest import PASSWORD

MB = 1024 * 1024
BOUNDARY = "----cursus-limit-boundary"


def _image(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 40, 120)).save(out, fmt)
    return out.getvalue()


# Real, decodable images (tests/conftest.py's PNG_BYTES has a bad IDAT checksum and JPEG_BYTES is
# only a JPEG header: neither decodes).
REAL_PNG = _image("PNG")
REAL_JPEG = _image("JPEG")


def _pdf(*, pages: int = 1, user_password: str | None = None) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if user_password is not None:
        writer.encrypt(user_password, "owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A valid one-page PDF of exactly `size` bytes (its text fills it)."""
    base = len(tiny_pdf(""))
    title = "x" * (size - base)
    while len(tiny_pdf(title)) > size:  # the stream's /Length gains digits as it grows
        title = title[:-1]
    data = tiny_pdf(title)
    assert len(data) == size
    return data


def doc_type(dossier: Dossier, code: str = "cv") -> DocumentType:
    return DocumentType.objects.get(session=dossier.offering.session, code=code)


def store(dossier: Dossier, data: bytes, name: str = "cv.pdf", code: str = "cv") -> DocumentFile:
    return services.document_upload(
        dossier=dossier,
        by=dossier.candidate,
        document_type=doc_type(dossier, code),
        fileobj=io.BytesIO(data),
        name=name,
        size=len(data),
    )


class StreamedBody(io.RawIOBase):
    """A multipart body made on demand (never held whole), which counts what the server reads and
    watches the largest amount ever present in the upload temp folder."""

    def __init__(self, head: bytes, file_size: int, tail: bytes, temp_dir: Path | None = None) -> None:
        self.parts = [head, None, tail]
        self.sizes = [len(head), file_size, len(tail)]
        self.total = sum(self.sizes)
        self.pos = 0
        self.temp_dir = temp_dir
        self.peak_on_disk = 0

    def readable(self) -> bool:
        return True

    def _byte_range(self, start: int, end: int) -> bytes:
        out = b""
        offset = 0
        for part, size in zip(self.parts, self.sizes, strict=True):
            lo, hi = max(start, offset), min(end, offset + size)
            if lo < hi:
                out += part[lo - offset : hi - offset] if part is not None else b"\0" * (hi - lo)
            offset += size
        return out

    def readinto(self, buffer: Any) -> int:
        if self.temp_dir is not None:
            on_disk = sum(e.stat().st_size for e in os.scandir(self.temp_dir) if e.is_file())
            self.peak_on_disk = max(self.peak_on_disk, on_disk)
        n = min(len(buffer), self.total - self.pos)
        buffer[:n] = self._byte_range(self.pos, self.pos + n)
        self.pos += n
        return n


def multipart(dossier: Dossier, file_size: int, temp_dir: Path | None = None) -> StreamedBody:
    fields = {"document_type": str(doc_type(dossier).pk), "role": "original", "language": "fr"}
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    return StreamedBody(head, file_size - 9, f"\r\n--{BOUNDARY}--\r\n".encode(), temp_dir)


def post_stream(client: Any, dossier: Dossier, body: StreamedBody, content_length: str) -> Any:
    return client.generic(
        "POST", reverse("dossier_documents", args=[dossier.pk]), **environ(body, content_length)
    )


def environ(body: StreamedBody, content_length: str) -> dict[str, Any]:
    """The body goes in as the WSGI input: the test client would otherwise hold it whole."""
    return {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": content_length,
        "wsgi.input": body,
    }


@pytest.fixture
def temp_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every file goes to the temp folder
    return folder


def assert_refused_on_documents_page(response: Any, dossier: Dossier) -> None:
    assert response.status_code == 413
    page = response.content.decode()
    with translation.override("fr"):
        assert escape(too_large_message()) in page
    assert 'name="file"' in page  # the documents page itself, ready for another try
    current = DocumentFile.objects.filter(dossier=dossier, superseded_at__isnull=True).get()
    assert current.original_name == "good.pdf"  # nothing already saved is lost


def test_issue6_6_announced_50_mb_refused_before_reading_the_body(
    client: Any, draft: Dossier, temp_dir: Path
) -> None:
    store(draft, tiny_pdf("good"), name="good.pdf")
    client.login(email=draft.candidate.email, password=PASSWORD)
    body = multipart(draft, 50 * MB, temp_dir)
    response = post_stream(client, draft, body, str(body.total))
    assert body.pos == 0  # not one byte of the body read
    assert_refused_on_documents_page(response, draft)


def test_issue6_6_50_mb_stream_of_unannounced_length_cut_before_11_mb_on_disk(
    client: Any, draft: Dossier, temp_dir: Path, monkeypatch: Any
) -> None:
    """As behind a server that passes a body whose length nobody checked: the upload handler alone
    stops it while it streams."""
    monkeypatch.setattr(cursus.uploads, "declared_too_large", lambda content_length: False)
    store(draft, tiny_pdf("good"), name="good.pdf")
    client.login(email=draft.candidate.email, password=PASSWORD)
    body = multipart(draft, 50 * MB, temp_dir)
    response = post_stream(client, draft, body, str(body.total))
    assert body.pos < 11 * MB
    assert 0 < body.peak_on_disk <= 10 * MB
    assert list(temp_dir.iterdir()) == []  # the cut file does not linger
    assert_refused_on_documents_page(response, draft)


def test_issue6_6_missing_content_length_reads_nothing(client: Any, draft: Dossier, temp_dir: Path) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    body = multipart(draft, 50 * MB, temp_dir)
    post_stream(client, draft, body, "")
    assert body.pos == 0
    assert not DocumentFile.objects.filter(dossier=draft).exists()


def test_issue6_6_file_at_the_limit_accepted_one_byte_more_cut_by_the_handler(
    client: Any, draft: Dossier, settings: Any, temp_dir: Path
) -> None:
    settings.UPLOAD_MAX_BYTES = 100_000  # the request itself stays within the allowance
    client.login(email=draft.candidate.email, password=PASSWORD)
    url = reverse("dossier_documents", args=[draft.pk])
    fields = {"document_type": doc_type(draft).pk, "role": "original", "language": "fr"}
    exact = io.BytesIO(pdf_of_size(100_000))
    exact.name = "good.pdf"
    response = client.post(url, {**fields, "file": exact}, follow=True)
    assert response.status_code == 200
    assert DocumentFile.objects.get(dossier=draft).size == 100_000
    over = io.BytesIO(pdf_of_size(100_001))
    over.name = "over.pdf"
    assert_refused_on_documents_page(client.post(url, {**fields, "file": over}), draft)


def test_issue6_6_handler_refuses_an_announced_oversize_body_without_the_middleware(
    draft: Dossier, temp_dir: Path
) -> None:
    body = multipart(draft, 50 * MB, temp_dir)
    request = RequestFactory().generic("POST", "/", **environ(body, str(body.total)))
    assert not request.FILES and upload_too_large(request)
    assert body.pos == 0


# --- A file must open (pypdf, Pillow) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (tiny_pdf("cv"), "application/pdf"),
        (_pdf(pages=3), "application/pdf"),
        (_pdf(user_password=""), "application/pdf"),  # owner-only protection: anyone can open it
        (REAL_PNG, "image/png"),
        (REAL_JPEG, "image/jpeg"),
    ],
)
def test_issue6_6_files_that_open_are_accepted(draft: Dossier, data: bytes, content_type: str) -> None:
    assert store(draft, data).content_type == content_type


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.4\n" + bytes(range(256)) * 40, "unreadable"),  # PDF magic, garbage behind
        (tiny_pdf("cut")[:300], "unreadable"),  # truncated
        (_pdf(pages=0), "unreadable"),  # parses, but no page
        (_pdf(user_password="secret"), "encrypted"),
        (REAL_PNG[:16] + b"\0" * 200, "unreadable"),  # PNG magic, garbage behind
        (REAL_PNG[:-20], "unreadable"),  # truncated
        (REAL_JPEG[:4] + b"\0" * 200, "unreadable"),  # JPEG magic, garbage behind
        (REAL_JPEG[: len(REAL_JPEG) // 2], "unreadable"),  # truncated
    ],
)
def test_issue6_6_files_that_do_not_open_are_refused(draft: Dossier, data: bytes, code: str) -> None:
    store(draft, tiny_pdf("good"), name="good.pdf")
    with pytest.raises(DomainError) as err:
        store(draft, data, name="bad.pdf")
    assert err.value.code == code
    assert DocumentFile.objects.get(dossier=draft).original_name == "good.pdf"


def test_issue6_6_unreadable_file_refused_with_its_message_on_the_page(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    bad = io.BytesIO(b"%PDF-1.4\n" + b"garbage" * 100)
    bad.name = "cv.pdf"
    response = client.post(
        reverse("dossier_documents", args=[draft.pk]),
        {"document_type": doc_type(draft).pk, "role": "original", "language": "fr", "file": bad},
    )
    with translation.override("fr"), pytest.raises(DomainError) as err:
        store(draft, bad.getvalue())
    assert escape(err.value.message) in response.content.decode()
    assert not DocumentFile.objects.filter(dossier=draft).exists()


def _bilevel_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")  # a few kB for millions of pixels
    return out.getvalue()


def test_issue6_6_image_pixel_limit_both_sides(draft: Dossier) -> None:
    width = 10_000
    assert MAX_IMAGE_PIXELS % width == 0
    store(draft, _bilevel_png(width, MAX_IMAGE_PIXELS // width), name="scan.png")
    with pytest.raises(DomainError) as err:
        store(draft, _bilevel_png(width, MAX_IMAGE_PIXELS // width + 1), name="bomb.png")
    assert err.value.code == "pixels"


def test_issue6_6_decompression_bomb_past_pillows_own_guard_refused(draft: Dossier) -> None:
    with pytest.raises(DomainError) as err:
        store(draft, _bilevel_png(20_000, 10_000), name="bomb.png")  # 200 million pixels
    assert err.value.code == "pixels"


# --- A bounded history per document ------------------------------------------------------------


def test_issue6_6_history_kept_up_to_the_limit_then_oldest_deleted(
    draft: Dossier, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOCUMENT_HISTORY_MAX = 2
    with django_capture_on_commit_callbacks(execute=True):
        files = [store(draft, tiny_pdf(f"v{i}"), name=f"v{i}.pdf") for i in range(3)]
    slot = next(s for s in document_slots(draft) if s.type.code == "cv")
    assert [f.pk for f in slot.history] == [files[1].pk, files[0].pk]  # at the limit: all kept
    assert not AuditEvent.objects.filter(action="document.history.pruned").exists()

    oldest_name = str(files[0].file.name)
    storage = files[0].file.storage
    with django_capture_on_commit_callbacks(execute=True):
        files.append(store(draft, tiny_pdf("v3"), name="v3.pdf"))
    slot = next(s for s in document_slots(draft) if s.type.code == "cv")
    assert slot.current == files[3]
    assert [f.pk for f in slot.history] == [files[2].pk, files[1].pk]
    assert not DocumentFile.objects.filter(pk=files[0].pk).exists()
    assert not storage.exists(oldest_name)
    assert storage.exists(str(files[1].file.name))
    event = AuditEvent.objects.get(action="document.history.pruned")
    assert event.object_id == str(draft.pk)
    assert [f["file"] for f in event.data["files"]] == [files[0].pk]
    assert event.data["files"][0]["sha256"] == files[0].sha256


def test_issue6_6_pruning_in_a_rolled_back_transaction_loses_nothing(
    draft: Dossier, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOCUMENT_HISTORY_MAX = 1
    first = store(draft, tiny_pdf("v0"), name="v0.pdf")
    store(draft, tiny_pdf("v1"), name="v1.pdf")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            store(draft, tiny_pdf("v2"), name="v2.pdf")
            assert not DocumentFile.objects.filter(pk=first.pk).exists()
            raise RuntimeError("something later in the same transaction fails")
    assert callbacks == []
    assert DocumentFile.objects.filter(pk=first.pk).exists()
    assert first.file.storage.exists(str(first.file.name))
