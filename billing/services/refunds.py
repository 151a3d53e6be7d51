"""Refunds (issue 9 item 9, I11, R2.11): money the school pays back, recorded as outgoing payments.

- A visa refusal approved (I11): the first instalment is no longer owed (a CANCELLATION line takes the
  amount due off) and what was paid on it is refunded. The registration's ledger then ends at exactly
  0 once the refund is paid: due (+), payment (−), cancellation (−), refund (+).
- An overpayment: what was paid beyond what is owed (a due with a negative balance, e.g. a transfer
  of 75 € for a 60 € fee).
- The application fee itself is never refunded, whatever the reason (R2.11): on a fee due only what was
  paid beyond the fee may be, and never more.

A refund is TO_PAY until finance marks it paid (the REFUND line, +amount, is written then, with the
date the transfer left) or cancels it. The beneficiary's IBAN, when given, is stored encrypted like a
mandate's and never logged or audited.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from billing import crypto
from billing.models import Channel, Due, DueKind, LedgerLine, LineKind, Refund, RefundReason, RefundStatus
from billing.services.ledger import balance
from cursus.errors import DomainError
from cursus.money import format_eur
from registration.models import Instalment, InstalmentStatus, Registration

ZERO = Decimal("0.00")


def _sum(due: Due, *kinds: str) -> Decimal:
    total = LedgerLine.objects.filter(due=due, kind__in=kinds).aggregate(s=Sum("amount"))["s"]
    return (total or ZERO).quantize(Decimal("0.01"))


def paid_on_due(due: Due) -> Decimal:
    """What was paid on the due and kept: payments less returns and refunds already paid."""
    return -_sum(due, LineKind.PAYMENT, LineKind.RETURN, LineKind.REFUND)


def _open_refunds(due: Due) -> Decimal:
    total = Refund.objects.filter(due=due, status=RefundStatus.TO_PAY).aggregate(s=Sum("amount"))["s"]
    return (total or ZERO).quantize(Decimal("0.01"))


def refundable(due: Due) -> Decimal:
    """The most that may still be refunded on ``due``: its credit (paid beyond what is owed), less the
    refunds waiting to be paid; on an application fee never any part of the fee itself (R2.11)."""
    return refundable_amount(
        due, balance=balance(due), paid=paid_on_due(due), open_refunds=_open_refunds(due)
    )


def refundable_amount(due: Due, *, balance: Decimal, paid: Decimal, open_refunds: Decimal) -> Decimal:
    """`refundable` from sums already read: a list reads them for every due in one query
    (``billing.selectors.with_balances`` and an open-refunds subquery) instead of three per due."""
    credit = -balance
    if due.kind == DueKind.APPLICATION_FEE:
        credit = min(credit, paid - due.amount)
    return max(ZERO, credit - open_refunds)


def _iban_fields(iban: str) -> dict[str, str]:
    iban = crypto.compact(iban or "")
    if not iban:
        return {}
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(iban)
    except SchwiftyException:
        raise DomainError(_("This IBAN is not valid: check it with the beneficiary."), code="iban") from None
    return {"iban_encrypted": crypto.encrypt(iban), "iban_last4": iban[-4:]}


def refund_create(
    *, due: Due, reason: str, amount: Decimal, by: Any, beneficiary: str = "", iban: str = ""
) -> Refund:
    """A refund to pay: at most what is refundable on the due (see `refundable`). A visa refusal's
    refund (one per due) is made once: asking again gives the same refund."""
    if reason not in RefundReason.values:
        raise DomainError(_("Unknown reason for a refund."), code="reason")
    if not isinstance(amount, Decimal) or amount <= ZERO:
        raise DomainError(_("A refund is a positive amount in euros."), code="amount")
    with transaction.atomic():
        due = Due.objects.select_for_update(of=("self",)).select_related("instalment").get(pk=due.pk)
        if due.kind == DueKind.APPLICATION_FEE and reason == RefundReason.VISA_REFUSAL:
            raise DomainError(
                _(
                    "The application fee is never refunded, whatever the reason: a visa refusal refunds the first tuition instalment."
                ),
                code="fee",
            )
        if reason == RefundReason.VISA_REFUSAL:
            existing = (
                Refund.objects.filter(due=due, reason=reason).exclude(status=RefundStatus.CANCELLED).first()
            )
            if existing is not None:
                return existing
            instalment = due.instalment
            if (
                instalment is None
                or instalment.number != 1
                or instalment.status != InstalmentStatus.TO_REFUND
            ):
                raise DomainError(
                    _("A visa refusal refunds the first instalment once the refusal is approved."),
                    code="state",
                )
        most = refundable(due)
        if amount > most:
            if due.kind == DueKind.APPLICATION_FEE:
                message = _(
                    "The application fee is never refunded, whatever the reason: only what was paid beyond "
                    "it can be (%(most)s here)."
                )
            else:
                message = _("At most %(most)s can be refunded on this amount due (paid beyond what is owed).")
            raise DomainError(message % {"most": format_eur(most)}, code="amount")
        refund = Refund.objects.create(
            due=due,
            reason=reason,
            amount=amount,
            beneficiary=(beneficiary or due.dossier.full_name or "")[:140],
            created_by=by if getattr(by, "pk", None) else None,
            **_iban_fields(iban),
        )
        audit_record(
            actor=by,
            action="refund.create",
            obj=due.dossier,
            to_state=RefundStatus.TO_PAY,
            reason=reason,
            data={"refund": refund.pk, "due": due.pk, "amount": str(amount)},
        )
    return refund


def refund_mark_paid(*, refund: Refund, paid_on: dt.date, by: Any) -> Refund:
    """The transfer left: the REFUND line (+amount) is written with its date. Safe twice."""
    if paid_on > timezone.localdate():
        raise DomainError(_("The payment date cannot be in the future."), code="date")
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",)).select_related("due__dossier").get(pk=refund.pk)
        )
        if refund.status == RefundStatus.PAID:
            return refund
        if refund.status != RefundStatus.TO_PAY:
            raise DomainError(_("This refund was cancelled: it cannot be paid."), code="state")
        LedgerLine.objects.create(
            due=refund.due,
            kind=LineKind.REFUND,
            amount=refund.amount,
            occurred_on=paid_on,
            channel=Channel.TRANSFER,
            note=_("Refund #%(n)d") % {"n": refund.pk},
            recorded_by=by if getattr(by, "pk", None) else None,
        )
        refund.status, refund.paid_on = RefundStatus.PAID, paid_on
        refund.save(update_fields=["status", "paid_on"])
        audit_record(
            actor=by,
            action="refund.paid",
            obj=refund.due.dossier,
            from_state=RefundStatus.TO_PAY,
            to_state=RefundStatus.PAID,
            data={"refund": refund.pk, "amount": str(refund.amount), "paid_on": paid_on.isoformat()},
        )
    return refund


def refund_cancel(*, refund: Refund, by: Any, reason: str) -> Refund:
    """A refund that will not be paid (made by mistake, the money came back another way). Safe twice."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the refund is cancelled."), code="reason")
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",)).select_related("due__dossier").get(pk=refund.pk)
        )
        if refund.status == RefundStatus.CANCELLED:
            return refund
        if refund.status != RefundStatus.TO_PAY:
            raise DomainError(_("This refund has been paid: it cannot be cancelled."), code="state")
        refund.status, refund.note = RefundStatus.CANCELLED, reason[:300]
        refund.save(update_fields=["status", "note"])
        audit_record(
            actor=by,
            action="refund.cancel",
            obj=refund.due.dossier,
            from_state=RefundStatus.TO_PAY,
            to_state=RefundStatus.CANCELLED,
            reason=reason,
            data={"refund": refund.pk},
        )
    return refund


def _cancel_owed(due: Due, *, by: Any, reason: str) -> None:
    """What was due is no longer owed: a CANCELLATION line takes off the amount due (not the balance:
    what was paid stays, as a credit to refund)."""
    due = Due.objects.select_for_update().get(pk=due.pk)
    if due.cancelled_at is not None:
        return
    owed = _sum(due, LineKind.DUE, LineKind.CANCELLATION)
    if owed > ZERO:
        LedgerLine.objects.create(
            due=due,
            kind=LineKind.CANCELLATION,
            amount=-owed,
            occurred_on=timezone.localdate(),
            note=reason[:300],
            recorded_by=by if getattr(by, "pk", None) else None,
        )
    due.cancelled_at = timezone.now()
    due.save(update_fields=["cancelled_at"])
    audit_record(actor=by, action="due.cancel", obj=due.dossier, reason=reason, data={"due": due.pk})


def visa_refusal_refund(*, registration: Registration, by: Any, reason: str) -> Refund | None:
    """I11, called by the visa refusal's approval (which holds the locks): the first instalment is no
    longer owed and what was paid on it is to be refunded; nothing paid, no refund. The application
    fee is not touched (R2.11)."""
    instalment = Instalment.objects.filter(registration=registration, number=1).first()
    if instalment is None or instalment.status != InstalmentStatus.TO_REFUND:
        return None
    due = Due.objects.filter(instalment=instalment).first()
    if due is None:
        return None
    _cancel_owed(due, by=by, reason=reason)
    paid = paid_on_due(due) - _open_refunds(due)
    if paid <= ZERO:
        return None
    return refund_create(due=due, reason=RefundReason.VISA_REFUSAL, amount=paid, by=by)


def overpayment_refund(*, due: Due, by: Any, beneficiary: str = "", iban: str = "") -> Refund:
    """“Refund the excess”: exactly what was paid beyond what is owed."""
    most = refundable(due)
    if most <= ZERO:
        raise DomainError(_("Nothing was paid beyond what is owed on this amount due."), code="amount")
    return refund_create(
        due=due, reason=RefundReason.OVERPAYMENT, amount=most, by=by, beneficiary=beneficiary, iban=iban
    )
