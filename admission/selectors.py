"""What the review and jury screens read, in a constant number of queries (convention 16)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext

from accounts.roles import ADMISSIONS_OFFICE, JURY_MEMBER, PROGRAM_DIRECTOR
from admission.models import (
    Decision,
    Interview,
    InterviewStatus,
    JurySitting,
    Opinion,
    SittingStatus,
)
from applications.models import Dossier, DossierStatus
from applications.selectors import dossier_search, filter_fee_state, never_submitted
from catalog.models import AdmissionSession, Offering, Program
from registration.selectors import held_expression

if TYPE_CHECKING:
    from admission.rows import JuryRow

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
    base: QuerySet[Dossier] | None = None,
) -> QuerySet[Dossier]:
    """The office's dossiers, filtered and sorted; ``base`` is what is read of each (by default the
    dossiers with their relations; the list reads `LIST_ROW_FIELDS` only, see `office_rows`)."""
    if not user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    # Drafts are the candidate's own business until submitted (issue 6 item 4): counted, never listed.
    qs = _office_scope(user, _staff_dossiers() if base is None else base).exclude(never_submitted())
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
        # what the navigation counts (`dossiers_to_check`), read by the same query
        to_check=Count("pk", filter=Q(status=DossierStatus.SUBMITTED)),
    )


def director_programs(user: Any) -> list[Program]:
    """The programs the person directs, each with ``waiting``: its dossiers awaiting their opinion (the
    navigation's `director_work`, read by the same query)."""
    if not user.has_perm(PROGRAM_DIRECTOR):
        return []
    return list(
        Program.objects.filter(directors=user)
        .annotate(
            waiting=Count("offerings__dossiers", filter=Q(offerings__dossiers__status=DIRECTOR_WAITING))
        )
        .order_by("code")
    )


def director_dossiers(
    user: Any,
    *,
    status: str = "",
    q: str = "",
    program: str = "",
    sort: str = "submitted",
    session: str = "",
    fee: str = "",
    base: QuerySet[Dossier] | None = None,
    programs: list[Program] | None = None,
) -> QuerySet[Dossier]:
    """The director's dossiers, filtered and sorted; ``base`` as for `office_queue`; ``programs``, the
    person's `director_programs` when the caller has read them, filters on their ids (no join)."""
    if not user.has_perm(PROGRAM_DIRECTOR):
        raise Http404
    mine = (
        Q(offering__program__directors=user)
        if programs is None
        else Q(offering__program_id__in=[p.pk for p in programs])
    )
    qs = (_staff_dossiers() if base is None else base).filter(mine, status__in=DIRECTOR_STATUSES)
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
    """The sessions a staff list may filter on: the institution's for scoped staff, newest first (only
    what the filter shows: the id and the name)."""
    qs = AdmissionSession.objects.only("pk", "name").order_by("-opens_on")
    return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)


def list_programs(user: Any) -> list[Program]:
    """The programs the office's list may filter on (only what the filter shows: code and titles)."""
    qs = Program.objects.only("pk", "code", "title_fr", "title_en").order_by("code")
    return list(qs.filter(institution_id=user.institution_id) if user.institution_id else qs)


# ---- the staff lists' table: only what it prints, ready to print ----------------------------------------

# The columns the table of the office's and the director's lists prints (and those its rules read), one
# join (the candidate's email; the offering's ids come with the filters' join): a narrow select that
# PostgreSQL plans in a fraction of a millisecond, no model instance, no interview (the list shows none).
# Programs and sessions are named from the lists the filters read anyway (`list_rows`).
LIST_ROW_FIELDS = (
    "pk",
    "last_name",
    "first_names",
    "international_override",
    "nationality",
    "second_nationality",
    "late_after_flag_change",
    "candidate__email",
    "offering__program_id",
    "offering__session_id",
    "eligibility_path",
    "bac5_in_progress",
    "status",
    "sitting_id",
    "sitting_name",
    "fee_confirmed",
    "fee_declared",
    "opinion_favourable",
    "submitted_at",
)


def list_values(qs: QuerySet[Dossier], *, total: bool = False) -> QuerySet[Dossier, dict[str, Any]]:
    """`office_queue` or `director_dossiers` (called with ``base=Dossier.objects.all()``) as the
    table's rows: `LIST_ROW_FIELDS`, for `list_rows`; with ``total``, each row also carries the number
    of rows of the whole list (``total``: the paginator's count, without a query of its own)."""
    values = qs.annotate(
        sitting_name=Subquery(
            JurySitting.objects.filter(pk=OuterRef("sitting_id")).order_by().values("name")
        ),
        opinion_favourable=Subquery(Opinion.objects.filter(dossier_id=OuterRef("pk")).values("favourable")),
    ).values(*LIST_ROW_FIELDS)
    return values.annotate(total=Window(Count("pk"))) if total else values


class DossierFacts:
    """A row's number, nationalities and override, read by the model's own rules (`Dossier.number`,
    `Dossier.is_international`)."""

    __slots__ = ("pk", "international_override", "nationality", "second_nationality")
    number = Dossier.number
    nationalities = Dossier.nationalities
    is_international = Dossier.is_international

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.pk = row["pk"]
        self.international_override = row["international_override"]
        self.nationality = row["nationality"]
        self.second_nationality = row["second_nationality"]


@dataclass(slots=True)
class DossierRow:
    """One row of a staff list, as printed."""

    pk: int
    url: str
    name: str
    number: str
    email: str
    international: bool | None
    late: bool
    program_code: str
    program_title: str
    session_name: str
    path: str
    bac5_in_progress: bool
    status_label: str
    sitting_name: str | None  # None: at no sitting
    fee_label: str
    opinion: bool | None  # None: no opinion given
    submitted_at: str


def list_rows(
    values: Iterable[Mapping[str, Any]], *, programs: Iterable[Program], sessions: Iterable[AdmissionSession]
) -> list[DossierRow]:
    """The rows of a page of `list_values`, ready to print. ``programs`` and ``sessions`` are those the
    page's filters list (the director's programs hold every row's; a program or session they lack is
    read in one query more)."""
    values = list(values)
    program_by_pk = {p.pk: p for p in programs}
    session_names = {s.pk: s.name for s in sessions}
    missing = {d["offering__program_id"] for d in values} - program_by_pk.keys()
    if missing:
        program_by_pk.update((p.pk, p) for p in Program.objects.filter(pk__in=missing))
    missing = {d["offering__session_id"] for d in values} - session_names.keys()
    if missing:
        session_names.update(AdmissionSession.objects.filter(pk__in=missing).values_list("pk", "name"))
    titles = {pk: (p.code, p.title) for pk, p in program_by_pk.items()}

    placeholder = 999999999
    url_head, url_tail = reverse("staff_dossier", args=[placeholder]).split(str(placeholder))
    statuses = {value: str(label) for value, label in DossierStatus.choices}
    fee_labels = (gettext("fee confirmed"), gettext("fee declared"), gettext("no fee payment"))
    here = get_current_timezone()
    rows = []
    for d in values:
        pk, submitted = d["pk"], d["submitted_at"]
        facts: Any = DossierFacts(d)  # typed loosely: it borrows the model's properties
        code, title = titles[d["offering__program_id"]]
        rows.append(
            DossierRow(
                pk=pk,
                url=f"{url_head}{pk}{url_tail}",
                name=f"{d['last_name'] or '—'} {d['first_names']}",
                number=facts.number,
                email=d["candidate__email"],
                international=facts.is_international,
                late=d["late_after_flag_change"],
                program_code=code,
                program_title=title,
                session_name=session_names[d["offering__session_id"]],
                path=d["eligibility_path"].upper(),
                bac5_in_progress=d["bac5_in_progress"],
                status_label=statuses.get(d["status"], d["status"]),
                sitting_name=None if d["sitting_id"] is None else d["sitting_name"],
                fee_label=fee_labels[0 if d["fee_confirmed"] else 1 if d["fee_declared"] else 2],
                opinion=d["opinion_favourable"],
                # the template's date:"d/m/Y H:i" (in the current time zone), for a tenth of its cost
                submitted_at=submitted.astimezone(here).strftime("%d/%m/%Y %H:%M") if submitted else "—",
            )
        )
    return rows


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
    """The user is a member or the president of this sitting (known without a query when the sitting
    came from `get_sitting_for_user` for this user)."""
    if sitting.president_id == user.pk:
        return True
    known = getattr(sitting, "_member_of", None)
    if known is not None and known[0] == user.pk:
        return bool(known[1])
    return sitting.members.filter(pk=user.pk).exists()


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
    """One sitting the user may see, its session and president, and whether the user is one of its
    members (for `sits_on`), in one query: no count of its dossiers, no DISTINCT (issue 11 item 2)."""
    member = JurySitting.members.through.objects.filter(jurysitting_id=OuterRef("pk"), user_id=user.pk)
    qs = JurySitting.objects.select_related("session", "president").annotate(user_is_member=Exists(member))
    if user.has_perm(ADMISSIONS_OFFICE):
        qs = qs.filter(session__institution_id=user.institution_id) if user.institution_id else qs
    elif user.has_perm(JURY_MEMBER):
        qs = qs.filter(Q(user_is_member=True) | Q(president=user))
    else:
        raise Http404
    try:
        sitting = qs.get(pk=pk)
    except (JurySitting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    setattr(sitting, "_member_of", (user.pk, sitting.user_is_member))  # type: ignore[attr-defined]  # noqa: B010
    return sitting


@dataclass
class ProgramGroup:
    offering: Offering
    capacity: int
    held: int
    dossiers: list[Dossier] = field(default_factory=list)
    rows: list["JuryRow"] = field(default_factory=list)  # admission.rows writes them
    # The screen's table body: runs of rows as one string each, and the row opened by ?edit= on its own.
    parts: list[tuple[SafeString, "JuryRow | None"]] = field(default_factory=list)

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


_ROW_FIELDS = (
    "pk",
    "offering_id",
    "last_name",
    "first_names",
    "nationality",
    "second_nationality",
    "international_override",
    "diploma_title",
    "eligibility_path",
    "bac5_in_progress",
    "opinion__pk",
    "opinion__favourable",
    "opinion__comment",
    "decision__pk",
    "decision__outcome",
    "decision__waitlist_rank",
    "decision__comment",
)


def jury_row_facts(
    sitting: JurySitting, *, pk: int | None = None
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The jury screen's facts (admission.rows writes them): the sitting's dossiers (or the one ``pk``)
    as the columns the screen prints, by program code and surname, and the notes of their held
    interviews, newest first: two narrow queries (no model instance) whatever their number."""
    qs = Dossier.objects.filter(sitting=sitting).exclude(status=DossierStatus.WITHDRAWN)
    held = Interview.objects.filter(status=InterviewStatus.HELD)
    if pk is None:
        held = held.filter(dossier__sitting=sitting)
    else:
        qs, held = qs.filter(pk=pk), held.filter(dossier_id=pk)
    found = list(qs.order_by("offering__program__code", "last_name", "pk").values(*_ROW_FIELDS))
    if not found:
        return [], []
    return found, list(held.order_by("-starts_at", "pk").values_list("dossier_id", "notes"))


def offerings_with_places(ids: Any) -> dict[int, ProgramGroup]:
    offerings = (
        Offering.objects.filter(pk__in=ids)
        .select_related("program")
        .only("pk", "capacity", "program__code")
        .annotate(held=held_expression())
    )
    return {o.pk: ProgramGroup(offering=o, capacity=o.capacity, held=o.held) for o in offerings}  # type: ignore[attr-defined]


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
