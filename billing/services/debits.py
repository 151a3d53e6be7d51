"""SEPA direct debits (issue 9 item 7, R3.4, I10): the export of the instalments due, one pain.008 per
collection date, its revert until it is sent, and marking it sent (the ledger records the payments).

Which instalments are exported (``debit_candidates``): status DUE, due by the date asked for, of the
institution, with an ACTIVE mandate of its registration and debtor (the one
``mandates.mandate_for_instalment`` gives; a registration has one academic year) that was signed and
pre-notified and holds an IBAN, whose amount due is not cancelled and still owes something, and with
no active debit item (an instalment in an exported or sent file is never exported again). The others
are reported with the reason (no signed mandate, mandate awaiting signature, already paid…).

The amount collected is what the due still owes (its ledger balance), to the cent.

The collection date is ``billing.sepa.collection_date`` of the due date, the mandate's
pre-notification and today; one file per collection date (and creditor identifier, in practice the
institution's one).

Sequence type (I10): **FRST** for the first debit of a mandate, **RCUR** after. A mandate counts as
used (so its next debit is RCUR) when one of its debits
- was sent and not returned (status SENT), or
- was returned after settlement (a return or a refund request: the debit did reach the debtor's
  account), or
- sits in another exported file, not reverted (that file carries the FRST).
A debit reverted, or rejected before settlement (a pain.002 reject, ``ReturnKind.REJECT``), does not
count: the next debit is FRST again. Within one export, the earliest instalment of an unused mandate
is FRST and the later ones RCUR.

Ids: the message id is ``CURSUS-DD-<timestamp>-<random>`` (≤ 35); the end-to-end id is the due's
payment reference, the attempt number and a random suffix (``CU4K7MQ9XW6-1-A3F9``, ≤ 35, SEPA set), so
that a return quoting it finds the instalment again.

Concurrency (convention 5): the candidate instalments are locked with ``SELECT … FOR UPDATE SKIP
LOCKED OF instalment`` on PostgreSQL inside the export's transaction (two exports at once share the
instalments out instead of waiting), then re-read under the lock (an export that committed meanwhile
has its active items visible), then the mandates involved are locked in id order (the sequence type
is decided under that lock). The partial unique constraint ``uniq_active_debit`` is the last guard:
an IntegrityError rolls the whole export back — never a half batch.

The file is validated against its XSD before anything is saved, and kept encrypted at rest (it holds
the debtors' IBANs); no IBAN ever goes to the audit trail or a log line.
"""

import datetime as dt
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from billing import crypto, sepa
from billing.models import (
    BatchStatus,
    Channel,
    DebitBatch,
    DebitItem,
    DebitReturn,
    DebitStatus,
    Due,
    LedgerLine,
    Mandate,
    MandateStatus,
    ReturnKind,
    Sequence,
)
from billing.references import display
from billing.selectors import CENT, MONEY
from billing.services.ledger import payment_record
from catalog.models import Institution, Offering
from cursus.errors import DomainError
from registration.models import Instalment, InstalmentStatus

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
INSTITUTION_PATH = "registration__dossier__offering__session__institution"


class Blocked:
    """Why an instalment due is not exported (shown on the finance screen)."""

    NO_MANDATE = gettext_lazy("no signed mandate")
    AWAITING = gettext_lazy("mandate awaiting the debtor's signature")
    REVOKED = gettext_lazy("mandate revoked")
    LAPSED = gettext_lazy("mandate lapsed")
    NOT_PRENOTIFIED = gettext_lazy("pre-notification not sent yet")
    NO_IBAN = gettext_lazy("no IBAN on the mandate")
    NO_DUE = gettext_lazy("not in the ledger yet")
    PAID = gettext_lazy("already paid")
    CANCELLED = gettext_lazy("amount due cancelled")

    # The reasons that mean "no signed mandate" for the screen's count.
    MANDATE = (NO_MANDATE, AWAITING, REVOKED, LAPSED, NOT_PRENOTIFIED, NO_IBAN)


_MANDATE_REASON = {
    MandateStatus.AWAITING: Blocked.AWAITING,
    MandateStatus.REVOKED: Blocked.REVOKED,
    MandateStatus.LAPSED: Blocked.LAPSED,
}


@dataclass
class Candidate:
    """An instalment due, what it would be collected on, or why it cannot be."""

    instalment: Instalment
    student: str = ""
    dossier_id: int = 0
    program: str = ""
    due: Due | None = None
    amount: Decimal = ZERO
    mandate: Mandate | None = None
    collection_on: dt.date | None = None
    reason: Any = ""  # a lazy translated Blocked reason, or "" when ready

    @property
    def ready(self) -> bool:
        return not self.reason

    @property
    def mandate_missing(self) -> bool:
        return self.reason in Blocked.MANDATE


def _open_instalments(institution_id: int | None, due_by: dt.date) -> QuerySet[Instalment]:
    qs = Instalment.objects.filter(status=InstalmentStatus.DUE, due_on__lte=due_by).exclude(
        Exists(DebitItem.objects.filter(instalment=OuterRef("pk"), active=True))
    )
    if institution_id is not None:
        qs = qs.filter(**{f"{INSTITUTION_PATH}_id": institution_id})
    return qs


def _mandates_by_registration(registration_ids: set[int]) -> dict[int, list[Mandate]]:
    """Every mandate of these registrations, the signed one first (then the most recent), in one query.
    The same choice as ``billing.services.mandates.mandate_for_instalment``, made for many at once."""
    out: dict[int, list[Mandate]] = defaultdict(list)
    mandates = Mandate.objects.filter(registration_id__in=registration_ids).defer(
        "signed_user_agent", "revoke_reason", "created_at", "updated_at", "lapsed_at", "revoked_at"
    )
    for m in mandates.order_by("-signed_at", "-pk"):
        out[m.registration_id].append(m)
    for found in out.values():
        # sort() keeps the order of equals: the latest signed, then the latest made, of each status
        found.sort(key=lambda m: m.status != MandateStatus.ACTIVE)
    return out


def _balances(due_ids: list[int]) -> dict[int, Decimal]:
    sums = (
        LedgerLine.objects.filter(due_id__in=due_ids)
        .order_by()
        .values("due_id")
        .annotate(s=Sum("amount", output_field=MONEY))
        .values_list("due_id", "s")
    )
    return {due_id: Decimal(s or 0).quantize(CENT) for due_id, s in sums}


def _programs(offering_ids: set[int]) -> dict[int, str]:
    return dict(Offering.objects.filter(pk__in=offering_ids).values_list("pk", "program__code"))


def debit_candidates(
    *, institution_id: int | None, due_by: dt.date, today: dt.date | None = None, ids: list[int] | None = None
) -> list[Candidate]:
    """The instalments due by ``due_by`` with no active debit, each ready (with its mandate, amount and
    collection date) or blocked with the reason. A handful of queries, whatever their number."""
    today = today or timezone.localdate()
    notice = settings.SEPA_PRENOTIFICATION_DAYS
    if ids is None:
        qs = _open_instalments(institution_id, due_by)
    else:  # re-read under the lock: what another export committed meanwhile is visible
        qs = Instalment.objects.filter(pk__in=ids, status=InstalmentStatus.DUE).exclude(
            Exists(DebitItem.objects.filter(instalment=OuterRef("pk"), active=True))
        )
    rows = list(
        qs.annotate(
            _offering=F("registration__dossier__offering_id"),
            _dossier=F("registration__dossier_id"),
            _last=F("registration__dossier__last_name"),
            _first=F("registration__dossier__first_names"),
        )
        .defer("created_at", "updated_at")
        .order_by("due_on", "registration_id", "number", "pk")
    )
    dues = {
        d.instalment_id: d
        for d in Due.objects.filter(instalment_id__in=[i.pk for i in rows]).only(
            "pk", "instalment_id", "reference", "amount", "cancelled_at", "label", "dossier_id"
        )
    }
    balances = _balances([d.pk for d in dues.values()])
    mandates = _mandates_by_registration({i.registration_id for i in rows})
    programs = _programs({i._offering for i in rows})  # type: ignore[attr-defined]
    prenotified: dict[int, dt.date] = {}
    out = []
    for inst in rows:
        cand = Candidate(
            instalment=inst,
            student=f"{inst._first} {inst._last}".strip(),  # type: ignore[attr-defined]
            dossier_id=inst._dossier,  # type: ignore[attr-defined]
            program=programs[inst._offering],  # type: ignore[attr-defined]
            due=dues.get(inst.pk),
        )
        found = [m for m in mandates.get(inst.registration_id, []) if m.debtor_kind == inst.debtor]
        mandate = cand.mandate = found[0] if found else None
        due = cand.due
        left = balances.get(due.pk, ZERO) if due is not None else ZERO
        if due is None:
            cand.reason = Blocked.NO_DUE
        elif due.cancelled_at is not None:
            cand.reason = Blocked.CANCELLED
        elif left <= ZERO:
            cand.reason = Blocked.PAID
        elif mandate is None:
            cand.reason = Blocked.NO_MANDATE
        elif mandate.status != MandateStatus.ACTIVE:
            cand.reason = _MANDATE_REASON.get(MandateStatus(mandate.status), Blocked.NO_MANDATE)
        elif mandate.signed_at is None:
            cand.reason = Blocked.NO_MANDATE
        elif not mandate.iban_encrypted:
            cand.reason = Blocked.NO_IBAN
        elif mandate.prenotified_at is None:
            cand.reason = Blocked.NOT_PRENOTIFIED
        if not cand.reason:
            cand.amount = left
        if mandate is not None and mandate.prenotified_at is not None:
            if mandate.pk not in prenotified:
                prenotified[mandate.pk] = timezone.localtime(mandate.prenotified_at).date()
            cand.collection_on = sepa.collection_date(inst.due_on, prenotified[mandate.pk], today, notice)
        out.append(cand)
    return out


def used_mandates(mandate_ids: set[int]) -> set[int]:
    """The mandates among ``mandate_ids`` whose next debit is RCUR (the rule in the module's doc)."""
    settled_return = DebitReturn.objects.filter(
        item=OuterRef("pk"), kind__in=[ReturnKind.RETURN, ReturnKind.REFUND_REQUEST]
    )
    used = DebitItem.objects.filter(mandate_id__in=mandate_ids).filter(
        Q(status=DebitStatus.SENT)
        | Q(status=DebitStatus.EXPORTED, active=True)
        | (Q(status=DebitStatus.RETURNED) & Exists(settled_return))
    )
    return set(used.values_list("mandate_id", flat=True).distinct())


# ---- export -------------------------------------------------------------------------------------


def _message_id(now: dt.datetime) -> str:
    return f"CURSUS-DD-{timezone.localtime(now):%Y%m%d%H%M%S}-{secrets.token_hex(3).upper()}"


def _end_to_end_id(due: Due, attempt: int) -> str:
    return f"{due.reference}-{attempt}-{secrets.token_hex(2).upper()}"


def _creditor(institution: Institution, creditor_id: str, schema: str) -> sepa.Creditor:
    iban = crypto.compact(institution.bank_iban or "")
    if not iban:
        raise DomainError(
            _("The institution's bank account (IBAN) is not set: set it in the administration first."),
            code="creditor",
        )
    bic = crypto.compact(institution.bank_bic or "")
    if schema == "pain.008.001.02" and not bic:
        raise DomainError(
            _("The pain.008.001.02 schema needs the institution's BIC: set it in the administration first."),
            code="creditor",
        )
    if not creditor_id:
        raise DomainError(_("The SEPA creditor identifier is not set for the institution."), code="creditor")
    return sepa.Creditor(
        name=institution.bank_beneficiary or institution.name, iban=iban, bic=bic, creditor_id=creditor_id
    )


@dataclass
class _Planned:
    cand: Candidate
    sequence: str
    end_to_end_id: str
    iban: str = field(repr=False)


def _lock_instalments(institution_id: int, due_by: dt.date) -> list[int]:
    qs = _open_instalments(institution_id, due_by).order_by("pk")
    if connection.vendor == "postgresql":
        # Two exports at once share the instalments out instead of queueing behind each other.
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    else:
        qs = qs.select_for_update()  # SQLite serialises writers: nothing to skip
    return list(qs.values_list("pk", flat=True))


def debits_export(
    *,
    institution: Institution,
    due_by: dt.date,
    by: Any,
    schema: str | None = None,
    today: dt.date | None = None,
) -> list[DebitBatch]:
    """Export the direct debits of every instalment ready and due by ``due_by``: one validated
    pain.008 per collection date, FRST before RCUR. Empty when nothing is ready. Raises DomainError
    when the institution's bank details are missing or the file does not follow its schema."""
    schema = schema or settings.SEPA_SCHEMA
    if schema not in sepa.SCHEMAS:
        raise DomainError(_("Unknown schema %(schema)s.") % {"schema": schema}, code="schema")
    today = today or timezone.localdate()
    now = timezone.now()
    try:
        with transaction.atomic():
            batches = _export(
                institution=institution, due_by=due_by, by=by, schema=schema, today=today, now=now
            )
    except IntegrityError as exc:
        # Another export claimed one of these instalments first: nothing of this one was kept.
        logger.warning("direct debit export rolled back: %s", type(exc).__name__)
        raise DomainError(
            _(
                "Another export took some of these instalments at the same time: nothing was exported. Try again."
            ),
            code="race",
        ) from exc
    for batch in batches:
        logger.info(
            "direct debit file %s exported: %d debits, %s EUR, collection %s",
            batch.message_id,
            batch.count,
            batch.total,
            batch.collection_date,
        )
    return batches


def _export(
    *, institution: Institution, due_by: dt.date, by: Any, schema: str, today: dt.date, now: dt.datetime
) -> list[DebitBatch]:
    locked = _lock_instalments(institution.pk, due_by)
    if not locked:
        return []
    cands = debit_candidates(institution_id=institution.pk, due_by=due_by, today=today, ids=locked)
    ready = [c for c in cands if c.ready]
    if not ready:
        return []
    mandate_ids = sorted({c.mandate.pk for c in ready if c.mandate is not None})
    # The sequence type is decided under the mandates' locks, taken in id order (no deadlock).
    still_active = set(
        Mandate.objects.select_for_update()
        .filter(pk__in=mandate_ids, status=MandateStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ready = [c for c in ready if c.mandate is not None and c.mandate.pk in still_active]
    used = used_mandates(still_active)
    attempts = dict(
        DebitItem.objects.filter(instalment_id__in=[c.instalment.pk for c in ready])
        .values("instalment_id")
        .annotate(n=Count("pk"))
        .values_list("instalment_id", "n")
    )
    ibans: dict[int, str] = {}
    signed_on: dict[int, dt.date] = {}
    groups: dict[tuple[dt.date, str], list[_Planned]] = defaultdict(list)
    for cand in sorted(ready, key=lambda c: (c.collection_on, c.instalment.due_on, c.instalment.number)):
        mandate, due = cand.mandate, cand.due
        assert mandate is not None and due is not None and cand.collection_on is not None
        sequence = Sequence.RCUR if mandate.pk in used else Sequence.FRST
        used.add(mandate.pk)
        if mandate.pk not in ibans:
            ibans[mandate.pk] = crypto.decrypt(mandate.iban_encrypted)
            assert mandate.signed_at is not None  # a candidate's mandate is signed
            signed_on[mandate.pk] = timezone.localtime(mandate.signed_at).date()
        attempt = attempts.get(cand.instalment.pk, 0) + 1
        planned = _Planned(cand, sequence, _end_to_end_id(due, attempt), ibans[mandate.pk])
        creditor_id = mandate.creditor_id or institution.sepa_creditor_id
        groups[(cand.collection_on, creditor_id)].append(planned)

    batches = []
    for (collection_on, creditor_id), planned_items in sorted(groups.items()):
        creditor = _creditor(institution, creditor_id, schema)
        message_id = _message_id(now)
        spec = sepa.BatchSpec(
            message_id=message_id,
            collection_date=collection_on,
            creditor=creditor,
            debits=[_debit(p, signed_on[p.cand.mandate.pk]) for p in planned_items],  # type: ignore[union-attr]
        )
        xml = sepa.build_pain008(spec, schema)
        try:
            sepa.validate_pain008(xml, schema)
        except sepa.Pain008Invalid as exc:
            raise DomainError(
                _(
                    "The direct debit file does not follow the %(schema)s schema, nothing was exported: %(reason)s"
                )
                % {"schema": schema, "reason": exc},
                code="xsd",
            ) from exc
        total = sum((p.cand.amount for p in planned_items), ZERO)
        batch = DebitBatch.objects.create(
            institution=institution,
            message_id=message_id,
            schema=schema,
            collection_date=collection_on,
            due_by=due_by,
            count=len(planned_items),
            total=total,
            xml=seal(xml),
            created_by=by if getattr(by, "pk", None) else None,
        )
        DebitItem.objects.bulk_create(
            [
                DebitItem(
                    batch=batch,
                    instalment=p.cand.instalment,
                    due=p.cand.due,
                    mandate=p.cand.mandate,
                    sequence=p.sequence,
                    amount=p.cand.amount,
                    collection_date=collection_on,
                    end_to_end_id=p.end_to_end_id,
                )
                for p in planned_items
            ],
            batch_size=1000,
        )
        frst = sum(1 for p in planned_items if p.sequence == Sequence.FRST)
        audit_record(
            actor=by,
            action="debit_batch.export",
            obj=batch,
            to_state=BatchStatus.EXPORTED,
            data={
                "message_id": message_id,
                "schema": schema,
                "collection_date": collection_on.isoformat(),
                "due_by": due_by.isoformat(),
                "count": len(planned_items),
                "frst": frst,
                "rcur": len(planned_items) - frst,
                "total": str(total),
            },
        )
        batches.append(batch)
    return batches


def _debit(p: _Planned, signed_on: dt.date) -> sepa.Debit:
    mandate, due, inst = p.cand.mandate, p.cand.due, p.cand.instalment
    assert mandate is not None and due is not None
    return sepa.Debit(
        end_to_end_id=p.end_to_end_id,
        amount=p.cand.amount,
        sequence=p.sequence,
        mandate_reference=mandate.reference,
        mandate_signed_on=signed_on,
        debtor_name=mandate.debtor_name,
        iban=p.iban,
        bic=crypto.compact(mandate.bic or ""),
        street=mandate.street,
        postcode=mandate.postcode,
        town=mandate.town,
        country=mandate.country,
        remittance=f"MS {p.cand.program} {inst.number}/3 {display(due.reference)}",
    )


# ---- the file at rest ---------------------------------------------------------------------------


def seal(xml: bytes) -> str:
    """The file as stored: encrypted with the IBAN keys (it carries the debtors' IBANs)."""
    return crypto.encrypt_bytes(xml)


def batch_xml(batch: DebitBatch) -> bytes:
    """The pain.008 of ``batch`` (for finance's download and the command only). A file kept in clear
    (made by hand, e.g. in a test) is given back as it is."""
    if batch.xml.lstrip().startswith("<"):
        return batch.xml.encode()
    return crypto.decrypt_bytes(batch.xml)  # ValueError when a key was removed too early


# ---- revert, sent ---------------------------------------------------------------------------------


def _lock_batch(batch: DebitBatch) -> DebitBatch:
    return DebitBatch.objects.select_for_update().get(pk=batch.pk)


def batch_revert(*, batch: DebitBatch, by: Any) -> DebitBatch:
    """Undo an export not yet sent: its instalments go back to the next export. Safe twice."""
    with transaction.atomic():
        batch = _lock_batch(batch)
        if batch.status == BatchStatus.REVERTED:
            return batch
        if batch.status != BatchStatus.EXPORTED:
            raise DomainError(
                _("This file was sent to the bank: it cannot be reverted any more. Record a return instead."),
                code="sent",
            )
        batch.items.filter(active=True).update(active=False, status=DebitStatus.REVERTED)
        batch.status = BatchStatus.REVERTED
        batch.reverted_at = timezone.now()
        batch.reverted_by = by if getattr(by, "pk", None) else None
        batch.save(update_fields=["status", "reverted_at", "reverted_by"])
        audit_record(
            actor=by,
            action="debit_batch.revert",
            obj=batch,
            from_state=BatchStatus.EXPORTED,
            to_state=BatchStatus.REVERTED,
            data={"message_id": batch.message_id, "count": batch.count, "total": str(batch.total)},
        )
    return batch


def batch_mark_sent(*, batch: DebitBatch, by: Any, now: dt.datetime | None = None) -> DebitBatch:
    """The file went to the bank: its debits are sent and each due records the payment, booked on the
    collection date. Safe twice; a reverted file cannot be sent."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = _lock_batch(batch)
        if batch.status == BatchStatus.SENT:
            return batch
        if batch.status != BatchStatus.EXPORTED:
            raise DomainError(_("This file was reverted: export the debits again."), code="reverted")
        items = list(
            batch.items.filter(active=True, status=DebitStatus.EXPORTED).select_related("due").order_by("pk")
        )
        for item in items:
            payment_record(
                due=item.due,
                amount=item.amount,
                booked_on=batch.collection_date,
                channel=Channel.DIRECT_DEBIT,
                by=by,
                note=_("SEPA direct debit %(id)s") % {"id": item.end_to_end_id},
            )
        batch.items.filter(pk__in=[i.pk for i in items]).update(status=DebitStatus.SENT)
        Mandate.objects.filter(pk__in={i.mandate_id for i in items}).filter(
            Q(last_collected_on__isnull=True) | Q(last_collected_on__lt=batch.collection_date)
        ).update(last_collected_on=batch.collection_date)
        batch.status = BatchStatus.SENT
        batch.sent_at = now
        batch.sent_by = by if getattr(by, "pk", None) else None
        batch.save(update_fields=["status", "sent_at", "sent_by"])
        audit_record(
            actor=by,
            action="debit_batch.sent",
            obj=batch,
            from_state=BatchStatus.EXPORTED,
            to_state=BatchStatus.SENT,
            data={"message_id": batch.message_id, "count": len(items), "total": str(batch.total)},
        )
    return batch
