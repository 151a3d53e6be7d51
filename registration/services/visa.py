"""Visas (issue 8 item 5; R2.8, R2.11, R3.4, I2, I11): the acceptance letter an admitted international
candidate gives to the consulate, their *Études en France* file number, and a visa refusal that they
report with its proof and that the office or finance approves or refuses with a reason.

An approved refusal undoes the registration: the registration and the student are cancelled, the
first instalment is to be refunded (finance pays it back in the finance issue), the later ones are
cancelled, the dossier is cancelled and its place goes to the waiting list at once. The 60 € application
fee is never refunded (R2.11): nothing here touches a fee payment.

Locking (convention 5): the offering's row first (`lock_offering`), then the visa case, the dossier,
the registration and its instalments, the same order as every path that takes or frees a place.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from admission.documents import render_pdf
from admission.models import Decision
from applications.models import Dossier, DossierStatus
from applications.rules import Financing, cost_quote
from applications.services import dossier_transition
from audit.services import audit_record
from cursus.errors import DomainError
from notifications.services import email_send
from registration import selectors
from registration.models import (
    FileKind,
    Instalment,
    InstalmentStatus,
    Offer,
    OfferStatus,
    Registration,
    RegistrationFile,
    RegistrationStatus,
    Student,
    StudentStatus,
    VisaCase,
    VisaStatus,
)
from registration.services.enrolment import is_conditional
from registration.services.files import current_file, registration_file_upload, registration_file_verdict
from registration.services.offers import lock_offering, offer_release

# The dossier states of an admitted candidate who may need a visa (SPEC §5).
ADMITTED_STATES = (DossierStatus.ADMITTED, DossierStatus.CONDITIONAL, DossierStatus.REGISTERED)
# The letter certifies a place the candidate holds.
LETTER_OFFERS = (OfferStatus.OPEN, OfferStatus.REGISTERED)
# A refusal may be reported while the place is held, or after the 15 days (the candidate may still
# have registered late or be waiting for a free place).
REPORT_OFFERS = (OfferStatus.OPEN, OfferStatus.LAPSED, OfferStatus.REGISTERED)
# A place the candidate gave up or that was released closes a reported refusal: nothing left to decide.
CLOSED_OFFERS = (OfferStatus.DECLINED, OfferStatus.RELEASED)
# The office's file numbers look like "DZ24-01234", "SN-2025-000123": loosely checked.
EFE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$")


# ---- reading -----------------------------------------------------------------------------------


# Fresh reads, never the dossier's cached relations: a dossier read before its offer or visa case was
# made caches "none".
def visa_or_none(dossier: Dossier) -> VisaCase | None:
    return VisaCase.objects.filter(dossier_id=dossier.pk).first()


def _offer(dossier: Dossier) -> Offer | None:
    return Offer.objects.filter(dossier_id=dossier.pk).first()


def _registration(dossier: Dossier) -> Registration | None:
    return Registration.objects.filter(dossier_id=dossier.pk).first()


def visa_concerns(dossier: Dossier) -> bool:
    """The visa page is for an international candidate (I2) who was offered a place, and stays
    readable after an approved refusal cancelled the dossier."""
    if dossier.is_international is not True or _offer(dossier) is None:
        return False
    if dossier.status in ADMITTED_STATES:
        return True
    visa = visa_or_none(dossier)
    return (
        dossier.status == DossierStatus.CANCELLED and visa is not None and visa.status == VisaStatus.APPROVED
    )


def letter_available(dossier: Dossier) -> bool:
    offer = _offer(dossier)
    return (
        dossier.is_international is True
        and dossier.status in ADMITTED_STATES
        and offer is not None
        and offer.status in LETTER_OFFERS
    )


def can_report_refusal(dossier: Dossier) -> bool:
    offer = _offer(dossier)
    visa = visa_or_none(dossier)
    return (
        dossier.is_international is True
        and dossier.status in ADMITTED_STATES
        and offer is not None
        and offer.status in REPORT_OFFERS
        and (visa is None or visa.status in (VisaStatus.NONE, VisaStatus.REJECTED))
    )


def can_record_number(dossier: Dossier) -> bool:
    return (
        dossier.is_international is True and dossier.status in ADMITTED_STATES and _offer(dossier) is not None
    )


def refusal_proof(dossier: Dossier) -> RegistrationFile | None:
    return current_file(dossier, FileKind.VISA_REFUSAL)


def refusal_proofs(dossier_ids: list[int]) -> dict[int, RegistrationFile]:
    """The current proof of each dossier, in one query (the staff list)."""
    files = RegistrationFile.objects.filter(
        dossier_id__in=dossier_ids, kind=FileKind.VISA_REFUSAL, superseded_at__isnull=True
    ).order_by("dossier_id", "-uploaded_at", "-pk")
    out: dict[int, RegistrationFile] = {}
    for f in files:
        out.setdefault(f.dossier_id, f)
    return out


# ---- the acceptance letter (R2.8) ---------------------------------------------------------------


@dataclass(frozen=True)
class TuitionLine:
    label: str
    amount: Decimal


def _financing(dossier: Dossier) -> str:
    """The registration's financing if known, else the intention given while applying, else ""."""
    registration = _registration(dossier)
    return (registration.financing if registration is not None else "") or dossier.financing_intention


def _tuition(dossier: Dossier) -> tuple[list[TuitionLine], Decimal | None]:
    """The tuition of the financing mode (R3.1) and the CVEC of personal financing (R3.2); both
    tuitions when the mode is not known yet."""
    offering = dossier.offering
    personal = _("Tuition, personal financing or job seeker (net of tax)")
    company = _("Tuition, company financing (net of tax)")
    financing = _financing(dossier)
    if not financing:
        return [
            TuitionLine(personal, offering.tuition_personal),
            TuitionLine(company, offering.tuition_company),
        ], None
    quote = cost_quote(
        financing,
        tuition_personal=offering.tuition_personal,
        tuition_company=offering.tuition_company,
        cvec=offering.session.cvec.amount,
    )
    label = company if financing == Financing.COMPANY else personal
    return [TuitionLine(label, quote.tuition)], (quote.cvec or None)


def acceptance_letter_pdf(dossier: Dossier) -> bytes:
    """The letter for the visa application, in the candidate's language (I15): who admits whom to
    which program, where, when, for how much, and under which decision (R2.8, I2)."""
    dossier = Dossier.objects.select_related(
        "candidate",
        "offering__program__campus",
        "offering__session__institution",
        "offering__session__cvec",
    ).get(pk=dossier.pk)
    if not letter_available(dossier):
        raise DomainError(
            _("The acceptance letter is for an admitted international candidate whose place is held."),
            code="state",
        )
    offering = dossier.offering
    session = offering.session
    decision = Decision.objects.filter(dossier=dossier).select_related("sitting").first()
    with translation.override(dossier.candidate.language or settings.LANGUAGE_CODE):
        tuition, cvec = _tuition(dossier)  # labels in the candidate's language
        return render_pdf(
            "registration/pdf/acceptance_letter.html",
            {
                "dossier": dossier,
                "program": offering.program,
                "campus": offering.program.campus,
                "session": session,
                "institution": session.institution,
                "calendar": session.teaching_calendar(),
                "tuition": tuition,
                "cvec": cvec,
                "conditional": is_conditional(dossier, _registration(dossier)),
                "decision": decision,
                "registered": dossier.status == DossierStatus.REGISTERED,
                "today": timezone.localdate(),
            },
        )


# ---- the candidate's steps ---------------------------------------------------------------------


def _own(dossier: Dossier, by: Any) -> None:
    if dossier.candidate_id != getattr(by, "pk", None):
        raise DomainError(_("Only the candidate gives this information."), code="forbidden")


def _visa_locked(dossier: Dossier) -> VisaCase:
    VisaCase.objects.get_or_create(dossier_id=dossier.pk)
    return VisaCase.objects.select_for_update().get(dossier_id=dossier.pk)


def _email(visa: VisaCase, template: str, **extra: Any) -> None:
    dossier = Dossier.objects.select_related(
        "candidate", "offering__program", "offering__session__institution"
    ).get(pk=visa.dossier_id)
    email_send(
        template=template,
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={
            "dossier": dossier,
            "program": dossier.offering.program,
            "institution": dossier.offering.session.institution,
            "visa": visa,
            **extra,
        },
        related=dossier,
    )


def visa_record_number(*, dossier: Dossier, by: Any, efe_number: str) -> VisaCase:
    """The candidate records their *Études en France* file number (R2.8)."""
    number = "".join(efe_number.split()).upper()
    if not EFE_NUMBER.match(number):
        raise DomainError(
            _(
                "An “Études en France” file number has 4 to 40 characters: letters, digits and hyphens "
                "(for example SN25-012345)."
            ),
            code="efe_number",
        )
    _own(dossier, by)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if not can_record_number(dossier):
            raise DomainError(_("The visa steps are for an admitted international candidate."), code="state")
        visa = _visa_locked(dossier)
        if visa.status == VisaStatus.APPROVED:
            raise DomainError(_("Your visa refusal has been approved: this file is closed."), code="state")
        if visa.efe_number == number:
            return visa
        before = visa.efe_number
        visa.efe_number = number
        visa.save(update_fields=["efe_number", "updated_at"])
        audit_record(actor=by, action="visa.efe_number", obj=dossier, data={"from": before, "to": number})
    return visa


def visa_report_refusal(*, dossier: Dossier, by: Any, fileobj: IO[bytes], name: str, size: int) -> VisaCase:
    """The candidate reports that the visa was refused, with the proof (I11). A report the office did
    not accept may be made again with a new proof."""
    _own(dossier, by)
    dossier = Dossier.objects.get(pk=dossier.pk)
    if not can_report_refusal(dossier):
        raise DomainError(_("A visa refusal cannot be reported for this dossier now."), code="state")
    # The file is checked and stored first (its own transaction); the report then takes the locks.
    proof = registration_file_upload(
        dossier=dossier, by=by, kind=FileKind.VISA_REFUSAL, fileobj=fileobj, name=name, size=size
    )
    with transaction.atomic():
        offer = _offer(dossier)
        if offer is not None:
            lock_offering(offer.offering_id)
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        visa = _visa_locked(dossier)
        if not can_report_refusal(dossier):
            raise DomainError(_("A visa refusal cannot be reported for this dossier now."), code="state")
        previous = visa.status
        visa.status, visa.reported_at = VisaStatus.REPORTED, timezone.now()
        visa.decided_at, visa.decided_by, visa.decision_reason = None, None, ""
        visa.save(
            update_fields=[
                "status",
                "reported_at",
                "decided_at",
                "decided_by",
                "decision_reason",
                "updated_at",
            ]
        )
        audit_record(
            actor=by,
            action="visa.report",
            obj=dossier,
            from_state=previous,
            to_state=VisaStatus.REPORTED,
            data={"file": proof.pk},
        )
        visa_id = visa.pk
        transaction.on_commit(lambda: _reported_emails(visa_id))
    return visa


def _reported_emails(visa_id: int) -> None:
    visa = VisaCase.objects.select_related("dossier__offering__session__institution").get(pk=visa_id)
    _email(visa, "visa_reported")
    institution = visa.dossier.offering.session.institution
    if institution.email:
        # The staff's note: the office's address; the list of reports is at /gestion/visas/.
        dossier = visa.dossier
        email_send(
            template="visa_reported_staff",
            to=institution.email,
            language=settings.LANGUAGE_CODE,
            context={"dossier": dossier, "program": dossier.offering.program, "visa": visa},
            related=dossier,
        )


# ---- the office's or finance's decision (I11) ---------------------------------------------------


def _may_decide(by: Any, dossier: Dossier) -> bool:
    from accounts.roles import ADMISSIONS_OFFICE, FINANCE

    if not (by.has_perm(ADMISSIONS_OFFICE) or by.has_perm(FINANCE)):
        return False
    scope = getattr(by, "institution_id", None)
    return not scope or scope == dossier.offering.session.institution_id


def _cancel_registration(dossier: Dossier, *, by: Any, reason: str) -> dict[str, Any]:
    """The registration, its instalments and the student go; the first instalment is to be refunded
    (R3.4), the later ones are no longer due. The caller holds the locks."""
    done: dict[str, Any] = {}
    registration = Registration.objects.select_for_update().filter(dossier=dossier).first()
    if registration is None:
        return done
    now = timezone.now()
    if registration.status != RegistrationStatus.CANCELLED:
        done["registration"] = {"from": registration.status, "to": RegistrationStatus.CANCELLED}
        registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
        registration.cancel_reason = reason[:300]
        registration.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    instalments = list(
        Instalment.objects.select_for_update().filter(registration=registration).order_by("number")
    )
    for inst in instalments:
        target = InstalmentStatus.TO_REFUND if inst.number == 1 else InstalmentStatus.CANCELLED
        if inst.status == InstalmentStatus.DUE:
            inst.status = target
            inst.save(update_fields=["status", "updated_at"])
            done.setdefault("instalments", []).append(
                {"number": inst.number, "to": target, "amount": str(inst.amount)}
            )
    if instalments:
        # Issue 9: the cancelled instalments are no longer owed in the ledger either (imported here:
        # billing's models import registration's).
        from billing.services.ledger import instalment_dues

        instalment_dues(registration)
        # I11: the first instalment is no longer owed; what was paid on it is to be refunded.
        from billing.services.refunds import visa_refusal_refund

        paid_back = visa_refusal_refund(registration=registration, by=by, reason=reason)
        if paid_back is not None:
            done["refund"] = {"pk": paid_back.pk, "amount": str(paid_back.amount)}
    refund = next((i for i in instalments if i.number == 1 and i.status == InstalmentStatus.TO_REFUND), None)
    if refund is not None:
        done["to_refund"] = str(refund.amount)
    if Student.objects.filter(dossier=dossier, status=StudentStatus.ACTIVE).update(
        status=StudentStatus.CANCELLED
    ):
        done["student"] = StudentStatus.CANCELLED
    if done:
        audit_record(
            actor=by,
            action="visa.cancel_registration",
            obj=dossier,
            from_state=done.get("registration", {}).get("from", ""),
            to_state=RegistrationStatus.CANCELLED,
            reason=reason,
            data=done,
        )
    return done


def visa_decide(*, dossier: Dossier, by: Any, approve: bool, reason: str) -> VisaCase:
    """The office or finance approves or refuses a reported visa refusal, with a reason (I11).

    Approved: the registration is cancelled, the first instalment is to be refunded, the dossier is
    cancelled and the place is released to the waiting list at once. The application fee is kept
    (R2.11). Refused: the proof is refused with the reason, the candidate may report again. A decided
    case cannot be decided again; calling twice changes nothing the second time."""
    reason = reason.strip()
    if not _may_decide(by, dossier):
        raise DomainError(
            _("Only the admissions office or finance decides on a visa refusal."), code="forbidden"
        )
    if not reason:
        raise DomainError(_("Give a reason: the candidate reads it."), code="reason")
    offer = _offer(dossier)
    with transaction.atomic():
        if offer is not None:
            lock_offering(offer.offering_id)
        # The dossier before its visa case, as the candidate's steps lock them.
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        visa = VisaCase.objects.select_for_update().filter(dossier_id=dossier.pk).first()
        if visa is None or visa.status != VisaStatus.REPORTED:
            raise DomainError(
                _(
                    "There is no visa refusal waiting for a decision on this dossier: it has been decided already."
                ),
                code="state",
            )
        if offer is not None and Offer.objects.get(pk=offer.pk).status in CLOSED_OFFERS:
            raise DomainError(
                _(
                    "The candidate no longer holds a place (declined or released): there is nothing left to decide on this visa refusal."
                ),
                code="state",
            )
        proof = refusal_proof(dossier)
        now = timezone.now()
        visa.decided_at, visa.decided_by, visa.decision_reason = now, by, reason[:300]
        if approve:
            visa.status = VisaStatus.APPROVED
            visa.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated_at"])
            audit_record(
                actor=by,
                action="visa.approve",
                obj=dossier,
                from_state=VisaStatus.REPORTED,
                to_state=VisaStatus.APPROVED,
                reason=reason,
            )
            if proof is not None and proof.verdict != "accepted":
                registration_file_verdict(file=proof, by=by, accept=True, reason=reason)
            cancelled = _cancel_registration(dossier, by=by, reason=reason)
            if dossier.status != DossierStatus.CANCELLED:
                dossier_transition(
                    dossier, to=DossierStatus.CANCELLED, by=by, action="dossier.cancel_visa", reason=reason
                )
            if offer is not None:
                offer_release(offer=offer, by=by, reason=reason, action="offer.release")
            visa_id, to_refund = visa.pk, cancelled.get("to_refund")
            transaction.on_commit(
                lambda: _email(VisaCase.objects.get(pk=visa_id), "visa_approved", to_refund=to_refund)
            )
        else:
            visa.status = VisaStatus.REJECTED
            visa.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated_at"])
            audit_record(
                actor=by,
                action="visa.reject",
                obj=dossier,
                from_state=VisaStatus.REPORTED,
                to_state=VisaStatus.REJECTED,
                reason=reason,
            )
            if proof is not None:
                registration_file_verdict(file=proof, by=by, accept=False, reason=reason)
            visa_id = visa.pk
            transaction.on_commit(lambda: _email(VisaCase.objects.get(pk=visa_id), "visa_rejected"))
    return visa


# ---- staff list ---------------------------------------------------------------------------------


def visa_cases_for_staff(user: Any, *, status: str = VisaStatus.REPORTED) -> Any:
    """The visa cases of the dossiers this office or finance member sees; reported ones first."""
    qs = VisaCase.objects.filter(dossier__in=selectors.registration_dossiers_visible_to(user)).select_related(
        "dossier__candidate",
        "dossier__offering__program",
        "dossier__offering__session",
        "dossier__offer",
        "decided_by",
    )
    if status and status != "all":
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=VisaStatus.NONE)
    if status == VisaStatus.REPORTED:
        # A declined or released place closes the case: nothing is left to decide.
        qs = qs.exclude(dossier__offer__status__in=CLOSED_OFFERS)
    return qs.order_by("-reported_at", "pk")
