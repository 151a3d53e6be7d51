"""What reads personal data for the privacy pages, the export and the purge."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Max, QuerySet
from django.utils.text import get_valid_filename

from admission.models import HOLDS_A_PLACE, Decision
from applications.models import WITHDRAWABLE_STATUSES, Dossier, DossierStatus
from applications.services import SECTION_FIELDS
from catalog.models import AdmissionSession, Institution
from notifications.models import OutgoingEmail
from privacy import rules
from privacy.defaults import notice_defaults, statement_defaults
from privacy.models import AccessibilityStatement, ErasedDossier, ErasureRequest, PrivacyNotice

# Every state of a candidate not admitted (SPEC §5). A state added later (registered, student…) is kept
# by default: only what is listed here is ever purged.
PURGEABLE_STATUSES = (
    *WITHDRAWABLE_STATUSES,  # every state before a decision
    DossierStatus.WAITING_LIST,
    DossierStatus.REFUSED,
    DossierStatus.WITHDRAWN,
)


def privacy_notice_for(institution: Institution) -> PrivacyNotice:
    """The institution's notice, or the default one (unsaved) until its office saves one."""
    try:
        return PrivacyNotice.objects.get(institution=institution)
    except PrivacyNotice.DoesNotExist:
        return PrivacyNotice(
            institution=institution,
            **notice_defaults(name=institution.name, address=institution.address, email=institution.email),
        )


def privacy_notices() -> list[PrivacyNotice]:
    """One notice per institution (usually one)."""
    saved = {n.institution_id: n for n in PrivacyNotice.objects.select_related("institution")}
    return [saved.get(i.pk) or privacy_notice_for(i) for i in Institution.objects.order_by("name")]


def accessibility_statements() -> list[AccessibilityStatement]:
    """One statement per institution: the saved one, or the default (unsaved) until its office saves one."""
    saved = {s.institution_id: s for s in AccessibilityStatement.objects.select_related("institution")}
    return [
        saved.get(i.pk)
        or AccessibilityStatement(institution=i, **statement_defaults(address=i.address, email=i.email))
        for i in Institution.objects.order_by("name")
    ]


def retention_days() -> int:
    return int(settings.PRIVACY_FILE_RETENTION_DAYS)


def session_last_day_kept(session: AdmissionSession, *, days: int | None = None) -> dt.date:
    last_sitting = getattr(session, "last_sitting_on", None)
    if last_sitting is None:
        last_sitting = session.sittings.aggregate(last=Max("sits_on"))["last"]
    end = rules.campaign_end(session.closes_on, last_sitting)
    return rules.last_day_kept(end, retention_days() if days is None else days)


def expired_session_ids(at: dt.datetime, *, days: int | None = None) -> list[int]:
    days = retention_days() if days is None else days
    sessions = AdmissionSession.objects.annotate(last_sitting_on=Max("sittings__sits_on"))
    return [
        s.pk
        for s in sessions
        if rules.is_expired(rules.campaign_end(s.closes_on, s.last_sitting_on), days, at)
    ]


def dossiers_to_purge(at: dt.datetime, *, days: int | None = None) -> QuerySet[Dossier]:
    """Dossiers of candidates not admitted whose session's retention period has passed, not yet erased."""
    return (
        Dossier.objects.filter(
            offering__session_id__in=expired_session_ids(at, days=days), status__in=PURGEABLE_STATUSES
        )
        .exclude(pk__in=ErasedDossier.objects.values("dossier_id"))
        .exclude(decision__outcome__in=HOLDS_A_PLACE)
        .order_by("pk")
    )


def live_dossiers(user: Any) -> QuerySet[Dossier]:
    """The person's dossiers that still hold personal data."""
    return Dossier.objects.filter(candidate_id=user.pk).exclude(
        pk__in=ErasedDossier.objects.values("dossier_id")
    )


def is_kept(dossier: Dossier) -> bool:
    """An admitted candidate's dossier is kept for their registration and studies (not purged)."""
    if dossier.status not in PURGEABLE_STATUSES:
        return True
    decision = Decision.objects.filter(dossier=dossier).first()
    return decision is not None and decision.outcome in HOLDS_A_PLACE


def pending_erasure(user: Any) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user_id=user.pk, completed_at__isnull=True).first()


@dataclass(frozen=True)
class DataSummary:
    dossiers: int
    files: int
    emails: int


def data_summary(user: Any) -> DataSummary:
    dossiers = live_dossiers(user)
    return DataSummary(
        dossiers=dossiers.count(),
        files=sum(d.files.count() for d in dossiers),
        emails=OutgoingEmail.objects.filter(to__iexact=user.email).count(),
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def personal_data(user: Any) -> dict[str, Any]:
    """Everything Cursus holds about the person, as they may read it (GDPR art. 15 and 20).

    Assessments of the person (the director's opinion, interview notes, the jury's comment) are
    their personal data too, and are included once the jury's decision is final (I5): before that a
    provisional decision is not known to anyone outside the jury. Staff members' names are left out
    (their own personal data, art. 15(4)); their role is given instead."""
    from allauth.account.models import EmailAddress

    account = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user_id=user.pk)
        ],
    }
    dossiers = []
    qs = (
        live_dossiers(user)
        .select_related("offering__program", "offering__session__institution", "sitting")
        .prefetch_related("files__document_type", "fee_payments", "interviews")
        .order_by("pk")
    )
    for d in qs:
        decision = Decision.objects.filter(dossier=d).select_related("sitting").first()
        final = decision is not None and decision.is_final
        sections = {
            name: {field: _iso(getattr(d, field)) for field in fields}
            for name, fields in SECTION_FIELDS.items()
        }
        entry: dict[str, Any] = {
            "number": d.number,
            "institution": d.offering.session.institution.name,
            "program": d.offering.program.code,
            "program_title": d.offering.program.title,
            "session": d.offering.session.name,
            "status": d.status,
            "created_at": _iso(d.created_at),
            "updated_at": _iso(d.updated_at),
            "submitted_at": _iso(d.submitted_at),
            "missing": d.missing,
            "international": d.is_international,
            "international_override": d.international_override,
            "international_override_reason": d.international_override_reason,
            "sections": sections,
            "documents": [
                {
                    "id": f.pk,
                    "document": f.document_type.code,
                    "label": f.document_type.label,
                    "role": f.role,
                    "language": f.language,
                    "file_name": f.original_name,
                    "content_type": f.content_type,
                    "size": f.size,
                    "sha256": f.sha256,
                    "uploaded_at": _iso(f.uploaded_at),
                    "replaced_at": _iso(f.superseded_at),
                    "check": f.verdict,
                    "check_reason": f.verdict_reason,
                    "checked_at": _iso(f.verdict_at),
                    "in_archive": export_file_name(d, f),
                }
                for f in d.files.all()
            ],
            "payments": [
                {
                    "channel": p.channel,
                    "status": p.status,
                    "amount": str(p.amount),
                    "reference": p.reference,
                    "paid_on": _iso(p.paid_on),
                    "declared_at": _iso(p.declared_at),
                    "booked_on": _iso(p.booked_on),
                    "confirmed_at": _iso(p.confirmed_at),
                    "note": p.note,
                }
                for p in d.fee_payments.all()
            ],
            "interviews": [
                {
                    "starts_at": _iso(i.starts_at),
                    "duration_minutes": i.duration_minutes,
                    "mode": i.mode,
                    "link": i.link,
                    "phone": i.phone,
                    "status": i.status,
                    "your_message": i.candidate_message,
                    "notes": i.notes if final else None,
                }
                for i in d.interviews.all()
            ],
            "registration": registration_data(d),
            "opinion": None,
            "decision": None,
            "assessments_withheld_until_final_decision": not final and d.status != DossierStatus.DRAFT,
        }
        opinion = getattr(d, "opinion", None) if final else None
        if opinion is not None:
            entry["opinion"] = {
                "by": "program director",
                "favourable": opinion.favourable,
                "comment": opinion.comment,
                "given_at": _iso(opinion.given_at),
            }
        if final and decision is not None:
            entry["decision"] = {
                "outcome": decision.outcome,
                "waiting_list_rank": decision.waitlist_rank,
                "comment": decision.comment,
                "sitting": decision.sitting.name,
                "sitting_date": _iso(decision.sitting.sits_on),
                "decided_at": _iso(decision.decided_at),
                "notified_at": _iso(decision.notified_at),
            }
        dossiers.append(entry)
    emails = [
        {
            "kind": e.kind,
            "subject": e.subject,
            "language": e.language,
            "created_at": _iso(e.created_at),
            "sent_at": _iso(e.sent_at),
            "status": e.status,
        }
        for e in OutgoingEmail.objects.filter(to__iexact=user.email).order_by("created_at", "pk")
    ]
    requests = [
        {"cause": r.cause, "asked_at": _iso(r.requested_at), "erase_after": _iso(r.erase_on)}
        for r in ErasureRequest.objects.filter(user_id=user.pk)
    ]
    return {
        "format": "cursus-personal-data/1",
        "account": account,
        "dossiers": dossiers,
        "emails": emails,
        "erasure_requests": requests,
    }


def export_file_name(dossier: Dossier, f: Any) -> str:
    """Where an uploaded file goes in the archive: never a path the candidate chose."""
    try:
        safe = get_valid_filename(f.original_name)
    except SuspiciousFileOperation:  # a name made only of dots
        safe = "file"
    folder = "registration" if hasattr(f, "kind") else "files"
    return f"{folder}/{dossier.number}/{f.pk}-{safe}"


def registration_data(d: Dossier) -> dict[str, Any] | None:
    """The registration side of a dossier (issue 8): offer, waiting list, registration, instalments,
    visa, studentship and files."""
    from registration.models import (
        Instalment,
        Offer,
        Registration,
        RegistrationFile,
        Student,
        VisaCase,
        WaitlistEntry,
    )

    offer = Offer.objects.filter(dossier=d).first()
    entry = WaitlistEntry.objects.filter(dossier=d).first()
    reg = Registration.objects.filter(dossier=d).first()
    visa = VisaCase.objects.filter(dossier=d).first()
    student = Student.objects.filter(dossier=d).first()
    files = list(RegistrationFile.objects.filter(dossier=d).order_by("pk"))
    if not any((offer, entry, reg, visa, student, files)):
        return None
    return {
        "offer": None
        if offer is None
        else {
            "status": offer.status,
            "conditional": offer.conditional,
            "sent_at": _iso(offer.sent_at),
            "ends_at": _iso(offer.ends_at),
            "extended_at": _iso(offer.extended_at),
            "extension_reason": offer.extension_reason,
            "closed_at": _iso(offer.closed_at),
        },
        "waiting_list": None if entry is None else {"status": entry.status},
        "registration": None
        if reg is None
        else {
            "status": reg.status,
            "financing": reg.financing,
            "cvec_number": reg.cvec_number,
            "company_name": reg.company_name,
            "company_siret": reg.company_siret,
            "company_address": reg.company_address,
            "company_contact": reg.company_contact,
            "company_billing_email": reg.company_billing_email,
            "agreement_starts_on": _iso(reg.agreement_starts_on),
            "agreement_ends_on": _iso(reg.agreement_ends_on),
            "bac5_validated_at": _iso(reg.bac5_validated_at),
            "completed_at": _iso(reg.completed_at),
            "cancelled_at": _iso(reg.cancelled_at),
            "cancel_reason": reg.cancel_reason,
            "instalments": [
                {"number": i.number, "amount": str(i.amount), "due_on": _iso(i.due_on), "status": i.status}
                for i in Instalment.objects.filter(registration=reg).order_by("number")
            ],
        },
        "visa": None
        if visa is None
        else {
            "efe_number": visa.efe_number,
            "status": visa.status,
            "reported_at": _iso(visa.reported_at),
            "decided_at": _iso(visa.decided_at),
            "reason": visa.decision_reason,
        },
        "student": None
        if student is None
        else {"number": student.number, "academic_year": student.academic_year, "status": student.status},
        "files": [
            {
                "id": f.pk,
                "document": f.kind,
                "file_name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "uploaded_at": _iso(f.uploaded_at),
                "replaced_at": _iso(f.superseded_at),
                "check": f.verdict,
                "check_reason": f.verdict_reason,
                "in_archive": export_file_name(d, f),
            }
            for f in files
        ],
    }


def kept_dossiers(user: Any) -> list[Dossier]:
    """The person's dossiers that no erasure touches: admitted, kept for registration."""
    dossiers = live_dossiers(user).select_related("offering__program", "offering__session")
    return [d for d in dossiers if is_kept(d)]
