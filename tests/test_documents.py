"""Uploads checked by content, kept in history, served only to who may see them (R2.9, I16)."""

import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from applications import services
from applications.demo import tiny_pdf
from applications.models import DocumentFile, Dossier
from applications.selectors import document_slots, dossier_checklist
from catalog.models import DocumentType
from cursus.errors import DomainError
from cursus.uploads import too_large_message
from tests.conftest import PASSWORD, fill_dossier
from tests.test_upload_limits import REAL_JPEG, REAL_PNG

HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def doc_type(dossier: Dossier, code: str) -> DocumentType:
    return DocumentType.objects.get(session=dossier.offering.session, code=code)


def upload(
    client: Any,
    dossier: Dossier,
    code: str,
    name: str,
    data: bytes,
    language: str = "fr",
    role: str = "original",
) -> Any:
    """A multipart body built by hand: Django's test client would cut a path out of the name."""
    boundary = "----cursus-test-boundary"
    fields = {"document_type": str(doc_type(dossier, code).pk), "role": role, "language": language}
    body = b""
    for key, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        reverse("dossier_documents", args=[dossier.pk]),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow=True,
    )


@pytest.mark.parametrize(
    ("name", "data", "ctype"),
    [
        ("cv.pdf", tiny_pdf("cv"), "application/pdf"),
        ("cv.png", REAL_PNG, "image/png"),  # images must decode (issue 6 item 6)
        ("photo.JPG", REAL_JPEG, "image/jpeg"),
    ],
)
def test_pdf_png_jpeg_accepted_by_content(
    client: Any, draft: Dossier, name: str, data: bytes, ctype: str
) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    upload(client, draft, "cv", name, data)
    f = DocumentFile.objects.get(dossier=draft)
    assert f.content_type == ctype
    assert f.original_name == name
    stored = str(f.file.name)
    assert name not in stored  # stored under a generated name
    assert stored.startswith("documents/")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cv.pdf", b"just some text, not a PDF at all", "PDF, JPEG"),  # bytes are none of the three
        ("cv.pdf", HTML, "PDF, JPEG"),  # a renamed HTML file
        ("../../etc/cv.pdf", tiny_pdf("cv"), "nom de fichier"),  # a path in the name
        ("..\\cv.pdf", tiny_pdf("cv"), "nom de fichier"),
    ],
)
def test_bad_uploads_refused_with_message_and_earlier_file_kept(
    client: Any, draft: Dossier, name: str, data: bytes, message: str
) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    upload(client, draft, "cv", "good.pdf", tiny_pdf("good"))
    response = upload(client, draft, "cv", name, data)
    assert message in response.content.decode()
    files = list(DocumentFile.objects.filter(dossier=draft))
    assert len(files) == 1 and files[0].original_name == "good.pdf" and files[0].superseded_at is None


def test_oversize_file_refused(client: Any, draft: Dossier, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    client.login(email=draft.candidate.email, password=PASSWORD)
    upload(client, draft, "cv", "good.pdf", tiny_pdf("ok"))
    big = tiny_pdf("big") + b"%" * 2000
    response = upload(client, draft, "cv", "big.pdf", big)
    # cut while it streams, before any check of its content (issue 6 item 6)
    assert response.status_code == 413
    with translation.override("fr"):
        assert too_large_message() in response.content.decode()
    assert (
        DocumentFile.objects.filter(dossier=draft, superseded_at__isnull=True).get().original_name
        == "good.pdf"
    )


def test_oversize_check_uses_default_of_10_mb(draft: Dossier, settings: Any) -> None:
    assert settings.UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    with pytest.raises(DomainError) as err:
        services.document_upload(
            dossier=draft,
            by=draft.candidate,
            document_type=doc_type(draft, "cv"),
            fileobj=io.BytesIO(data),
            name="x.pdf",
            size=len(data),
        )
    assert err.value.code == "size"


def test_replacing_keeps_the_earlier_file_in_history(draft: Dossier) -> None:
    t = doc_type(draft, "cv")
    first = services.document_upload(
        dossier=draft,
        by=draft.candidate,
        document_type=t,
        fileobj=io.BytesIO(tiny_pdf("1")),
        name="v1.pdf",
        size=len(tiny_pdf("1")),
    )
    second = services.document_upload(
        dossier=draft,
        by=draft.candidate,
        document_type=t,
        fileobj=io.BytesIO(tiny_pdf("2")),
        name="v2.pdf",
        size=len(tiny_pdf("2")),
    )
    slot = next(s for s in document_slots(draft) if s.type.code == "cv")
    assert slot.current == second
    assert [f.pk for f in slot.history] == [first.pk]
    first.refresh_from_db()
    assert first.superseded_at is not None and first.file.storage.exists(str(first.file.name))


def test_R2_9_document_in_another_language_needs_its_translation(draft: Dossier) -> None:
    fill_dossier(draft, documents=True, fee=False)
    t = doc_type(draft, "diploma")
    data = tiny_pdf("Diploma in Portuguese")
    services.document_upload(
        dossier=draft,
        by=draft.candidate,
        document_type=t,
        fileobj=io.BytesIO(data),
        name="diploma-pt.pdf",
        size=len(data),
        language="other",
    )
    missing = dossier_checklist(draft).missing
    assert any("Traduction manquante" in m or "Translation missing" in m for m in missing)
    # a translation must itself be in French or English
    with pytest.raises(DomainError):
        services.document_upload(
            dossier=draft,
            by=draft.candidate,
            document_type=t,
            fileobj=io.BytesIO(data),
            name="tr.pdf",
            size=len(data),
            language="other",
            role="translation",
        )
    services.document_upload(
        dossier=draft,
        by=draft.candidate,
        document_type=t,
        fileobj=io.BytesIO(data),
        name="tr.pdf",
        size=len(data),
        language="fr",
        role="translation",
    )
    assert not any("Traduction" in m or "Translation" in m for m in dossier_checklist(draft).missing)


def test_R2_9_translation_without_foreign_original_refused(draft: Dossier) -> None:
    t = doc_type(draft, "cv")
    data = tiny_pdf("cv")
    with pytest.raises(DomainError):
        services.document_upload(
            dossier=draft,
            by=draft.candidate,
            document_type=t,
            fileobj=io.BytesIO(data),
            name="tr.pdf",
            size=len(data),
            language="fr",
            role="translation",
        )


def test_I16_default_required_documents(draft: Dossier) -> None:
    codes = {s.type.code for s in document_slots(draft) if s.required}
    assert codes == {"cv", "cover_letter", "diploma", "transcripts", "identity"}


def test_download_is_an_attachment_with_safe_headers(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    upload(client, draft, "cv", "mon cv é.pdf", tiny_pdf("cv"))
    f = DocumentFile.objects.get(dossier=draft)
    response = client.get(reverse("document_download", args=[draft.pk, f.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_no_upload_after_submission(ready: Dossier) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    with pytest.raises(DomainError):
        services.document_upload(
            dossier=ready,
            by=ready.candidate,
            document_type=doc_type(ready, "cv"),
            fileobj=io.BytesIO(tiny_pdf("x")),
            name="x.pdf",
            size=len(tiny_pdf("x")),
        )


def test_no_stored_file_lingers_when_the_upload_fails(
    draft: Dossier, monkeypatch: Any, settings: Any
) -> None:
    from pathlib import Path

    import applications.services as app_services

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(app_services, "audit_record", broken)
    data = tiny_pdf("cv")
    with pytest.raises(RuntimeError):
        services.document_upload(
            dossier=draft,
            by=draft.candidate,
            document_type=doc_type(draft, "cv"),
            fileobj=io.BytesIO(data),
            name="cv.pdf",
            size=len(data),
        )
    assert not DocumentFile.objects.filter(dossier=draft).exists()
    stored = (
        list((Path(settings.MEDIA_ROOT) / "documents").glob("*"))
        if (Path(settings.MEDIA_ROOT) / "documents").exists()
        else []
    )
    assert stored == []
