"""Uploads are judged by their bytes, not their name (issue #2 §7), and must open (issue #6 §6)."""

import hashlib
import re
import warnings
from dataclasses import dataclass
from typing import IO

import pypdf
from django.utils.translation import gettext as _
from PIL import Image

from cursus.errors import DomainError

# magic bytes -> (content type, extension)
_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
]
# A page scanned at 600 dpi is about 35 million pixels, a phone photo 12 to 50 million. The limit
# bounds the memory one upload may take to decode (a small PNG can claim a huge canvas).
MAX_IMAGE_PIXELS = 50_000_000
_IMAGE_FORMATS = {"image/png": ["PNG"], "image/jpeg": ["JPEG", "MPO"]}
_BAD_NAME = re.compile(r"(^|[\\/\u2215])\.\.([\\/\u2215]|$)|[\\/\u2215\x00-\x1f]")


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    display_name: str


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in _SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def check_upload(fileobj: IO[bytes], *, name: str, size: int, max_bytes: int) -> CheckedFile:
    """Refuse, with a message, anything not a PDF, JPEG or PNG by content, too large, or
    named with a path."""
    if not name or _BAD_NAME.search(name):
        raise DomainError(_("This file name is not accepted: use a plain name without folders."), code="name")
    if size <= 0:
        raise DomainError(_("The file is empty."), code="empty")
    if size > max_bytes:
        raise DomainError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{size / 1_048_576:.1f}", "limit": f"{max_bytes / 1_048_576:.0f}"},
            code="size",
        )
    fileobj.seek(0)
    head = fileobj.read(16)
    kind = sniff(head)
    if kind is None:
        raise DomainError(
            _("Only PDF, JPEG and PNG files are accepted; this file is none of them."), code="type"
        )
    fileobj.seek(0)
    if kind[0] == "application/pdf":
        check_pdf_opens(fileobj)
    else:
        check_image_decodes(fileobj, formats=_IMAGE_FORMATS[kind[0]])
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(65536), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return CheckedFile(
        content_type=kind[0],
        extension=kind[1],
        size=size,
        sha256=digest.hexdigest(),
        display_name=name.strip()[:200],
    )


def check_pdf_opens(fileobj: IO[bytes]) -> None:
    """A PDF is accepted when it parses and has a page that staff can open without a password."""
    try:
        reader = pypdf.PdfReader(fileobj)
        if reader.is_encrypted:
            # Opening with an empty password works for owner-only protection (printing or copying
            # restricted): anyone can read those. Anything else would be unreadable by the office.
            try:
                opened = reader.decrypt("")
            except Exception:  # e.g. AES without the optional cryptography package
                opened = pypdf.PasswordType.NOT_DECRYPTED
            if opened == pypdf.PasswordType.NOT_DECRYPTED:
                raise DomainError(
                    _("This PDF is protected by a password: please send a copy without protection."),
                    code="encrypted",
                )
        pages = len(reader.pages)
    except DomainError:
        raise
    except Exception:  # a damaged file fails in many ways inside the parser
        raise DomainError(
            _("This PDF cannot be opened: it seems damaged. Please save or export it again as PDF."),
            code="unreadable",
        ) from None
    finally:
        fileobj.seek(0)
    if pages == 0:
        raise DomainError(_("This PDF has no page."), code="unreadable")


def check_image_decodes(fileobj: IO[bytes], *, formats: list[str]) -> None:
    """An image is accepted when it decodes completely, within a bounded number of pixels."""
    too_many = DomainError(
        _(
            "This image has too many pixels (the limit is %(limit)s million): please scan or save it "
            "at a lower resolution."
        )
        % {"limit": MAX_IMAGE_PIXELS // 1_000_000},
        code="pixels",
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own decompression-bomb guard (Image.MAX_IMAGE_PIXELS) becomes a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj, formats=formats) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise too_many
                image.verify()
            fileobj.seek(0)
            with Image.open(fileobj, formats=formats) as image:
                image.load()  # verify() does not decode the pixels: a truncated image fails here
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except Exception:  # a damaged file fails in many ways inside the decoder
        raise DomainError(
            _("This image cannot be opened: it seems damaged. Please save it again as JPEG or PNG."),
            code="unreadable",
        ) from None
    finally:
        fileobj.seek(0)
