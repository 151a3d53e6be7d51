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
    # outcome_to_dict's fields without its sentences (worded when read, in the reader's language).
    data: dict[str, Any] = {**outcome_fields(outcome), "version": VERSION}
    th = outcome.thresholds
    data["thresholds"] = {
        "uv_pass": str(th.uv_pass),
        "overall_pass": str(th.overall_pass),
        "resit_at_or_below": str(th.resit_at_or_below),
    }
    data["reasons"] = [
        {"code": r.code, "params": {k: _encode(v) for k, v in r.params.items()}} for r in outcome.reasons
    ]
    return data


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
