"""Builders of bank statements, for tests and for the demo: a CFONB 120 file and camt.053 documents
written from a list of entries, read back by the parsers of this package.

An entry is a `StatementEntry`, or a tuple ``(booked_on, amount, remittance)`` or
``(booked_on, amount, remittance, payer)``. Amounts are `Decimal` (or int/str), signed: a credit to the
account (money received) is positive.
"""

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from billing.statements.cfonb import NEGATIVE, POSITIVE


@dataclass
class StatementEntry:
    """One movement of a statement.

    booked_on: booking date. amount: signed Decimal (credit positive). remittance: free text (lines
    separated by "\\n"; each becomes a LIB complement in CFONB, a `Ustrd` in camt). payer: the
    counterparty's name (NPY complement / `Dbtr` of a credit, NBE / `Cdtr` of a debit). value_on: value
    date (default: booked_on). reference: the bank's entry reference (CFONB: at most 7 characters, zone
    82-88; camt: `AcctSvcrRef`). label: the CFONB 04 label (default: the payer, or the remittance's first
    line) / camt `AddtlNtryInf`. complements: extra CFONB 05 complements as (qualifier, text), e.g.
    ("RCN", "ABC123"). details: camt only: several transaction details in one entry (each a
    StatementEntry with its own amount, payer and remittance; the entry's amount is then their sum).
    with_details: camt only: False writes a batch entry without `NtryDtls`.
    """

    booked_on: dt.date
    amount: Decimal
    remittance: str = ""
    payer: str = ""
    value_on: dt.date | None = None
    reference: str = ""
    label: str = ""
    complements: list[tuple[str, str]] = field(default_factory=list)
    details: list["StatementEntry"] = field(default_factory=list)
    with_details: bool = True
    currency: str = "EUR"


EntryLike = StatementEntry | tuple


def _entry(item: EntryLike) -> StatementEntry:
    if isinstance(item, StatementEntry):
        return item
    booked_on, amount, remittance, *rest = item
    return StatementEntry(
        booked_on=booked_on, amount=Decimal(str(amount)), remittance=remittance, payer=rest[0] if rest else ""
    )


def ascii_upper(text: str) -> str:
    """Banks write CFONB in upper-case ASCII: accents dropped, other characters replaced by spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if 32 <= ord(c) < 127 else " " for c in plain).upper()


def overpunch(amount: Decimal, decimals: int = 2) -> str:
    """The 14-character CFONB amount zone of a signed amount, the last digit carrying the sign."""
    units = Decimal(amount).scaleb(decimals)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimals")
    value = int(units)
    digits = f"{abs(value):014d}"
    if len(digits) > 14:
        raise ValueError(f"{amount} does not fit in 14 digits")
    table = NEGATIVE if value < 0 else POSITIVE
    return digits[:13] + table[int(digits[13])]


def _chunks(text: str, size: int) -> list[str]:
    """Each line of the text cut every `size` characters, as banks do (inside words too)."""
    out: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        out += [line[i : i + size] for i in range(0, len(line), size)]
    return out


def cfonb120(
    lines: Iterable[EntryLike],
    *,
    account: str = "00001005050",
    bank: str = "30001",
    agency: str = "00794",
    currency: str = "EUR",
    decimals: int = 2,
    opening: Decimal = Decimal("0"),
    opened_on: dt.date | None = None,
    closed_on: dt.date | None = None,
    operation_code: str = "05",
    newline: str = "\r\n",
    final_newline: bool = True,
) -> bytes:
    """A CFONB 120 statement: one 01 (old balance `opening` at `opened_on`, default the first booking
    date), for each entry a 04 and its 05 complements (NPY/NBE payer, one LIB per 70 characters of
    remittance, then `entry.complements`), one 07 (opening plus the movements, at `closed_on`, default the
    last booking date).

    account: account number (11 characters, zone 22-32); bank: bank code (5, zone 3-7); agency: agency code
    (5, zone 12-16); currency: ISO code (zone 17-19); decimals: number of decimals (zone 20);
    operation_code: interbank operation code of the 04 records (zone 33-34, "05" = transfer received);
    newline: the record separator ("" writes the records back to back); final_newline: whether the
    last record ends with `newline`. Returns latin-1 encoded bytes.
    """
    entries = [_entry(item) for item in lines]
    dates = [e.booked_on for e in entries]
    today = dt.date(2026, 1, 1)
    opened_on = opened_on or (min(dates) if dates else today)
    closed_on = closed_on or (max(dates) if dates else opened_on)
    bank = bank[:5].rjust(5, "0")
    agency = agency[:5].rjust(5, "0")
    account_zone = account[:11].ljust(11)
    cur = currency[:3].ljust(3)

    def head(code: str, internal: str = "    ") -> str:
        return f"{code}{bank}{internal}{agency}{cur}{decimals}{' '}{account_zone}"

    def ddmmyy(day: dt.date) -> str:
        return day.strftime("%d%m%y")

    out: list[str] = []
    balance = Decimal(opening)
    out.append(head("01") + "  " + ddmmyy(opened_on) + " " * 50 + overpunch(balance, decimals) + " " * 16)
    for e in entries:
        amount = Decimal(e.amount)
        balance += amount
        label = ascii_upper(e.label or e.payer or (e.remittance.splitlines() or [""])[0])[:31].ljust(31)
        reference = ascii_upper(e.reference)[:7].ljust(7)
        rec = (
            head("04", "0001")
            + operation_code[:2].ljust(2)
            + ddmmyy(e.booked_on)
            + "  "
            + ddmmyy(e.value_on or e.booked_on)
            + label
            + "  "
            + reference
            + "  "
            + overpunch(amount, decimals)
            + " " * 16
        )
        out.append(rec)
        complements: list[tuple[str, str]] = []
        if e.payer:
            complements.append(("NBE" if amount < 0 else "NPY", e.payer))
        complements += [("LIB", chunk) for chunk in _chunks(e.remittance, 70)]
        complements += list(e.complements)
        for qualifier, text in complements:
            rec05 = (
                head("05", "0001")
                + operation_code[:2].ljust(2)
                + ddmmyy(e.booked_on)
                + " " * 5
                + ascii_upper(qualifier)[:3].ljust(3)
                + ascii_upper(text)[:70].ljust(70)
                + "  "
            )
            out.append(rec05)
    out.append(head("07") + "  " + ddmmyy(closed_on) + " " * 50 + overpunch(balance, decimals) + " " * 16)
    for rec in out:
        assert len(rec) == 120, (len(rec), rec)  # noqa: S101 - a writer bug, not input
    text = newline.join(out) + (newline if final_newline else "")
    return text.encode("latin-1")


CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"


def _amount(value: Decimal) -> str:
    return f"{abs(Decimal(value)):.2f}"


def camt053(
    lines: Iterable[EntryLike],
    version: str = "001.02",
    *,
    iban: str = "FR7630001007941234567890185",
    currency: str = "EUR",
    opening: Decimal = Decimal("0"),
    statement_id: str = "STMT-1",
    created_at: dt.datetime | None = None,
    booking_datetime: bool = False,
) -> bytes:
    """A camt.053 document (BkToCstmrStmt with one Stmt) in `version` "001.02", "001.04" or "001.08"
    (any "001.xx": the namespace follows it; 001.08 and later write `Dbtr/Pty/Nm`, the amount and
    credit/debit indicator on each `TxDtls` and `Sts/Cd`; earlier versions `Dbtr/Nm`, `AmtDtls/TxAmt`
    and a plain `Sts`).

    iban: the statement's account; currency: its currency; opening: the OPBD balance (the CLBD is the
    opening plus the entries); statement_id: `Stmt/Id` and prefix of `MsgId`; created_at: `CreDtTm`
    (default 2026-01-01 08:00 UTC); booking_datetime: write `BookgDt/DtTm` instead of `BookgDt/Dt`.
    Each entry's `reference` becomes its `AcctSvcrRef` (and `NtryRef`); its remittance lines become
    `Ustrd`, its label `AddtlNtryInf`. Returns UTF-8 bytes.
    """
    entries = [_entry(item) for item in lines]
    new = tuple(int(p) for p in version.split(".")) >= (1, 8)
    created = created_at or dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    dates = [e.booked_on for e in entries] or [created.date()]

    def x(text: str) -> str:
        return escape(text, {'"': "&quot;"})

    def bal(kind: str, value: Decimal, day: dt.date) -> str:
        ind = "DBIT" if value < 0 else "CRDT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{_amount(value)}</Amt><CdtDbtInd>{ind}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    def party(role: str, name: str) -> str:
        if not name:
            return ""
        inner = f"<Pty><Nm>{x(name)}</Nm></Pty>" if new else f"<Nm>{x(name)}</Nm>"
        return f"<RltdPties><{role}>{inner}</{role}></RltdPties>"

    def tx(d: StatementEntry, ccy: str) -> str:
        amount = Decimal(d.amount)
        ind = "DBIT" if amount < 0 else "CRDT"
        refs = "<Refs>"
        if d.reference:
            refs += f"<AcctSvcrRef>{x(d.reference)}</AcctSvcrRef>"
        refs += "<EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        if new:
            amt = f'<Amt Ccy="{ccy}">{_amount(amount)}</Amt><CdtDbtInd>{ind}</CdtDbtInd>'
        else:
            amt = f'<AmtDtls><TxAmt><Amt Ccy="{ccy}">{_amount(amount)}</Amt></TxAmt></AmtDtls>'
        rmt = "".join(f"<Ustrd>{x(chunk)}</Ustrd>" for chunk in _chunks(d.remittance, 140))
        return (
            "<TxDtls>"
            + refs
            + amt
            + party("Cdtr" if amount < 0 else "Dbtr", d.payer)
            + (f"<RmtInf>{rmt}</RmtInf>" if rmt else "")
            + "</TxDtls>"
        )

    body: list[str] = []
    balance = Decimal(opening)
    for n, e in enumerate(entries, start=1):
        parts: Sequence[StatementEntry] = e.details or [e]
        amount = sum((Decimal(p.amount) for p in parts), Decimal("0")) if e.details else Decimal(e.amount)
        balance += amount
        ind = "DBIT" if amount < 0 else "CRDT"
        booked = (
            f"<DtTm>{e.booked_on.isoformat()}T09:30:00+01:00</DtTm>"
            if booking_datetime
            else f"<Dt>{e.booked_on.isoformat()}</Dt>"
        )
        sts = "<Sts><Cd>BOOK</Cd></Sts>" if new else "<Sts>BOOK</Sts>"
        entry = (
            f"<Ntry><NtryRef>{n}</NtryRef>"
            f'<Amt Ccy="{e.currency}">{_amount(amount)}</Amt><CdtDbtInd>{ind}</CdtDbtInd>{sts}'
            f"<BookgDt>{booked}</BookgDt><ValDt><Dt>{(e.value_on or e.booked_on).isoformat()}</Dt></ValDt>"
        )
        if e.reference:
            entry += f"<AcctSvcrRef>{x(e.reference)}</AcctSvcrRef>"
        entry += (
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>"
            + ("ICDT" if amount < 0 else "RCDT")
            + "</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        )
        if e.with_details:
            details = [
                StatementEntry(
                    booked_on=p.booked_on,
                    amount=p.amount,
                    remittance=p.remittance,
                    payer=p.payer,
                    reference=p.reference if e.details else "",
                )
                for p in parts
            ]
            entry += "<NtryDtls>" + "".join(tx(d, e.currency) for d in details) + "</NtryDtls>"
        if e.label:
            entry += f"<AddtlNtryInf>{x(e.label)}</AddtlNtryInf>"
        entry += "</Ntry>"
        body.append(entry)
    stamp = created.isoformat(timespec="seconds")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{CAMT_NAMESPACE.format(version=version)}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "<BkToCstmrStmt>"
        f"<GrpHdr><MsgId>{x(statement_id)}-MSG</MsgId><CreDtTm>{stamp}</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{x(statement_id)}</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{stamp}</CreDtTm>"
        f"<Acct><Id><IBAN>{x(iban)}</IBAN></Id><Ccy>{currency}</Ccy></Acct>\n"
        + bal("OPBD", Decimal(opening), min(dates))
        + bal("CLBD", balance, max(dates))
        + "\n"
        + "\n".join(body)
        + "\n</Stmt></BkToCstmrStmt>\n</Document>\n"
    )
    return xml.encode("utf-8")
