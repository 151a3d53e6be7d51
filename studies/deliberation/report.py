"""An outcome as JSON-ready data or as text, in a language (the ``deliberate`` command, later the jury)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from studies.deliberation.reasons import describe, exact, outcome_label, shown
from studies.deliberation.values import ABSENT, Grade, Outcome, UnitResult


def _grade(value: Grade | None) -> str | None:
    if value is None:
        return None
    return "ABS" if value is ABSENT else str(value)


def _average(value: Fraction | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {
        "shown": shown(value),
        "exact": exact(value),
        "fraction": f"{value.numerator}/{value.denominator}",
    }


def _unit(unit: UnitResult) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "ects": str(unit.ects),
        "average": _average(unit.average),
        "validated": unit.validated,
        "ects_awarded": str(unit.ects_awarded),
        "subjects": [
            {
                "code": s.code,
                "name": s.name,
                "coefficient": str(s.coefficient),
                "grade": _grade(s.first),
                "resit": _grade(s.resit),
                "counts": None if s.used is None else str(s.used),
                "resit_triggers": [str(t) for t in s.resit_triggers],
                "compensated_by": list(s.compensated_by),
            }
            for s in unit.subjects
        ],
    }


def outcome_to_dict(outcome: Outcome, language: str, *, student: str | None = None) -> dict[str, Any]:
    """Every number as a string (exact Decimals, never floats); averages shown, exact and as a fraction."""
    fields = outcome_fields(outcome)
    data: dict[str, Any] = {} if student is None else {"student": student}
    data["outcome"] = fields.pop("outcome")
    data["outcome_label"] = outcome_label(outcome.kind, language)
    data.update(fields)
    data["reasons"] = [{"code": r.code, "text": describe(r, language)} for r in outcome.reasons]
    return data


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    """What an outcome says, language-free (shared by this report and the jury's stored reasoning)."""
    return {
        "outcome": str(outcome.kind),
        "after_resits": outcome.after_resits,
        "policy": str(outcome.policy),
        "units": [_unit(u) for u in outcome.units],
        "professional": _unit(outcome.professional),
        "overall_average": _average(outcome.overall),
        "teaching_validated": outcome.teaching_validated,
        "professional_validated": outcome.professional_validated,
        "ects_obtained": str(outcome.ects_obtained),
        "resits": [
            {"subject": r.subject, "unit": r.unit, "triggers": [str(t) for t in r.triggers]}
            for r in outcome.resits
        ],
        "missing": list(outcome.missing),
        "owed": str(outcome.owed.quantize(Decimal("0.01"))),
        "ignored_resits": list(outcome.ignored_resits),
    }


def outcome_to_text(outcome: Outcome, language: str, *, student: str | None = None) -> str:
    title = outcome_label(outcome.kind, language).upper()
    lines = [f"{student}: {title}" if student else title]
    for unit in (*outcome.units, outcome.professional):
        average = "—" if unit.average is None else exact(unit.average)
        if language.startswith("fr"):
            average = average.replace(".", ",")
        mark = "✔" if unit.validated else "✘"
        lines.append(f"  {mark} {unit.code} ({unit.ects} ECTS) {average}")
    lines.extend(f"  - {describe(r, language)}" for r in outcome.reasons)
    return "\n".join(lines)
