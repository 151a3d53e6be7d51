"""Direct debits that came back (issue 9 item 8, R3.4, I10): rejects before settlement (pain.002),
returns after it (camt.054, CFONB 120), the debtor's refund requests, and finance's decision.

A return releases the debit's claim on its instalment (the item becomes RETURNED and inactive) and
puts the instalment in RETURNED; when the debit had been booked as paid (its file was marked sent) a
RETURN line (+amount) makes the due owed again. Finance then presents it once more (the instalment is
DUE again: the next export takes it, with a new end-to-end id) or asks the debtor to pay otherwise
(PAY_OTHERWISE: the debtor is emailed the due's reference and the school's bank details).

Refund requests (SEPA Core rulebook): an authorised debit may be refunded on request within 8 weeks of
its collection date (reason MD06); an unauthorised one (no mandate, MD01) within 13 months. Outside
these windows the request is refused with a message that says so.

Reading the same report twice changes nothing: each return has a ``dedup_key`` made of the source's
identifiers, and an item returned once is not returned again by another report of the same event.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from billing import references
from billing.models import (
    Channel,
    DebitItem,
    DebitReturn,
    DebitStatus,
    LedgerLine,
    LineKind,
    ReturnKind,
    ReturnOutcome,
    ReturnSource,
)
from billing.statements import returns as parser
from cursus.errors import DomainError
from notifications.services import email_send
from registration.models import Instalment, InstalmentStatus

ZERO = Decimal("0.00")
AUTHORISED_REFUND_DAYS = 56  # 8 weeks from the collection date (SEPA Core rulebook, MD06)
UNAUTHORISED_REFUND_MONTHS = 13  # from the collection date (MD01: no valid mandate)

# ISO 20022 reason codes of SEPA direct-debit R-transactions, in words (EPC "Guidance on reason codes
# for SDD R-transactions").
REASONS = {
    "AC01": gettext_lazy("Wrong account number (IBAN)"),
    "AC04": gettext_lazy("Account closed"),
    "AC06": gettext_lazy("Account blocked"),
    "AC13": gettext_lazy("The debtor's account is a consumer account"),
    "AG01": gettext_lazy("Direct debits not allowed on this account"),
    "AG02": gettext_lazy("Wrong operation code"),
    "AM04": gettext_lazy("Insufficient funds"),
    "AM05": gettext_lazy("Duplicate collection"),
    "BE05": gettext_lazy("Creditor unknown to the debtor's bank"),
    "CNOR": gettext_lazy("Creditor's bank not reachable"),
    "DNOR": gettext_lazy("Debtor's bank not reachable"),
    "FF01": gettext_lazy("Invalid file format"),
    "MD01": gettext_lazy("No mandate (unauthorised debit)"),
    "MD02": gettext_lazy("Mandate details missing or wrong"),
    "MD06": gettext_lazy("Refund requested by the debtor"),
    "MD07": gettext_lazy("Debtor deceased"),
    "MS02": gettext_lazy("Refused by the debtor"),
    "MS03": gettext_lazy("No reason given"),
    "RC01": gettext_lazy("Wrong bank identifier (BIC)"),
    "RR01": gettext_lazy("Regulatory reason: debtor's account or identity missing"),
    "RR02": gettext_lazy("Regulatory reason: debtor's name or address missing"),
    "RR03": gettext_lazy("Regulatory reason: creditor's name or address missing"),
    "RR04": gettext_lazy("Regulatory reason"),
    "SL01": gettext_lazy("Specific service of the debtor's bank"),
}
# Presenting again cannot succeed: the account or the mandate is gone.
FINAL_REASONS = frozenset({"AC01", "AC04", "AC06", "AG01", "MD01", "MD07", "BE05"})
_RETURN_CLASSES: dict[str, str] = {
    ReturnKind.REJECT: "back",
    ReturnKind.RETURN: "back",
    ReturnKind.REFUND_REQUEST: "refund",
}


def reason_text(code: str) -> str:
    label = REASONS.get((code or "").upper())
    return str(label) if label is not None else _("Reason code %(code)s") % {"code": code}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, the month's last day when it has fewer (31 Jan + 1 = 28/29 Feb)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def refund_request_deadline(collection_date: dt.date, reason_code: str) -> dt.date:
    """The last day a debtor's refund request is accepted (8 weeks; 13 months when unauthorised)."""
    if reason_code.upper() == "MD01":
        return add_months(collection_date, UNAUTHORISED_REFUND_MONTHS)
    return collection_date + dt.timedelta(days=AUTHORISED_REFUND_DAYS)


# ---- recording ----------------------------------------------------------------------------------


def _instalment_related(item: DebitItem) -> Any:
    return DebitItem.objects.select_related(
        "due__dossier__candidate", "due__dossier__offering__session__institution", "instalment", "mandate"
    ).get(pk=item.pk)


def return_record(
    *,
    item: DebitItem,
    kind: str,
    reason_code: str,
    amount: Decimal | None,
    received_on: dt.date,
    source: str,
    by: Any,
    raw: str = "",
    dedup_key: str | None = None,
) -> DebitReturn:
    """A debit came back. Safe twice: the same ``dedup_key``, or a second report of the same event for
    the same debit, gives the return already recorded."""
    reason_code = (reason_code or "").strip().upper()[:4]
    if kind not in ReturnKind.values:
        raise DomainError(_("Unknown kind of return."), code="kind")
    if source not in ReturnSource.values:
        raise DomainError(_("Unknown source of return."), code="source")
    if not reason_code:
        raise DomainError(_("Give the reason code the bank gave (AC04, AM04, MD01…)."), code="reason")
    key = (dedup_key or f"{source}:{kind}:{item.end_to_end_id}:{received_on:%Y%m%d}")[:80]
    with transaction.atomic():
        item = DebitItem.objects.select_for_update().get(pk=item.pk)
        existing = DebitReturn.objects.filter(dedup_key=key).first()
        if existing is not None:
            return existing
        same_event = [
            r
            for r in DebitReturn.objects.filter(item=item)
            if _RETURN_CLASSES[r.kind] == _RETURN_CLASSES[kind]
        ]
        if same_event:
            return same_event[0]
        if amount is None:
            amount = item.amount
        if not isinstance(amount, Decimal) or amount <= ZERO:
            raise DomainError(_("A returned amount is a positive amount in euros."), code="amount")
        if amount > item.amount:
            raise DomainError(_("More than the debit's amount cannot come back."), code="amount")
        was = item.status
        if kind in (ReturnKind.RETURN, ReturnKind.REFUND_REQUEST) and received_on < item.collection_date:
            # Money cannot come back before it left: a date typed wrong, or a reject (before settlement).
            raise DomainError(
                _(
                    "A return after settlement comes after the collection date (%(collected)s): check the "
                    "date, or record it as a rejection before settlement."
                )
                % {"collected": item.collection_date.strftime("%d/%m/%Y")},
                code="date",
            )
        if kind == ReturnKind.REFUND_REQUEST:
            if was != DebitStatus.SENT:
                raise DomainError(
                    _("A refund request concerns a debit that was collected (its file marked sent)."),
                    code="state",
                )
            deadline = refund_request_deadline(item.collection_date, reason_code)
            if received_on > deadline:
                raise DomainError(
                    _(
                        "This refund request is out of time: for a debit collected on %(collected)s, the "
                        "debtor could ask until %(deadline)s (%(window)s). It is not recorded: answer the "
                        "debtor's bank that the request is refused."
                    )
                    % {
                        "collected": item.collection_date.strftime("%d/%m/%Y"),
                        "deadline": deadline.strftime("%d/%m/%Y"),
                        "window": _("13 months, unauthorised debit")
                        if reason_code == "MD01"
                        else _("8 weeks, authorised debit"),
                    },
                    code="window",
                )
        elif was not in (DebitStatus.EXPORTED, DebitStatus.SENT):
            raise DomainError(
                _("This debit is %(status)s: it cannot come back.")
                % {"status": DebitStatus(was).label.lower()},
                code="state",
            )
        ret = DebitReturn.objects.create(
            item=item,
            kind=kind,
            source=source,
            reason_code=reason_code,
            amount=amount,
            received_on=received_on,
            dedup_key=key,
            raw=raw[:20000],
            recorded_by=by if getattr(by, "pk", None) else None,
        )
        item.status, item.active = DebitStatus.RETURNED, False
        item.save(update_fields=["status", "active"])
        instalment = Instalment.objects.select_for_update().get(pk=item.instalment_id)
        instalment_from = instalment.status
        if instalment.status == InstalmentStatus.DUE:
            instalment.status = InstalmentStatus.RETURNED
            instalment.save(update_fields=["status", "updated_at"])
        if was == DebitStatus.SENT:
            # The debit had been booked as paid when its file was marked sent: it is owed again.
            LedgerLine.objects.create(
                due_id=item.due_id,
                kind=LineKind.RETURN,
                amount=amount,
                occurred_on=received_on,
                channel=Channel.DIRECT_DEBIT,
                note=f"{reason_code} {item.end_to_end_id}"[:300],
                recorded_by=by if getattr(by, "pk", None) else None,
            )
        related = _instalment_related(item)
        audit_record(
            actor=by,
            action="debit.return",
            obj=related.due.dossier,
            from_state=instalment_from,
            to_state=instalment.status,
            reason=reason_code,
            data={
                "return": ret.pk,
                "item": item.pk,
                "end_to_end_id": item.end_to_end_id,
                "kind": kind,
                "source": source,
                "amount": str(amount),
                "booked_back": was == DebitStatus.SENT,
            },
        )
        ret_id = ret.pk
        transaction.on_commit(lambda: return_notify(ret_id))
    return ret


# ---- emails -------------------------------------------------------------------------------------


def _context(ret: DebitReturn) -> dict[str, Any]:
    item = ret.item
    due = item.due
    dossier = due.dossier
    return {
        "ret": ret,
        "item": item,
        "due": due,
        "dossier": dossier,
        "program": dossier.offering.program,
        "institution": dossier.offering.session.institution,
        "instalment": item.instalment,
        "mandate": item.mandate,
        "reason": reason_text(ret.reason_code),
        "reference": references.display(due.reference),
    }


def _load(return_id: int) -> DebitReturn:
    return DebitReturn.objects.select_related(
        "item__due__dossier__candidate",
        "item__due__dossier__offering__program",
        "item__due__dossier__offering__session__institution",
        "item__instalment",
        "item__mandate",
    ).get(pk=return_id)


def _debtor(ret: DebitReturn) -> tuple[str, str]:
    """Whom to tell and in which language: the mandate's debtor (the student, or the company's billing
    address), in the candidate's language."""
    candidate = ret.item.due.dossier.candidate
    to = ret.item.mandate.debtor_email or candidate.email
    return to, candidate.language or settings.LANGUAGE_CODE


def return_notify(return_id: int) -> None:
    """After commit: the debtor learns what happened and what comes next; finance gets a note."""
    ret = _load(return_id)
    ctx = _context(ret)
    to, language = _debtor(ret)
    email_send(
        template="debit_return_recorded", to=to, language=language, context=ctx, related=ret.item.due.dossier
    )
    institution = ctx["institution"]
    if institution.email:
        email_send(
            template="debit_return_staff",
            to=institution.email,
            language=settings.LANGUAGE_CODE,
            context=ctx,
            related=ret.item.due.dossier,
        )


def _decision_notify(return_id: int) -> None:
    ret = _load(return_id)
    to, language = _debtor(ret)
    template = (
        "debit_return_otherwise" if ret.outcome == ReturnOutcome.OTHERWISE else "debit_return_represent"
    )
    email_send(
        template=template, to=to, language=language, context=_context(ret), related=ret.item.due.dossier
    )


# ---- the decision -------------------------------------------------------------------------------


def return_decide(*, debit_return: DebitReturn, outcome: str, by: Any) -> DebitReturn:
    """Present the debit once more (the instalment is DUE again) or ask the debtor to pay otherwise
    (PAY_OTHERWISE, the debtor emailed the due's reference and the bank details). Safe twice."""
    if outcome not in (ReturnOutcome.REPRESENT, ReturnOutcome.OTHERWISE):
        raise DomainError(
            _("Choose: present it once more, or ask the debtor to pay otherwise."), code="outcome"
        )
    with transaction.atomic():
        ret = (
            DebitReturn.objects.select_for_update(of=("self",)).select_related("item").get(pk=debit_return.pk)
        )
        if ret.outcome == outcome:
            return ret
        if ret.outcome != ReturnOutcome.PENDING:
            raise DomainError(
                _("This return has been decided already: %(outcome)s.")
                % {"outcome": ReturnOutcome(ret.outcome).label.lower()},
                code="state",
            )
        if outcome == ReturnOutcome.REPRESENT and ret.reason_code in FINAL_REASONS:
            raise DomainError(
                _(
                    "“%(reason)s”: presenting this debit again cannot succeed. Ask the debtor to pay "
                    "otherwise (or to sign a new mandate)."
                )
                % {"reason": reason_text(ret.reason_code)},
                code="final",
            )
        instalment = Instalment.objects.select_for_update().get(pk=ret.item.instalment_id)
        before = instalment.status
        if before != InstalmentStatus.RETURNED:
            raise DomainError(
                _("The instalment is no longer waiting after a return (it is %(status)s).")
                % {"status": InstalmentStatus(before).label.lower()},
                code="state",
            )
        instalment.status = (
            InstalmentStatus.DUE if outcome == ReturnOutcome.REPRESENT else InstalmentStatus.PAY_OTHERWISE
        )
        instalment.save(update_fields=["status", "updated_at"])
        ret.outcome = outcome
        ret.save(update_fields=["outcome"])
        audit_record(
            actor=by,
            action="debit.return_decide",
            obj=ret.item.due.dossier,
            from_state=before,
            to_state=instalment.status,
            data={"return": ret.pk, "outcome": outcome, "instalment": instalment.pk},
        )
        ret_id = ret.pk
        transaction.on_commit(lambda: _decision_notify(ret_id))
    return ret


# ---- files and manual entry --------------------------------------------------------------------


@dataclass
class ImportResult:
    recorded: list[DebitReturn] = field(default_factory=list)
    already: list[DebitReturn] = field(default_factory=list)
    unmatched: list[parser.ParsedReturn] = field(default_factory=list)
    refused: list[tuple[parser.ParsedReturn, str]] = field(default_factory=list)


def returns_import(*, institution: Any, data: bytes, by: Any) -> ImportResult:
    """Every line of a return file (format from its content) recorded against the debit with its
    end-to-end id, within the institution; the lines no debit of ours carries are listed."""
    parsed = parser.parse(data)
    result = ImportResult()
    ids = {p.end_to_end_id for p in parsed if p.end_to_end_id}
    items = {
        i.end_to_end_id: i
        for i in DebitItem.objects.filter(end_to_end_id__in=ids, batch__institution=institution)
    }
    known = set(
        DebitReturn.objects.filter(dedup_key__in=[p.dedup_key() for p in parsed]).values_list(
            "dedup_key", flat=True
        )
    )
    for line in parsed:
        item = items.get(line.end_to_end_id)
        if item is None:
            result.unmatched.append(line)
            continue
        try:
            ret = return_record(
                item=item,
                kind=line.kind,
                reason_code=line.reason_code,
                amount=line.amount,
                received_on=line.received_on,
                source=line.source,
                by=by,
                raw=line.raw,
                dedup_key=line.dedup_key(),
            )
        except DomainError as exc:
            result.refused.append((line, exc.message))
            continue
        (
            result.already
            if line.dedup_key() in known or ret.dedup_key != line.dedup_key()
            else result.recorded
        ).append(ret)
    return result


def find_item(*, institution: Any, key: str) -> DebitItem | None:
    """The debit finance means: its end-to-end id, or the payment reference of its due (the latest
    debit of that due that was exported or sent)."""
    key = key.strip()
    if not key:
        return None
    qs = DebitItem.objects.filter(batch__institution=institution)
    item = qs.filter(end_to_end_id=key).first()
    if item is not None:
        return item
    found = references.find_references(key)
    if not found:
        return None
    return (
        qs.filter(due__reference__in=found, status__in=[DebitStatus.SENT, DebitStatus.EXPORTED])
        .order_by("-collection_date", "-pk")
        .first()
    )


def return_enter(
    *, institution: Any, key: str, kind: str, reason_code: str, received_on: dt.date, by: Any
) -> DebitReturn:
    """Finance types a return the bank told by letter or phone."""
    item = find_item(institution=institution, key=key)
    if item is None:
        raise DomainError(
            _("No debit of ours has this end-to-end id or payment reference (exported or sent)."),
            code="unknown",
        )
    reason_code = reason_code.strip().upper()
    if reason_code not in REASONS:
        raise DomainError(_("Choose a reason code from the list."), code="reason")
    return return_record(
        item=item,
        kind=kind,
        reason_code=reason_code,
        amount=None,
        received_on=received_on,
        source=ReturnSource.MANUAL,
        by=by,
        dedup_key=f"manual:{kind}:{item.end_to_end_id}:{received_on:%Y%m%d}",
    )


def today() -> dt.date:
    return timezone.localdate()
