"""Reading a grades file for ``grades_import`` (issue 10 item 3): CSV or XLSX in, rows of text out.

Documented columns (README, "Grades"): ``student`` (the student number as the platform shows it,
e.g. 202500042), ``subject`` (the subject's code), ``grade`` (a dot decimal such as 12.5, at most two
decimals, 0 to 20, or ABS for an absence) and, optionally, ``session`` (``first`` or ``resit``; first when
empty or absent). The header row names the columns, in any order; other columns are ignored.

- CSV: UTF-8 (a BOM is fine), the delimiter ``;`` or ``,`` read from the header line.
- XLSX: the first sheet, read with openpyxl in read-only mode (values, never formulas).

Nothing here touches the database, and nothing here decides whether a line is right: it only says
what each line holds (``parse_grade`` reads one grade cell, with the words of the report).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

REQUIRED = ("student", "subject", "grade")
OPTIONAL = ("session",)
ABSENT_WORD = "ABS"
CENT = Decimal("0.01")
_DOT_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_COMMA_NUMBER = re.compile(r"^-?\d+,\d+$")
XLSX_MAGIC = b"PK\x03\x04"


class GradeFileError(Exception):
    """The file as a whole cannot be read (not UTF-8, not a spreadsheet, no header)."""


@dataclass(frozen=True)
class Row:
    line: int  # the line (CSV) or row (XLSX) number, the header being 1
    student: str
    subject: str
    grade: str
    session: str
    too_many_cells: bool = False  # more cells than the header names
    split_decimal: str = ""  # "12,5": a comma decimal that split a comma-separated line's grade in two


def parse_grade(raw: str, *, comma_ok: bool = False) -> Decimal | None:
    """One grade cell: ``12.5``, ``20``, ``0`` → a Decimal; ``ABS`` → None (an absence). Raises
    ValueError with the words for the report: a comma decimal (unless ``comma_ok``, the grid's case:
    a French keyboard types one), text, below 0, above 20, more than two decimals."""
    text = raw.strip()
    if not text:
        raise ValueError(_("no grade (write ABS for an absence)"))
    if text.upper() == ABSENT_WORD:
        return None
    if _COMMA_NUMBER.match(text):
        if not comma_ok:
            raise ValueError(
                _("%(cell)s has a comma: write the decimal with a dot (%(fixed)s)")
                % {"cell": text, "fixed": text.replace(",", ".")}
            )
        text = text.replace(",", ".")
    if not _DOT_NUMBER.match(text):
        raise ValueError(_("“%(cell)s” is not a grade (a number from 0 to 20, or ABS)") % {"cell": text})
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover — the pattern already checked it
        raise ValueError(_("“%(cell)s” is not a grade") % {"cell": text}) from exc
    if value < 0:
        raise ValueError(_("%(cell)s is below 0") % {"cell": text})
    if value > 20:
        raise ValueError(_("%(cell)s is above 20") % {"cell": text})
    if value != value.quantize(CENT):
        raise ValueError(_("%(cell)s has more than two decimals") % {"cell": text})
    return value.quantize(CENT)


def read_rows(data: bytes, filename: str) -> list[Row]:
    """Every non-empty line after the header, numbered as a spreadsheet numbers them."""
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return _rows(_xlsx_cells(data))
    return _rows(_csv_cells(data))


def _csv_cells(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GradeFileError(_("The file is not UTF-8 text (save it as “CSV UTF-8”).")) from exc
    first = text.split("\n", 1)[0]
    # The header decides: "student;subject;grade" or "student,subject,grade" (convention: no guessing
    # from grades, where "12,5" holds a comma either way).
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    for cells in reader:
        out.append((reader.line_num, cells))
    return out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # A number cell: its shortest exact writing (12.5, 10.005), so that three decimals show.
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_cells(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only when an XLSX comes in

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — a broken or foreign file: openpyxl raises many kinds
        raise GradeFileError(_("The file is not a readable Excel workbook (.xlsx).")) from exc
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _rows(cells: list[tuple[int, list[str]]]) -> list[Row]:
    lines = [(n, [c.strip() for c in row]) for n, row in cells if any(str(c).strip() for c in row)]
    if not lines:
        raise GradeFileError(_("The file is empty."))
    _n, header = lines[0]
    names = [h.lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise GradeFileError(
            _("The first line must name the columns student, subject and grade (missing: %(missing)s).")
            % {"missing": ", ".join(missing)}
        )
    where = {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}
    width = len(header)

    def cell(row: list[str], name: str) -> str:
        i = where.get(name)
        return row[i] if i is not None and i < len(row) else ""

    def split(row: list[str]) -> str:
        i = where["grade"]
        if len(row) > width and i + 1 < len(row) and row[i].lstrip("-").isdigit() and row[i + 1].isdigit():
            return f"{row[i]},{row[i + 1]}"
        return ""

    rows = []
    for n, row in lines[1:]:
        too_many = any(row[width:])
        split_decimal = split(row) if too_many else ""
        if split_decimal:
            # The cells after the grade moved one place right: read them where they are.
            row = [*row[: where["grade"]], split_decimal, *row[where["grade"] + 2 :]]
        rows.append(
            Row(
                line=n,
                student=cell(row, "student"),
                subject=cell(row, "subject"),
                grade=cell(row, "grade"),
                session=cell(row, "session"),
                too_many_cells=too_many and not split_decimal,
                split_decimal=split_decimal,
            )
        )
    return rows
