"""The studies jury (issue 10 item 5; R1.8, R1.9, R1.10, I13): open a sitting, propose every student's
outcome with its reasoning, confirm or override (with a written reason, audited), close.

- ``jury_propose`` computes each outcome with ``studies.deliberation.deliberate`` from ALL the grades
  (published or not), the amount owed (``billing.services.ledger``, R1.8), the curriculum's thresholds
  and resit policy; after the resits with the resit grades.
- Closing needs a final outcome for every student and the proposals up to date with the grades; it makes
  the outcomes final (``JuryOutcome.save``/``delete`` refuse any change from then on, whatever the path),
  ends the curriculum on the jury's date for the students it ruled on (R1.10) and tells each student after
  the commit.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import ADMISSIONS_OFFICE
from audit.services import audit_record
from cursus.errors import DomainError
from registration.models import Student, StudentStatus
from studies import deliberation as d
from studies import selectors
from studies.models import Curriculum, JuryOutcome, OutcomeKind, StudiesJury
from studies.reasoning import reasoning_of

# What the jury may rule instead of the proposal. "Grades missing" is no verdict.
OVERRIDE_KINDS = (
    OutcomeKind.DEGREE,
    OutcomeKind.FEES_OWED,
    OutcomeKind.RESITS,
    OutcomeKind.REFUSED,
    OutcomeKind.REPEAT,
)


def can_decide(user: Any, jury: StudiesJury) -> bool:
    """Who confirms and overrides: the jury's members and the program's directors."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        jury.members.filter(pk=user.pk).exists()
        or jury.curriculum.program.directors.filter(pk=user.pk).exists()
    )


def can_close(user: Any, jury: StudiesJury) -> bool:
    """Who opens and closes: the office and the program's directors."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm(ADMISSIONS_OFFICE) or jury.curriculum.program.directors.filter(pk=user.pk).exists()


def _closed_refusal() -> DomainError:
    return DomainError(_("This studies jury is closed: its outcomes are final."), code="closed")


def _before_the_jury(jury: StudiesJury) -> Any:
    """The students a sitting rules on, in the order of the screen (name): the curriculum's active students;
    after the resits, those the closed juries of the curriculum have not already given a degree or refused."""
    curriculum = jury.curriculum
    qs = Student.objects.filter(
        offering__program_id=curriculum.program_id,
        academic_year=curriculum.academic_year,
        status=StudentStatus.ACTIVE,
    )
    if jury.after_resits:
        done = JuryOutcome.objects.filter(
            student=OuterRef("pk"),
            jury__curriculum=curriculum,
            jury__closed_at__isnull=False,
            outcome__in=[OutcomeKind.DEGREE, OutcomeKind.REFUSED],
        )
        qs = qs.filter(~Exists(done))
    return qs.order_by("dossier__last_name", "dossier__first_names", "pk")


def jury_students(jury: StudiesJury) -> Any:
    """The students a sitting rules on (``_before_the_jury``), with their number and name."""
    # Only what is shown of a student and their dossier: a promotion of thousands is loaded without the
    # dossiers' many other fields.
    return (
        _before_the_jury(jury)
        .select_related("dossier")
        .only("pk", "academic_year", "dossier_id", "user_id", "dossier__first_names", "dossier__last_name")
    )


class JurySeat(NamedTuple):
    """A student before the jury as its computation reads them (no model instance: thousands at once):
    the student and the dossier their dues are on (R1.8)."""

    pk: int
    dossier_id: int


def jury_open(
    *,
    curriculum: Curriculum,
    sits_on: dt.date,
    after_resits: bool = False,
    by: Any,
    members: list[Any] | None = None,
) -> StudiesJury:
    """A sitting of the studies jury for ``curriculum``, its outcomes proposed at once.
    Convention 26: one open sitting at a time; the resit jury after a closed first-session jury."""
    with transaction.atomic():
        curriculum = Curriculum.objects.select_for_update().select_related("program").get(pk=curriculum.pk)
        if not (by.has_perm(ADMISSIONS_OFFICE) or curriculum.program.directors.filter(pk=by.pk).exists()):
            raise DomainError(
                _("Only the office or the program's director opens a studies jury."), code="forbidden"
            )
        try:
            selectors.curriculum_values(curriculum)
        except d.DeliberationError as exc:
            raise DomainError(
                _("This curriculum cannot be deliberated yet: %(problem)s") % {"problem": exc},
                code="curriculum",
            ) from exc
        if curriculum.juries.filter(closed_at__isnull=True).exists():
            raise DomainError(
                _("A studies jury of this curriculum is still open: close it before opening another."),
                code="open",
            )
        if (
            after_resits
            and not curriculum.juries.filter(closed_at__isnull=False, after_resits=False).exists()
        ):
            raise DomainError(
                _("The jury after the resits comes after the first-session jury: close that one first."),
                code="order",
            )
        jury = StudiesJury.objects.create(curriculum=curriculum, sits_on=sits_on, after_resits=after_resits)
        if members:
            jury.members.set(members)
        audit_record(
            actor=by,
            action="studies_jury.open",
            obj=jury,
            to_state="open",
            data={"sits_on": sits_on.isoformat(), "after_resits": after_resits, "curriculum": curriculum.pk},
        )
        jury_propose(jury)
    return jury


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a promotion is deliberated and proposed: the many
    thousands of lists and dicts made (slots, outcomes, reasonings, rows written) form no cycle and
    refcounting frees them, but as they pile up the collector walks the whole heap again and again
    (a tenth of a second each time in a full process: 5,000 outcomes proposed twice as slowly,
    bench/deliberation.py). Process-wide, for a second or two; collection resumes after, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute_outcomes(jury: StudiesJury) -> list[tuple[int, d.Outcome]]:
    """Every student's outcome, computed now (no write), by student id in ``jury_students`` order: one
    query for the students, one for the grades, one for the amounts owed, whatever their number. Plain
    rows throughout (bench/deliberation.py: 5,000 students × 25 grades within 3× a raw read of them)."""
    curriculum = jury.curriculum
    promotion = d.Promotion(
        selectors.curriculum_values(curriculum),
        selectors.thresholds_of(curriculum),
        selectors.policy_of(curriculum),
    )
    with _no_cycle_collection():
        seats = [JurySeat(*row) for row in _before_the_jury(jury).values_list("pk", "dossier_id")]
        grades = selectors.grade_slots_of(
            promotion, curriculum, [seat.pk for seat in seats], resits=jury.after_resits
        )
        owed = selectors.owed_by(seats)
        deliberate = promotion.deliberate
        return [(pk, deliberate(*grades[pk], owed[pk])) for pk, _dossier in seats]


_WRITE_BATCH = 500


def jury_propose(jury: StudiesJury) -> int:
    """Propose (again) every student's outcome with its reasoning. A confirmation whose proposal changed
    is cleared (the jury looks again); an override stays. Returns how many proposals changed."""
    with transaction.atomic(), _no_cycle_collection():
        jury = StudiesJury.objects.select_for_update().select_related("curriculum__program").get(pk=jury.pk)
        if jury.closed_at:
            raise _closed_refusal()
        try:
            computed = compute_outcomes(jury)
        except d.DeliberationError as exc:
            raise DomainError(
                _("This curriculum cannot be deliberated yet: %(problem)s") % {"problem": exc},
                code="curriculum",
            ) from exc
        existing = {o.student_id: o for o in JuryOutcome.objects.filter(jury=jury)}
        new: list[JuryOutcome] = []
        created = 0
        changed = []
        for student_id, outcome in computed:
            reasoning = reasoning_of(outcome)
            row = existing.pop(student_id, None)
            if row is None:
                new.append(
                    JuryOutcome(
                        jury=jury,
                        student_id=student_id,
                        proposed=str(outcome.kind),
                        reasoning=reasoning,
                        ects=outcome.ects_obtained,
                    )
                )
                # Written as they come, 500 at a time: a promotion's reasonings are not all held at once.
                if len(new) == _WRITE_BATCH:
                    created += len(JuryOutcome.objects.bulk_create(new))
                    new = []
                continue
            if (
                row.proposed == outcome.kind
                and row.reasoning == reasoning
                and row.ects == outcome.ects_obtained
            ):
                continue
            if row.proposed != outcome.kind and row.outcome and not row.override_reason:
                row.outcome, row.decided_by, row.decided_at = "", None, None
            row.proposed, row.reasoning, row.ects = str(outcome.kind), reasoning, outcome.ects_obtained
            changed.append(row)
        created += len(JuryOutcome.objects.bulk_create(new))
        JuryOutcome.objects.bulk_update(
            changed,
            ["proposed", "reasoning", "ects", "outcome", "decided_by", "decided_at"],
            batch_size=_WRITE_BATCH,
        )
        # Students no longer before this jury (registration cancelled, ruled on meanwhile) leave it.
        gone = [o.pk for o in existing.values()]
        if gone:
            JuryOutcome.objects.filter(pk__in=gone).delete()
        if created or changed or gone:
            audit_record(
                actor=None,
                action="studies_jury.propose",
                obj=jury,
                data={"new": created, "changed": len(changed), "removed": len(gone)},
            )
    return created + len(changed)


def _locked_outcome(outcome: JuryOutcome) -> JuryOutcome:
    row = (
        JuryOutcome.objects.select_for_update().select_related("jury__curriculum__program").get(pk=outcome.pk)
    )
    jury = StudiesJury.objects.select_for_update().get(pk=row.jury_id)
    if jury.closed_at:
        raise _closed_refusal()
    return row


def outcome_confirm(*, outcome: JuryOutcome, by: Any) -> JuryOutcome:
    """The jury rules as proposed. Safe twice."""
    with transaction.atomic():
        row = _locked_outcome(outcome)
        if not can_decide(by, row.jury):
            raise DomainError(_("Only the jury's members and the program's director rule."), code="forbidden")
        if row.proposed == OutcomeKind.INCOMPLETE:
            raise DomainError(
                _(
                    "Grades are missing: enter them and propose again, or rule otherwise with a written "
                    "reason."
                ),
                code="incomplete",
            )
        if row.outcome == row.proposed and not row.override_reason:
            return row
        before = row.outcome
        row.outcome, row.override_reason = row.proposed, ""
        row.decided_by, row.decided_at = by, timezone.now()
        row.save(update_fields=["outcome", "override_reason", "decided_by", "decided_at"])
        audit_record(
            actor=by,
            action="studies_outcome.confirm",
            obj=row,
            from_state=before,
            to_state=row.outcome,
            data={"student": row.student_id, "jury": row.jury_id},
        )
    return row


def outcome_override(*, outcome: JuryOutcome, kind: str, reason: str, by: Any) -> JuryOutcome:
    """The jury rules otherwise than proposed, with a written reason (audited from -> to)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        row = _locked_outcome(outcome)
        if not can_decide(by, row.jury):
            raise DomainError(_("Only the jury's members and the program's director rule."), code="forbidden")
        if kind not in OVERRIDE_KINDS:
            raise DomainError(_("Choose an outcome."), code="kind")
        if kind == row.proposed:
            return outcome_confirm(outcome=row, by=by) if not reason else _override(row, kind, reason, by)
        if not reason:
            raise DomainError(
                _("Write why the jury rules otherwise than proposed: the reason is kept."), code="reason"
            )
        return _override(row, kind, reason, by)


def _override(row: JuryOutcome, kind: str, reason: str, by: Any) -> JuryOutcome:
    before = row.outcome or row.proposed
    if row.outcome == kind and row.override_reason == reason:
        return row
    row.outcome, row.override_reason = kind, reason
    row.decided_by, row.decided_at = by, timezone.now()
    row.save(update_fields=["outcome", "override_reason", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        action="studies_outcome.override",
        obj=row,
        from_state=before,
        to_state=kind,
        reason=reason,
        data={"student": row.student_id, "jury": row.jury_id, "proposed": row.proposed},
    )
    return row


def undecided(jury: StudiesJury) -> list[JuryOutcome]:
    return list(jury.outcomes.filter(outcome="").select_related("student__dossier"))


def jury_close(*, jury: StudiesJury, by: Any, at: dt.datetime | None = None) -> StudiesJury:
    """Every student has a final outcome: the outcomes become final, the curriculum of the students it
    ruled on ends on the jury's date (R1.10), each student is told after the commit. Safe twice."""
    at = at or timezone.now()
    with transaction.atomic():
        jury = StudiesJury.objects.select_for_update().select_related("curriculum__program").get(pk=jury.pk)
        if jury.closed_at:
            return jury
        if not can_close(by, jury):
            raise DomainError(
                _("Only the office or the program's director closes a studies jury."), code="forbidden"
            )
        if timezone.localdate(at) < jury.sits_on:
            raise DomainError(
                _("This jury sits on %(date)s: it is closed on or after that day.")
                % {"date": formats.date_format(jury.sits_on, "DATE_FORMAT")},
                code="early",
            )
        if not jury.outcomes.exists():
            raise DomainError(_("No student is before this jury."), code="empty")
        stale = _stale(jury)
        if stale:
            raise DomainError(
                ngettext(
                    "The grades of %(n)d student changed since the proposals: propose again and look "
                    "at it before closing.",
                    "The grades of %(n)d students changed since the proposals: propose again and look "
                    "at them before closing.",
                    stale,
                )
                % {"n": stale},
                code="stale",
            )
        waiting = undecided(jury)
        if waiting:
            raise DomainError(
                ngettext(
                    "%(n)d student has no outcome yet: confirm or override it first.",
                    "%(n)d students have no outcome yet: confirm or override them first.",
                    len(waiting),
                )
                % {"n": len(waiting)},
                code="undecided",
            )
        jury.closed_at, jury.closed_by = at, by
        jury.save(update_fields=["closed_at", "closed_by"])
        outcomes = list(jury.outcomes.all())
        ended = [o.student_id for o in outcomes if o.outcome in selectors.ENDS_CURRICULUM]
        audit_record(
            actor=by,
            action="studies_jury.close",
            obj=jury,
            from_state="open",
            to_state="closed",
            data={
                "sits_on": jury.sits_on.isoformat(),
                "curriculum_ends_on": jury.sits_on.isoformat(),  # R1.10
                "students_ended": ended,
                "outcomes": {str(o.student_id): o.outcome for o in outcomes},
            },
        )
        ids = [o.pk for o in outcomes]
        transaction.on_commit(lambda: [notify_outcome.enqueue(pk) for pk in ids])
    return jury


def _stale(jury: StudiesJury) -> int:
    stored = {o.student_id: o for o in jury.outcomes.all()}
    fresh = compute_outcomes(jury)
    if set(stored) != {pk for pk, _o in fresh}:
        return max(1, len(set(stored) ^ {pk for pk, _o in fresh}))
    return sum(
        1
        for pk, outcome in fresh
        if stored[pk].proposed != outcome.kind or stored[pk].reasoning != reasoning_of(outcome)
    )


@task()
def notify_outcome(outcome_id: int) -> None:
    outcome_notify(outcome_id=outcome_id)


def outcome_notify(*, outcome_id: int) -> None:
    """The student is told the jury's final outcome, with their transcript attached."""
    from django.urls import NoReverseMatch, reverse

    from notifications.services import email_send
    from studies.documents import transcript_pdf

    row = JuryOutcome.objects.select_related(
        "jury__curriculum__program", "student__dossier", "student__user"
    ).get(pk=outcome_id)
    student = row.student
    language = student.user.language or settings.LANGUAGE_CODE
    try:
        link = reverse("my_studies")
    except NoReverseMatch:
        link = reverse("dashboard")
    email_send(
        template="studies_outcome",
        to=student.user.email,
        language=language,
        context={
            "student": student,
            "outcome": row,
            "jury": row.jury,
            "program": row.jury.curriculum.program,
            "link": link,
        },
        related=row,
        attachments=[(f"releve-{student.number}.pdf", transcript_pdf(student, language), "application/pdf")],
    )
