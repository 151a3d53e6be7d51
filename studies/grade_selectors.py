"""What the grade screens read (issue 10 items 3 and 7): the students of a curriculum, the grades of a
subject, who sits a resit, the counts of the subjects list, a student's published grades. Each list is
a fixed number of queries whatever the number of students (convention 16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from registration.models import Student, StudentStatus
from studies.access import subjects_for_grading
from studies.deliberation import DeliberationError, OutcomeKind, deliberate
from studies.models import Curriculum, Grade, Session, StudiesJury, Subject
from studies.selectors import curriculum_values, grades_of, thresholds_of, values_of


def curriculum_students(curriculum: Curriculum) -> QuerySet[Student]:
    """The active students of a curriculum: its program's students of its academic year."""
    return (
        Student.objects.filter(
            offering__program_id=curriculum.program_id,
            academic_year=curriculum.academic_year,
            status=StudentStatus.ACTIVE,
        )
        .select_related("dossier", "offering", "user")
        .order_by("dossier__last_name", "dossier__first_names", "pk")
    )


def grades_locked(curriculum_id: int, session: str) -> bool:
    """Grades are final once the studies jury that ruled on them is closed (R1.10): the first session's
    by any closed sitting of the curriculum, the resit session's by a closed sitting after the resits."""
    closed = StudiesJury.objects.filter(curriculum_id=curriculum_id, closed_at__isnull=False)
    if session == Session.RESIT:
        closed = closed.filter(after_resits=True)
    return closed.exists()


def locked_sessions(curriculum_ids: set[int]) -> set[tuple[int, str]]:
    """(curriculum, session) pairs whose grades are final, in one query."""
    out: set[tuple[int, str]] = set()
    for cid, after in StudiesJury.objects.filter(
        curriculum_id__in=curriculum_ids, closed_at__isnull=False
    ).values_list("curriculum_id", "after_resits"):
        out.add((cid, Session.FIRST))
        if after:
            out.add((cid, Session.RESIT))
    return out


def _count(session: str) -> Any:
    grades = (
        Grade.objects.filter(subject=OuterRef("pk"), session=session)
        .order_by()
        .values("subject")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(grades, output_field=IntegerField()), Value(0))


def grading_subjects(user: Any) -> QuerySet[Subject]:
    """The subjects ``user`` may grade, each with its number of students and of grades entered per
    session (annotations, one query)."""
    students = (
        Student.objects.filter(
            offering__program_id=OuterRef("curriculum__program_id"),
            academic_year=OuterRef("curriculum__academic_year"),
            status=StudentStatus.ACTIVE,
        )
        .order_by()
        .values("academic_year")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Subject.objects.filter(pk__in=subjects_for_grading(user).values("pk"))
        .select_related("unit", "curriculum__program")
        .annotate(
            students=Coalesce(Subquery(students, output_field=IntegerField()), Value(0)),
            entered=_count(Session.FIRST),
            resits_entered=_count(Session.RESIT),
        )
        .annotate(missing=Greatest(F("students") - F("entered"), Value(0)))
        .order_by(
            "-curriculum__academic_year",
            "curriculum__program__code",
            "unit__professional",
            "unit__position",
            "position",
            "code",
        )
    )


def subject_grades(subject: Subject, session: str) -> dict[int, Grade]:
    """student id -> grade of this subject and session (one query)."""
    return {g.student_id: g for g in Grade.objects.filter(subject=subject, session=session)}


def resit_students(subject: Subject, students: list[Student]) -> tuple[list[Student], bool]:
    """Who sits the resit in ``subject``: the students the deliberation of the first session sends to it
    (I12). Returns (students, exact); exact is False — and every student is listed — while the
    deliberation cannot say (the curriculum is not worth 45 + 30 ECTS yet, or the first session's grades
    are not all in). Three queries whatever the number of students."""
    curriculum = subject.curriculum
    try:
        values = curriculum_values(curriculum)
    except DeliberationError:
        return students, False
    grades = grades_of(students, curriculum)
    thresholds = thresholds_of(curriculum)
    chosen, exact = [], True
    for student in students:
        first, _resits = grades[student.pk]
        try:
            outcome = deliberate(values, values_of(first), thresholds=thresholds)
        except DeliberationError:
            return students, False
        if outcome.kind == OutcomeKind.INCOMPLETE:
            exact = False
        if any(r.subject == subject.code for r in outcome.resits):
            chosen.append(student)
    return (chosen, True) if exact else (students, False)


# ---- the student's side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectLine:
    subject: Subject
    first: Grade | None  # published only
    resit: Grade | None  # published only


@dataclass(frozen=True)
class UnitLines:
    unit: Any
    lines: list[SubjectLine]


def published_grades(student: Student, curriculum: Curriculum) -> list[UnitLines]:
    """The student's grades by UV, published ones only (two queries)."""
    subjects = list(
        curriculum.subjects.select_related("unit").order_by(
            "unit__professional", "unit__position", "position", "code"
        )
    )
    grades = {
        (g.subject_id, g.session): g
        for g in Grade.objects.filter(student=student, subject__curriculum=curriculum)
    }
    units: dict[int, UnitLines] = {}
    for s in subjects:
        first = grades.get((s.pk, Session.FIRST)) if s.published_at else None
        resit = grades.get((s.pk, Session.RESIT)) if s.resits_published_at else None
        units.setdefault(s.unit_id, UnitLines(s.unit, [])).lines.append(SubjectLine(s, first, resit))
    return list(units.values())
