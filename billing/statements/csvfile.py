"""CSV statements, read through the bank's saved `billing.models.CsvMapping`: delimiter, decimal comma,
date format, rows before the header, and which named column holds what.

UTF-8 with or without BOM, else cp1252 (the French Excel export), else ISO-8859-1. Amounts like
``1 234,56``, ``-60,00``, ``60.00``, ``60,00 €``; a credit (money received) is positive; with separate
credit and debit columns the debit is made negative whatever its written sign.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.statements.base import ParsedLine, ParsedStatement, StatementError

if TYPE_CHECKING:
    from billing.models import CsvMapping

BOOKING_DATE = gettext_lazy("the booking date")
VALUE_DATE = gettext_lazy("the value date")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_SPACES = re.compile(r"[\s\u00a0\u202f']+")


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_amount(text: str, *, decimal_comma: bool, number: int, column: str) -> Decimal | None:
    """A written amount as a Decimal; None when the cell is empty."""
    raw = text
    text = text.strip().replace("\u2212", "-").replace("€", "").replace("EUR", "").strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    text = _SPACES.sub("", text)
    if decimal_comma:
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        elif not re.fullmatch(r"[+-]?\d+\.\d{1,2}", text):
            text = text.replace(".", "")  # "1.234" is a thousand and more with a decimal comma
    else:
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise StatementError(_bad_amount(number, raw, column))
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern guarantees it
        raise StatementError(_bad_amount(number, raw, column)) from None
    return -value if negative else value


def _bad_amount(number: int, raw: str, column: str) -> str:
    return _("Line %(line)d: the amount '%(amount)s' in column '%(column)s' is not a number.") % {
        "line": number,
        "amount": raw.strip(),
        "column": column,
    }


def _norm(name: str) -> str:
    """Column names compare without case, accents or extra spacing ("Libellé" is "LIBELLE")."""
    plain = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.split()).casefold()


def parse(data: bytes, mapping: "CsvMapping") -> ParsedStatement:
    """Read a CSV statement with the bank's mapping; `StatementError` names the line and what is wrong."""
    text = decode(data)
    physical = text.splitlines(keepends=True)
    skip = int(mapping.skip_rows or 0)
    reader = csv.reader(io.StringIO("".join(physical[skip:])), delimiter=mapping.delimiter or ";")
    try:
        header = next(reader)
    except StopIteration:
        raise StatementError(_("Line %(line)d: the file has no header row.") % {"line": skip + 1}) from None
    except csv.Error as exc:
        raise StatementError(_("Line %(line)d: %(error)s") % {"line": skip + 1, "error": exc}) from None
    columns = {_norm(name): i for i, name in reversed(list(enumerate(header)))}

    def index(name: str, what: str) -> int | None:
        if not name.strip():
            return None
        if _norm(name) not in columns:
            found = ", ".join(f"'{h.strip()}'" for h in header if h.strip()) or "-"
            raise StatementError(
                _(
                    "Line %(line)d: the mapping's column '%(name)s' (%(what)s) is not in the file (its columns: %(found)s)."
                )
                % {"line": skip + 1, "name": name.strip(), "what": what, "found": found}
            )
        return columns[_norm(name)]

    booked_i = index(mapping.booked_on_column, _("booking date"))
    if booked_i is None:
        raise StatementError(_("The mapping names no booking date column."))
    value_i = index(mapping.value_on_column, _("value date"))
    amount_i = index(mapping.amount_column, _("amount"))
    credit_i = index(mapping.credit_column, _("credit"))
    debit_i = index(mapping.debit_column, _("debit"))
    if amount_i is None and credit_i is None and debit_i is None:
        raise StatementError(_("The mapping names no amount column (nor credit and debit columns)."))
    payer_i = index(mapping.payer_column, _("payer"))
    remit_is = [
        i
        for name in (mapping.remittance_columns or "").split(",")
        if (i := index(name, _("remittance"))) is not None
    ]
    ref_i = index(mapping.reference_column, _("bank's reference"))
    names = {booked_i: mapping.booked_on_column.strip()}

    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    def date(row: list[str], i: int | None, number: int, what: Any, optional: bool) -> dt.date | None:
        value = cell(row, i)
        if not value:
            if optional:
                return None
            raise StatementError(_("Line %(line)d: %(what)s is empty.") % {"line": number, "what": what})
        try:
            return dt.datetime.strptime(value, mapping.date_format).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise StatementError(
                _("Line %(line)d: %(what)s '%(value)s' does not read as '%(format)s'.")
                % {"line": number, "what": what, "value": value, "format": mapping.date_format}
            ) from None

    statement = ParsedStatement(format="csv")
    comma = bool(mapping.decimal_comma)
    try:
        for row in reader:
            number = skip + reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) <= booked_i:
                raise StatementError(
                    _(
                        "Line %(line)d: the booking date column '%(name)s' is missing from this row (is the "
                        "delimiter '%(delimiter)s' right?)."
                    )
                    % {"line": number, "name": names[booked_i], "delimiter": mapping.delimiter}
                )
            booked_on = date(row, booked_i, number, BOOKING_DATE, optional=False)
            assert booked_on is not None  # noqa: S101 - not optional
            value_on = date(row, value_i, number, VALUE_DATE, optional=True)
            if amount_i is not None:
                amount = parse_amount(
                    cell(row, amount_i), decimal_comma=comma, number=number, column=mapping.amount_column
                )
            else:
                credit = parse_amount(
                    cell(row, credit_i), decimal_comma=comma, number=number, column=mapping.credit_column
                )
                debit = parse_amount(
                    cell(row, debit_i), decimal_comma=comma, number=number, column=mapping.debit_column
                )
                if credit is None and debit is None:
                    amount = None
                else:
                    amount = abs(credit or Decimal("0")) - abs(debit or Decimal("0"))
            if amount is None:
                raise StatementError(_("Line %(line)d: no amount.") % {"line": number})
            reference = cell(row, ref_i)
            statement.lines.append(
                ParsedLine(
                    booked_on=booked_on,
                    amount=amount,
                    value_on=value_on,
                    entry_reference=f"{booked_on:%Y%m%d}:{reference}"[:76] if reference else "",
                    payer=" ".join(cell(row, payer_i).split()),
                    remittance="\n".join(t for i in remit_is if (t := " ".join(cell(row, i).split()))),
                    raw=(mapping.delimiter or ";").join(row),
                )
            )
    except csv.Error as exc:
        raise StatementError(
            _("Line %(line)d: %(error)s") % {"line": skip + reader.line_num, "error": exc}
        ) from None
    return statement
