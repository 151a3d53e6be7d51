"""What registration reads: the places held (I6), the waiting list and a candidate's offer."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from admission.models import HOLDS_A_PLACE, Decision
from applications.models import Dossier, DossierStatus
from catalog.models import Offering
from privacy.models import ErasedDossier
from registration.models import HOLDING, Offer, Registration, RegistrationFile, WaitlistEntry, WaitlistStatus


def _count(qs: QuerySet) -> Coalesce:  # type: ignore[type-arg]
    return Coalesce(
        Subquery(qs.order_by().values("offering_id").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def held_expression() -> Coalesce:
    """I6, issue 8 item 1, as an annotation on offerings: the offers that hold a place (open or
    registered) and the admissions that have no offer yet (a sitting still open, or closed with its
    letter not sent yet). One definition for the jury screen, registration and the scheduler."""
    offers = Offer.objects.filter(offering_id=OuterRef("pk"), status__in=HOLDING)
    pending = Decision.objects.filter(
        offering_id=OuterRef("pk"), outcome__in=HOLDS_A_PLACE, dossier__offer__isnull=True
    )
    return _count(offers) + _count(pending)  # type: ignore[return-value]


def places_held(offering_id: int) -> int:
    offers = Offer.objects.filter(offering_id=offering_id, status__in=HOLDING).count()
    pending = Decision.objects.filter(
        offering_id=offering_id, outcome__in=HOLDS_A_PLACE, dossier__offer__isnull=True
    ).count()
    return offers + pending


def places(offering: Offering) -> tuple[int, int]:
    """(capacity, places held). Read under the offering's row lock when a place is to be taken."""
    return offering.capacity, places_held(offering.pk)


def waiting(offering_id: int) -> QuerySet[WaitlistEntry]:
    """The program's waiting list in the order places are offered."""
    return (
        WaitlistEntry.objects.filter(offering_id=offering_id, status=WaitlistStatus.WAITING)
        .select_related("dossier__candidate", "dossier__offering__program")
        .order_by("sort_key", "pk")
    )


def still_waiting(dossier: Dossier) -> bool:
    """A waiting-list candidate who can still be offered a place: not withdrawn or moved on, not erased
    (an erased dossier keeps its status), account not closed."""
    return (
        dossier.status == DossierStatus.WAITING_LIST
        and dossier.candidate.is_active
        and not ErasedDossier.objects.filter(dossier_id=dossier.pk).exists()
    )


def waitlist_rank(entry: WaitlistEntry) -> int:
    """1 for the next candidate to be offered a place (those who left on the way do not count)."""
    ahead = (
        WaitlistEntry.objects.filter(offering_id=entry.offering_id, status=WaitlistStatus.WAITING)
        .filter(Q(sort_key__lt=entry.sort_key) | Q(sort_key=entry.sort_key, pk__lt=entry.pk))
        .filter(dossier__status=DossierStatus.WAITING_LIST, dossier__candidate__is_active=True)
        .exclude(dossier_id__in=ErasedDossier.objects.values("dossier_id"))
    )
    return ahead.count() + 1


def offer_or_none(dossier: Dossier) -> Offer | None:
    try:
        return dossier.offer
    except Offer.DoesNotExist:
        return None


def registration_or_none(dossier: Dossier) -> Registration | None:
    try:
        return dossier.registration
    except Registration.DoesNotExist:
        return None


def waitlist_entry_or_none(dossier: Dossier) -> WaitlistEntry | None:
    try:
        return dossier.waitlist_entry
    except WaitlistEntry.DoesNotExist:
        return None


@dataclass(frozen=True)
class WaitingState:
    rank: int
    places_left: int
    capacity: int


def waiting_state(entry: WaitlistEntry) -> WaitingState:
    """What a waiting-list candidate sees: their rank and the places left (issue 8 item 3)."""
    offering = entry.offering
    held = places_held(offering.pk)
    return WaitingState(
        rank=waitlist_rank(entry), places_left=max(offering.capacity - held, 0), capacity=offering.capacity
    )


# ---- who sees what (convention 9) ------------------------------------------------------------


def registration_dossiers_visible_to(user: Any) -> QuerySet[Dossier]:
    """Dossiers past the decision that a staff member may see on the registration screens: the
    office and finance those of their institution (finance collects the tuition and approves visa
    refusals, I11), a program director those of their own programs. Nobody else."""
    return registration_dossiers_in_scope(**registration_scope(user))


def registration_scope(user: Any) -> dict[str, Any]:
    """What decides the dossiers a person sees (``registration_dossiers_in_scope``'s arguments)."""
    from accounts.roles import ADMISSIONS_OFFICE, FINANCE, PROGRAM_DIRECTOR

    if not getattr(user, "is_authenticated", False):
        return {"whole": False, "institution_id": None, "director_id": None}
    return {
        "whole": user.has_perm(ADMISSIONS_OFFICE) or user.has_perm(FINANCE),
        "institution_id": getattr(user, "institution_id", None) or None,
        "director_id": user.pk if user.has_perm(PROGRAM_DIRECTOR) else None,
    }


def registration_dossiers_in_scope(
    *, whole: bool, institution_id: int | None, director_id: int | None
) -> QuerySet[Dossier]:
    """The office and finance (``whole``) see every dossier past the decision, of their institution
    when they have one; a director (``director_id``) those of their programs."""
    qs = Dossier.objects.filter(decision__isnull=False).select_related(
        "offering__program", "offering__session", "candidate"
    )
    scope = Q()
    if whole:
        everything = Q(pk__isnull=False)
        if institution_id:
            everything &= Q(offering__session__institution_id=institution_id)
        scope |= everything
    if director_id is not None:
        scope |= Q(offering__program__directors=director_id)
    if not scope:
        return qs.none()
    return qs.filter(pk__in=Dossier.objects.filter(scope).values("pk"))


def get_registration_dossier_for_staff(user: Any, pk: Any) -> Dossier:
    try:
        return registration_dossiers_visible_to(user).get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_registration_file_for_user(user: Any, dossier_pk: Any, file_pk: Any) -> RegistrationFile:
    """The candidate's own file, or a file of a dossier this staff member sees; 404 otherwise."""
    own = Dossier.objects.filter(pk=dossier_pk, candidate_id=getattr(user, "pk", None))
    try:
        dossier = own.get() if own.exists() else get_registration_dossier_for_staff(user, dossier_pk)
        return RegistrationFile.objects.get(pk=file_pk, dossier=dossier)
    except (RegistrationFile.DoesNotExist, Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
