"""CFONB 120: the French fixed-width account statement ("relevé de compte sur support informatique",
120 characters a record), as a Trésor public account exports it.

Positions used (1-based, inclusive, as the CFONB 120 specification numbers them):

=========  =====================================================================================
 1-2       record code: 01 old balance, 04 movement, 05 complement of the preceding 04, 07 new balance
 3-7       bank code
 8-11      internal operation code (04/05), reserved on 01/07
 12-16     agency (guichet) code
 17-19     currency code (ISO 4217, e.g. EUR)
 20        number of decimals of the amount (0-3)
 21        reserved
 22-32     account number
 33-34     interbank operation code (04/05)
 35-40     date DDMMYY: the balance's date (01/07), the booking date (04/05)
 41-42     rejection reason code (04)
 43-48     value date DDMMYY (04)
 49-79     label (04)
 82-88     entry reference number (04)
 91-104    amount, 14 characters, the last digit overpunched for the sign (01/04/07)
 105-120   reference zone (04)
 46-48     complement qualifier (05): LIB label, NPY payer's name, RCN payer's reference, REF, NBE...
 49-118    complement text (05)
=========  =====================================================================================

Overpunched last digit: ``{`` and ``A``-``I`` are 0-9 positive, ``}`` and ``J``-``R`` are 0-9 negative.
A credit to the account (money received) is positive.
"""

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.statements.base import ParsedLine, ParsedStatement, StatementError

RECORD = 120
CODES = ("01", "04", "05", "07")

POSITIVE = "{ABCDEFGHI"
NEGATIVE = "}JKLMNOPQR"

# The qualifiers that name the counterparty: the payer of a credit, the beneficiary of a debit.
# Field names for the messages, translated only when a message is made (gettext per line is slow).
VALUE_DATE = gettext_lazy("the value date (positions 43-48)")
BOOKING_DATE = gettext_lazy("the booking date (positions 35-40)")

PAYER_QUALIFIERS = ("NPY", "NPO", "NDO")
BENEFICIARY_QUALIFIERS = ("NBE", "NBU")


def _field(record: str, start: int, end: int) -> str:
    """The zone at 1-based inclusive positions start..end, as the specification numbers them."""
    return record[start - 1 : end]


def decode_text(data: bytes) -> str:
    """CFONB is ASCII in principle; some exports use ISO-8859-1/cp1252 accents."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def records(data: bytes) -> list[tuple[int, str]]:
    """The file's records with their line numbers (1-based). Line ends may be CRLF, LF or CR, the last
    newline may be missing, and a file may carry its records back to back with no line ends at all
    (each exactly 120 characters). Lines shorter than 120 characters are padded with spaces (some
    exports strip trailing blanks)."""
    text = decode_text(data)
    body = text.rstrip("\r\n\x1a")
    if "\n" not in body and "\r" not in body and len(body) > RECORD:
        if len(body) % RECORD:
            raise StatementError(
                _(
                    "Line %(line)d: the file has no line breaks and its length (%(length)d) is not a multiple "
                    "of 120 characters: not a CFONB 120 statement."
                )
                % {"line": 1, "length": len(body)}
            )
        return [(i + 1, body[i * RECORD : (i + 1) * RECORD]) for i in range(len(body) // RECORD)]
    out: list[tuple[int, str]] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > RECORD:
            raise StatementError(
                _("Line %(line)d: %(length)d characters where a CFONB 120 record has 120.")
                % {"line": number, "length": len(line)}
            )
        out.append((number, line.ljust(RECORD)))
    return out


def parse_amount(zone: str, decimals: int, number: int) -> Decimal:
    """A 14-character amount whose last digit carries the sign (overpunch)."""
    if len(zone) != 14:
        raise StatementError(
            _("Line %(line)d: the amount zone (positions 91-104) is incomplete.") % {"line": number}
        )
    digits, last = zone[:-1], zone[-1]
    if last in POSITIVE:
        sign, digit = 1, POSITIVE.index(last)
    elif last in NEGATIVE:
        sign, digit = -1, NEGATIVE.index(last)
    else:
        raise StatementError(
            _(
                "Line %(line)d: the amount '%(amount)s' (positions 91-104) does not end with a sign character "
                "({ or A-I for a credit, } or J-R for a debit)."
            )
            % {"line": number, "amount": zone.strip()}
        )
    if not digits.isdigit() or not digits.isascii():
        raise StatementError(
            _("Line %(line)d: the amount '%(amount)s' (positions 91-104) is not a number.")
            % {"line": number, "amount": zone.strip()}
        )
    units = sign * (int(digits) * 10 + digit)
    return Decimal(units).scaleb(-decimals)


def parse_date(zone: str, number: int, what: Any, *, optional: bool = False) -> dt.date | None:
    if not zone.strip() or (optional and zone.strip("0 ") == ""):
        if optional:
            return None
        raise StatementError(_("Line %(line)d: %(what)s is empty.") % {"line": number, "what": what})
    if not re.fullmatch(r"\d{6}", zone):
        raise StatementError(
            _("Line %(line)d: %(what)s '%(value)s' is not a date DDMMYY.")
            % {"line": number, "what": what, "value": zone}
        )
    day, month, year = int(zone[:2]), int(zone[2:4]), int(zone[4:])
    try:
        return dt.date(2000 + year if year < 70 else 1900 + year, month, day)
    except ValueError:
        raise StatementError(
            _("Line %(line)d: %(what)s '%(value)s' is not a valid date.")
            % {"line": number, "what": what, "value": zone}
        ) from None


def _decimals(record: str, number: int) -> int:
    zone = _field(record, 20, 20)
    if not zone.isdigit():
        raise StatementError(
            _("Line %(line)d: the number of decimals (position 20) is '%(value)s', not a digit.")
            % {"line": number, "value": zone}
        )
    return int(zone)


def _account(record: str) -> str:
    """Bank, agency and account number: the RIB of the account the statement is about."""
    return " ".join(
        part
        for part in (_field(record, 3, 7), _field(record, 12, 16), _field(record, 22, 32).strip())
        if part.strip()
    )


def entry_reference(account: str, booked_on: dt.date, reference: str) -> str:
    """The bank's entry reference made unique: the account and the booking date with it (short enough for
    `ParsedLine.dedup_key`; hashed when too long)."""
    reference = reference.strip()
    if not reference:
        return ""
    key = f"{account.replace(' ', '')}:{booked_on:%Y%m%d}:{reference}"
    if len(key) > 76:
        key = "h:" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return key


class _Movement:
    def __init__(self, number: int, record: str, amount: Decimal, booked_on: dt.date) -> None:
        self.number = number
        self.record = record
        self.amount = amount
        self.booked_on = booked_on
        self.currency = _field(record, 17, 19).strip() or "EUR"
        self.value_on = parse_date(_field(record, 43, 48), number, VALUE_DATE, optional=True)
        self.label = _field(record, 49, 79).strip()
        ref = _field(record, 82, 88).strip()
        self.reference = "" if ref.strip("0") == "" else ref
        self.account = _account(record)
        self.complements: list[tuple[str, str]] = []
        self.raw = [record.rstrip()]

    def grouped(self) -> list[tuple[str, str]]:
        """Consecutive complements of one qualifier are one text cut every 70 characters (a SEPA
        remittance of 140 characters is two LIB records, often cut inside a word): their zones are
        joined as they are, then the spacing is normalised."""
        groups: list[tuple[str, list[str]]] = []
        for qualifier, zone in self.complements:
            if groups and groups[-1][0] == qualifier:
                groups[-1][1].append(zone)
            else:
                groups.append((qualifier, [zone]))
        return [(qualifier, " ".join("".join(zones).split())) for qualifier, zones in groups]

    def line(self) -> ParsedLine:
        complements = self.grouped()
        texts: list[str] = []
        for text in [self.label, *(text for _qualifier, text in complements)]:
            if text and text not in texts:
                texts.append(text)
        named = dict(reversed(complements))  # the first complement of each qualifier wins
        order = PAYER_QUALIFIERS + BENEFICIARY_QUALIFIERS
        if self.amount < 0:
            order = BENEFICIARY_QUALIFIERS + PAYER_QUALIFIERS
        payer = next((named[q] for q in order if named.get(q)), "")
        return ParsedLine(
            booked_on=self.booked_on,
            amount=self.amount,
            currency=self.currency,
            value_on=self.value_on,
            entry_reference=entry_reference(self.account, self.booked_on, self.reference),
            payer=payer,
            remittance="\n".join(texts),
            account=self.account,
            raw="\n".join(self.raw),
        )


def parse(data: bytes) -> ParsedStatement:
    """Read a CFONB 120 statement; `StatementError` names the line and what is wrong."""
    recs = records(data)
    if not recs:
        raise StatementError(_("The file is empty: no CFONB 120 record."))
    statement = ParsedStatement(format="cfonb120")
    current: _Movement | None = None

    def flush() -> None:
        nonlocal current
        if current is not None:
            statement.lines.append(current.line())
            current = None

    for number, record in recs:
        code = record[:2]
        if code not in CODES:
            raise StatementError(
                _("Line %(line)d: record code '%(code)s' (positions 1-2) is not one of 01, 04, 05, 07.")
                % {"line": number, "code": code}
            )
        if code == "05":
            if current is None:
                raise StatementError(
                    _("Line %(line)d: a complement record 05 without a movement 04 before it.")
                    % {"line": number}
                )
            qualifier = _field(record, 46, 48).strip().upper()
            current.complements.append((qualifier, _field(record, 49, 118).ljust(70)))
            current.raw.append(record.rstrip())
            continue
        flush()
        decimals = _decimals(record, number)
        amount = parse_amount(_field(record, 91, 104), decimals, number)
        if code == "04":
            booked_on = parse_date(_field(record, 35, 40), number, BOOKING_DATE)
            assert booked_on is not None  # noqa: S101 - not optional
            current = _Movement(number, record, amount, booked_on)
        elif code == "01":
            if not statement.account:
                statement.account = _account(record)
            if statement.opening_balance is None:
                statement.opening_balance = amount
        else:  # 07
            statement.closing_balance = amount
    flush()
    return statement
