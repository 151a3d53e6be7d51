"""Reads of the studies (issue 10): the curriculum as the deliberation's plain values, the grades of many
students in one query, a student's outcome from their published grades, and where a curriculum ends.

The rules themselves are the pure functions of ``studies.deliberation``; here the rows become their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models.sql.constants import CURSOR

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


def grade_slots_of(
    promotion: d.Promotion, curriculum: Curriculum, student_ids: Iterable[int], *, resits: bool
) -> dict[int, tuple[list[Any], list[Any] | None]]:
    """The grades of the whole promotion as ``promotion`` reads them (studies jury; bench/deliberation.py:
    thousands of students at once): student id -> (first-session slots, resit slots or, without ``resits``,
    None), every grade of the curriculum, published or not. One query per session read."""
    position: dict[int, int | None] = {}
    for pk, code in Subject.objects.filter(curriculum=curriculum).values_list("pk", "code"):
        position[pk] = promotion.codes.index(code) if code in promotion.codes else None
    n = len(promotion.codes)
    firsts: dict[int, list[Any]] = {pk: [None] * n for pk in student_ids}
    # The curriculum's grades without a join, nor a filter of thousands of ids (other students skipped).
    grades = Grade.objects.filter(subject_id__in=list(position))
    _fill(firsts, grades.filter(session=Session.FIRST), position)
    if not resits:
        return {pk: (slots, None) for pk, slots in firsts.items()}
    resit_slots: dict[int, list[Any]] = {pk: [None] * n for pk in firsts}
    _fill(resit_slots, grades.filter(session=Session.RESIT), position)
    return {pk: (slots, resit_slots[pk]) for pk, slots in firsts.items()}


def _fill(slots_of: dict[int, list[Any]], grades: Any, position: dict[int, int | None]) -> None:
    """Each of ``grades`` in its student's slots, straight from the cursor: no row made into a tuple of
    converted values, a dict or a model. A raw value becomes its slot once per distinct value (125,000
    grades hold some 2,000), through the conversion Django applies (SQLite: a Decimal quantized to two
    places; PostgreSQL: ``numeric(4, 2)`` as is): equal values are the same grade, written with two
    decimals."""
    # In no order (not Grade's default one): sorting 125,000 rows would cost the database more than reading them.
    rows_qs = grades.order_by().values_list("student_id", "subject_id", "value", "absent")
    compiler = rows_qs.query.get_compiler(using=rows_qs.db)
    cursor = compiler.execute_sql(CURSOR)
    if cursor is None:
        return
    value_steps: list[Any] = []
    value_field = connection = None
    # The DB-API cursor itself (its rows come from C, not through a generator), errors wrapped below.
    rows: Iterable[tuple[Any, ...]] = cursor.cursor
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(columns)
    if set(converters) - {2, 3} or compiler.has_composite_fields(columns):
        cursor.close()  # not met on SQLite and PostgreSQL: the ORM's own conversions
        cursor, rows = None, iter(rows_qs)
    elif 2 in converters:
        value_steps, value_field = converters[2]
        connection = compiler.connection
    slot_of: dict[Any, Any] = {}
    absent_slot = d.ABSENT_SLOT
    try:
        with compiler.connection.wrap_database_errors:
            # ``absent`` is read as the database gives it (SQLite: 0 or 1): Django's boolean converter
            # keeps its truth. No grade: an absence too (grade_value).
            for student_id, subject_id, raw, absent in rows:
                slots = slots_of.get(student_id)
                if slots is None:
                    continue
                i = position[subject_id]
                if i is None:
                    continue
                if absent or raw is None:
                    slots[i] = absent_slot
                    continue
                try:
                    slots[i] = slot_of[raw]
                except KeyError:
                    value = raw
                    for step in value_steps:
                        value = step(value, value_field, connection)
                    slot = d.Promotion.slot(value)
                    if type(raw) is int or raw != 0:  # -0.0 == 0 as a key, not as a Decimal
                        slot_of[raw] = slot
                    slots[i] = slot
    finally:
        if cursor is not None:
            cursor.close()


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
