"""The registration itself (issue 8 item 4, item 6): the financing mode and its cost (R3.1, R3.2, I8),
what each mode needs (I9 for the CVEC, the company's details and training agreement), the three
instalments it sets (I10), the student it makes, and the BAC+5 proof of a conditional admission (R1.2).

Locking (convention 5): completing takes the offering's lock first (`lock_offering`), then the
registration's and the dossier's rows, and takes the place with `offer_take` under that lock, so that
a late registration never takes a place the waiting list or the jury has just been given."""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

from applications.models import Dossier, DossierStatus
from applications.rules import Financing, cost_quote
from applications.services import dossier_transition
from audit.services import audit_record
from cursus.errors import DomainError
from notifications.services import email_send
from registration import rules, selectors
from registration.models import (
    Debtor,
    FileKind,
    FileVerdict,
    Instalment,
    InstalmentStatus,
    Offer,
    OfferStatus,
    Registration,
    RegistrationFile,
    RegistrationStatus,
    Student,
    WaitlistStatus,
)
from registration.services.files import current_file, registration_file_verdict
from registration.services.offers import lock_offering, offer_take

logger = logging.getLogger(__name__)

# The dossier states from which a registration may be completed (a lapsed offer keeps the dossier
# admitted: the late candidate may still register while a place is free, I7).
REGISTRABLE = (DossierStatus.ADMITTED, DossierStatus.CONDITIONAL)
# The offers whose candidate may fill in the registration form.
FORM_OPEN = (OfferStatus.OPEN, OfferStatus.LAPSED)

# The fields a draft may hold, and the file each financing mode needs.
FIELDS = (
    "financing",
    "cvec_number",
    "company_name",
    "company_siret",
    "company_address",
    "company_contact",
    "company_billing_email",
    "agreement_starts_on",
    "agreement_ends_on",
)
MODE_FILES = {
    Financing.PERSONAL: FileKind.CVEC,
    Financing.COMPANY: FileKind.AGREEMENT,
    Financing.JOB_SEEKER: FileKind.FRANCE_TRAVAIL,
}


# ---- the cost -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentLine:
    number: int
    amount: Decimal
    due_on: dt.date
    at_registration: bool = False


@dataclass(frozen=True)
class CostSummary:
    """What registering costs in a financing mode (R3.1, R3.2, I8–I10). The CVEC is paid by the
    student to the national body (I9): shown here, never an instalment of the school."""

    financing: str
    tuition: Decimal
    cvec: Decimal
    cvec_year: str
    instalments: tuple[InstalmentLine, ...]
    debtor: str
    academic_year: str

    @property
    def total(self) -> Decimal:
        return self.tuition + self.cvec

    @property
    def financing_label(self) -> str:
        return str(Financing(self.financing).label)

    @property
    def debtor_label(self) -> str:
        return str(Debtor(self.debtor).label)

    @property
    def paid_by(self) -> str:
        """Who pays the tuition, in the candidate's words ("paid by your company", "paid by you")."""
        return _("paid by your company") if self.debtor == Debtor.COMPANY else _("paid by you")


def registration_cost(dossier: Dossier, financing: str, *, today: dt.date | None = None) -> CostSummary:
    """R3.1: personal and job seeker pay the personal tuition, company financing the company one;
    R3.2: the CVEC of the session's academic year for personal financing only; I10: three
    instalments of the tuition, the first due at registration (today), the others on the session's
    dates; the company is the debtor of company financing, the student otherwise."""
    if financing not in Financing.values:
        raise DomainError(_("Choose how your training is financed."), code="financing")
    today = today or timezone.localdate()
    offering = dossier.offering
    session = offering.session
    quote = cost_quote(
        financing,
        tuition_personal=offering.tuition_personal,
        tuition_company=offering.tuition_company,
        cvec=session.cvec.amount,
    )
    calendar = session.teaching_calendar()
    # A due date is never before the registration's (a session whose teaching year has begun or is
    # over): the later instalments fall due at registration too.
    dates = (
        today,
        max(calendar.second_instalment_on, today),
        max(calendar.third_instalment_on, today),
    )
    amounts = rules.instalments(quote.tuition)
    lines = tuple(
        InstalmentLine(number=n, amount=a, due_on=d, at_registration=n == 1)
        for n, (a, d) in enumerate(zip(amounts, dates, strict=True), start=1)
    )
    return CostSummary(
        financing=financing,
        tuition=quote.tuition,
        cvec=quote.cvec,
        cvec_year=session.cvec.academic_year,
        instalments=lines,
        debtor=Debtor.COMPANY if financing == Financing.COMPANY else Debtor.STUDENT,
        academic_year=calendar.academic_year,
    )


# ---- checks shared by the form and the service ----------------------------------------------


def siret_clean(value: str) -> str:
    """The SIRET in its 14 digits (spaces allowed when typed), or a DomainError saying what is wrong."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(stdnum_siret.validate(value))
    except StdnumError:
        raise DomainError(
            _(
                "This SIRET is not valid: it has 14 digits and its check digit must match (e.g. 732 829 320 00074)."
            ),
            code="company_siret",
        ) from None


def _offer(dossier: Dossier) -> Offer | None:
    # Fresh: a dossier read before its offer was made caches "no offer".
    return Offer.objects.filter(dossier_id=dossier.pk).first()


def is_conditional(dossier: Dossier, registration: Registration | None = None) -> bool:
    """R1.2: admitted on condition and the BAC+5 proof not validated yet."""
    offer = _offer(dossier)
    conditional = bool(offer and offer.conditional) or dossier.status == DossierStatus.CONDITIONAL
    return conditional and (registration is None or registration.bac5_validated_at is None)


# ---- the draft ------------------------------------------------------------------------------


def registration_open(*, dossier: Dossier, by: Any) -> Registration:
    """The candidate starts (or comes back to) their registration. Safe twice."""
    if dossier.candidate_id != getattr(by, "pk", None):
        raise DomainError(_("Only the candidate registers."), code="forbidden")
    existing = Registration.objects.filter(dossier_id=dossier.pk).first()
    if existing is not None:
        if existing.status == RegistrationStatus.CANCELLED:
            raise DomainError(_("This registration has been cancelled."), code="state")
        return existing
    dossier = Dossier.objects.select_related("offering__session").get(pk=dossier.pk)
    offer = _offer(dossier)
    if offer is None or offer.status not in FORM_OPEN or dossier.status not in REGISTRABLE:
        raise DomainError(_("There is no place to register for on this application."), code="state")
    calendar = dossier.offering.session.teaching_calendar()
    with transaction.atomic():
        registration, created = Registration.objects.get_or_create(
            dossier_id=dossier.pk,
            defaults={
                # The intention given while applying (I8) is the starting point.
                "financing": dossier.financing_intention or "",
                "agreement_starts_on": calendar.starts_on,
                "agreement_ends_on": calendar.ends_on,
            },
        )
        if created:
            audit_record(actor=by, action="registration.open", obj=dossier, to_state=RegistrationStatus.DRAFT)
    return registration


class FieldErrors(DomainError):
    """Some fields of a draft were refused: the valid ones were saved, these were not. ``errors``
    maps each refused field to what is wrong with it (the message and code are the first one's)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, code=field)
        self.errors = errors


def _field_errors(values: dict[str, Any]) -> dict[str, str]:
    """The format checks of a draft, field by field (normalising what is valid in place); what is
    required is checked when completing."""
    errors: dict[str, str] = {}
    if values.get("financing") and values["financing"] not in Financing.values:
        errors["financing"] = _("Choose how your training is financed.")
    try:
        values["company_siret"] = siret_clean(values.get("company_siret", ""))
    except DomainError as exc:
        errors["company_siret"] = exc.message
    email = (values.get("company_billing_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["company_billing_email"] = _(
                "This billing email address is not valid (e.g. invoices@company.fr)."
            )
    values["company_billing_email"] = email
    start, end = values.get("agreement_starts_on"), values.get("agreement_ends_on")
    if start and end and end <= start:
        errors["agreement_ends_on"] = _("The training agreement must end after it starts.")
    return errors


def registration_save(*, registration: Registration, by: Any, data: dict[str, Any]) -> Registration:
    """Save what the candidate typed (any subset of FIELDS) on a draft. Every valid field is saved;
    a field whose format is wrong keeps its stored value and is refused with a message
    (`FieldErrors`, raised once the valid ones are saved). Nothing required is asked before
    completing, so a draft is never lost."""
    values = {k: v for k, v in data.items() if k in FIELDS}
    for k, v in values.items():
        if isinstance(v, str):
            values[k] = v.strip()
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("dossier")
            .get(pk=registration.pk)
        )
        if registration.dossier.candidate_id != getattr(by, "pk", None):
            raise DomainError(_("Only the candidate registers."), code="forbidden")
        if registration.status != RegistrationStatus.DRAFT:
            raise DomainError(
                _("This registration is no longer a draft and cannot be changed."), code="state"
            )
        merged = {k: getattr(registration, k) for k in FIELDS} | values
        errors = _field_errors(merged)
        refused = set(errors)
        if "agreement_ends_on" in refused:
            refused.add("agreement_starts_on")  # the two dates go together
        for k in refused:
            merged[k] = getattr(registration, k)  # the stored value stays
        changed = [k for k in FIELDS if merged[k] != getattr(registration, k)]
        if changed:
            for k in changed:
                setattr(registration, k, merged[k])
            registration.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=by,
                action="registration.save",
                obj=registration.dossier,
                data={"fields": changed, "financing": registration.financing},
            )
    if errors:
        raise FieldErrors(errors)
    return registration


# ---- completing -----------------------------------------------------------------------------


def _file_missing(dossier: Dossier, kind: str) -> str | None:
    f = current_file(dossier, kind)
    label = FileKind(kind).label
    if f is None:
        return _("%(document)s: upload it.") % {"document": label}
    if f.verdict == FileVerdict.REFUSED:
        return _("%(document)s was refused (%(reason)s): upload a new file.") % {
            "document": label,
            "reason": f.verdict_reason,
        }
    return None


def registration_missing(registration: Registration) -> list[str]:
    """What still stops the registration from being completed, in the candidate's words (I8, I9)."""
    dossier = registration.dossier
    missing: list[str] = []
    mode = registration.financing
    if mode not in Financing.values:
        return [_("Choose how your training is financed.")]
    if mode == Financing.PERSONAL and not registration.cvec_number.strip():
        missing.append(_("The number of your CVEC attestation."))
    if mode == Financing.COMPANY:
        if not registration.company_name.strip():
            missing.append(_("The company's name."))
        try:
            if not siret_clean(registration.company_siret):
                missing.append(_("The company's SIRET."))
        except DomainError as exc:
            missing.append(exc.message)
        if not registration.company_address.strip():
            missing.append(_("The company's address."))
        if not registration.company_contact.strip():
            missing.append(_("The contact person at the company."))
        if not registration.company_billing_email.strip():
            missing.append(_("The company's billing email."))
        if not (registration.agreement_starts_on and registration.agreement_ends_on):
            missing.append(_("The start and end dates of the training agreement."))
        elif registration.agreement_ends_on <= registration.agreement_starts_on:
            missing.append(_("The training agreement must end after it starts."))
    problem = _file_missing(dossier, MODE_FILES[Financing(mode)])
    if problem:
        missing.append(problem)
    return missing


def registration_complete(
    *, registration: Registration, by: Any, now: dt.datetime | None = None
) -> Registration:
    """Complete the registration (R2.6, I8–I10): every piece of the financing mode is there, the
    place is taken (a lapsed offer only while a place is free, I7), the three instalments are
    recorded as due, the candidate becomes a student of the academic year. Safe twice."""
    now = now or timezone.now()
    offering_id = (
        Dossier.objects.filter(pk=registration.dossier_id).values_list("offering_id", flat=True).get()
    )
    with transaction.atomic():
        lock_offering(offering_id)  # first, as every path that takes a place (convention 5)
        # Then the dossier, then the registration: the order `bac5_proof_decide` takes them in.
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("offering__session__cvec", "offering__program", "candidate")
            .get(pk=registration.dossier_id)
        )
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.dossier = dossier
        if registration.status == RegistrationStatus.COMPLETED:
            return registration
        if dossier.candidate_id != getattr(by, "pk", None):
            raise DomainError(_("Only the candidate registers."), code="forbidden")
        if registration.status != RegistrationStatus.DRAFT or dossier.status not in REGISTRABLE:
            raise DomainError(_("This registration can no longer be completed."), code="state")
        missing = registration_missing(registration)
        if missing:
            raise DomainError(
                _("Your registration cannot be completed yet. Still missing: %(list)s")
                % {"list": " ".join(missing)},
                code="missing",
            )
        offer = _offer(dossier)
        if offer is None:
            raise DomainError(_("There is no place to register for on this application."), code="state")
        offer = offer_take(offer=offer, now=now)
        cost = registration_cost(dossier, registration.financing, today=timezone.localtime(now).date())
        Instalment.objects.bulk_create(
            [
                Instalment(
                    registration=registration,
                    number=line.number,
                    amount=line.amount,
                    due_on=line.due_on,
                    debtor=cost.debtor,
                    status=InstalmentStatus.DUE,
                )
                for line in cost.instalments
            ]
        )
        # Issue 9: each instalment an amount due of the ledger, with its reference (imported here:
        # billing's models import registration's).
        from billing.services.ledger import instalment_dues

        instalment_dues(registration)
        student = Student.objects.create(
            user_id=dossier.candidate_id,
            dossier=dossier,
            registration=registration,
            offering_id=dossier.offering_id,
            academic_year=cost.academic_year,
        )
        registration.status, registration.completed_at = RegistrationStatus.COMPLETED, now
        registration.save(update_fields=["status", "completed_at", "updated_at"])
        conditional = offer.conditional and registration.bac5_validated_at is None
        dossier_transition(
            dossier,
            to=DossierStatus.REGISTERED,
            by=by,
            action="registration.complete",
            data={
                "financing": registration.financing,
                "tuition": str(cost.tuition),
                "cvec": str(cost.cvec),
                "instalments": [str(line.amount) for line in cost.instalments],
                "student": student.number,
                "conditional": conditional,
            },
        )
        reg_id = registration.pk
        transaction.on_commit(lambda: _email_confirmation(reg_id))
        transaction.on_commit(lambda: _mandate_prepare(reg_id, by))
    return registration


def _mandate_prepare(registration_id: int, by: Any) -> None:
    """The direct-debit mandate follows the registration at once (I10): a company's signatory gets
    their signing link now; the student signs on their registration page. Without a creditor
    identifier (finance has not set it yet) the mandate waits: the page says so, nothing is lost."""
    from billing.services.mandates import mandate_start

    try:
        mandate_start(registration=Registration.objects.get(pk=registration_id), by=by)
    except DomainError:
        logger.warning("mandate not prepared for registration %s", registration_id, exc_info=True)


def _email_confirmation(registration_id: int) -> None:
    registration = Registration.objects.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session__cvec", "student"
    ).get(pk=registration_id)
    dossier = registration.dossier
    email_send(
        template="registration_confirmed",
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={
            "dossier": dossier,
            "program": dossier.offering.program,
            "registration": registration,
            "student": registration.student,
            "cost": registration_cost(
                dossier, registration.financing, today=timezone.localtime(registration.completed_at).date()
            ),
            "instalments": list(registration.instalments.order_by("number")),
            "conditional": is_conditional(dossier, registration),
        },
        related=dossier,
    )


# ---- the BAC+5 proof (R1.2) -----------------------------------------------------------------


def bac5_proof_decide(*, dossier: Dossier, by: Any, accept: bool, reason: str = "") -> Registration:
    """The admissions office validates or refuses the BAC+5 proof of a conditional admission (R1.2).
    Validated: the admission becomes definitive (a dossier still 'admitted on condition' becomes
    'admitted'; a registered one stays registered, without the condition). Refused: the file is
    marked refused with the reason, and the candidate uploads another. Safe twice."""
    from accounts.roles import ADMISSIONS_OFFICE

    reason = reason.strip()
    if not by.has_perm(ADMISSIONS_OFFICE):
        raise DomainError(_("Only the admissions office checks the BAC+5 proof."), code="forbidden")
    if not accept and not reason:
        raise DomainError(_("Say why the proof is refused: the candidate reads it."), code="reason")
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("candidate", "offering__program")
            .get(pk=dossier.pk)
        )
        offer = _offer(dossier)
        if not ((offer and offer.conditional) or dossier.status == DossierStatus.CONDITIONAL):
            raise DomainError(
                _("This admission is not on condition: there is no BAC+5 proof to check."), code="state"
            )
        registration, _created = Registration.objects.get_or_create(dossier=dossier)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.bac5_validated_at is not None:
            return registration  # already definitive
        proof = current_file(dossier, FileKind.BAC5_PROOF)
        if proof is None:
            raise DomainError(_("The candidate has not uploaded the BAC+5 proof yet."), code="missing")
        if not accept and proof.verdict == FileVerdict.REFUSED:
            return registration  # already refused; the candidate uploads another
        registration_file_verdict(file=proof, by=by, accept=accept, reason=reason)
        now = timezone.now()
        if accept:
            registration.bac5_validated_at, registration.bac5_validated_by = now, by
            registration.save(update_fields=["bac5_validated_at", "bac5_validated_by", "updated_at"])
            if dossier.status == DossierStatus.CONDITIONAL:
                dossier_transition(
                    dossier,
                    to=DossierStatus.ADMITTED,
                    by=by,
                    action="registration.bac5.validate",
                    data={"file": proof.pk},
                )
            else:
                audit_record(
                    actor=by,
                    action="registration.bac5.validate",
                    obj=dossier,
                    data={"file": proof.pk, "status": dossier.status},
                )
        else:
            audit_record(
                actor=by,
                action="registration.bac5.refuse",
                obj=dossier,
                reason=reason,
                data={"file": proof.pk},
            )
        template = "registration_bac5_validated" if accept else "registration_bac5_refused"
        dossier_id = dossier.pk
        transaction.on_commit(lambda: _email_bac5(dossier_id, template, reason))
    return registration


def _email_bac5(dossier_id: int, template: str, reason: str) -> None:
    dossier = Dossier.objects.select_related("candidate", "offering__program").get(pk=dossier_id)
    email_send(
        template=template,
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={"dossier": dossier, "program": dossier.offering.program, "reason": reason},
        related=dossier,
    )


# ---- what the candidate may upload ----------------------------------------------------------


def uploadable_kinds(dossier: Dossier, registration: Registration | None) -> list[str]:
    """The files the candidate may give now: the pieces of every financing mode while the draft is
    open, and the BAC+5 proof while a conditional admission waits for it (also once registered)."""
    kinds: list[str] = []
    offer = _offer(dossier)
    if (
        registration is not None
        and registration.status == RegistrationStatus.DRAFT
        and offer is not None
        and offer.status in FORM_OPEN
    ):
        kinds += [FileKind.CVEC, FileKind.AGREEMENT, FileKind.FRANCE_TRAVAIL]
    if (
        registration is not None
        and registration.status != RegistrationStatus.CANCELLED
        and is_conditional(dossier, registration)
    ):
        kinds.append(FileKind.BAC5_PROOF)
    return kinds


def registration_files(dossier: Dossier) -> dict[str, RegistrationFile]:
    """The current file of each kind."""
    out: dict[str, RegistrationFile] = {}
    for f in RegistrationFile.objects.filter(dossier=dossier, superseded_at__isnull=True).order_by(
        "uploaded_at", "pk"
    ):
        out[f.kind] = f
    return out


# ---- what the candidate sees (dashboard and registration page) ------------------------------


def offer_context(offer: Offer | None, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The countdown of an open window (I7), or, once it is over, whether a place is free now (a
    late registration works only then)."""
    if offer is None:
        return {}
    now = now or timezone.now()
    ctx: dict[str, Any] = {"offer": offer}
    if offer.status == OfferStatus.OPEN and offer.ends_at is not None:
        ctx["days_left"] = rules.days_left(offer.ends_at, now)
        ctx["ends_at"] = offer.ends_at
    if offer.status == OfferStatus.LAPSED or ctx.get("days_left") == -1:
        capacity, held = selectors.places(offer.offering)
        ctx["lapsed"] = True
        ctx["place_free"] = held < capacity
    return ctx


def candidate_state(dossier: Dossier, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Registration's part of a dossier on the candidate's dashboard (issue 8 items 2–4, 6). Reads
    what the dashboard selected and prefetched (offer, registration, its instalments, files)."""
    offer = selectors.offer_or_none(dossier)
    registration = selectors.registration_or_none(dossier)
    entry = selectors.waitlist_entry_or_none(dossier)
    ctx = offer_context(offer, now=now)
    if (
        entry is not None
        and entry.status == WaitlistStatus.WAITING
        and dossier.status == DossierStatus.WAITING_LIST
    ):
        ctx["waiting"] = selectors.waiting_state(entry)
    ctx["registration"] = registration
    if (
        registration is not None
        and registration.status != RegistrationStatus.CANCELLED
        and registration.financing in Financing.values
    ):
        # The cost of the financing chosen at registration, not of the intention given while
        # applying; a completed registration's instalments are dated from its day.
        day = timezone.localtime(registration.completed_at).date() if registration.completed_at else None
        ctx["cost"] = registration_cost(dossier, registration.financing, today=day)
    conditional = bool(offer and offer.conditional)
    ctx["conditional"] = conditional
    if registration is not None and registration.status == RegistrationStatus.COMPLETED:
        ctx["completed"] = True
        ctx["instalments"] = sorted(registration.instalments.all(), key=lambda i: i.number)
        ctx["student"] = getattr(registration, "student", None)
        ctx["financing_label"] = registration.get_financing_display()
    if conditional:
        ctx["bac5_validated_at"] = registration.bac5_validated_at if registration else None
        proofs = [
            f
            for f in dossier.registration_files.all()
            if f.kind == FileKind.BAC5_PROOF and f.superseded_at is None
        ]
        ctx["bac5_file"] = max(proofs, key=lambda f: (f.uploaded_at, f.pk)) if proofs else None
    return ctx
