"""Reads of the studies (issue 10): the curriculum as the deliberation's plain values, the grades of many
students in one query, a student's outcome from their published grades, and where a curriculum ends.

The rules themselves are the pure functions of ``studies.deliberation``; here the rows become their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import chain
from typing import Any

from django.db.models.sql.constants import MULTI

from studies import deliberation as d
from studies.models import (
    Curriculum,
    Grade,
    JuryOutcome,
    OutcomeKind,
    Session,
    Subject,
)

FirstAndResits = tuple[dict[str, Grade], dict[str, Grade]]

# Final outcomes that end the curriculum on the jury's date (R1.10): the jury ruled on all the results.
# RESITS and REPEAT do not: the studies go on (the resit jury, or a renewed agreement, R1.11).
ENDS_CURRICULUM = (OutcomeKind.DEGREE, OutcomeKind.FEES_OWED, OutcomeKind.REFUSED)


def curriculum_values(curriculum: Curriculum) -> d.Curriculum:
    """The curriculum's UVs, subjects and coefficients as ``deliberation.Curriculum`` (two queries).

    Raises ``deliberation.DeliberationError`` when it is not a complete 45 + 30 ECTS curriculum (R1.4)."""
    units = list(curriculum.units.order_by("professional", "position", "code"))
    subjects = list(curriculum.subjects.order_by("position", "code"))
    by_unit: dict[int, list[d.Subject]] = {u.pk: [] for u in units}
    for s in subjects:
        kind = d.ProfessionalKind(s.component) if s.component else None
        by_unit[s.unit_id].append(d.Subject(s.code, s.name, s.coefficient, kind))
    teaching = tuple(
        d.Unit(u.code, u.name, u.ects, tuple(by_unit[u.pk])) for u in units if not u.professional
    )
    professional = [d.Unit(u.code, u.name, u.ects, tuple(by_unit[u.pk])) for u in units if u.professional]
    if not professional:
        raise d.DeliberationError("The curriculum has no professional part (mission, thesis, defence).")
    return d.Curriculum(units=teaching, professional=professional[0])


def thresholds_of(curriculum: Curriculum) -> d.Thresholds:
    return d.Thresholds(
        uv_pass=curriculum.uv_pass,
        overall_pass=curriculum.overall_pass,
        resit_at_or_below=curriculum.resit_at_or_below,
    )


def policy_of(curriculum: Curriculum) -> d.ResitPolicy:
    return d.ResitPolicy(curriculum.resit_policy)


def grades_of(
    students: Iterable[Any], curriculum: Curriculum, *, published_only: bool = False
) -> dict[int, FirstAndResits]:
    """Every grade of ``students`` in ``curriculum``, in ONE query: student id -> (first session grades,
    resit grades), each by subject code. ``published_only``: what the students themselves may see."""
    ids = [s if isinstance(s, int) else s.pk for s in students]
    out: dict[int, FirstAndResits] = {pk: ({}, {}) for pk in ids}
    qs = Grade.objects.filter(subject__curriculum=curriculum, student_id__in=ids).select_related("subject")
    if published_only:
        from django.db.models import Q

        qs = qs.filter(
            Q(session=Session.FIRST, subject__published_at__isnull=False)
            | Q(session=Session.RESIT, subject__resits_published_at__isnull=False)
        )
    for grade in qs:
        first, resits = out[grade.student_id]
        (resits if grade.session == Session.RESIT else first)[grade.subject.code] = grade
    return out


def grade_values_of(
    students: Iterable[Any], curriculum: Curriculum, *, every_student: bool = False
) -> dict[int, tuple[d.Grades, d.Grades]]:
    """``grades_of`` as the deliberation reads them (values or ABSENT), in ONE query of plain rows: the
    studies jury reads thousands of students at once (bench/deliberation.py).

    The rows are the ``values_list`` rows; the database's converters (a grade's Decimal on SQLite, a
    boolean) are applied once per distinct raw value rather than once per row: the same values, but
    125,000 grades hold only some 2,000 distinct ones."""
    ids = [s if isinstance(s, int) else s.pk for s in students]
    out: dict[int, tuple[dict[str, d.Grade], dict[str, d.Grade]]] = {pk: ({}, {}) for pk in ids}
    # ``every_student=True`` (the jury reads the whole promotion): the curriculum's grades without a
    # filter of thousands of ids, those of students outside ``students`` left out below.
    # The curriculum's few subjects by id: the grades are then read without a join.
    code_of = dict(Subject.objects.filter(curriculum=curriculum).values_list("pk", "code"))
    qs = Grade.objects.filter(subject_id__in=list(code_of))
    if not every_student:
        qs = qs.filter(student_id__in=ids)
    rows_qs = qs.values_list("student_id", "subject_id", "session", "value", "absent")
    resit = Session.RESIT.value
    absent_value = d.ABSENT
    rows, converters = _raw_rows(rows_qs)
    if set(converters) - {3, 4}:  # not met: only the grade and the absence are converted
        rows, converters = iter(rows_qs), {}
    value_of, absent_of = converters.get(3), converters.get(4)
    for student_id, subject_id, session, raw_value, raw_absent in rows:
        code = code_of[subject_id]
        value = raw_value if value_of is None else value_of(raw_value)
        absent = raw_absent if absent_of is None else absent_of(raw_absent)
        pair = out.get(student_id)
        if pair is None:
            continue
        first, resits = pair
        (resits if session == resit else first)[code] = absent_value if absent or value is None else value
    return out  # type: ignore[return-value]


_MEMO_TYPES = (int, float, str, bool)


def _raw_rows(qs: Any) -> tuple[Iterable[tuple[Any, ...]], dict[int, Callable[[Any], Any]]]:
    """``qs``'s rows (a ``values_list``) as the database gives them, and for each column Django converts
    (a grade's Decimal on SQLite, a boolean), the conversion Django applies, made once per distinct raw
    value (the converters are pure: a value in, a value out)."""
    compiler = qs.query.get_compiler(using=qs.db)
    results = compiler.execute_sql(MULTI)  # as QuerySet.values_list does (SQLCompiler.results_iter)
    if results is None:
        return (), {}
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(columns):
        return iter(qs), {}  # not met here: the ORM's own path
    connection = compiler.connection

    def memoised(convs: list[Any], expression: Any) -> Callable[[Any], Any]:
        seen: dict[Any, Any] = {}

        def convert(raw: Any) -> Any:
            try:
                return seen[raw]
            except (KeyError, TypeError):
                pass
            value = raw
            for step in convs:
                value = step(value, expression, connection)
            if type(raw) in _MEMO_TYPES and (raw != 0 or type(raw) is int):  # -0.0 == 0, not as Decimals
                seen[raw] = value
            return value

        return convert

    converters = {i: memoised(convs, expr) for i, (convs, expr) in compiler.get_converters(columns).items()}
    return chain.from_iterable(results), converters


def grade_value(grade: Grade) -> d.Grade:
    """A stored grade as the deliberation reads it: its value, or ABSENT."""
    if grade.absent or grade.value is None:
        return d.ABSENT
    return grade.value


def values_of(grades: dict[str, Grade]) -> dict[str, d.Grade]:
    return {code: grade_value(g) for code, g in grades.items()}


def curriculum_of(student: Any) -> Curriculum | None:
    return (
        Curriculum.objects.select_related("program")
        .filter(program_id=student.offering.program_id, academic_year=student.academic_year)
        .first()
    )


def student_outcome(student: Any) -> d.Outcome | None:
    """The student's outcome as their PUBLISHED grades give it (the student page): None while the
    curriculum is missing or incomplete. After the resits once any resit grade of it is published."""
    from billing.services.ledger import student_balance

    curriculum = curriculum_of(student)
    if curriculum is None:
        return None
    try:
        values = curriculum_values(curriculum)
    except d.DeliberationError:
        return None
    first, resits = grades_of([student], curriculum, published_only=True)[student.pk]
    resit_session = curriculum.subjects.filter(resits_published_at__isnull=False).exists()
    return d.deliberate(
        values,
        values_of(first),
        resits=values_of(resits) if resit_session else None,
        owed=student_balance(student),
        thresholds=thresholds_of(curriculum),
        policy=policy_of(curriculum),
    )


def final_outcome(student: Any) -> JuryOutcome | None:
    """The student's last outcome of a closed studies jury (what the transcript states), or None."""
    return (
        JuryOutcome.objects.select_related("jury__curriculum__program")
        .filter(student=student, jury__closed_at__isnull=False)
        .exclude(outcome="")
        .order_by("-jury__sits_on", "-jury__closed_at")
        .first()
    )


def curriculum_end(student: Any) -> dt.date | None:
    """R1.10: the curriculum ends on the date of the studies jury that ruled on all of the student's
    results — the closed jury whose final outcome is a degree, fees outstanding or a refusal."""
    outcome = (
        JuryOutcome.objects.filter(
            student=student, jury__closed_at__isnull=False, outcome__in=ENDS_CURRICULUM
        )
        .select_related("jury")
        .order_by("-jury__sits_on")
        .first()
    )
    return outcome.jury.sits_on if outcome else None


def subjects_of(curriculum: Curriculum) -> list[Subject]:
    return list(curriculum.subjects.select_related("unit").order_by("unit__professional", "position"))


def owed_by(students: Iterable[Any]) -> dict[int, Decimal]:
    """What each student still owes (R1.8), in one query: ``student_balance`` for many students."""
    from billing.services.ledger import students_balances

    return students_balances(list(students))
