"""What changes dossiers. Each service locks the row, checks the move, audits it (conventions 2–4)."""

import datetime as dt
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import rules
from applications.models import (
    DocumentFile,
    DocumentLanguage,
    DocumentRole,
    Dossier,
    DossierStatus,
    FeePayment,
    PaymentStatus,
)
from applications.selectors import dossier_checklist, fee_status, search_key
from applications.uploads import check_upload
from audit.services import audit_record
from catalog import rules as deadlines
from catalog.models import DocumentType, Offering
from cursus.errors import DomainError
from notifications.services import email_send

SECTION_FIELDS: dict[str, list[str]] = {
    "identity": [
        "last_name",
        "first_names",
        "birth_date",
        "birth_place",
        "nationality",
        "second_nationality",
    ],
    "contact": ["phone", "address", "postal_code", "city", "country"],
    "eligibility": [
        "eligibility_path",
        "diploma_title",
        "diploma_institution",
        "diploma_year",
        "experience_years",
        "bac5_in_progress",
    ],
    "financing": ["financing_intention"],
}


def dossier_email(dossier: Dossier, template: str, **context: Any) -> None:
    """Email the candidate about their dossier, in their language, after commit (convention 8)."""
    email_send(
        template=template,
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={
            "dossier": dossier,
            "program": dossier.offering.program,
            "session": dossier.offering.session,
            **context,
        },
        related=dossier,
    )


def dossier_transition(
    dossier: Dossier,
    *,
    to: str,
    by: Any,
    action: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> Dossier:
    """The one way a dossier changes state (convention 3): the caller holds the row lock and has
    checked the move; this saves the new state (and ``fields`` set alongside) and audits from → to."""
    previous = dossier.status
    dossier.status = to
    dossier.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=by, action=action, obj=dossier, from_state=previous, to_state=to, reason=reason, data=data
    )
    return dossier


def _locked(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("offering__session__cvec", "offering__program")
        .get(pk=dossier.pk)
    )


def _ensure_editable(dossier: Dossier) -> None:
    if not dossier.is_editable:
        raise DomainError(_("This dossier has been submitted and can no longer be changed."), code="locked")


def dossier_open(*, candidate: Any, offering: Offering, at: dt.datetime | None = None) -> Dossier:
    """Open the candidate's dossier for a program (one per program and session). Safe to call twice."""
    at = at or timezone.now()
    existing = Dossier.objects.filter(candidate=candidate, offering=offering).first()
    if existing is not None:
        return existing
    session = offering.session
    if not (offering.is_open and session.is_published):
        raise DomainError(_("This program does not take applications."), code="closed")
    # The later (general) deadline bounds opening; the candidate's own deadline is checked at submission.
    if not session.is_open(at, international=False):
        raise DomainError(
            _("Applications for session %(session)s are not open.") % {"session": session.name},
            code="closed",
        )
    previous = Dossier.objects.filter(candidate=candidate).order_by("-updated_at").first()
    copied = {}
    if previous is not None:
        # Identity and contact are the same person's: carry them over as a convenience.
        for name in SECTION_FIELDS["identity"] + SECTION_FIELDS["contact"]:
            copied[name] = getattr(previous, name)
    else:
        copied = {"last_name": candidate.last_name, "first_names": candidate.first_name}
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                candidate=candidate,
                offering=offering,
                search_name=search_key(copied["last_name"], copied["first_names"]),
                **copied,
            )
            audit_record(actor=candidate, action="dossier.open", obj=dossier, to_state=DossierStatus.DRAFT)
    except IntegrityError:
        return Dossier.objects.get(candidate=candidate, offering=offering)
    return dossier


@transaction.atomic
def dossier_save_section(*, dossier: Dossier, by: Any, section: str, data: dict[str, Any]) -> Dossier:
    """Save one section; nothing outside it changes."""
    fields = SECTION_FIELDS.get(section)
    if fields is None:
        raise DomainError(_("Unknown section."), code="section")
    dossier = _locked(dossier)
    _ensure_editable(dossier)
    changed = {}
    for name in fields:
        if name in data and getattr(dossier, name) != data[name]:
            changed[name] = str(data[name])
            setattr(dossier, name, data[name])
    if {"last_name", "first_names"} & changed.keys():
        dossier.search_name = search_key(dossier.last_name, dossier.first_names)  # issue 7 item 5
    dossier.save()
    if changed:
        audit_record(
            actor=by, action=f"dossier.section.{section}", obj=dossier, data={"fields": sorted(changed)}
        )
    return dossier


@transaction.atomic
def document_upload(
    *,
    dossier: Dossier,
    by: Any,
    document_type: DocumentType,
    fileobj: IO[bytes],
    name: str,
    size: int,
    language: str = DocumentLanguage.FR,
    role: str = DocumentRole.ORIGINAL,
) -> DocumentFile:
    """Store a checked file; the earlier one of the same slot stays in history (superseded)."""
    checked = check_upload(fileobj, name=name, size=size, max_bytes=settings.UPLOAD_MAX_BYTES)
    dossier = _locked(dossier)
    _ensure_editable(dossier)
    if document_type.session_id != dossier.offering.session_id:
        raise DomainError(_("This document is not asked for in this session."), code="type")
    if role == DocumentRole.TRANSLATION:
        if language == DocumentLanguage.OTHER:
            raise DomainError(_("A translation must be in French or English (R2.9)."), code="translation")
        original = dossier.files.filter(
            document_type=document_type, role=DocumentRole.ORIGINAL, superseded_at__isnull=True
        ).first()
        if original is None or original.language != DocumentLanguage.OTHER:
            raise DomainError(_("Upload the document itself first."), code="translation")
    now = timezone.now()
    earlier = list(dossier.files.filter(document_type=document_type, role=role, superseded_at__isnull=True))
    dossier.files.filter(pk__in=[e.pk for e in earlier]).update(superseded_at=now)
    if role == DocumentRole.ORIGINAL and language != DocumentLanguage.OTHER:
        # A new original in French or English needs no translation: the old one goes to history.
        dossier.files.filter(
            document_type=document_type, role=DocumentRole.TRANSLATION, superseded_at__isnull=True
        ).update(superseded_at=now)
    doc = DocumentFile(
        dossier=dossier,
        document_type=document_type,
        role=role,
        language=language,
        original_name=checked.display_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    doc.file.save(f"upload{checked.extension}", File(fileobj), save=False)
    try:
        doc.save()
        audit_record(
            actor=by,
            action="document.upload",
            obj=dossier,
            data={
                "document": document_type.code,
                "role": role,
                "file": doc.pk,
                "replaces": [e.pk for e in earlier],
            },
        )
        _history_prune(dossier=dossier, document_type=document_type, by=by)
    except BaseException:
        # The row will not exist: the stored bytes must not linger without it.
        doc.file.delete(save=False)
        raise
    return doc


def _history_prune(*, dossier: Dossier, document_type: DocumentType, by: Any) -> None:
    """Keep the DOCUMENT_HISTORY_MAX most recently replaced files of a document (issue 6 item 6);
    delete the older ones. Their bytes go after commit: a rolled-back upload loses nothing."""
    dropped = list(
        dossier.files.filter(document_type=document_type, superseded_at__isnull=False).order_by(
            "-superseded_at", "-uploaded_at", "-id"
        )[max(settings.DOCUMENT_HISTORY_MAX, 0) :]
    )
    if not dropped:
        return
    audit_record(
        actor=by,
        action="document.history.pruned",
        obj=dossier,
        data={
            "document": document_type.code,
            "limit": settings.DOCUMENT_HISTORY_MAX,
            "files": [
                {
                    "file": f.pk,
                    "role": f.role,
                    "name": f.original_name,
                    "sha256": f.sha256,
                    "verdict": f.verdict,
                }
                for f in dropped
            ],
        },
    )
    DocumentFile.objects.filter(pk__in=[f.pk for f in dropped]).delete()
    storage_names = [(f.file.storage, str(f.file.name)) for f in dropped]

    def delete_bytes() -> None:
        for storage, name in storage_names:
            storage.delete(name)

    transaction.on_commit(delete_bytes)


@transaction.atomic
def fee_declare(
    *, dossier: Dossier, by: Any, channel: str, paid_on: dt.date, at: dt.datetime | None = None
) -> FeePayment:
    """The candidate says they paid the fee (R2.10). Refused when not eligible: nobody pays for nothing."""
    at = at or timezone.now()
    dossier = _locked(dossier)
    _ensure_editable(dossier)
    elig = dossier.eligibility()
    if elig.eligible is not True:
        raise DomainError(
            elig.message if elig.eligible is False else _("Complete the eligibility section first."),
            code="eligibility",
        )
    international = bool(dossier.is_international)
    if channel not in rules.payment_channels(international=international):
        raise DomainError(_("This payment channel is for international candidates only."), code="channel")
    if paid_on > timezone.localdate(at):
        raise DomainError(_("The payment date cannot be in the future."), code="date")
    current = fee_status(dossier)
    if current is not None:
        raise DomainError(_("A payment is already recorded for this dossier."), code="duplicate")
    payment = FeePayment.objects.create(
        dossier=dossier,
        channel=channel,
        amount=dossier.offering.session.application_fee,
        reference=dossier.payment_reference,
        paid_on=paid_on,
    )
    audit_record(
        actor=by,
        action="fee.declare",
        obj=dossier,
        to_state=PaymentStatus.DECLARED,
        data={"payment": payment.pk, "channel": channel},
    )
    # Issue 9: the fee as an amount due in the ledger, if the fee page has not made it yet
    # (imported here: billing's ledger imports this module).
    from billing.services.ledger import fee_due

    fee_due(dossier)
    return payment


@transaction.atomic
def fee_confirm(*, payment: FeePayment, by: Any, booked_on: dt.date) -> FeePayment:
    """Finance confirms a fee payment with the date the bank booked it. Safe to call twice.

    Locks the fee's due before the payment, the order a statement line takes (its due, then the
    declared payment it confirms): two confirmations of one dossier at once, one by hand and one from
    the bank, wait for each other instead of deadlocking."""
    # Imported here: billing's ledger imports this module.
    from billing.models import Due
    from billing.services.ledger import balance, fee_due, payment_record

    due = Due.objects.select_for_update().get(pk=fee_due(payment.dossier).pk)
    payment = FeePayment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == PaymentStatus.CONFIRMED:
        return payment
    previous = payment.status
    payment.status = PaymentStatus.CONFIRMED
    payment.booked_on = booked_on
    payment.confirmed_at = timezone.now()
    payment.confirmed_by = by
    payment.save()
    audit_record(
        actor=by,
        action="fee.confirm",
        obj=payment.dossier,
        from_state=previous,
        to_state=payment.status,
        data={"payment": payment.pk, "booked_on": booked_on.isoformat()},
    )
    # The ledger learns of a confirmation made by hand (issue 9): the fee's due is paid on that date.
    # From a statement the payment line exists already (balance 0) and nothing is added.
    if balance(due) > 0:
        payment_record(
            due=due, amount=balance(due), booked_on=booked_on, channel="manual", by=by, note=payment.reference
        )
    return payment


@transaction.atomic
def fee_reject(*, payment: FeePayment, by: Any, note: str) -> FeePayment:
    """Finance found no such payment: the candidate must pay and declare again."""
    payment = FeePayment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == PaymentStatus.CONFIRMED:
        raise DomainError(_("A confirmed payment cannot be marked as not found."), code="confirmed")
    if payment.status == PaymentStatus.REJECTED:
        return payment
    payment.status = PaymentStatus.REJECTED
    payment.note = note
    payment.save()
    audit_record(
        actor=by,
        action="fee.reject",
        obj=payment.dossier,
        from_state=PaymentStatus.DECLARED,
        to_state=payment.status,
        reason=note,
        data={"payment": payment.pk},
    )
    return payment


def fee_booked_in_time(payment: FeePayment) -> bool:
    """I3: a transfer confirmed late counts if booked within the grace period after the deadline."""
    if payment.status != PaymentStatus.CONFIRMED or payment.booked_on is None:
        return False
    dossier = payment.dossier
    session = dossier.offering.session
    return payment.booked_on <= dossier.deadline() + dt.timedelta(days=session.fee_grace_days)


def dossier_submit(*, dossier: Dossier, by: Any, at: dt.datetime | None = None) -> Dossier:
    """Submit before the deadline that applies (R2.1, R2.7, I1) with documents and fee (I3)."""
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _locked(dossier)
        if dossier.status == DossierStatus.SUBMITTED:
            return dossier
        _ensure_editable(dossier)
        deadline = dossier.deadline()
        if deadlines.is_late(deadline, at):
            raise DomainError(
                _(
                    "The deadline has passed: applications had to be submitted by %(date)s at "
                    "23:59:59 (Paris time). Your draft is kept."
                )
                % {"date": deadline.strftime("%d/%m/%Y")},
                code="late",
            )
        checklist = dossier_checklist(dossier)
        if not checklist.ready:
            raise DomainError(
                _("The dossier cannot be submitted yet: %(missing)s")
                % {"missing": " ".join(checklist.missing)},
                code="incomplete",
            )
        dossier.submitted_at = at
        dossier.missing = []
        dossier_transition(
            dossier,
            to=DossierStatus.SUBMITTED,
            by=by,
            action="dossier.submit",
            fields=("submitted_at", "missing"),
        )
        dossier_email(dossier, "dossier_submitted")
    return dossier


def dossier_withdraw(*, dossier: Dossier, by: Any, reason: str = "") -> Dossier:
    """The candidate withdraws before any decision; the fee is kept (R2.11). Safe to call twice."""
    with transaction.atomic():
        dossier = _locked(dossier)
        if dossier.status == DossierStatus.WITHDRAWN:
            return dossier
        if not dossier.can_withdraw:
            raise DomainError(_("A dossier cannot be withdrawn once the jury has decided."), code="decided")
        from admission.models import Decision  # admission builds on applications, not the reverse

        # A decision of a sitting still open is not a decision yet: it goes, and frees its place.
        dropped = list(Decision.objects.filter(dossier=dossier).values_list("outcome", flat=True))
        Decision.objects.filter(dossier=dossier).delete()
        dossier_transition(
            dossier,
            to=DossierStatus.WITHDRAWN,
            by=by,
            action="dossier.withdraw",
            reason=reason,
            data={"dropped_provisional_decision": dropped},
        )
        dossier_email(dossier, "dossier_withdrawn")
    return dossier
