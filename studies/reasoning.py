"""An outcome's reasoning as stored on ``JuryOutcome.reasoning`` (JSON) and read back in any language.

Stored once, language-free: every number is a string (averages exact: ``{"shown": "9.99", "exact": "9.995",
"fraction": "1999/200"}``, never a float), the reasons as codes with their parameters. The screen, the
transcript and the minutes word it in the reader's language with ``deliberation.describe``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from studies import deliberation as d
from studies.deliberation.fast import Worked, worked
from studies.deliberation.reasons import exact, shown
from studies.deliberation.report import outcome_fields

VERSION = 1
# Parameters written as decimals (grades, thresholds, amounts, ECTS).
_DECIMAL_KEYS = {"grade", "threshold", "first", "resit", "used", "amount", "ects"}


def _encode(value: Any) -> Any:
    if value is d.ABSENT:
        return "ABS"
    if isinstance(value, Fraction):
        return {
            "fraction": f"{value.numerator}/{value.denominator}",
            "exact": exact(value),
            "shown": shown(value),
        }
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, d.ResitPolicy):
        return str(value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(key: str, value: Any) -> Any:
    if value == "ABS":
        return d.ABSENT
    if isinstance(value, dict) and "fraction" in value:
        return Fraction(value["fraction"])
    if key == "policy":
        return d.ResitPolicy(value)
    if isinstance(value, list):
        return tuple(_decode("", v) for v in value)
    if key in _DECIMAL_KEYS and isinstance(value, str):
        return Decimal(value)
    return value


def reasoning_of(outcome: d.Outcome) -> dict[str, Any]:
    """The outcome as JSON-ready, language-free data (what ``JuryOutcome.reasoning`` keeps)."""
    work = worked(outcome)
    if work is not None:
        return _from_work(outcome, work)
    # outcome_to_dict's fields without its sentences (worded when read, in the reader's language).
    data: dict[str, Any] = {**outcome_fields(outcome), "version": VERSION}
    data["thresholds"] = _thresholds(outcome.thresholds)
    data["reasons"] = [
        {"code": r.code, "params": {k: _encode(v) for k, v in r.params.items()}} for r in outcome.reasons
    ]
    return data


def _thresholds(th: d.Thresholds) -> dict[str, str]:
    return {
        "uv_pass": str(th.uv_pass),
        "overall_pass": str(th.overall_pass),
        "resit_at_or_below": str(th.resit_at_or_below),
    }


# An exact average's texts by its numerator and denominator (as given, not reduced): a promotion's
# thousands of averages take few distinct values, and two integers hash faster than a Fraction.
_AVERAGES: dict[tuple[int, int], dict[str, str]] = {}


def _average(numerator: int, denominator: int, order: tuple[str, str, str]) -> dict[str, str]:
    """``numerator/denominator`` as ``_encode`` (order ``_ENCODED``) or report._average (``_REPORTED``)
    write an exact average."""
    texts = _AVERAGES.get((numerator, denominator))
    if texts is None:
        if len(_AVERAGES) > 100_000:
            _AVERAGES.clear()
        value = Fraction(numerator, denominator)
        texts = _AVERAGES[numerator, denominator] = {
            "fraction": f"{value.numerator}/{value.denominator}",
            "exact": exact(value),
            "shown": shown(value),
        }
    return {key: texts[key] for key in order}


_ENCODED = ("fraction", "exact", "shown")  # _encode's order
_REPORTED = ("shown", "exact", "fraction")  # report._average's order


def _grade(value: d.Grade | None) -> str | None:
    if value is None:
        return None
    return "ABS" if value is d.ABSENT else str(value)


def _from_work(outcome: d.Outcome, work: Worked) -> dict[str, Any]:
    """``reasoning_of`` a fast outcome, worded straight from what it was decided from: the same data, key
    for key, as ``outcome_fields`` and the reasons of its reasoning give (tests/test_studies_deliberation_fast.py),
    without making its dataclasses (the jury stores 5,000 at once, bench/deliberation.py)."""
    th, policy = outcome.thresholds, outcome.policy
    uv_pass, lacune_at, overall_pass = th.uv_pass, th.resit_at_or_below, th.overall_pass
    uv_pass_text, lacune_text, overall_text = str(uv_pass), str(lacune_at), str(overall_pass)
    policy_text = str(policy)
    first, given, used, triggers = work.first, work.given, work.used, work.triggers
    reasons: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    curriculum = work.curriculum
    for k, unit in enumerate(curriculum.all_units()):
        code = unit.code
        values = {s.code: _points(used[s.code]) for s in unit.subjects}
        lacunes = [c for c, v in values.items() if v <= lacune_at]
        reached = work.reached[k]
        validated = reached and not lacunes
        above = [c for c, v in values.items() if v > uv_pass]
        average = (work.sums[k], 100 * work.weights[k])
        subjects = []
        for s in unit.subjects:
            sc = s.code
            value = values[sc]
            compensated: list[str] = []
            if reached and lacune_at < value < uv_pass:
                compensated = above
                reasons.append(
                    {
                        "code": "compensated",
                        "params": {"unit": code, "subject": sc, "grade": str(value), "by": list(above)},
                    }
                )
            why = triggers.get(sc, ())
            resit = given.get(sc) if given is not None and why else None
            subjects.append(
                {
                    "code": sc,
                    "name": s.name,
                    "coefficient": str(s.coefficient),
                    "grade": _grade(first.get(sc)),
                    "resit": None if resit is None else _grade(resit),
                    "counts": str(value),
                    "resit_triggers": [str(t) for t in why],
                    "compensated_by": list(compensated),
                }
            )
            if why:
                pending.append({"subject": sc, "unit": code, "triggers": [str(t) for t in why]})
                grade = first[sc]
                grade_text = "0" if grade is d.ABSENT else str(grade)
                for trigger in why:
                    reasons.append(
                        {
                            "code": f"resit_{trigger}",
                            "params": {
                                "subject": sc,
                                "unit": code,
                                "grade": grade_text,
                                "threshold": _TRIGGER_THRESHOLD[trigger](th),
                            },
                        }
                    )
            if resit is not None:
                reasons.append(
                    {
                        "code": "resit_applied",
                        "params": {
                            "subject": sc,
                            "first": _grade(first[sc]),
                            "resit": _grade(resit),
                            "used": str(value),
                            "policy": policy_text,
                        },
                    }
                )
        if validated:
            reasons.append(
                {
                    "code": "unit_validated",
                    "params": {
                        "unit": code,
                        "average": _average(*average, _ENCODED),
                        "threshold": uv_pass_text,
                    },
                }
            )
        elif not reached:
            reasons.append(
                {
                    "code": "unit_below",
                    "params": {
                        "unit": code,
                        "average": _average(*average, _ENCODED),
                        "threshold": uv_pass_text,
                    },
                }
            )
        if lacunes:
            reasons.append(
                {
                    "code": "unit_lacune",
                    "params": {"unit": code, "subjects": lacunes, "threshold": lacune_text},
                }
            )
        units.append(
            {
                "code": code,
                "name": unit.name,
                "ects": str(unit.ects),
                "average": _average(*average, _REPORTED),
                "validated": validated,
                "ects_awarded": str(unit.ects) if validated else "0",
                "subjects": subjects,
            }
        )
    reasons.append(
        {
            "code": "overall_reached" if work.overall_reached else "overall_below",
            "params": {"average": _average(*work.overall, _ENCODED), "threshold": overall_text},
        }
    )
    reasons.extend({"code": "resit_ignored", "params": {"subject": c}} for c in outcome.ignored_resits)
    kind = outcome.kind
    teaching_ok, professional_ok = outcome.teaching_validated, outcome.professional_validated
    reasons.append({"code": "teaching_validated" if teaching_ok else "teaching_not_validated", "params": {}})
    reasons.append(
        {"code": "professional_validated" if professional_ok else "professional_not_validated", "params": {}}
    )
    ects = str(outcome.ects_obtained)
    reasons.append({"code": "ects", "params": {"ects": ects}})
    if kind is d.OutcomeKind.RESITS:
        reasons.append({"code": "resits_pending", "params": {"subjects": [p["subject"] for p in pending]}})
    elif kind is d.OutcomeKind.REFUSED:
        parts = [
            name for name, ok in (("teaching", teaching_ok), ("professional", professional_ok)) if not ok
        ]
        reasons.append({"code": "refused", "params": {"parts": parts}})
    elif kind is d.OutcomeKind.DEGREE:
        reasons.append({"code": "degree", "params": {}})
    owed = outcome.owed
    if owed > 0:
        reasons.append({"code": "fees_owed", "params": {"amount": str(owed)}})
    return {
        "outcome": str(kind),
        "after_resits": outcome.after_resits,
        "policy": policy_text,
        "units": units[:-1],
        "professional": units[-1],
        "overall_average": _average(*work.overall, _REPORTED),
        "teaching_validated": teaching_ok,
        "professional_validated": professional_ok,
        "ects_obtained": ects,
        "resits": pending,
        "missing": [],
        "owed": str(owed.quantize(Decimal("0.01"))),
        "ignored_resits": list(outcome.ignored_resits),
        "version": VERSION,
        "thresholds": _thresholds(th),
        "reasons": reasons,
    }


_ZERO = Decimal(0)


def _points(grade: d.Grade) -> Decimal:
    """What a grade counts for (rules.points): an absence 0."""
    return _ZERO if grade is d.ABSENT else grade


# rules._threshold: the threshold a trigger names.
_TRIGGER_THRESHOLD = {
    d.Trigger.LACUNE: lambda th: str(th.resit_at_or_below),
    d.Trigger.ABSENT: lambda th: str(th.resit_at_or_below),
    d.Trigger.OVERALL_BELOW: lambda th: str(th.overall_pass),
    d.Trigger.UNIT_BELOW: lambda th: str(th.uv_pass),
}


def reasons_of(reasoning: dict[str, Any]) -> list[d.Reason]:
    return [
        d.Reason(r["code"], {k: _decode(k, v) for k, v in r.get("params", {}).items()})
        for r in reasoning.get("reasons", [])
    ]


def sentences(reasoning: dict[str, Any], language: str) -> list[str]:
    """The reasons in words, in ``language``."""
    return [d.describe(r, language) for r in reasons_of(reasoning)]


def localised(text: str | None, language: str) -> str:
    """A number written with a dot, as ``language`` writes it (9,99 in French)."""
    if text is None:
        return "—"
    return text.replace(".", ",") if language.startswith("fr") else text
