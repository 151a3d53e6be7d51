"""Which statement format a file is, from its content (never its name), and one `parse` for all."""

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from billing.statements import camt, cfonb, csvfile
from billing.statements.base import ParsedStatement, StatementError

if TYPE_CHECKING:
    from billing.models import CsvMapping

_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x1f\x8b")
_CFONB_RECORD = re.compile(r"0[1457]")


def not_a_statement() -> StatementError:
    return StatementError(
        _(
            "This file is not a statement this platform reads (CFONB 120, camt.053 or CSV with the bank's mapping)."
        )
    )


def _is_cfonb(data: bytes) -> bool:
    try:
        recs = cfonb.records(data)
    except StatementError:
        return False
    if not recs:
        return False
    lengths_ok = all(len(rec.rstrip()) >= 48 for _n, rec in recs)
    first = recs[0][1]
    # positions 3-7 (bank code) and 20 (number of decimals) are digits in every record
    first_ok = len(first.rstrip()) >= 90 and first[2:7].isdigit() and first[19].isdigit()
    return lengths_ok and first_ok and all(_CFONB_RECORD.match(rec[:2]) for _n, rec in recs)


def detect(data: bytes) -> str:
    """ "cfonb120", "camt053" or "csv" from the file's content; StatementError otherwise."""
    head = data[:4096]
    if not data.strip() or head.startswith(_MAGIC):
        raise not_a_statement()
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if stripped.startswith(b"<") or utf16:
        text = head.decode("utf-16", "ignore") if utf16 else head.decode("utf-8", "ignore")
        if camt.NAMESPACE.search(text):
            return "camt053"
        raise not_a_statement()
    if b"\x00" in data:
        raise not_a_statement()
    if _is_cfonb(data):
        return "cfonb120"
    text = csvfile.decode(data[:65536])
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    if printable < 0.98 * max(1, len(text)):
        raise not_a_statement()
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and any(d in line for line in lines[:20] for d in ";,\t|"):
        return "csv"
    raise not_a_statement()


def parse(data: bytes, *, mapping: "CsvMapping | None" = None) -> ParsedStatement:
    """Read a statement of any supported format (detected from the content)."""
    kind = detect(data)
    if kind == "cfonb120":
        return cfonb.parse(data)
    if kind == "camt053":
        return camt.parse(data)
    if mapping is None:
        raise StatementError(
            _(
                "This is a CSV file: choose the bank's column mapping (or create one) so that its columns can be read."
            )
        )
    return csvfile.parse(data, mapping)
