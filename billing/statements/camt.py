"""camt.053 (ISO 20022 BankToCustomerStatement), any ``camt.053.001.xx`` version.

The document is parsed once, by pycamt (lxml without entity resolution nor network), after this module
has refused any DTD or entity declaration itself (XML bombs, external entities). pycamt gives the
statement's IBAN; the rest is read here from the same tree (pycamt's per-transaction reading searches the
whole statement again for every entry, too slow for 10,000 lines, and loses what follows): the entry's `NtryRef`/`AcctSvcrRef`, each `TxDtls`'s own
amount (`Amt` in .08, `AmtDtls/TxAmt/Amt` before) and `CdtDbtInd`, every `Ustrd` line, the debtor name
as `RltdPties/Dbtr/Nm` (.02-.04) or `RltdPties/Dbtr/Pty/Nm` (.08+), `BookgDt/Dt` or `DtTm`, `ValDt`, and
the balances as Decimals (pycamt turns a debit balance into a float).

One `ParsedLine` per transaction detail (`NtryDtls/TxDtls`); an entry with several details gives several
lines, each with its own amount; a batch entry without details gives one line with the entry's amount.
Entries whose status is pending or information only (PDNG, INFO) are not booked and are skipped.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pycamt.parser import Camt053Parser

from billing.statements.base import ParsedLine, ParsedStatement, StatementError
from billing.statements.cfonb import entry_reference

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
VALUE_DATE = gettext_lazy("the value date (ValDt)")
BOOKING_DATE = gettext_lazy("the booking date (BookgDt)")
_AMOUNT = re.compile(r"\d+(\.\d+)?")


def refuse_dtd(data: bytes) -> None:
    """Refuse any document type declaration or entity: a statement never needs one, and they are how
    XML bombs and external entities get in."""
    texts = [data]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        for enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                texts.append(data.decode(enc).encode("utf-8"))
            except UnicodeDecodeError:
                continue
    for text in texts:
        if _DTD.search(text):
            raise StatementError(_dtd_refused())


def _dtd_refused() -> str:
    return _(
        "This XML file declares a document type or entities (DOCTYPE/ENTITY): refused, a bank statement "
        "never needs them."
    )


class _Reader:
    """Namespace-aware helpers over the lxml tree pycamt built."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._paths: dict[str, list[str]] = {}
        self._kids: dict[Any, dict[Any, list[Any]]] = {}

    def q(self, path: str) -> list[str]:
        """The path's steps as qualified tags (cached: this runs for every element read)."""
        if path not in self._paths:
            self._paths[path] = [f"{{{self.ns}}}{part}" for part in path.split("/")]
        return self._paths[path]

    def reset(self) -> None:
        """Forget the children indexed so far (called for each entry, so memory stays flat)."""
        self._kids.clear()

    def kids(self, el: Any, tag: str) -> list[Any]:
        """The children of `el` with this qualified tag, from an index built once per element: an order
        of magnitude faster than lxml's path language for the 10,000 entries of a big statement."""
        index = self._kids.get(el)
        if index is None:
            index = {}
            for child in el:
                index.setdefault(child.tag, []).append(child)
            self._kids[el] = index
        return index.get(tag, [])

    def find(self, el: Any, path: str) -> Any:
        """The first element along the path (each step's element is unique in camt.053)."""
        for tag in self.q(path):
            if el is None:
                return None
            found = self.kids(el, tag)
            el = found[0] if found else None
        return el

    def findall(self, el: Any, path: str) -> list[Any]:
        *steps, last = self.q(path)
        for tag in steps:
            if el is None:
                return []
            found = self.kids(el, tag)
            el = found[0] if found else None
        return list(self.kids(el, last)) if el is not None else []

    def text(self, el: Any, *paths: str) -> str:
        for path in paths:
            found = self.find(el, path)
            if found is not None and (found.text or "").strip():
                return " ".join(found.text.split())
        return ""


def _line_of(el: Any) -> str:
    line = getattr(el, "sourceline", None)
    return _("Line %(line)d") % {"line": line} if line else _("The statement")


def _amount(r: _Reader, el: Any) -> tuple[Decimal, str] | None:
    """An `Amt` element's value and currency, or None when absent; StatementError when not a number."""
    if el is None:
        return None
    text = (el.text or "").strip()
    if not _AMOUNT.fullmatch(text):
        raise StatementError(_bad_amount(el, text))
    try:
        return Decimal(text), (el.get("Ccy") or "").strip().upper()
    except InvalidOperation:  # pragma: no cover - the pattern guarantees it
        raise StatementError(_bad_amount(el, text)) from None


def _bad_amount(el: Any, text: str) -> str:
    return _("%(where)s: the amount '%(amount)s' is not a positive decimal number.") % {
        "where": _line_of(el),
        "amount": text,
    }


def _sign(r: _Reader, el: Any, default: int | None = None) -> int:
    indicator = r.text(el, "CdtDbtInd")
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    if default is not None and not indicator:
        return default
    raise StatementError(
        _("%(where)s: the credit/debit indicator (CdtDbtInd) is '%(value)s', expected CRDT or DBIT.")
        % {"where": _line_of(el), "value": indicator}
    )


def _date(text: str, el: Any, what: Any) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(
            _("%(where)s: %(what)s '%(value)s' is not a date.")
            % {"where": _line_of(el), "what": what, "value": text}
        ) from None


def _texts(*groups: list[str]) -> str:
    out: list[str] = []
    for group in groups:
        for text in group:
            text = " ".join(text.split())
            if text and text not in out:
                out.append(text)
    return "\n".join(out)


def parse(data: bytes) -> ParsedStatement:
    """Read a camt.053 statement; `StatementError` says where (the XML line) and what is wrong."""
    refuse_dtd(data)
    try:
        pycamt = Camt053Parser(data)
    except Exception as exc:  # lxml's XMLSyntaxError and friends
        raise StatementError(_("The file is not well-formed XML: %(error)s") % {"error": exc}) from None
    root = pycamt.tree
    if root.getroottree().docinfo.doctype:
        raise StatementError(_dtd_refused())
    match = NAMESPACE.fullmatch(root.tag[1:].split("}")[0] if root.tag.startswith("{") else "")
    if not match:
        raise StatementError(_("This XML file is not a camt.053 statement (no camt.053.001.xx namespace)."))
    r = _Reader(match.group(0))
    statements = r.findall(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementError(
            _("%(where)s: the camt.053 document has no statement (BkToCstmrStmt/Stmt).")
            % {"where": _line_of(root)}
        )
    # pycamt's statement info (IBAN); its get_transactions() is not used: it searches the whole statement
    # again for every entry (minutes for 10,000 entries) and gives amounts as text without the details'
    # own signs, so the entries are read here from the same tree.
    try:
        info = pycamt.get_statement_info()
    except Exception:  # pycamt is a helper, not the authority: our own reading follows
        info = []

    result = ParsedStatement(format="camt053")
    for s_number, stmt in enumerate(statements):
        iban = (info[s_number].get("IBAN") if s_number < len(info) else None) or r.text(
            stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id"
        )
        if not result.account:
            result.account = iban
        for bal in r.findall(stmt, "Bal"):
            kind = r.text(bal, "Tp/CdOrPrtry/Cd")
            amt = _amount(r, r.find(bal, "Amt"))
            if amt is None:
                continue
            value = amt[0] * _sign(r, bal, default=1)
            if kind in ("OPBD", "PRCD") and result.opening_balance is None:
                result.opening_balance = value
            elif kind == "CLBD":
                result.closing_balance = value
        for entry in r.findall(stmt, "Ntry"):
            r.reset()
            status = r.text(entry, "Sts/Cd", "Sts")
            details = [tx for d in r.findall(entry, "NtryDtls") for tx in r.findall(d, "TxDtls")]
            if status in ("PDNG", "INFO"):
                continue
            result.lines.extend(_entry_lines(r, entry, details, iban))
    return result


def _entry_lines(r: _Reader, entry: Any, details: list[Any], iban: str) -> list[ParsedLine]:
    entry_amt = _amount(r, r.find(entry, "Amt"))
    if entry_amt is None:
        raise StatementError(
            _("%(where)s: the entry (Ntry) has no amount (Amt).") % {"where": _line_of(entry)}
        )
    entry_sign = _sign(r, entry)
    booked_text = r.text(entry, "BookgDt/Dt", "BookgDt/DtTm")
    value_text = r.text(entry, "ValDt/Dt", "ValDt/DtTm")
    value_on = _date(value_text, entry, VALUE_DATE)
    booked_on = _date(booked_text, entry, BOOKING_DATE) or value_on
    if booked_on is None:
        raise StatementError(
            _("%(where)s: the entry (Ntry) has no booking date (BookgDt).") % {"where": _line_of(entry)}
        )
    # The servicer's reference is unique; NtryRef is often a sequence number within one statement, so it
    # is used only when it looks like a reference (8 characters or more).
    ntry_ref = r.text(entry, "NtryRef")
    entry_ref = r.text(entry, "AcctSvcrRef") or (ntry_ref if len(ntry_ref) >= 8 else "")
    entry_info = [r.text(entry, "AddtlNtryInf")]
    raw = _raw(entry)

    def counterparty(tx: Any, sign: int) -> str:
        debtor = r.text(
            tx,
            "RltdPties/Dbtr/Nm",
            "RltdPties/Dbtr/Pty/Nm",
            "RltdPties/UltmtDbtr/Nm",
            "RltdPties/UltmtDbtr/Pty/Nm",
        )
        creditor = r.text(
            tx,
            "RltdPties/Cdtr/Nm",
            "RltdPties/Cdtr/Pty/Nm",
            "RltdPties/UltmtCdtr/Nm",
            "RltdPties/UltmtCdtr/Pty/Nm",
        )
        return (creditor or debtor) if sign < 0 else (debtor or creditor)

    def remittance(tx: Any) -> list[str]:
        texts = [(u.text or "") for u in r.findall(tx, "RmtInf/Ustrd")]
        texts += [r.text(s, "CdtrRefInf/Ref") for s in r.findall(tx, "RmtInf/Strd")]
        texts += [(a.text or "") for s in r.findall(tx, "RmtInf/Strd") for a in r.findall(s, "AddtlRmtInf")]
        texts.append(r.text(tx, "AddtlTxInf"))
        return texts

    amounts = []
    for tx in details:
        amt = _amount(r, r.find(tx, "Amt")) or _amount(r, r.find(tx, "AmtDtls/TxAmt/Amt"))
        amounts.append(amt)
    lines: list[ParsedLine] = []
    if len(details) > 1 and all(a is not None for a in amounts):
        for n, (tx, amt) in enumerate(zip(details, amounts, strict=True), start=1):
            assert amt is not None  # noqa: S101 - checked above
            sign = _sign(r, tx, default=entry_sign)
            own_ref = r.text(tx, "Refs/AcctSvcrRef")
            ref = own_ref or (f"{entry_ref}/{n}" if entry_ref else "")
            lines.append(
                ParsedLine(
                    booked_on=booked_on,
                    amount=sign * amt[0],
                    currency=amt[1] or entry_amt[1] or "EUR",
                    value_on=value_on,
                    entry_reference=entry_reference(iban, booked_on, ref),
                    payer=counterparty(tx, sign),
                    remittance=_texts(remittance(tx), entry_info),
                    account=iban,
                    raw=raw,
                )
            )
        return lines
    # One line for the entry: no details, one detail, or details without their own amounts.
    payer = next((p for p in (counterparty(tx, entry_sign) for tx in details) if p), "")
    texts: list[str] = [t for tx in details for t in remittance(tx)]
    if len(details) == 1 and not entry_ref:
        entry_ref = r.text(details[0], "Refs/AcctSvcrRef")
    return [
        ParsedLine(
            booked_on=booked_on,
            amount=entry_sign * entry_amt[0],
            currency=entry_amt[1] or "EUR",
            value_on=value_on,
            entry_reference=entry_reference(iban, booked_on, entry_ref),
            payer=payer,
            remittance=_texts(texts, entry_info),
            account=iban,
            raw=raw,
        )
    ]


def _raw(el: Any) -> str:
    from lxml import etree

    text = etree.tostring(el, encoding="unicode")
    return re.sub(r' xmlns(:\w+)?="[^"]*"', "", text)
