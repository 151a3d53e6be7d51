"""What the review and jury screens read, in a constant number of queries (convention 16)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.roles import ADMISSIONS_OFFICE, JURY_MEMBER, PROGRAM_DIRECTOR
from admission.models import Decision, Interview, JurySitting, Opinion, SittingStatus
from applications.models import Dossier, DossierStatus
from applications.selectors import dossier_search, filter_fee_state, never_submitted
from catalog.models import AdmissionSession, Offering, Program
from registration.selectors import held_expression

DIRECTOR_STATUSES = (
    DossierStatus.COMPLETE,
    DossierStatus.REVIEWED,
    DossierStatus.AT_JURY,
    DossierStatus.ADMITTED,
    DossierStatus.CONDITIONAL,
    DossierStatus.WAITING_LIST,
    DossierStatus.REFUSED,
    DossierStatus.REGISTERED,
    DossierStatus.DECLINED,
    DossierStatus.CANCELLED,
)

SORTS = {
    "name": ("last_name", "first_names"),
    "-name": ("-last_name", "-first_names"),
    "submitted": ("submitted_at",),
    "-submitted": ("-submitted_at",),
    "status": ("status", "last_name"),
    # the director's list: the current session first, then the oldest submission (issue 7 item 5)
    "session": ("-offering__session__opens_on", "submitted_at"),
}


def _staff_dossiers() -> QuerySet[Dossier]:
    return Dossier.objects.select_related(
        "candidate", "offering__program", "offering__session", "sitting", "opinion", "decision"
    ).prefetch_related(Prefetch("interviews", queryset=Interview.objects.order_by("-starts_at")))


def office_queue(
    user: Any,
    *,
    status: str = "submitted",
    q: str = "",
    program: str = "",
    sort: str = "submitted",
    session: str = "",
    fee: str = "",
) -> QuerySet[Dossier]:
    if not user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    # Drafts are the candidate's own business until submitted (issue 6 item 4): counted, never listed.
    qs = _office_scope(user, _staff_dossiers()).exclude(never_submitted())
    if status == LATE:
        qs, status = qs.filter(late_after_flag_change=True), "all"
    return _filter(qs, status=status, q=q, program=program, sort=sort, session=session, fee=fee)


# The office queue's filter for dossiers submitted after the deadline their flag now gives them.
LATE = "late"


def _office_scope(user: Any, qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    if user.institution_id:
        return qs.filter(offering__session__institution_id=user.institution_id)
    return qs


def office_counts(user: Any) -> dict[str, int]:
    """How many drafts exist (the office sees them only as this count) and how many submitted
    dossiers are flagged late since a change of their international flag (issue 6 items 4, 9)."""
    if not user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    return _office_scope(user, Dossier.objects.all()).aggregate(
        drafts=Count("pk", filter=never_submitted()),
        late=Count("pk", filter=Q(late_after_flag_change=True) & ~never_submitted()),
    )


def director_programs(user: Any) -> list[Program]:
    if not user.has_perm(PROGRAM_DIRECTOR):
        return []
    return list(Program.objects.filter(directors=user).order_by("code"))


def director_dossiers(
    user: Any,
    *,
    status: str = "",
    q: str = "",
    program: str = "",
    sort: str = "submitted",
    session: str = "",
    fee: str = "",
) -> QuerySet[Dossier]:
    if not user.has_perm(PROGRAM_DIRECTOR):
        raise Http404
    qs = _staff_dossiers().filter(offering__program__directors=user, status__in=DIRECTOR_STATUSES)
    return _filter(qs, status=status, q=q, program=program, sort=sort, session=session, fee=fee)


# What the director's list opens on: dossiers complete and awaiting their opinion (issue 7 item 5).
DIRECTOR_WAITING = DossierStatus.COMPLETE


def _filter(
    qs: QuerySet[Dossier], *, status: str, q: str, program: str, sort: str, session: str = "", fee: str = ""
) -> QuerySet[Dossier]:
    if status and status != "all":
        qs = qs.filter(status=status)
    if program:
        qs = qs.filter(offering__program_id=program) if program.isdigit() else qs.none()
    if session:
        qs = qs.filter(offering__session_id=int(session)) if session.isdigit() else qs.none()
    if q.strip():
        qs = qs.filter(dossier_search(q))
    qs = filter_fee_state(qs, fee)
    return qs.order_by(*SORTS.get(sort, SORTS["submitted"]), "pk")


def list_params(data: Mapping[str, str], *, status: str, sort: str) -> dict[str, str]:
    """What a staff list is asked for; ``status`` and ``sort`` when the request names none (an empty
    status, as the "All" choice sends, means every status)."""
    return {
        "status": data.get("status", status),
        "q": data.get("q", "").strip(),
        "program": data.get("program", ""),
        "session": data.get("session", ""),
        "fee": data.get("fee", ""),
        "sort": data.get("sort", sort),
    }


def list_query(params: Mapping[str, str]) -> str:
    """The filters of a list as a query string, for its sort and page links (the sort is added there)."""
    return urlencode({k: v for k, v in params.items() if k != "sort"})


def sitting_list(user: Any, *, session: str = "") -> QuerySet[JurySitting]:
    """The sittings screen: the current session first, then by date."""
    qs = sittings_visible_to(user)
    if session:
        qs = qs.filter(session_id=int(session)) if session.isdigit() else qs.none()
    return qs.order_by("-session__opens_on", "sits_on", "pk")


def list_sessions(user: Any) -> list[AdmissionSession]:
    """The sessions a staff list may filter on: the institution's for scoped staff, newest first."""
    qs = AdmissionSession.objects.order_by("-opens_on")
    return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)


def list_programs(user: Any) -> list[Program]:
    """The programs the office's list may filter on."""
    qs = Program.objects.order_by("code")
    return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)


# ---- what waits for each role: the counts of the navigation and landing screens (issue 7 item 4) -----


def dossiers_to_check(user: Any) -> int:
    """Submitted dossiers the office has not yet found complete or incomplete."""
    return _office_scope(user, Dossier.objects.filter(status=DossierStatus.SUBMITTED)).count()


def director_work(user: Any) -> tuple[int, int]:
    """How many programs the person directs, and how many of their dossiers await an opinion (one query)."""
    found = Program.objects.filter(directors=user).aggregate(
        programs=Count("pk", distinct=True),
        waiting=Count(
            "offerings__dossiers", filter=Q(offerings__dossiers__status=DIRECTOR_WAITING), distinct=True
        ),
    )
    return found["programs"], found["waiting"]


def open_sittings(user: Any) -> int:
    """Open sittings the person sits on (as a member or the president)."""
    return (
        JurySitting.objects.filter(Q(members=user) | Q(president=user), status=SittingStatus.OPEN)
        .values("pk")
        .distinct()
        .count()
    )


def get_program_for_director(user: Any, pk: Any) -> Program:
    try:
        return Program.objects.get(pk=pk, directors=user)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def directs(user: Any, dossier: Dossier) -> bool:
    """The user is a program director of this dossier's program."""
    return user.has_perm(PROGRAM_DIRECTOR) and dossier.offering.program.directors.filter(pk=user.pk).exists()


def sits_on(user: Any, sitting: JurySitting) -> bool:
    """The user is a member or the president of this sitting."""
    return sitting.president_id == user.pk or sitting.members.filter(pk=user.pk).exists()


def sittings_visible_to(user: Any) -> QuerySet[JurySitting]:
    qs = JurySitting.objects.select_related("session", "president").annotate(
        n_dossiers=Count("dossiers", distinct=True)
    )
    if user.has_perm(ADMISSIONS_OFFICE):
        return qs.filter(session__institution_id=user.institution_id) if user.institution_id else qs
    if user.has_perm(JURY_MEMBER):
        return qs.filter(Q(members=user) | Q(president=user)).distinct()
    return qs.none()


def get_sitting_for_user(user: Any, pk: Any) -> JurySitting:
    try:
        return sittings_visible_to(user).get(pk=pk)
    except (JurySitting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class ProgramGroup:
    offering: Offering
    capacity: int
    held: int
    dossiers: list[Dossier] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(self.capacity - self.held, 0)


def jury_screen(sitting: JurySitting) -> list[ProgramGroup]:
    """The sitting's dossiers grouped by program, with the places of each (I6)."""
    # Only the relations the screen and the minutes show: not the candidate's account nor the session
    # (500 rows of joined columns the page never reads, issue 11 item 2).
    dossiers = list(
        Dossier.objects.select_related("offering__program", "opinion", "decision")
        .prefetch_related(Prefetch("interviews", queryset=Interview.objects.order_by("-starts_at")))
        .filter(sitting=sitting)
        .exclude(status=DossierStatus.WITHDRAWN)
        .order_by("offering__program__code", "last_name", "pk")
    )
    offerings = list(
        Offering.objects.filter(session_id=sitting.session_id)
        .select_related("program")
        .annotate(held=held_expression())
        .order_by("program__code")
    )
    groups = {o.pk: ProgramGroup(offering=o, capacity=o.capacity, held=o.held) for o in offerings}  # type: ignore[attr-defined]
    for d in dossiers:
        groups[d.offering_id].dossiers.append(d)
    return [g for g in groups.values() if g.dossiers]


def jury_screen_dossier(sitting: JurySitting, pk: int) -> Dossier | None:
    """One row of `jury_screen`, read as the screen reads it."""
    return _staff_dossiers().filter(sitting=sitting, pk=pk).exclude(status=DossierStatus.WITHDRAWN).first()


def jury_screen_row(sitting: JurySitting, pk: int) -> tuple[ProgramGroup, Dossier] | None:
    """One row of `jury_screen` and its program's places (without its other dossiers), for the row a
    decision redraws: a decision at a sitting of 500 dossiers reads one dossier, not 500."""
    dossier = jury_screen_dossier(sitting, pk)
    if dossier is None:
        return None
    offering = (
        Offering.objects.filter(pk=dossier.offering_id)
        .select_related("program")
        .annotate(held=held_expression())
        .get()
    )
    group = ProgramGroup(offering=offering, capacity=offering.capacity, held=offering.held)  # type: ignore[attr-defined]
    group.dossiers.append(dossier)
    return group, dossier


def decision_or_none(dossier: Dossier) -> Decision | None:
    try:
        return dossier.decision
    except Decision.DoesNotExist:
        return None


def opinion_or_none(dossier: Dossier) -> Opinion | None:
    try:
        return dossier.opinion
    except Opinion.DoesNotExist:
        return None


@dataclass
class LettersProgress:
    """How far the letters of a closed sitting have gone (issue 11 item 5)."""

    sent: int
    total: int
    failed: list[Decision]

    @property
    def percent(self) -> int:
        return self.sent * 100 // self.total if self.total else 100

    @property
    def running(self) -> bool:
        """Letters still on their way: neither sent nor failed (failed ones wait for a resend, unpolled)."""
        return self.sent + len(self.failed) < self.total


def sitting_letters_failed(sitting: JurySitting) -> QuerySet[Decision]:
    """Decisions not sent whose last try failed: the email record says so (notifications)."""
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    from notifications.models import EmailStatus, OutgoingEmail

    failed = OutgoingEmail.objects.filter(
        kind="decision",
        status=EmailStatus.FAILED,
        related_object=Concat(
            Value(f"{Dossier._meta.label_lower}:"), Cast(OuterRef("dossier_id"), CharField())
        ),
    )
    return (
        Decision.objects.filter(sitting=sitting, notified_at__isnull=True)
        .filter(Exists(failed))
        .select_related("dossier")
        .order_by("dossier__last_name", "dossier__first_names", "pk")
    )


def sitting_letters_progress(sitting: JurySitting) -> LettersProgress:
    """One query for the counts; one more for the failed letters while some are not sent."""
    counts = Decision.objects.filter(sitting=sitting).aggregate(
        total=Count("pk"), sent=Count("pk", filter=Q(notified_at__isnull=False))
    )
    sent, total = counts["sent"], counts["total"]
    failed = list(sitting_letters_failed(sitting)) if sent < total else []
    return LettersProgress(sent=sent, total=total, failed=failed)
