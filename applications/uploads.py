"""Uploads are judged by their bytes, not their name (issue #2 §7)."""

import hashlib
import re
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from cursus.errors import DomainError

# magic bytes -> (content type, extension)
_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
]
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
