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
from typing import Any, NamedTuple

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
        "ects_of",
        "ov_denominator",
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
        self.ov_denominator = 100 * m * total_ects  # overall = Σ ov_weights·S_u / ov_denominator
        # A grade g (hundredths) is ≤ lacune ⇔ g ≤ ⌊100·lacune⌋; < uv ⇔ g < ⌈100·uv⌉; < ov ⇔ g < ⌈100·ov⌉.
        self.lacune_max = math.floor(100 * lacune)
        self.uv_below = math.ceil(100 * uv)
        self.ov_below = math.ceil(100 * ov)
        self.ects = tuple(u.ects for u in units)
        self.ects_of: dict[tuple[bool, ...], Decimal] = {}  # which units validated -> the ECTS obtained


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


def _hundredths(plan: _Plan, grades: Grades) -> tuple[list[int], list[bool] | None] | None:
    """Each subject's grade in hundredths (an absence 0) and, when there is one, which are absences, in
    curriculum order; None when a subject is unknown or a value is not a valid grade (the reference says why)."""
    g = [0] * plan.n
    absent: list[bool] | None = None
    index = plan.index
    try:
        for code, grade in grades.items():
            i = index[code]
            if grade is ABSENT:
                if absent is None:
                    absent = [False] * plan.n
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


def _why(lacune: bool, absent: bool, unit_below: bool, short: bool) -> tuple[Trigger, ...]:
    why: list[Trigger] = []
    if lacune:
        why.append(Trigger.ABSENT if absent else Trigger.LACUNE)
    if unit_below:
        why.append(Trigger.UNIT_BELOW)
    if short:
        why.append(Trigger.OVERALL_BELOW)
    return tuple(why)


# The few possible reasons for a resit, made once: (lacune, absent, unit below, overall short) -> triggers.
_WHY = {
    (lacune, absent, below, short): _why(lacune, absent, below, short)
    for lacune in (False, True)
    for absent in (False, True)
    for below in (False, True)
    for short in (False, True)
}


def _triggers(
    plan: _Plan, g: list[int], absent: list[bool] | None, sums: list[int]
) -> dict[str, tuple[Trigger, ...]]:
    """The first session's resits, with why (rules._first_session_triggers): a subject is sent when at or
    below the lacune threshold, below the UV threshold in a UV that missed it, or below the overall
    threshold when every teaching UV reached its own but the overall average did not."""
    t = plan.teaching_count
    reached = [s >= m for s, m in zip(sums, plan.uv_min, strict=True)]
    overall_short = all(reached[:t]) and sum(map(mul, plan.ov_weights, sums[:t])) < plan.ov_min
    lacune_max, uv_below, ov_below = plan.lacune_max, plan.uv_below, plan.ov_below
    codes = plan.codes
    triggers: dict[str, tuple[Trigger, ...]] = {}
    for k, (a, b) in enumerate(plan.spans):
        unit_below = not reached[k]
        short = overall_short and k < t
        # Below ``cut``, a subject is sent for one reason or more; at or above it, for none.
        cut = lacune_max + 1
        if unit_below and uv_below > cut:
            cut = uv_below
        if short and ov_below > cut:
            cut = ov_below
        for i in range(a, b):
            value = g[i]
            if value < cut:
                triggers[codes[i]] = _WHY[
                    (
                        value <= lacune_max,
                        absent is not None and absent[i],
                        unit_below and value < uv_below,
                        short and value < ov_below,
                    )
                ]
    return triggers


def _decide(
    plan: _Plan,
    g: list[int],
    triggers: dict[str, tuple[Trigger, ...]],
    sums: list[int],
    resit_hundredths: list[int] | None,
    owed: Decimal,
    policy: ResitPolicy,
) -> tuple[OutcomeKind, bool, bool, Decimal]:
    """The kind, whether each part is validated and the ECTS obtained, from the first session's grades
    (hundredths), its resits and, after the resits, the resit grades (hundredths) the policy applies to.
    ``sums`` becomes the sums of the grades that count (what the reasoning averages)."""
    if resit_hundredths is not None and triggers:
        g = list(g)
        index = plan.index
        for code in triggers:
            i = index[code]
            if policy is ResitPolicy.REPLACE:
                g[i] = resit_hundredths[i]
            elif policy is ResitPolicy.BEST:
                g[i] = max(g[i], resit_hundredths[i])
            else:
                g[i] = min(resit_hundredths[i], _CAP_HUNDREDTHS)
        sums[:] = _sums(plan, g)
    # Validation: a unit at its threshold with no subject at or below the lacune threshold (rules._unit_result).
    lacune_max = plan.lacune_max
    validated = tuple(
        s >= m and min(g[a:b]) > lacune_max
        for s, m, (a, b) in zip(sums, plan.uv_min, plan.spans, strict=True)
    )
    t = plan.teaching_count
    teaching_ok = all(validated[:t]) and sum(map(mul, plan.ov_weights, sums[:t])) >= plan.ov_min
    professional_ok = validated[-1]
    ects = plan.ects_of.get(validated)
    if ects is None:
        ects = plan.ects_of[validated] = sum(
            (e if v else ZERO for e, v in zip(plan.ects, validated, strict=True)), ZERO
        )
    if resit_hundredths is None and triggers:
        kind = OutcomeKind.RESITS
    elif not (teaching_ok and professional_ok):
        kind = OutcomeKind.REFUSED
    elif owed > 0:
        kind = OutcomeKind.FEES_OWED
    else:
        kind = OutcomeKind.DEGREE
    return kind, teaching_ok, professional_ok, ects


def _outcome(
    state: tuple[Any, ...],
    decided: tuple[OutcomeKind, bool, bool, Decimal],
    after_resits: bool,
    ignored: tuple[str, ...],
    owed: Decimal,
    th: Thresholds,
    policy: ResitPolicy,
) -> Outcome:
    kind, teaching_ok, professional_ok, ects = decided
    outcome = _LazyOutcome.__new__(_LazyOutcome)
    outcome.__dict__.update(
        kind=kind,
        after_resits=after_resits,
        policy=policy,
        thresholds=th,
        teaching_validated=teaching_ok,
        professional_validated=professional_ok,
        ects_obtained=ects,
        missing=(),
        owed=owed,
        ignored_resits=ignored,
        _state=state,
    )
    return outcome


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
    sums = _sums(plan, g)
    triggers = _triggers(plan, g, absent, sums)
    ignored: tuple[str, ...] = ()
    given: dict[str, Grade] | None = None
    r: list[int] | None = None
    if resits is not None:
        read = _hundredths(plan, resits)
        if read is None or any(code not in resits for code in triggers):
            return reference()  # an invalid resit grade, or a resit grade missing (no verdict)
        r = read[0]
        given = dict(resits)
        ignored = tuple(sorted(set(given) - set(triggers)))
    decided = _decide(plan, g, triggers, sums, r, owed, policy)
    state = (curriculum, plan, dict(grades), given, triggers, sums, ignored, owed, th, policy)
    return _outcome(state, decided, given is not None, ignored, owed, th, policy)


ABSENT_SLOT = -1
_SLOT_TYPES = frozenset({int})


class Promotion:
    """One curriculum's deliberation for many students whose grades come as rows (the studies jury:
    thousands of students at once, bench/deliberation.py): ``deliberate``'s outcome from *slots*.

    A student's grades are a list in ``codes`` order, one slot per subject: the grade in hundredths
    (``slot``: 12.50 is 1250) when it is a grade written with two decimals, ``ABSENT_SLOT`` for an absence,
    None when not graded, anything else (the grade itself) when unusual. The outcome is exactly
    ``deliberate``'s for the same grades written with two decimals (what a ``DecimalField(decimal_places=2)``
    reads back); anything unusual is handed to ``deliberate`` as a mapping.
    """

    __slots__ = ("curriculum", "thresholds", "policy", "codes", "_plan")

    def __init__(
        self,
        curriculum: Curriculum,
        thresholds: Thresholds | None = None,
        policy: ResitPolicy = ResitPolicy.REPLACE,
    ) -> None:
        self.curriculum = curriculum
        self.thresholds = thresholds
        self.policy = policy
        self.codes = tuple(s.code for u in curriculum.all_units() for s in u.subjects)
        self._plan = _plan(curriculum, thresholds or Thresholds()) if policy in _POLICIES else None

    @staticmethod
    def slot(grade: Any) -> Any:
        """A grade as a slot: its hundredths when written with two decimals, ``ABSENT_SLOT``, or itself."""
        if grade is ABSENT:
            return ABSENT_SLOT
        if type(grade) is Decimal and grade.is_finite():
            hundredths = _HUNDREDTHS.get(grade)
            sign, _digits, exponent = grade.as_tuple()
            if hundredths is not None and exponent == -2 and not sign:
                return hundredths
        return grade

    def grades(self, slots: list[Any]) -> dict[str, Any]:
        """The slots as ``deliberate`` reads grades: by subject code, the ungraded left out."""
        return {
            code: (_GRADES.get(value, value) if type(value) is int else value)
            for code, value in zip(self.codes, slots, strict=False)
            if value is not None
        }

    def deliberate(self, first: list[Any], resits: list[Any] | None = None, owed: Decimal = ZERO) -> Outcome:
        """The student's outcome from their first-session slots and, after the resits, their resit slots
        (None: the first session)."""
        plan = self._plan
        th = self.thresholds or Thresholds()
        if (
            type(owed) is not Decimal
            or not owed.is_finite()
            or plan is None
            or len(first) != plan.n
            or not _plain(first)
        ):
            return self._mapped(first, resits, owed)
        if ABSENT_SLOT in first:
            absent: list[bool] | None = [v == ABSENT_SLOT for v in first]
            g = [0 if v == ABSENT_SLOT else v for v in first]
        else:
            absent, g = None, first
        sums = _sums(plan, g)
        triggers = _triggers(plan, g, absent, sums)
        ignored: tuple[str, ...] = ()
        r: list[int] | None = None
        if resits is not None:
            if len(resits) != plan.n:
                return self._mapped(first, resits, owed)
            index = plan.index
            given = [v for v in resits if v is not None]
            if not _plain(given) or any(resits[index[code]] is None for code in triggers):
                return self._mapped(
                    first, resits, owed
                )  # an unusual resit grade, or one missing (no verdict)
            r = [0 if v is None or v == ABSENT_SLOT else v for v in resits]
            codes = plan.codes
            ignored = tuple(
                sorted(codes[i] for i, v in enumerate(resits) if v is not None and codes[i] not in triggers)
            )
        decided = _decide(plan, g, triggers, sums, r, owed, self.policy)
        # The slots as given (copied: the reasoning reads the grades deliberated), mapped when first read.
        state = (
            self.curriculum,
            plan,
            list(first),
            None if resits is None else list(resits),
            triggers,
            sums,
            ignored,
            owed,
            th,
            self.policy,
        )
        return _outcome(state, decided, resits is not None, ignored, owed, th, self.policy)

    def _mapped(self, first: list[Any], resits: list[Any] | None, owed: Decimal) -> Outcome:
        return deliberate(
            self.curriculum,
            self.grades(first),
            resits=None if resits is None else self.grades(resits),
            owed=owed,
            thresholds=self.thresholds,
            policy=self.policy,
        )


# Hundredths -> the grade written with two decimals (what a slot stands for).
_GRADES: dict[int, Grade] = {h: g for g, h in _HUNDREDTHS.items()}
_GRADES[ABSENT_SLOT] = ABSENT


def _as_grades(codes: tuple[str, ...], slots: list[Any]) -> dict[str, Grade]:
    return {code: _GRADES[value] for code, value in zip(codes, slots, strict=True) if value is not None}


def _plain(slots: list[Any]) -> bool:
    """Every slot a grade's hundredths or an absence (nothing ungraded, nothing unusual)."""
    return len(slots) == 0 or (
        set(map(type, slots)) == _SLOT_TYPES and min(slots) >= ABSENT_SLOT and max(slots) <= 2000
    )


_POLICIES = frozenset(ResitPolicy)
# The fields a _LazyOutcome works out when first read.
_LAZY = frozenset({"units", "professional", "overall", "resits", "reasons"})
_FIELDS = tuple(f.name for f in fields(Outcome))


def _grades_used(
    state: tuple[Any, ...],
) -> tuple[dict[str, Grade], dict[str, Grade] | None, dict[str, Grade]]:
    """The first-session grades, the resit grades and the grades the rules used (resits applied)."""
    _curriculum, plan, first, given, triggers, _sums, _ignored, _owed, _th, policy = state
    if isinstance(first, list):  # from Promotion: slots
        first = _as_grades(plan.codes, first)
        given = None if given is None else _as_grades(plan.codes, given)
    used: dict[str, Grade] = dict(first)
    if given is not None:
        for code in triggers:
            used[code] = apply_resit_policy(first[code], given[code], policy)
    return first, given, used


def _details(state: tuple[Any, ...]) -> Outcome:
    """The whole outcome, reasoning included, from what ``deliberate`` decided (rules._conclude)."""
    curriculum, plan, _first, _given, triggers, sums, ignored, owed, th, policy = state
    first, given, used = _grades_used(state)
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


class Worked(NamedTuple):
    """What a fast outcome was decided from, for whoever words its reasoning without building it as
    dataclasses (studies.reasoning: the jury stores thousands at once): the grades as given (first, and
    after the resits the resit grades), those that count, the resits with why, and the plan's integers."""

    curriculum: Curriculum
    first: dict[str, Grade]
    given: dict[str, Grade] | None
    used: dict[str, Grade]
    triggers: dict[str, tuple[Trigger, ...]]
    sums: list[int]  # Σ cᵢ·gᵢ per unit (hundredths, scaled coefficients), the grades that count
    weights: tuple[int, ...]  # Σ cᵢ per unit, scaled
    reached: tuple[bool, ...]  # each unit's average at least its threshold (exact)
    overall: tuple[int, int]  # the teaching units' overall average, exact: numerator, denominator
    overall_reached: bool


def worked(outcome: Outcome) -> Worked | None:
    """The integers and grades behind a fast outcome (None for any other outcome, e.g. the reference's)."""
    state = outcome.__dict__.get("_state") if type(outcome) is _LazyOutcome else None
    if state is None:
        return None
    curriculum, plan, _first, _given, triggers, sums, _ignored, _owed, _th, _policy = state
    first, given, used = _grades_used(state)
    t = plan.teaching_count
    weighted = sum(map(mul, plan.ov_weights, sums[:t]))
    return Worked(
        curriculum=curriculum,
        first=first,
        given=given,
        used=used,
        triggers=triggers,
        sums=sums,
        weights=plan.weights,
        reached=tuple(s >= m for s, m in zip(sums, plan.uv_min, strict=True)),
        overall=(weighted * plan.ov_denominator.denominator, plan.ov_denominator.numerator),
        overall_reached=weighted >= plan.ov_min,
    )
