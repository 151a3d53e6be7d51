"""What the staff registration screens read (issue 8 item 6): registrations by program and state,
the places of each program, the waiting lists with their ranks, the students. Every list is scoped by
`registration.selectors.registration_dossiers_visible_to` (convention 9) and makes a constant number
of queries whatever the number of rows (convention 16)."""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import router
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from accounts.roles import ADMISSIONS_OFFICE, FINANCE, PROGRAM_DIRECTOR
from applications.models import Dossier
from applications.rules import Financing
from applications.selectors import dossier_search
from catalog.models import AdmissionSession, Offering, Program
from cursus.compiled import run_compiled
from registration import rules
from registration.models import (
    FileKind,
    FileVerdict,
    OfferStatus,
    RegistrationFile,
    Student,
    StudentStatus,
    VisaStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from registration.selectors import (
    held_expression,
    registration_dossiers_in_scope,
    registration_dossiers_visible_to,
    registration_scope,
)

# The states a registration list filters on: the offer's, and the waiting list.
WAITING = "waiting"
STATES: list[tuple[str, Any]] = [
    (OfferStatus.OPEN, pgettext_lazy("registrations", "Place offered, window open")),
    (OfferStatus.REGISTERED, pgettext_lazy("registrations", "Registered")),
    (OfferStatus.LAPSED, pgettext_lazy("registrations", "Window over (lapsed)")),
    (OfferStatus.DECLINED, pgettext_lazy("registrations", "Declined")),
    (OfferStatus.RELEASED, pgettext_lazy("registrations", "Released or cancelled")),
    (WAITING, pgettext_lazy("registrations", "Waiting list")),
]
SORTS = {
    "name": ("last_name", "first_names"),
    "-name": ("-last_name", "-first_names"),
}
# The "to do" filters of the registrations screen: BAC+5 proofs to check, windows ending soon.
PROOFS = "proofs"
ENDING = "ending"
TODO = (PROOFS, ENDING)
# A student number is the academic year's first four digits and the student's id on five digits or more.
_STUDENT_NUMBER = re.compile(r"(\d{4})(\d{5,})")
# What waits for the office on the registrations screen: windows ending within this many days.
ENDING_SOON_DAYS = 5


def may_see_registrations(user: Any) -> bool:
    """The office and finance of the institution, a director of at least one program (convention 9)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm(ADMISSIONS_OFFICE) or user.has_perm(FINANCE):
        return True
    # Asked by the view and again by each selector it calls: one query per request.
    cached = getattr(user, "_sees_registrations", None)
    if cached is None:
        cached = user.has_perm(PROGRAM_DIRECTOR) and Program.objects.filter(directors=user).exists()
        user._sees_registrations = cached
    return bool(cached)


def _check(user: Any) -> None:
    if not may_see_registrations(user):
        raise Http404


def list_params(data: Mapping[str, str]) -> dict[str, str]:
    return {
        "status": data.get("status", ""),
        "q": data.get("q", "").strip(),
        "program": data.get("program", ""),
        "session": data.get("session", ""),
        "sort": data.get("sort", "name"),
        "todo": data.get("todo", ""),
    }


def student_number_search(q: str, *, prefix: str = "") -> Q:
    """A student found by their number (``academic_year[:4]`` and the id on five digits)."""
    number = _STUDENT_NUMBER.fullmatch(q.strip())
    if not number:
        return Q(pk__in=[])
    return Q(**{f"{prefix}academic_year__startswith": number.group(1), f"{prefix}pk": int(number.group(2))})


def _pending_proof() -> Exists:
    return Exists(
        RegistrationFile.objects.filter(
            dossier_id=OuterRef("pk"),
            kind=FileKind.BAC5_PROOF,
            superseded_at__isnull=True,
            verdict=FileVerdict.PENDING,
        )
    )


def _rank_expression() -> Subquery:
    """The current rank of a waiting dossier (1 = next offered), as an annotation on dossiers."""
    ahead = (
        WaitlistEntry.objects.filter(
            offering_id=OuterRef("waitlist_entry__offering_id"), status=WaitlistStatus.WAITING
        )
        .filter(
            Q(sort_key__lt=OuterRef("waitlist_entry__sort_key"))
            | Q(sort_key=OuterRef("waitlist_entry__sort_key"), pk__lt=OuterRef("waitlist_entry__pk"))
        )
        .order_by()
        .values("offering_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(ahead), Value(0), output_field=IntegerField()) + 1  # type: ignore[return-value]


def _scope(qs: QuerySet[Any], *, program: str, session: str, prefix: str = "") -> QuerySet[Any]:
    if program:
        qs = qs.filter(**{f"{prefix}offering__program_id": program}) if program.isdigit() else qs.none()
    if session:
        qs = qs.filter(**{f"{prefix}offering__session_id": session}) if session.isdigit() else qs.none()
    return qs


def registrations(
    user: Any,
    *,
    status: str = "",
    q: str = "",
    program: str = "",
    session: str = "",
    sort: str = "name",
    todo: str = "",
) -> QuerySet[Dossier]:
    """Dossiers with a place offered or on a waiting list, by state (issue 8 item 6)."""
    _check(user)
    qs = (
        registration_dossiers_visible_to(user)
        .filter(Q(offer__isnull=False) | Q(waitlist_entry__isnull=False))
        .select_related("offer", "waitlist_entry", "registration", "student", "visa")
        .annotate(rank=_rank_expression())
    )
    if status == WAITING:
        qs = qs.filter(waitlist_entry__status=WaitlistStatus.WAITING)
    elif status in OfferStatus.values:
        qs = qs.filter(offer__status=status)
    elif status:
        qs = qs.none()
    qs = _scope(qs, program=program, session=session)
    now = timezone.now()
    if todo == PROOFS:
        qs = qs.filter(_pending_proof(), offer__conditional=True)
    elif todo == ENDING:
        qs = qs.filter(
            offer__status=OfferStatus.OPEN,
            offer__ends_at__gte=now,
            offer__ends_at__lt=now + dt.timedelta(days=ENDING_SOON_DAYS),
        )
    if q:
        qs = qs.filter(
            dossier_search(q)
            | Q(registration__company_name__icontains=q)
            | student_number_search(q, prefix="student__")
        )
    if sort == "ends":
        # The open windows ending soonest first, whatever the program; then every other row.
        qs = qs.annotate(
            window_open=Case(
                When(offer__status=OfferStatus.OPEN, offer__ends_at__isnull=False, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        return qs.order_by(
            "window_open",
            F("offer__ends_at").asc(nulls_last=True),
            "offering__program__code",
            "last_name",
            "first_names",
            "pk",
        )
    order = SORTS.get(sort, SORTS["name"])
    return qs.order_by("offering__program__code", *order, "pk")


def decorate(rows: Iterable[Dossier], *, now: dt.datetime | None = None) -> list[Dossier]:
    """Adds what a row shows and the database does not hold: the days left of an open window."""
    now = now or timezone.now()
    out = []
    for d in rows:
        offer = getattr(d, "offer", None)
        ends_at = offer.ends_at if offer is not None else None
        d.days_left = rules.days_left(ends_at, now) if ends_at and offer.status == OfferStatus.OPEN else None  # type: ignore[attr-defined,union-attr]
        out.append(d)
    return out


@dataclass
class ProgramPlaces:
    offering: Offering
    capacity: int
    held: int
    waiting: list[WaitlistEntry] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(self.capacity - self.held, 0)


def program_places(user: Any, *, program: str = "", session: str = "") -> list[ProgramPlaces]:
    """The header of each program: capacity, places held (I6, one annotation for all programs),
    places left, and its waiting list in order (two queries in all)."""
    _check(user)
    visible = _scope(registration_dossiers_visible_to(user), program=program, session=session)
    offerings = list(
        Offering.objects.filter(pk__in=visible.values("offering_id"))
        .select_related("program", "session")
        .annotate(held=held_expression())
        .order_by("-session__opens_on", "program__code")
    )
    groups = {o.pk: ProgramPlaces(offering=o, capacity=o.capacity, held=o.held) for o in offerings}  # type: ignore[attr-defined]
    entries = (
        WaitlistEntry.objects.filter(offering_id__in=list(groups), status=WaitlistStatus.WAITING)
        .select_related("dossier")
        .order_by("offering_id", "sort_key", "pk")
    )
    for entry in entries:
        group = groups[entry.offering_id]
        entry.rank = len(group.waiting) + 1  # type: ignore[attr-defined]
        group.waiting.append(entry)
    return list(groups.values())


def list_programs(user: Any) -> list[Program]:
    """The programs the lists may filter on: the director's own, the institution's for the others."""
    if user.has_perm(ADMISSIONS_OFFICE) or user.has_perm(FINANCE):
        qs = Program.objects.order_by("code")
        return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)
    return list(Program.objects.filter(directors=user).order_by("code"))


def list_sessions(user: Any) -> list[AdmissionSession]:
    qs = AdmissionSession.objects.order_by("-opens_on")
    return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)


# ---- students ---------------------------------------------------------------------------------


def student_params(data: Mapping[str, str]) -> dict[str, str]:
    return {
        "q": data.get("q", "").strip(),
        "program": data.get("program", ""),
        "status": data.get("status", ""),
        "financing": data.get("financing", ""),
        "year": data.get("year", ""),
    }


def students(
    user: Any, *, q: str = "", program: str = "", status: str = "", financing: str = "", year: str = ""
) -> QuerySet[Student]:
    """Students of the programs this person sees (issue 8 item 6)."""
    _check(user)
    qs = Student.objects.filter(
        dossier_id__in=registration_dossiers_visible_to(user).values("pk")
    ).select_related("dossier__candidate", "offering__program", "offering__session", "registration")
    if program:
        qs = qs.filter(offering__program_id=program) if program.isdigit() else qs.none()
    if status:
        qs = qs.filter(status=status) if status in StudentStatus.values else qs.none()
    if financing:
        qs = qs.filter(registration__financing=financing) if financing in Financing.values else qs.none()
    if year:
        qs = qs.filter(academic_year=year)
    if q:
        qs = qs.filter(
            dossier_search(q, prefix="dossier__")
            | Q(registration__company_name__icontains=q)
            | student_number_search(q)
        )
    return qs.order_by("offering__program__code", "dossier__last_name", "dossier__first_names", "pk")


def academic_years(user: Any) -> list[str]:
    _check(user)
    visible = registration_dossiers_visible_to(user).values("pk")
    return list(
        Student.objects.filter(dossier_id__in=visible)
        .order_by("-academic_year")
        .values_list("academic_year", flat=True)
        .distinct()
    )


# ---- what waits (the navigation's count) ------------------------------------------------------


@dataclass(frozen=True)
class RegistrationWork:
    ending_soon: int = 0  # open windows ending within ENDING_SOON_DAYS
    proofs: int = 0  # BAC+5 proofs to check (R1.2)
    visas: int = 0  # visa refusals reported (I11)


def registration_work(user: Any, *, now: dt.datetime | None = None) -> RegistrationWork:
    """What waits on the registration screens, in one query for every role the person has.

    The navigation asks it on every staff page: its SQL is built once per process and shape of scope
    (``cursus.compiled``), the scope's values and the instant passed each time."""
    scope = registration_scope(user)
    if not scope["whole"] and scope["director_id"] is None:
        return RegistrationWork()
    now = now or timezone.now()
    values: dict[str, Any] = {"now": now, "soon": now + dt.timedelta(days=ENDING_SOON_DAYS)}
    if scope["institution_id"] is not None:
        values["institution_id"] = scope["institution_id"]
    if scope["director_id"] is not None:
        values["director_id"] = scope["director_id"]

    def build(v: Mapping[str, Any]) -> Any:
        visible = registration_dossiers_in_scope(
            whole=scope["whole"], institution_id=v.get("institution_id"), director_id=v.get("director_id")
        )
        return lambda: visible.aggregate(
            ending_soon=Count(
                "pk",
                filter=Q(
                    offer__status=OfferStatus.OPEN, offer__ends_at__gte=v["now"], offer__ends_at__lt=v["soon"]
                ),
            ),
            proofs=Count("pk", filter=Q(_pending_proof(), offer__conditional=True)),
            # A declined or released place closes a reported refusal (nothing left to decide).
            visas=Count(
                "pk",
                filter=Q(visa__status=VisaStatus.REPORTED)
                & ~Q(offer__status__in=[OfferStatus.DECLINED, OfferStatus.RELEASED]),
            ),
        )

    shape = ("registration_work", scope["whole"], tuple(sorted(values)))
    return run_compiled(shape, build, values, using=router.db_for_read(Dossier), convert=_work)


def _work(found: dict[str, Any]) -> RegistrationWork:
    return RegistrationWork(**{k: int(v or 0) for k, v in found.items()})
