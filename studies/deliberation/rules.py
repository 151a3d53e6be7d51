"""The MS rules of the studies jury as pure functions (SPEC R1.4–R1.11, I12, I13).

How it decides, in order:

1. Every grade counts as given; an absence counts as 0. A UV's average (and the professional part's: the
   same rules, I12) is the coefficient-weighted mean of its subjects, kept as an exact Fraction and never
   rounded before a comparison (9.995 < 10).
2. First session — a subject goes to a resit when
   * its grade is at or below 5 (*lacune avérée*, an absence included), whatever the UV average (R1.6);
   * its UV's average is below 10 and the subject is below 10 (I12);
   * settled here: when every UV reaches its threshold but the overall average does not (possible only when
     the overall threshold is set above the UV threshold), each teaching subject below the overall threshold.
   A subject between 5 and 10 in a UV whose average reaches 10 is compensated and not resat — even while a
   lacune elsewhere keeps that UV pending (R1.6: inside a UV grades compensate each other).
   With these triggers "no resit to sit" is exactly "every part validated", so the first session gives
   DEGREE, FEES_OWED or RESITS, never REFUSED.
3. After the resits (``resits`` given): each resat subject counts ``apply_resit_policy(first, resit)``, the
   others their first grade; a UV is validated when its average reaches 10 and no subject is at or below 5;
   the teaching part when every UV is validated and the ECTS-weighted overall average reaches 10. A part
   still not validated gives REFUSED (R1.9); there is no second resit.
4. ECTS: a validated UV gives its ECTS; the professional part its 30 when validated. The degree needs both
   parts validated, no resit pending and nothing owed (I13); with owed > 0, even one cent, FEES_OWED (R1.8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Context, Decimal, Inexact, Rounded, localcontext
from fractions import Fraction

from studies.deliberation.values import (
    ABSENT,
    CAP,
    GRADE_MAX,
    Curriculum,
    DeliberationError,
    Grade,
    Grades,
    Outcome,
    OutcomeKind,
    PendingResit,
    Reason,
    ResitPolicy,
    SubjectResult,
    Thresholds,
    Trigger,
    Unit,
    UnitResult,
)

CENT = Decimal("0.01")
# Sums of grades × weights are exact in this context, or raise (never rounded).
_EXACT = Context(prec=200, traps=[Inexact, Rounded])


def check_grade(grade: object, *, subject: str = "") -> Grade:
    """A grade on 20 with at most two decimals (I12), or ABSENT; anything else raises DeliberationError."""
    if grade is ABSENT:
        return ABSENT
    where = f" ({subject})" if subject else ""
    if not isinstance(grade, Decimal) or not grade.is_finite():
        raise DeliberationError(f"Not a grade{where}: {grade!r}; give a Decimal or ABSENT.")
    if grade < 0 or grade > GRADE_MAX:
        raise DeliberationError(f"A grade is between 0 and 20{where}: {grade}.")
    if grade != grade.quantize(CENT):
        raise DeliberationError(f"A grade has at most two decimals{where}: {grade}.")
    return grade


def points(grade: Grade) -> Decimal:
    """What a grade counts for: an absence counts as 0."""
    return Decimal(0) if grade is ABSENT else grade


def weighted_mean(pairs: Iterable[tuple[Decimal, Grade]]) -> Fraction:
    """Exact Σ weight·grade / Σ weight over (weight, grade) pairs.

    The sums are Decimal arithmetic under a context wide enough to be exact (grades and weights have few
    digits), and one Fraction is made at the end: the same value as summing Fractions, several times
    faster (the studies jury deliberates thousands of students at once, bench/deliberation.py)."""
    with localcontext(_EXACT):
        total = Decimal(0)
        weights = Decimal(0)
        for weight, grade in pairs:
            total += weight * points(grade)
            weights += weight
    if weights == 0:
        raise DeliberationError("No weight to average over.")
    return Fraction(total) / Fraction(weights)


def uv_average(unit: Unit, grades: Mapping[str, Grade]) -> Fraction:
    """The coefficient-weighted mean of a unit's subjects, exact (I12). Every subject needs a grade."""
    missing = [s.code for s in unit.subjects if s.code not in grades]
    if missing:
        raise DeliberationError(f"Unit {unit.code}: no grade for {', '.join(missing)}.")
    return weighted_mean((s.coefficient, grades[s.code]) for s in unit.subjects)


def apply_resit_policy(first: Grade, resit: Grade, policy: ResitPolicy) -> Decimal:
    """The grade that counts after a resit (I12). An absence counts as 0 on either side.

    REPLACE: the resit grade, even when lower. BEST: the better of the two. CAP_10: the resit grade,
    counting at most 10 (a 14 at the resit counts 10, a 7 counts 7).
    """
    first_points, resit_points = points(check_grade(first)), points(check_grade(resit))
    if policy is ResitPolicy.REPLACE:
        return resit_points
    if policy is ResitPolicy.BEST:
        return max(first_points, resit_points)
    if policy is ResitPolicy.CAP_10:
        return min(resit_points, CAP)
    raise DeliberationError(f"Unknown resit policy {policy!r}.")


def group_grades(
    group_grade: Decimal, members: Sequence[str], adjustments: Mapping[str, Decimal] | None = None
) -> dict[str, Decimal]:
    """R1.5: a group's grade given to each member, then each member's individual adjustment (+/-).

    The result is one grade per student — grades are never stored per group. An adjusted grade outside
    0–20, or an adjustment for somebody outside the group, is refused rather than silently clipped.
    """
    check_grade(group_grade, subject="group")
    if len(set(members)) != len(members):
        raise DeliberationError("A student appears twice in the group.")
    adjustments = adjustments or {}
    strangers = sorted(set(adjustments) - set(members))
    if strangers:
        raise DeliberationError(f"Adjustment for students outside the group: {', '.join(strangers)}.")
    result: dict[str, Decimal] = {}
    for member in members:
        grade = group_grade + adjustments.get(member, Decimal(0))
        result[member] = check_grade(grade, subject=member)  # type: ignore[assignment]
    return result


def agreement_outlasted(agreement_end: dt.date, curriculum_end: dt.date) -> bool:
    """R1.10/R1.11: the curriculum ends on the studies jury's date; a training still running after its
    training agreement's last day must be renewed (and tuition paid again)."""
    return curriculum_end > agreement_end


def _check_grades(curriculum: Curriculum, grades: Grades, label: str) -> dict[str, Grade]:
    known = {s.code for s in curriculum.subjects()}
    unknown = sorted(set(grades) - known)
    if unknown:
        raise DeliberationError(f"{label} for subjects not in the curriculum: {', '.join(unknown)}.")
    return {code: check_grade(grade, subject=code) for code, grade in grades.items()}


def _teaching_overall(curriculum: Curriculum, averages: Mapping[str, Fraction | None]) -> Fraction | None:
    values = [averages[u.code] for u in curriculum.units]
    if any(v is None for v in values):
        return None
    return sum(
        (Fraction(u.ects) * v for u, v in zip(curriculum.units, values, strict=True) if v is not None),
        Fraction(0),
    ) / sum((Fraction(u.ects) for u in curriculum.units), Fraction(0))


def _averages(curriculum: Curriculum, used: Mapping[str, Grade]) -> dict[str, Fraction | None]:
    return {
        u.code: (uv_average(u, used) if all(s.code in used for s in u.subjects) else None)
        for u in curriculum.all_units()
    }


def _first_session_triggers(
    curriculum: Curriculum, first: Mapping[str, Grade], th: Thresholds
) -> dict[str, tuple[Trigger, ...]]:
    """The resits the first session sends the student to, with why (I12, rules.py's docstring)."""
    averages = _averages(curriculum, first)
    overall = _teaching_overall(curriculum, averages)
    every_uv_reached = all((averages[u.code] or 0) >= th.uv_pass for u in curriculum.units)
    out: dict[str, tuple[Trigger, ...]] = {}
    for unit in curriculum.all_units():
        average = averages[unit.code]
        teaching = unit is not curriculum.professional
        for s in unit.subjects:
            grade = first[s.code]
            value = points(grade)
            why: list[Trigger] = []
            if value <= th.resit_at_or_below:
                why.append(Trigger.ABSENT if grade is ABSENT else Trigger.LACUNE)
            if average is not None and average < th.uv_pass and value < th.uv_pass:
                why.append(Trigger.UNIT_BELOW)
            if (
                teaching
                and every_uv_reached
                and overall is not None
                and overall < th.overall_pass
                and value < th.overall_pass
            ):
                why.append(Trigger.OVERALL_BELOW)
            if why:
                out[s.code] = tuple(why)
    return out


def deliberate_reference(
    curriculum: Curriculum,
    grades: Grades,
    *,
    resits: Grades | None = None,
    owed: Decimal = Decimal(0),
    thresholds: Thresholds | None = None,
    policy: ResitPolicy = ResitPolicy.REPLACE,
) -> Outcome:
    """One student's outcome with its reasoning (I12, I13), read straight from the rules: exact Fractions
    throughout. ``deliberate`` gives the same outcome faster (tests/test_studies_deliberation_fast.py);
    this one is its yardstick, and what it falls back on for incomplete or unusual input.
    """
    th = thresholds or Thresholds()
    if not isinstance(owed, Decimal) or not owed.is_finite():
        raise DeliberationError("The amount owed must be a Decimal (convention 12).")
    first = _check_grades(curriculum, grades, "Grades")
    given_resits = None if resits is None else _check_grades(curriculum, resits, "Resit grades")
    missing = tuple(s.code for s in curriculum.subjects() if s.code not in first)

    triggers: dict[str, tuple[Trigger, ...]] = {}
    used: dict[str, Grade] = dict(first)
    ignored: tuple[str, ...] = ()
    missing_resits: tuple[str, ...] = ()
    if not missing:
        triggers = _first_session_triggers(curriculum, first, th)
        if given_resits is not None:
            ignored = tuple(sorted(set(given_resits) - set(triggers)))
            missing_resits = tuple(code for code in triggers if code not in given_resits)
            for code in triggers:
                if code in given_resits:
                    used[code] = apply_resit_policy(first[code], given_resits[code], policy)
    return _conclude(
        curriculum,
        first,
        given_resits,
        used,
        _averages(curriculum, used),
        triggers,
        missing,
        missing_resits,
        ignored,
        owed,
        th,
        policy,
    )


def _conclude(
    curriculum: Curriculum,
    first: Mapping[str, Grade],
    given_resits: Mapping[str, Grade] | None,
    used: Mapping[str, Grade],
    averages: Mapping[str, Fraction | None],
    triggers: Mapping[str, tuple[Trigger, ...]],
    missing: tuple[str, ...],
    missing_resits: tuple[str, ...],
    ignored: tuple[str, ...],
    owed: Decimal,
    th: Thresholds,
    policy: ResitPolicy,
) -> Outcome:
    """The outcome and its reasoning from the grades that count, the averages and the resit triggers."""
    reasons: list[Reason] = []
    overall = _teaching_overall(curriculum, averages)
    unit_results = tuple(
        _unit_result(
            curriculum, unit, first, given_resits, used, averages[unit.code], triggers, th, policy, reasons
        )
        for unit in curriculum.all_units()
    )
    teaching_units, professional = unit_results[:-1], unit_results[-1]
    teaching_ok = (
        all(u.validated for u in teaching_units) and overall is not None and overall >= th.overall_pass
    )
    if overall is not None:
        code = "overall_reached" if overall >= th.overall_pass else "overall_below"
        reasons.append(Reason(code, {"average": overall, "threshold": th.overall_pass}))
    ects = sum((u.ects_awarded for u in unit_results), Decimal(0))
    pending = tuple(
        PendingResit(s.code, u.code, triggers[s.code])
        for u in curriculum.all_units()
        for s in u.subjects
        if s.code in triggers
    )
    for code in ignored:
        reasons.append(Reason("resit_ignored", {"subject": code}))

    if missing or missing_resits:
        kind = OutcomeKind.INCOMPLETE
        if missing:
            reasons.append(Reason("missing", {"subjects": missing}))
        if missing_resits:
            reasons.append(Reason("missing_resits", {"subjects": missing_resits}))
    else:
        reasons.append(Reason("teaching_validated" if teaching_ok else "teaching_not_validated"))
        reasons.append(
            Reason("professional_validated" if professional.validated else "professional_not_validated")
        )
        reasons.append(Reason("ects", {"ects": ects}))
        if given_resits is None and pending:
            kind = OutcomeKind.RESITS
            reasons.append(Reason("resits_pending", {"subjects": tuple(p.subject for p in pending)}))
        elif not (teaching_ok and professional.validated):
            kind = OutcomeKind.REFUSED
            parts = tuple(
                name
                for name, ok in (("teaching", teaching_ok), ("professional", professional.validated))
                if not ok
            )
            reasons.append(Reason("refused", {"parts": parts}))
        elif owed > 0:
            kind = OutcomeKind.FEES_OWED
        else:
            kind = OutcomeKind.DEGREE
            reasons.append(Reason("degree"))
    if owed > 0 and kind is not OutcomeKind.INCOMPLETE:
        reasons.append(Reason("fees_owed", {"amount": owed}))
    return Outcome(
        kind=kind,
        after_resits=given_resits is not None,
        policy=policy,
        thresholds=th,
        units=teaching_units,
        professional=professional,
        overall=overall,
        teaching_validated=teaching_ok and not missing,
        professional_validated=professional.validated,
        ects_obtained=ects,
        resits=pending,
        missing=missing + missing_resits,
        owed=owed,
        reasons=tuple(reasons),
        ignored_resits=ignored,
    )


def _unit_result(
    curriculum: Curriculum,
    unit: Unit,
    first: Mapping[str, Grade],
    given_resits: Mapping[str, Grade] | None,
    used: Mapping[str, Grade],
    average: Fraction | None,
    triggers: Mapping[str, tuple[Trigger, ...]],
    th: Thresholds,
    policy: ResitPolicy,
    reasons: list[Reason],
) -> UnitResult:
    professional = unit is curriculum.professional
    values = {s.code: points(used[s.code]) for s in unit.subjects if s.code in used}
    lacunes = tuple(
        s.code for s in unit.subjects if s.code in values and values[s.code] <= th.resit_at_or_below
    )
    validated = average is not None and average >= th.uv_pass and not lacunes
    above = tuple(s.code for s in unit.subjects if values.get(s.code, Decimal(0)) > th.uv_pass)
    subjects: list[SubjectResult] = []
    for s in unit.subjects:
        value = values.get(s.code)
        compensated: tuple[str, ...] = ()
        if (
            average is not None
            and average >= th.uv_pass
            and value is not None
            and th.resit_at_or_below < value < th.uv_pass
        ):
            compensated = above
            reasons.append(
                Reason("compensated", {"unit": unit.code, "subject": s.code, "grade": value, "by": above})
            )
        resit = given_resits.get(s.code) if given_resits is not None and s.code in triggers else None
        subjects.append(
            SubjectResult(
                code=s.code,
                name=s.name,
                coefficient=s.coefficient,
                first=first.get(s.code),
                resit=resit,
                used=value,
                resit_triggers=triggers.get(s.code, ()),
                compensated_by=compensated,
            )
        )
        for trigger in triggers.get(s.code, ()):
            reasons.append(
                Reason(
                    f"resit_{trigger}",
                    {
                        "subject": s.code,
                        "unit": unit.code,
                        "grade": points(first[s.code]),
                        "threshold": _threshold(trigger, th),
                    },
                )
            )
        if resit is not None and given_resits is not None:
            reasons.append(
                Reason(
                    "resit_applied",
                    {
                        "subject": s.code,
                        "first": first[s.code],
                        "resit": resit,
                        "used": value,
                        "policy": policy,
                    },
                )
            )
    if average is not None:
        params = {"unit": unit.code, "average": average, "threshold": th.uv_pass}
        if validated:
            reasons.append(Reason("unit_validated", params))
        elif average < th.uv_pass:
            reasons.append(Reason("unit_below", params))
        if lacunes:
            reasons.append(
                Reason(
                    "unit_lacune", {"unit": unit.code, "subjects": lacunes, "threshold": th.resit_at_or_below}
                )
            )
    return UnitResult(
        code=unit.code,
        name=unit.name,
        ects=unit.ects,
        professional=professional,
        subjects=tuple(subjects),
        average=average,
        validated=validated,
        ects_awarded=unit.ects if validated else Decimal(0),
    )


def _threshold(trigger: Trigger, th: Thresholds) -> Decimal:
    if trigger in (Trigger.LACUNE, Trigger.ABSENT):
        return th.resit_at_or_below
    if trigger is Trigger.OVERALL_BELOW:
        return th.overall_pass
    return th.uv_pass
