"""``deliberate``: the rules of rules.py, computed in integers so that a jury of thousands is quick (issue 10,
bench/deliberation.py: 5,000 students × 25 grades within 3× a raw read of their grades).

The same outcome as ``rules.deliberate_reference`` — every field equal, which
tests/test_studies_deliberation_fast.py checks on random cases — obtained this way:

* Grades are hundredths (a grade has at most two decimals, I12) and coefficients, ECTS and thresholds are
  scaled once per curriculum to integers (``_Plan``, kept while the curriculum lives). A UV is at least
  its threshold T when Σ cᵢ·gᵢ ≥ ⌈100·T·Σ cᵢ⌉ — the exact comparison of the exact average, cross-multiplied,
  never rounded (9.995 < 10 stays so); the overall average likewise with the ECTS.
* The outcome's kind, the validations, the ECTS, what is missing and the ignored resits are decided at once.
  The reasoning — each unit's result, the exact averages as Fractions, the resits with their triggers,
  the reasons — is worked out from the same grades when first read (``_LazyOutcome``): a screen that only
  counts outcomes does not pay for sentences it never shows; whoever reads them gets exactly the values
  ``deliberate_reference`` gives.
* Anything unusual — a grade missing (no verdict), an unknown subject, a value that is not a valid grade,
  thresholds that are not Decimals, an unknown policy — is handed to ``deliberate_reference``, which
  gives the outcome or the error the rules give.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from fractions import Fraction
from operator import mul
from typing import Any

from studies.deliberation.rules import (
    _conclude,
    apply_resit_policy,
    deliberate_reference,
)
from studies.deliberation.values import (
    ABSENT,
    Curriculum,
    DeliberationError,
    Grade,
    Grades,
    Outcome,
    OutcomeKind,
    ResitPolicy,
    Thresholds,
    Trigger,
)

ZERO = Decimal(0)
# Every valid grade (0.00 to 20.00) -> its hundredths. Decimals equal in value hash alike, so 12.5, 12.50
# and 12.500 all find 1250; anything else (21, 12.345, NaN) is not found and goes to the reference.
_HUNDREDTHS: dict[Decimal, int] = {Decimal(h).scaleb(-2): h for h in range(2001)}
_CAP_HUNDREDTHS = 1000  # values.CAP, 10


class _Plan:
    """A curriculum and its thresholds in integers, made once (validated once: the Curriculum checked
    itself when made) and reused for every student."""

    __slots__ = (
        "codes",
        "index",
        "n",
        "spans",
        "coefficients",
        "uv_min",
        "ov_weights",
        "ov_min",
        "lacune_max",
        "uv_below",
        "ov_below",
        "unit_of",
        "teaching_count",
        "ects",
        "weights",
    )

    def __init__(self, curriculum: Curriculum, th: Thresholds) -> None:
        units = curriculum.all_units()
        subjects = [s for u in units for s in u.subjects]
        self.codes = tuple(s.code for s in subjects)
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.n = len(self.codes)
        scale = math.lcm(*(Fraction(s.coefficient).denominator for s in subjects))
        coefficients = [int(Fraction(s.coefficient) * scale) for s in subjects]
        self.coefficients = coefficients
        spans: list[tuple[int, int]] = []
        start = 0
        for u in units:
            spans.append((start, start + len(u.subjects)))
            start += len(u.subjects)
        self.spans = tuple(spans)
        self.unit_of = tuple(k for k, (a, b) in enumerate(spans) for _ in range(a, b))
        self.teaching_count = len(curriculum.units)
        self.weights = tuple(sum(coefficients[a:b]) for a, b in spans)  # Σ cᵢ, scaled
        uv, ov, lacune = Fraction(th.uv_pass), Fraction(th.overall_pass), Fraction(th.resit_at_or_below)
        # average_u = S_u / (100·W_u) ≥ uv  ⇔  S_u ≥ ⌈100·uv·W_u⌉   (S_u = Σ cᵢ·gᵢ in hundredths, an integer)
        self.uv_min = tuple(math.ceil(100 * uv * w) for w in self.weights)
        # overall = Σ E_u·average_u / ΣE ≥ ov  ⇔  Σ (E_u·M/W_u)·S_u ≥ ⌈100·ov·ΣE·M⌉, M making E_u·M/W_u whole
        teaching = range(self.teaching_count)
        per = [Fraction(units[k].ects) / self.weights[k] for k in teaching]
        m = math.lcm(*(f.denominator for f in per)) if per else 1
        self.ov_weights = tuple(int(f * m) for f in per)
        total_ects = sum((Fraction(units[k].ects) for k in teaching), Fraction(0))
        self.ov_min = math.ceil(100 * ov * total_ects * m)
        # A grade g (hundredths) is ≤ lacune ⇔ g ≤ ⌊100·lacune⌋; < uv ⇔ g < ⌈100·uv⌉; < ov ⇔ g < ⌈100·ov⌉.
        self.lacune_max = math.floor(100 * lacune)
        self.uv_below = math.ceil(100 * uv)
        self.ov_below = math.ceil(100 * ov)
        self.ects = tuple(u.ects for u in units)


# curriculum id -> (a weak reference to it, {thresholds: plan}); an entry goes with its curriculum.
_PLANS: dict[int, tuple[weakref.ref[Curriculum], dict[Thresholds, _Plan]]] = {}


def _forget(key: int) -> Callable[[weakref.ref[Curriculum]], None]:
    def forget(_ref: weakref.ref[Curriculum]) -> None:
        _PLANS.pop(key, None)

    return forget


def _plan(curriculum: Curriculum, th: Thresholds) -> _Plan | None:
    """The plan of this curriculum and thresholds, or None when they are not plain Decimals/ints."""
    key = id(curriculum)
    entry = _PLANS.get(key)
    if entry is None or entry[0]() is not curriculum:
        entry = (weakref.ref(curriculum, _forget(key)), {})
        _PLANS[key] = entry
    plans = entry[1]
    plan = plans.get(th)
    if plan is None:
        for value in (th.uv_pass, th.overall_pass, th.resit_at_or_below):
            if not isinstance(value, Decimal | int) or (isinstance(value, Decimal) and not value.is_finite()):
                return None
        plan = plans[th] = _Plan(curriculum, th)
    return plan


def _hundredths(plan: _Plan, grades: Grades) -> tuple[list[int], list[bool]] | None:
    """Each subject's grade in hundredths (an absence 0) and whether it is an absence, in curriculum
    order; None when a subject is unknown or a value is not a valid grade (the reference says why)."""
    g = [0] * plan.n
    absent = [False] * plan.n
    index = plan.index
    try:
        for code, grade in grades.items():
            i = index[code]
            if grade is ABSENT:
                absent[i] = True
            elif type(grade) is Decimal:
                g[i] = _HUNDREDTHS[grade]
            else:
                return None
    except (KeyError, TypeError):  # unknown subject, invalid grade (a signalling NaN does not hash)
        return None
    return g, absent


def _sums(plan: _Plan, g: list[int]) -> list[int]:
    c = plan.coefficients
    return [sum(map(mul, c[a:b], g[a:b])) for a, b in plan.spans]


def deliberate(
    curriculum: Curriculum,
    grades: Grades,
    *,
    resits: Grades | None = None,
    owed: Decimal = ZERO,
    thresholds: Thresholds | None = None,
    policy: ResitPolicy = ResitPolicy.REPLACE,
) -> Outcome:
    """One student's outcome with its reasoning (I12, I13): ``deliberate_reference``'s, computed in integers.

    ``resits`` None is the first session; a mapping (even empty) is the deliberation after the resits.
    ``owed`` is what the student still owes the school, in euros (R1.8).
    """
    th = thresholds or Thresholds()
    if not isinstance(owed, Decimal) or not owed.is_finite():
        raise DeliberationError("The amount owed must be a Decimal (convention 12).")

    def reference() -> Outcome:
        return deliberate_reference(
            curriculum, grades, resits=resits, owed=owed, thresholds=thresholds, policy=policy
        )

    plan = _plan(curriculum, th)
    if plan is None or len(grades) != plan.n or policy not in _POLICIES:
        return reference()
    read = _hundredths(plan, grades)
    if read is None:
        return reference()  # an unknown subject (then some subject is missing) or an invalid grade
    g, absent = read

    # First session: the resits, with why (rules._first_session_triggers).
    sums = _sums(plan, g)
    t = plan.teaching_count
    reached = [s >= m for s, m in zip(sums, plan.uv_min, strict=True)]
    overall_short = all(reached[:t]) and sum(map(mul, plan.ov_weights, sums[:t])) < plan.ov_min
    lacune_max, uv_below, ov_below = plan.lacune_max, plan.uv_below, plan.ov_below
    codes, unit_of = plan.codes, plan.unit_of
    triggers: dict[str, tuple[Trigger, ...]] = {}
    for i, value in enumerate(g):
        k = unit_of[i]
        lacune = value <= lacune_max
        unit_below = not reached[k] and value < uv_below
        short = overall_short and k < t and value < ov_below
        if lacune or unit_below or short:
            why: list[Trigger] = []
            if lacune:
                why.append(Trigger.ABSENT if absent[i] else Trigger.LACUNE)
            if unit_below:
                why.append(Trigger.UNIT_BELOW)
            if short:
                why.append(Trigger.OVERALL_BELOW)
            triggers[codes[i]] = tuple(why)

    ignored: tuple[str, ...] = ()
    given: dict[str, Grade] | None = None
    if resits is not None:
        read = _hundredths(plan, resits)
        if read is None or any(code not in resits for code in triggers):
            return reference()  # an invalid resit grade, or a resit grade missing (no verdict)
        r, _absent = read
        given = dict(resits)
        ignored = tuple(sorted(set(given) - set(triggers)))
        if triggers:
            g = list(g)
            index = plan.index
            for code in triggers:
                i = index[code]
                if policy is ResitPolicy.REPLACE:
                    g[i] = r[i]
                elif policy is ResitPolicy.BEST:
                    g[i] = max(g[i], r[i])
                else:
                    g[i] = min(r[i], _CAP_HUNDREDTHS)
            sums = _sums(plan, g)

    # Validation: a unit at its threshold with no subject at or below the lacune threshold (rules._unit_result).
    validated = [
        s >= m and min(g[a:b]) > lacune_max
        for s, m, (a, b) in zip(sums, plan.uv_min, plan.spans, strict=True)
    ]
    teaching_ok = all(validated[:t]) and sum(map(mul, plan.ov_weights, sums[:t])) >= plan.ov_min
    professional_ok = validated[-1]
    ects = sum((e if v else ZERO for e, v in zip(plan.ects, validated, strict=True)), ZERO)
    if given is None and triggers:
        kind = OutcomeKind.RESITS
    elif not (teaching_ok and professional_ok):
        kind = OutcomeKind.REFUSED
    elif owed > 0:
        kind = OutcomeKind.FEES_OWED
    else:
        kind = OutcomeKind.DEGREE
    return _LazyOutcome(
        (curriculum, plan, dict(grades), given, triggers, sums, ignored, owed, th, policy),
        kind=kind,
        after_resits=given is not None,
        policy=policy,
        thresholds=th,
        teaching_validated=teaching_ok,
        professional_validated=professional_ok,
        ects_obtained=ects,
        missing=(),
        owed=owed,
        ignored_resits=ignored,
    )


_POLICIES = frozenset(ResitPolicy)
# The fields a _LazyOutcome works out when first read.
_LAZY = frozenset({"units", "professional", "overall", "resits", "reasons"})
_FIELDS = tuple(f.name for f in fields(Outcome))


def _details(state: tuple[Any, ...]) -> Outcome:
    """The whole outcome, reasoning included, from what ``deliberate`` decided (rules._conclude)."""
    curriculum, plan, first, given, triggers, sums, ignored, owed, th, policy = state
    used: dict[str, Grade] = dict(first)
    if given is not None:
        for code in triggers:
            used[code] = apply_resit_policy(first[code], given[code], policy)
    averages: dict[str, Fraction | None] = {
        u.code: Fraction(s, 100 * w)
        for u, s, w in zip(curriculum.all_units(), sums, plan.weights, strict=True)
    }
    return _conclude(curriculum, first, given, used, averages, triggers, (), (), ignored, owed, th, policy)


class _LazyOutcome(Outcome):
    """An ``Outcome`` whose reasoning (units, professional, overall, resits, reasons) is worked out on first
    reading; every field reads as ``deliberate_reference`` gives it, and it compares equal to it."""

    def __init__(self, state: tuple[Any, ...], **decided: Any) -> None:
        for name, value in decided.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name: str) -> Any:
        state = self.__dict__.get("_state")
        if name not in _LAZY or state is None:
            raise AttributeError(name)
        full = _details(state)
        for lazy in _LAZY:
            object.__setattr__(self, lazy, getattr(full, lazy))
        return getattr(full, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    __hash__ = Outcome.__hash__

    def __repr__(self) -> str:
        return "Outcome(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS) + ")"
