"""The ledger (issue 9 item 1): amounts due with their references, and every payment on them.

Amounts are Decimal end to end (I14). A due's balance is the exact sum of its lines: the amount due
(+), payments (−), returns and refunds (+). Recording a payment on an application fee confirms the
dossier's fee with the bank's booking date, as finance's manual confirmation does (I3).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Dossier, FeePayment, PaymentStatus
from applications.rules import PaymentChannel
from applications.services import fee_confirm
from audit.services import audit_record
from billing import references
from billing.models import Channel, Due, DueKind, LedgerLine, LineKind
from cursus.errors import DomainError
from registration.models import Instalment, InstalmentStatus, Registration

ZERO = Decimal("0.00")


def _new_reference() -> str:
    for _attempt in range(20):
        ref = references.new_reference()
        if not Due.objects.filter(reference=ref).exists():
            return ref
    raise RuntimeError("could not draw a unique payment reference")


def _create_due(**fields: Any) -> Due:
    """A due and its opening line, in one transaction; a unique reference drawn at random."""
    with transaction.atomic():
        due = Due.objects.create(reference=_new_reference(), **fields)
        LedgerLine.objects.create(due=due, kind=LineKind.DUE, amount=due.amount, occurred_on=due.due_on)
    return due


def fee_due(dossier: Dossier) -> Due:
    """The application fee of a dossier as an amount due, made the first time it is asked for
    (shown on the fee page with its reference, R2.10). Safe twice and at once."""
    existing = Due.objects.filter(dossier=dossier, kind=DueKind.APPLICATION_FEE).first()
    if existing is not None:
        return existing
    session = dossier.offering.session
    try:
        return _create_due(
            dossier=dossier,
            kind=DueKind.APPLICATION_FEE,
            label=_("Application fee — MS %(code)s") % {"code": dossier.offering.program.code},
            amount=session.application_fee,
            due_on=dossier.deadline(),
        )
    except IntegrityError:  # made meanwhile by another request
        return Due.objects.get(dossier=dossier, kind=DueKind.APPLICATION_FEE)


def instalment_dues(registration: Registration) -> list[Due]:
    """The tuition instalments of a registration as amounts due (I10). Safe twice."""
    out = []
    for instalment in Instalment.objects.filter(registration=registration).order_by("number"):
        due = Due.objects.filter(instalment=instalment).first()
        if due is None:
            try:
                due = _create_due(
                    dossier_id=registration.dossier_id,
                    kind=DueKind.INSTALMENT,
                    instalment=instalment,
                    label=_("Tuition, instalment %(n)d of 3") % {"n": instalment.number},
                    amount=instalment.amount,
                    due_on=instalment.due_on,
                )
            except IntegrityError:
                due = Due.objects.get(instalment=instalment)
        if instalment.status == InstalmentStatus.CANCELLED and due.cancelled_at is None:
            due_cancel(due=due, by=None, reason="instalment cancelled")
        out.append(due)
    return out


def due_cancel(*, due: Due, by: Any, reason: str) -> Due:
    """What was due is no longer (a cancelled instalment): a line brings what is left to pay to zero."""
    with transaction.atomic():
        due = Due.objects.select_for_update().get(pk=due.pk)
        if due.cancelled_at is not None:
            return due
        left = balance(due)
        if left > ZERO:
            LedgerLine.objects.create(
                due=due,
                kind=LineKind.CANCELLATION,
                amount=-left,
                occurred_on=timezone.localdate(),
                note=reason[:300],
                recorded_by=by,
            )
        due.cancelled_at = timezone.now()
        due.save(update_fields=["cancelled_at"])
        audit_record(actor=by, action="due.cancel", obj=due.dossier, reason=reason, data={"due": due.pk})
    return due


def payment_record(
    *,
    due: Due,
    amount: Decimal,
    booked_on: dt.date,
    channel: str,
    by: Any,
    bank_line: Any = None,
    note: str = "",
) -> LedgerLine:
    """A payment received on a due (transfer matched from a statement, card, Flywire…). On an
    application fee that is now covered, the dossier's fee is confirmed with ``booked_on`` (I3)."""
    if not isinstance(amount, Decimal) or amount <= ZERO:
        raise DomainError(_("A payment is a positive amount in euros."), code="amount")
    with transaction.atomic():
        due = Due.objects.select_for_update().select_related("dossier__offering__session").get(pk=due.pk)
        line = LedgerLine.objects.create(
            due=due,
            kind=LineKind.PAYMENT,
            amount=-amount,
            occurred_on=booked_on,
            channel=channel,
            bank_line=bank_line,
            note=note[:300],
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action="ledger.payment",
            obj=due.dossier,
            data={
                "due": due.pk,
                "amount": str(amount),
                "channel": channel,
                "booked_on": booked_on.isoformat(),
            },
        )
        if due.kind == DueKind.APPLICATION_FEE and balance(due) <= ZERO:
            payment = _fee_payment_for(due, channel=channel, booked_on=booked_on, amount=amount)
            fee_confirm(payment=payment, by=by, booked_on=booked_on)
            line.fee_payment = payment
            line.save(update_fields=["fee_payment"])
    return line


_FEE_CHANNEL = {
    Channel.TRANSFER: PaymentChannel.TRANSFER,
    Channel.CARD: PaymentChannel.CARD,
    Channel.FLYWIRE: PaymentChannel.FLYWIRE,
}


def _fee_payment_for(due: Due, *, channel: str, booked_on: dt.date, amount: Decimal) -> FeePayment:
    """The candidate's declared payment, or one recorded now when they paid without declaring it."""
    dossier = due.dossier
    declared = (
        FeePayment.objects.select_for_update()
        .filter(dossier=dossier, status__in=[PaymentStatus.DECLARED, PaymentStatus.CONFIRMED])
        .order_by("-status", "-declared_at")
        .first()
    )
    if declared is not None:
        return declared
    return FeePayment.objects.create(
        dossier=dossier,
        channel=_FEE_CHANNEL.get(Channel(channel), PaymentChannel.TRANSFER),
        amount=amount,
        reference=due.reference,
        paid_on=booked_on,
        note=_("Recorded from the bank statement: the candidate had not declared it."),
    )


# ---- reads ------------------------------------------------------------------------------------


def balance(due: Due) -> Decimal:
    """What is still owed on ``due`` (negative: paid more than due)."""
    return balance_of(Due.objects.filter(pk=due.pk))


def balance_of(dues: QuerySet[Due]) -> Decimal:
    total = LedgerLine.objects.filter(due__in=dues).aggregate(s=Sum("amount"))["s"]
    return (total or ZERO).quantize(Decimal("0.01"))


def dossier_balance(dossier: Dossier) -> Decimal:
    return balance_of(Due.objects.filter(dossier=dossier))


def student_balance(student: Any) -> Decimal:
    """What a student still owes (the degree jury needs it, R1.8): every due of their dossier."""
    return dossier_balance(student.dossier)


def students_balances(students: list[Any]) -> dict[int, Decimal]:
    """``student_balance`` of many students in one query (the studies jury, R1.8): student id -> owed."""
    dossier_of = {s.pk: s.dossier_id for s in students}
    sums = dict(
        LedgerLine.objects.filter(due__dossier_id__in=set(dossier_of.values()))
        .values_list("due__dossier_id")
        .annotate(s=Sum("amount"))
        .values_list("due__dossier_id", "s")
    )
    return {pk: (sums.get(dossier) or ZERO).quantize(Decimal("0.01")) for pk, dossier in dossier_of.items()}
