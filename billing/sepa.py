"""SEPA Core direct debits, pure (issue 9 item 7, R3.4, I10): the TARGET2 calendar, collection dates,
and the pain.008 file (built with sepaxml, checked against the XSD that ships inside sepaxml).

- Collection dates are TARGET2 business days: weekends and the ECB's TARGET closing days (1 January,
  Good Friday, Easter Monday, 1 May, 25 and 26 December) are closed; ``holidays`` has the calendar.
- ``collection_date`` is the later of the instalment's due date, the pre-notification plus the notice
  (14 days, I10) and the next business day after today, moved to a TARGET2 business day.
- ``build_pain008`` writes one file: a payment information block per sequence type, FRST before RCUR
  (the bank processes a mandate's first debit before its recurring ones); amounts go to sepaxml as
  integer cents computed exactly from Decimal (I14); the debtor's address is structured (street,
  postcode, town, country). Every text is reduced to the SEPA character set.
- ``validate_pain008`` raises ``Pain008Invalid`` with the validator's reason when the file does not
  follow its schema; nothing is saved then.

Nothing here touches the database.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import holidays
import sepaxml
from sepaxml import SepaDD

SCHEMAS = ("pain.008.001.08", "pain.008.001.02")
FRST, RCUR = "FRST", "RCUR"
CENT = Decimal("0.01")
# What the EPC's SEPA character set allows (Latin letters, digits, / - ? : ( ) . , ' + and space).
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r"\s+")
SEPA_ID = re.compile(r"^[A-Za-z0-9/\-?:().,'+]{1,35}$")


class Pain008Invalid(ValueError):
    """The file does not follow its XSD (the reason is the validator's)."""


# ---- TARGET2 calendar -----------------------------------------------------------------------------


@cache
def _target2() -> holidays.HolidayBase:
    # Years are filled in on first use of a date of that year.
    return holidays.financial_holidays("XECB")


def is_target2_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _target2()


def target2_next_business_day(day: dt.date) -> dt.date:
    """``day`` itself when TARGET2 is open, else the next day it is."""
    while not is_target2_business_day(day):
        day += dt.timedelta(days=1)
    return day


def collection_date(due_on: dt.date, prenotified_on: dt.date, today: dt.date, notice_days: int) -> dt.date:
    """When an instalment is collected (I10): never before it is due, never less than ``notice_days``
    after the debtor was told (pre-notification), never earlier than the next business day after
    ``today`` (the file is sent today at the earliest); then on a TARGET2 business day."""
    earliest = max(
        due_on,
        prenotified_on + dt.timedelta(days=notice_days),
        target2_next_business_day(today + dt.timedelta(days=1)),
    )
    return target2_next_business_day(earliest)


# ---- text, ids, amounts ---------------------------------------------------------------------------


def sepa_text(text: str, max_length: int) -> str:
    """``text`` in the SEPA character set: accents dropped (é → e), other characters a space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("&", "+").replace("’", "'").replace("–", "-").replace("—", "-")
    cleaned = _SPACES.sub(" ", _NOT_SEPA.sub(" ", ascii_text)).strip()
    return cleaned[:max_length].strip()


def cents(amount: Decimal) -> int:
    """Whole cents, exactly: refuses anything that is not a positive amount to the cent (I14)."""
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    exact = amount.quantize(CENT)
    if exact != amount or exact <= 0:
        raise ValueError(f"not a positive amount to the cent: {amount}")
    return int(exact * 100)


# ---- the file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    sequence: str  # FRST or RCUR
    mandate_reference: str
    mandate_signed_on: dt.date
    debtor_name: str
    iban: str
    bic: str
    town: str
    country: str
    remittance: str
    street: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class BatchSpec:
    """One file: its message id, the creditor, one collection date and its debits."""

    message_id: str
    collection_date: dt.date
    creditor: Creditor
    debits: list[Debit] = field(default_factory=list)


def _address(debit: Debit) -> dict[str, str]:
    address = {
        "street_name": sepa_text(debit.street, 70),
        "postcode": sepa_text(debit.postcode, 16),
        "town": sepa_text(debit.town, 35),
        "country": debit.country.upper(),
    }
    return {k: v for k, v in address.items() if v}


def build_pain008(spec: BatchSpec, schema: str) -> bytes:
    """The pain.008 of ``spec`` in ``schema`` (``SCHEMAS``), FRST block before RCUR. Not validated
    here: ``validate_pain008`` does it, with a reason."""
    if schema not in SCHEMAS:
        raise ValueError(f"unknown schema {schema}")
    if not spec.debits:
        raise ValueError("a file needs at least one debit")
    creditor = spec.creditor
    config: dict[str, object] = {
        "name": sepa_text(creditor.name, 70),
        "IBAN": creditor.iban,
        "batch": True,
        "creditor_id": creditor.creditor_id,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if creditor.bic:
        config["BIC"] = creditor.bic
    sdd = SepaDD(config, schema=schema, clean=True)
    # Our message id (unique, recorded on the batch) instead of sepaxml's random one.
    sdd.msg_id = spec.message_id
    header = sdd._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId")  # noqa: SLF001
    assert header is not None  # sepaxml's header always has it
    header.text = spec.message_id
    # sepaxml writes one block per (sequence, date) in the order it first meets them.
    ordered = sorted(spec.debits, key=lambda d: (d.sequence != FRST, d.end_to_end_id))
    for debit in ordered:
        payment: dict[str, object] = {
            "name": sepa_text(debit.debtor_name, 70),
            "IBAN": debit.iban,
            "amount": cents(debit.amount),
            "type": debit.sequence,
            "collection_date": spec.collection_date,
            "mandate_id": debit.mandate_reference,
            "mandate_date": debit.mandate_signed_on,
            "description": sepa_text(debit.remittance, 140),
            "endtoend_id": debit.end_to_end_id,
            "address": _address(debit),
        }
        if debit.bic:
            payment["BIC"] = debit.bic
        sdd.add_payment(payment)
    out: bytes = sdd.export(validate=False)
    return out


def _schema_file(schema: str) -> Path:
    if schema not in SCHEMAS:
        raise ValueError(f"unknown schema {schema}")
    return Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd"


@cache
def _xsd(schema: str) -> object:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(_schema_file(schema))))  # noqa: S320 - our own XSD file


def validate_pain008(xml: bytes, schema: str) -> None:
    """Raise ``Pain008Invalid`` when ``xml`` does not follow the XSD of ``schema`` (shipped in sepaxml)."""
    from lxml import etree

    xsd = _xsd(schema)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        document = etree.fromstring(xml, parser)  # noqa: S320 - entities off, no network
    except etree.XMLSyntaxError as exc:
        raise Pain008Invalid(str(exc)) from exc
    if not xsd.validate(document):  # type: ignore[attr-defined]
        errors = xsd.error_log  # type: ignore[attr-defined]
        first = errors[0] if len(errors) else None
        reason = f"line {first.line}: {first.message}" if first is not None else "invalid"
        raise Pain008Invalid(reason)
