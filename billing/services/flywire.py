"""Flywire (issue 9 item 5; R2.10, I3, I14): notifications stored, processed by a task, and Flywire's
payouts reconciled with the payments they carry. The format and the transition table: ``billing.flywire``.

- ``flywire_event_store``: a notification whose digest was checked is kept as sent (``FlywireEvent``)
  and its processing queued after commit. Invalid JSON under a valid digest is kept too and answered 200
  (Flywire retries anything else, and a retry would not read better): the task marks it unreadable for
  finance to see in the list.
- ``flywire_event_process(event_id)``: under a row lock on the ``FlywirePayment`` (made on first notice),
  one step of ``billing.flywire.step``. Safe twice: an event processed is left alone, and the same
  (payment, status) again is a "duplicate" that changes nothing. ``guaranteed`` — or ``delivered`` when
  it comes first — records the ledger payment (channel Flywire) on the due whose reference the
  notification quotes, which confirms an application fee as finance's manual confirmation does (I3);
  the booking date is Flywire's event date, Paris time. A payment naming no due of ours is kept,
  unassigned ("no matching due"), and shown so in the finance list.
- ``reversed`` after a recorded payment writes a RETURN line (+amount, channel Flywire): the ledger shows
  the due open again and the payment is listed under "reversed" for finance. A confirmed fee is not
  un-confirmed: the dossier may have moved on (complete, judged…); what is owed is the ledger's to say.
- ``payout_reconcile``: called first by ``billing.services.matching.line_match`` for each new credit. A
  credit whose payer or remittance says FLYWIRE is Flywire's daily disbursement: it is matched to the
  delivered payments not yet reconciled (those whose ids the remittance quotes, else all of them
  delivered by the booking date) when their sum is exactly the credit, without a second ledger line
  (they were recorded at ``guaranteed``); else it waits in triage with a comment saying what was
  expected. Such a line is never matched as a transfer (that would count the money twice).
"""

import datetime as dt
import logging
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from billing import flywire as fw
from billing.models import (
    BankLine,
    Channel,
    Due,
    FlywireEvent,
    FlywirePayment,
    FlywireStatus,
    LedgerLine,
    LineKind,
    LineState,
)
from billing.references import find_references
from cursus.institutions import institution_path

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


# ---- the notification ---------------------------------------------------------------------------


def flywire_event_store(*, body: bytes) -> FlywireEvent:
    """Keep a notification whose digest was checked, and queue its processing after commit."""
    payment_id, status = fw.peek(body)
    with transaction.atomic():
        event = FlywireEvent.objects.create(
            # As text: bytes that are not UTF-8 (and NUL, which PostgreSQL refuses) are replaced.
            body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
            payment_id=payment_id,
            status=status,
        )
        event_id = event.pk
        transaction.on_commit(lambda: _enqueue(event_id))
    return event


def _enqueue(event_id: int) -> None:
    from billing.tasks import process_flywire_event

    process_flywire_event.enqueue(event_id)


def _due_named(text: str) -> tuple[Due | None, str]:
    """The due whose reference the notification quotes (spaces and hyphens ignored)."""
    refs = find_references(text)
    dues = list(Due.objects.filter(reference__in=refs)) if refs else []
    if len(dues) == 1:
        return dues[0], ""
    if len(dues) > 1:
        return None, "several references: " + ", ".join(d.reference for d in dues)
    return None, ""


def _locked_payment(n: fw.Notification) -> tuple[FlywirePayment, bool]:
    """The payment, locked; made on first notice (two workers at once: one makes it, both lock it)."""
    locked = FlywirePayment.objects.select_for_update()
    try:
        return locked.get(payment_id=n.payment_id), False
    except FlywirePayment.DoesNotExist:
        pass
    due, _why = _due_named(n.reference_text)
    try:
        with transaction.atomic():
            payment = FlywirePayment.objects.create(
                payment_id=n.payment_id,
                due=due,
                amount=n.amount if n.amount is not None else ZERO,
                currency=n.currency or "EUR",
                status=n.status,
            )
        return locked.get(pk=payment.pk), True
    except IntegrityError:
        return locked.get(payment_id=n.payment_id), False


def flywire_event_process(event_id: int) -> FlywireEvent:
    """Apply one notification to its payment (see the module and ``billing.flywire.step``)."""
    with transaction.atomic():
        event = FlywireEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at is not None:
            return event
        try:
            n = fw.parse(event.body)
        except fw.NotificationError as exc:
            return _finish(event, f"unreadable: {exc}")
        if n.status not in fw.KNOWN:
            return _finish(event, f"unknown_status: {n.status[:40]}")
        payment, created = _locked_payment(n)
        if payment.due_id is None:
            due, why = _due_named(n.reference_text)
            if due is not None:
                payment.due = due
                payment.save(update_fields=["due", "updated_at"])
                audit_record(
                    actor=None, action="flywire.assign", obj=payment, data={"due": due.pk, "event": event.pk}
                )
        if payment.amount == ZERO and n.amount:
            payment.amount, payment.currency = n.amount, n.currency or payment.currency
            payment.save(update_fields=["amount", "currency", "updated_at"])
        previous = None if created else payment.status
        move = fw.step(previous, n.status, recorded=payment.ledger_line_id is not None)
        outcome = move.outcome
        if move.to is None:
            return _finish(event, outcome)
        if move.record:
            outcome = _record(payment, n, event) or outcome
        if move.reverse:
            _reverse(payment, n, event)
        payment.status = move.to
        payment.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=None,
            action="flywire.status",
            obj=payment,
            from_state=previous or "",
            to_state=move.to,
            data={"event": event.pk, "outcome": outcome, "payment_id": payment.payment_id},
        )
        return _finish(event, outcome)


def _record(payment: FlywirePayment, n: fw.Notification, event: FlywireEvent) -> str:
    """The ledger payment of a guaranteed payment; the outcome when it could not be written."""
    from billing.services.ledger import payment_record

    if payment.due_id is None:
        return "no_due"
    if payment.currency != "EUR" or payment.amount <= ZERO:
        return f"not_eur: {payment.amount} {payment.currency}"
    assert payment.due is not None
    line = payment_record(
        due=payment.due,
        amount=payment.amount,
        booked_on=n.booked_on(event.received_at),
        channel=Channel.FLYWIRE,
        by=None,
        note=f"Flywire {payment.payment_id}",
    )
    payment.ledger_line = line
    payment.save(update_fields=["ledger_line", "updated_at"])
    return ""


def _reverse(payment: FlywirePayment, n: fw.Notification, event: FlywireEvent) -> None:
    """Money Flywire took back: a RETURN line opens the due again (the fee stays confirmed)."""
    assert payment.ledger_line is not None
    due = (
        Due.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .get(pk=payment.ledger_line.due_id)
    )
    amount = -payment.ledger_line.amount  # what was recorded, exactly
    LedgerLine.objects.create(
        due=due,
        kind=LineKind.RETURN,
        amount=amount,
        occurred_on=n.booked_on(event.received_at),
        channel=Channel.FLYWIRE,
        note=f"Flywire {payment.payment_id} reversed",
    )
    audit_record(
        actor=None,
        action="flywire.reverse",
        obj=due.dossier,
        data={"due": due.pk, "amount": str(amount), "payment_id": payment.payment_id},
    )


def _finish(event: FlywireEvent, outcome: str) -> FlywireEvent:
    event.outcome = outcome[:200]
    event.processed_at = timezone.now()
    event.save(update_fields=["outcome", "processed_at"])
    if outcome.startswith(("unreadable", "no_due", "not_eur")):
        log.warning("Flywire event %s: %s", event.pk, event.outcome)
    return event


# ---- the payout ---------------------------------------------------------------------------------


def is_flywire_payout(line: BankLine) -> bool:
    from billing.services.matching import line_text, normalise, quotes

    text = line_text(line)
    return line.amount > ZERO and "FLYWIRE" in text.upper() and quotes(normalise(text), "FLYWIRE")


def _in_institution(institution_id: int) -> Q:
    # A payment naming no due of ours may be in any school's payout: it is offered to each.
    return Q(due__isnull=True) | Q(**{f"due__{institution_path(Due)}_id": institution_id})


def _delivered_on(payments: QuerySet[FlywirePayment]) -> QuerySet[FlywirePayment]:
    first_delivered = FlywireEvent.objects.filter(
        payment_id=OuterRef("payment_id"), status=FlywireStatus.DELIVERED
    ).order_by("received_at")
    return payments.annotate(delivered_at=Subquery(first_delivered.values("received_at")[:1]))


def _delivered_at(payment: FlywirePayment) -> dt.datetime:
    return getattr(payment, "delivered_at", None) or payment.updated_at


def payout_reconcile(*, line: BankLine) -> BankLine | None:
    """A Flywire payout: matched to its payments, or commented for triage. None: not Flywire's."""
    if not is_flywire_payout(line):
        return None
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        if line.state != LineState.UNMATCHED or line.due_id is not None or line.flywire_payments.exists():
            return line
        scope = FlywirePayment.objects.filter(_in_institution(line.institution_id))
        text = f"{line.remittance}\n{line.payer}\n{line.entry_reference}".upper()
        # An id quoted whole, or cut over two lines of the statement (CFONB complements are short).
        squashed = re.sub(r"[^A-Z0-9]", "", text)
        tokens = set(re.findall(r"[A-Z0-9]{6,}", text))
        cut = [
            pid
            for pid in scope.filter(payout_bank_line__isnull=True).values_list("payment_id", flat=True)
            if len(pid) >= 6 and pid.upper() in squashed
        ]
        quoted = list(_delivered_on(scope.filter(payment_id__in=tokens | set(cut))).order_by("pk"))
        if quoted:
            chosen = quoted
            ready = all(p.status == FlywireStatus.DELIVERED and p.payout_bank_line_id is None for p in quoted)
        else:
            pool = _delivered_on(
                scope.filter(status=FlywireStatus.DELIVERED, payout_bank_line__isnull=True)
            ).order_by("pk")
            # Delivered by the booking date: when its first `delivered` notification came.
            chosen = [p for p in pool if timezone.localdate(_delivered_at(p)) <= line.booked_on]
            ready = bool(chosen)
        total = sum((p.amount for p in chosen), ZERO)
        ids = [p.payment_id for p in chosen]
        if ready and total == line.amount:
            # Lock them, then check nobody reconciled them meanwhile (another import of the same day).
            locked = list(
                FlywirePayment.objects.select_for_update()
                .filter(pk__in=[p.pk for p in chosen], payout_bank_line__isnull=True)
                .order_by("pk")
            )
            if len(locked) == len(chosen):
                return _matched(line, locked, total)
        if quoted:
            why = _(
                "Flywire payout of %(amount)s €: the payments it quotes (%(ids)s) add up to %(total)s € "
                "(only delivered payments not yet reconciled count)."
            ) % {"amount": line.amount, "ids": ", ".join(ids), "total": _open_sum(quoted)}
        else:
            why = _(
                "Flywire payout of %(amount)s €: expected %(total)s € for the %(n)d delivered payments "
                "not yet reconciled%(ids)s."
            ) % {
                "amount": line.amount,
                "total": total,
                "n": len(chosen),
                "ids": f" ({', '.join(ids)})" if ids else "",
            }
        return _comment(line, why)


def _open_sum(payments: list[FlywirePayment]) -> Decimal:
    open_ = [p for p in payments if p.status == FlywireStatus.DELIVERED and p.payout_bank_line_id is None]
    return sum((p.amount for p in open_), ZERO)


def _matched(line: BankLine, payments: list[FlywirePayment], total: Decimal) -> BankLine:
    ids = [p.payment_id for p in payments]
    FlywirePayment.objects.filter(pk__in=[p.pk for p in payments]).update(
        payout_bank_line=line, updated_at=timezone.now()
    )
    line.state = LineState.MATCHED
    line.comment = _append(
        line.comment, _("Flywire payout of %(ids)s (%(total)s €).") % {"ids": ", ".join(ids), "total": total}
    )
    line.save(update_fields=["state", "comment", "updated_at"])
    audit_record(
        actor=None,
        action="bank_line.flywire_payout",
        obj=line,
        from_state=LineState.UNMATCHED,
        to_state=LineState.MATCHED,
        data={"payments": ids, "total": str(total)},
    )
    for p in payments:
        audit_record(actor=None, action="flywire.payout", obj=p, data={"bank_line": line.pk})
    return line


def _comment(line: BankLine, text: str) -> BankLine:
    line.comment = _append(line.comment, text)
    line.save(update_fields=["comment", "updated_at"])
    audit_record(actor=None, action="bank_line.comment", obj=line, reason=text[:500])
    return line


def _append(existing: str, text: str) -> str:
    entry = f"{timezone.localdate():%d/%m/%Y} {_('system')}: {text}"
    return f"{existing}\n{entry}" if existing else entry


# ---- reads --------------------------------------------------------------------------------------


def payments_visible_to(institution_id: int | None) -> QuerySet[FlywirePayment]:
    qs = FlywirePayment.objects.all()
    return qs if institution_id is None else qs.filter(_in_institution(institution_id))


def events_visible_to(institution_id: int | None) -> QuerySet[FlywireEvent]:
    """Notifications of the payments finance sees, and those that name no payment of another school."""
    qs = FlywireEvent.objects.all()
    if institution_id is None:
        return qs
    others = FlywirePayment.objects.exclude(_in_institution(institution_id)).values("payment_id")
    return qs.exclude(payment_id__in=Subquery(others))
