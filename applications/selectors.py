"""What reads dossiers. Every view reaches a dossier or a document through these (convention 9)."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.roles import ADMISSIONS_OFFICE, FINANCE, JURY_MEMBER, PROGRAM_DIRECTOR
from applications.models import (
    DocumentFile,
    DocumentLanguage,
    DocumentRole,
    Dossier,
    DossierStatus,
    FeePayment,
    PaymentStatus,
    Verdict,
)
from applications.rules import ascii_fold
from catalog.models import DocumentRequirement, DocumentType

NOT_YET_FOR_DIRECTORS = (
    DossierStatus.DRAFT,
    DossierStatus.SUBMITTED,
    DossierStatus.INCOMPLETE,
    DossierStatus.WITHDRAWN,
)


def never_submitted() -> Q:
    """A candidate's draft, for staff: a dossier not submitted yet, or withdrawn before it ever was
    (issue 6 item 4). Staff see such dossiers only as counts, never a row, a page or a file."""
    return Q(status=DossierStatus.DRAFT) | Q(status=DossierStatus.WITHDRAWN, submitted_at__isnull=True)


def dossiers_visible_to(user: Any) -> QuerySet[Dossier]:
    """SPEC §0, least privilege (issue 6 item 4): the candidate their own dossiers; the office the
    submitted dossiers of its institution; a program director the checked dossiers of their own
    programs; a jury member the dossiers of their sittings. Finance reaches no dossier: it works on
    payments (`applications.staff_views`), which carry what identifies the payer."""
    qs = Dossier.objects.select_related("offering__session__cvec", "offering__program", "candidate")
    if not user.is_authenticated:
        return qs.none()
    mine = Q(candidate=user)
    staff = Q()
    if user.has_perm(ADMISSIONS_OFFICE):
        office = Q(pk__isnull=False)
        if user.institution_id:
            office &= Q(offering__session__institution_id=user.institution_id)
        staff |= office
    if user.has_perm(PROGRAM_DIRECTOR):
        # Directors read the dossiers of their own programs once the office found them complete.
        staff |= Q(offering__program__directors=user) & ~Q(status__in=NOT_YET_FOR_DIRECTORS)
    if user.has_perm(JURY_MEMBER):
        # Jury members read the dossiers presented to the sittings they sit on.
        staff |= Q(sitting__members=user) | Q(sitting__president=user)
    if staff:
        mine |= staff & ~never_submitted()
    return qs.filter(pk__in=Dossier.objects.filter(mine).values("pk"))


def get_dossier_for_user(user: Any, pk: Any) -> Dossier:
    """The dossier if this person may see it; 404 otherwise, whatever the reason."""
    try:
        return dossiers_visible_to(user).get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_own_dossier(user: Any, pk: Any) -> Dossier:
    """Only the candidate themself may change their dossier."""
    try:
        return Dossier.objects.select_related(
            "offering__session__cvec", "offering__session__institution", "offering__program__campus"
        ).get(pk=pk, candidate=user)
    except (Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_document_for_user(user: Any, dossier_pk: Any, file_pk: Any) -> DocumentFile:
    dossier = get_dossier_for_user(user, dossier_pk)
    try:
        return dossier.files.select_related("document_type").get(pk=file_pk)
    except (DocumentFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def required_document_types(dossier: Dossier, types: list[DocumentType] | None = None) -> list[DocumentType]:
    """I16: the documents this dossier needs, given its path and program."""
    if types is None:
        types = list(
            DocumentType.objects.filter(session_id=dossier.offering.session_id).prefetch_related("programs")
        )
    out = []
    for t in types:
        program_ids = {p.pk for p in t.programs.all()}
        if program_ids and dossier.offering.program_id not in program_ids:
            continue
        if t.requirement == DocumentRequirement.OPTIONAL:
            continue
        if t.requirement == DocumentRequirement.ON_REQUEST and not dossier.other_document_asked:
            continue
        if t.requirement == DocumentRequirement.PATH_D and dossier.eligibility_path != "d":
            continue
        if t.requirement == DocumentRequirement.BAC5_IN_PROGRESS and not dossier.bac5_in_progress:
            continue
        out.append(t)
    return out


@dataclass
class DocumentSlot:
    type: DocumentType
    required: bool
    current: DocumentFile | None = None
    translation: DocumentFile | None = None
    history: list[DocumentFile] = field(default_factory=list)

    @property
    def needs_translation(self) -> bool:
        return self.current is not None and self.current.language == DocumentLanguage.OTHER

    @property
    def is_done(self) -> bool:
        return self.current is not None and (not self.needs_translation or self.translation is not None)


def document_slots(dossier: Dossier, types: list[DocumentType] | None = None) -> list[DocumentSlot]:
    """Each document type of the session with its current file, translation and history. ``types``: the
    session's document types when already read (the dashboard's, from the catalogue cache); the files are read from
    ``dossier.files`` as prefetched, if they were."""
    if types is None:
        types = list(
            DocumentType.objects.filter(session_id=dossier.offering.session_id).prefetch_related("programs")
        )
    required = {t.pk for t in required_document_types(dossier, types)}
    slots: dict[int, DocumentSlot] = {}
    for t in types:
        program_ids = {p.pk for p in t.programs.all()}
        if program_ids and dossier.offering.program_id not in program_ids:
            continue
        slots[t.pk] = DocumentSlot(type=t, required=t.pk in required)
    # Newest first, sorted here so that prefetched files are used as they are.
    for f in sorted(dossier.files.all(), key=lambda f: (f.uploaded_at, f.pk), reverse=True):
        slot = slots.get(f.document_type_id)
        if slot is None:
            continue
        if f.superseded_at is not None:
            slot.history.append(f)
        elif f.role == DocumentRole.TRANSLATION:
            slot.translation = f
        else:
            slot.current = f
    # A conditional document that does not apply (e.g. path (d) proof on path (a)) is not shown,
    # unless something was uploaded for it.
    return [
        s
        for s in slots.values()
        if s.required or s.type.requirement == DocumentRequirement.OPTIONAL or s.current or s.history
    ]


def fee_status(dossier: Dossier) -> FeePayment | None:
    """The payment that counts: a confirmed one, else the latest declared one."""
    payments = list(dossier.fee_payments.all())
    for p in payments:
        if p.status == PaymentStatus.CONFIRMED:
            return p
    for p in payments:
        if p.status == PaymentStatus.DECLARED:
            return p
    return None


@dataclass
class Checklist:
    identity: bool
    contact: bool
    eligibility: bool
    financing: bool
    documents: bool
    fee: bool
    missing: list[str]

    @property
    def ready(self) -> bool:
        return not self.missing


IDENTITY_FIELDS = ["last_name", "first_names", "birth_date", "birth_place", "nationality"]
CONTACT_FIELDS = ["phone", "address", "postal_code", "city", "country"]


def dossier_checklist(dossier: Dossier, slots: list[DocumentSlot] | None = None) -> Checklist:
    """What is still missing before the dossier can be submitted (I3)."""
    missing: list[str] = []
    identity = all(getattr(dossier, f) for f in IDENTITY_FIELDS)
    if not identity:
        missing.append(_("Identity: complete every field."))
    contact = all(getattr(dossier, f) for f in CONTACT_FIELDS)
    if not contact:
        missing.append(_("Contact details: complete every field."))
    elig = dossier.eligibility()
    eligibility_ok = bool(elig.eligible) and bool(dossier.diploma_title)
    if not eligibility_ok:
        missing.append(
            _("Eligibility: %(message)s") % {"message": elig.message}
            if elig.eligible is not True
            else _("Eligibility: name your highest diploma.")
        )
    financing = bool(dossier.financing_intention)
    if not financing:
        missing.append(_("Financing: say how you intend to finance the training."))
    if slots is None:
        slots = document_slots(dossier)
    documents = True
    for slot in slots:
        if slot.current is None and not slot.required:
            continue
        if slot.current is None:
            documents = False
            missing.append(_("Document missing: %(label)s") % {"label": slot.type.label})
        elif any(f is not None and f.verdict == Verdict.REFUSED for f in (slot.current, slot.translation)):
            # Refused by the office (issue 7 §1): the dossier goes back only once it is replaced.
            documents = False
            missing.append(_("Document refused, replace it: %(label)s") % {"label": slot.type.label})
        elif slot.needs_translation and slot.translation is None:
            documents = False
            missing.append(
                _("Translation missing (French or English): %(label)s") % {"label": slot.type.label}
            )
    fee = fee_status(dossier) is not None
    if not fee:
        missing.append(_("Application fee: pay it and declare the payment."))
    return Checklist(identity, contact, eligibility_ok, financing, documents, fee, missing)


# ---- lists that find things (issue 7 item 5) ------------------------------------------------------------


def search_key(*parts: str) -> str:
    """Lower-case ASCII words, accents and punctuation dropped: "Nguyễn Văn-An" → "nguyen van an".
    Stored in ``Dossier.search_name`` and applied to what staff type, so both sides compare alike."""
    return " ".join(re.findall(r"[a-z0-9]+", ascii_fold(" ".join(parts)).lower()))


# "42", "0042", "000042", "n° 42": a dossier's number is its id shown on six digits.
_NUMBER = re.compile(r"(?:n\s*[°o]\.?\s*)?0*(\d{1,9})", re.IGNORECASE)


def dossier_search(q: str, *, prefix: str = "") -> Q:
    """Dossiers a search finds: every word in the name (accents and case ignored), the email, the
    diploma, or the dossier's number with or without leading zeros. ``prefix`` reaches the dossier from
    another model (``"dossier__"`` from a payment)."""
    q = q.strip()
    if not q:
        return Q()
    found = (
        Q(**{f"{prefix}candidate__email__icontains": q})
        | Q(**{f"{prefix}diploma_title__icontains": q})
        | Q(**{f"{prefix}last_name__icontains": q})
    )
    words = search_key(q).split()
    if words:
        by_name = Q()
        for word in words:
            by_name &= Q(**{f"{prefix}search_name__contains": word})
        found |= by_name
    number = _NUMBER.fullmatch(q)
    if number:
        found |= Q(**{f"{prefix}pk": int(number.group(1))})
    return found


class FeeState:
    """What a dossier's application fee is at, for the lists' filter and column."""

    CONFIRMED = "confirmed"
    DECLARED = "declared"
    NONE = "none"

    @staticmethod
    def choices() -> list[tuple[str, str]]:
        return [
            (FeeState.CONFIRMED, _("Fee confirmed")),
            (FeeState.DECLARED, _("Fee declared, to confirm")),
            (FeeState.NONE, _("No fee payment")),
        ]


def filter_fee_state(qs: QuerySet[Dossier], fee: str) -> QuerySet[Dossier]:
    """Dossiers whose fee is ``fee`` (a ``FeeState``; any other value filters nothing), annotated with
    ``fee_confirmed`` and ``fee_declared`` for the lists' column (subqueries: no query per row)."""
    payments = FeePayment.objects.filter(dossier=OuterRef("pk"))
    confirmed = Exists(payments.filter(status=PaymentStatus.CONFIRMED))
    declared = Exists(payments.filter(status=PaymentStatus.DECLARED))
    qs = qs.annotate(fee_confirmed=confirmed, fee_declared=declared)
    if fee == FeeState.CONFIRMED:
        return qs.filter(confirmed)
    if fee == FeeState.DECLARED:
        return qs.filter(~confirmed, declared)
    if fee == FeeState.NONE:
        return qs.filter(~confirmed, ~declared)
    return qs


def payments_visible_to(user: Any) -> QuerySet[FeePayment]:
    """Fee payments finance may see: those of its institution, or all for unscoped staff."""
    qs = FeePayment.objects.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session", "confirmed_by"
    )
    if getattr(user, "institution_id", None):
        qs = qs.filter(dossier__offering__session__institution_id=user.institution_id)
    return qs


def fee_payment_list(
    user: Any, *, status: str = PaymentStatus.DECLARED, q: str = "", session: str = "", program: str = ""
) -> QuerySet[FeePayment]:
    """The finance list: the oldest declaration first; ``status`` "all" shows every payment."""
    if not user.has_perm(FINANCE):
        raise Http404
    qs = payments_visible_to(user).order_by("declared_at", "id")
    if status in PaymentStatus.values:
        qs = qs.filter(status=status)
    if session:
        qs = qs.filter(dossier__offering__session_id=int(session)) if session.isdigit() else qs.none()
    if program:
        qs = qs.filter(dossier__offering__program_id=int(program)) if program.isdigit() else qs.none()
    q = q.strip()
    if q:
        qs = qs.filter(Q(reference__icontains=q) | dossier_search(q, prefix="dossier__"))
    return qs


def fees_to_confirm(user: Any) -> int:
    """Declared payments waiting for finance (the count beside its screen, issue 7 item 4)."""
    return payments_visible_to(user).filter(status=PaymentStatus.DECLARED).count()
