"""The deliberation's plain values: what goes in (curriculum, grades, thresholds, policy) and what comes out.

Nothing here touches the database: the models (later) build these values and store what comes out.
Averages are :class:`fractions.Fraction` — exact, so that 9.995 stays below 10 (I12); grades, coefficients,
ECTS and amounts are :class:`decimal.Decimal` (convention 12), never floats.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

TEACHING_ECTS = Decimal(45)  # R1.4
PROFESSIONAL_ECTS = Decimal(30)  # R1.4
GRADE_MAX = Decimal(20)  # I12: grades are on 20
CAP = Decimal(10)  # ResitPolicy.CAP_10: a resit grade counts at most 10


class DeliberationError(ValueError):
    """The input cannot be deliberated (a curriculum not worth 45 + 30 ECTS, a grade of 21…)."""


class Absence(enum.Enum):
    """A recorded absence. It counts as 0 in every average and, being at or below 5, sends the student to
    a resit in that subject (I12): an absence is never silently left out of an average."""

    ABSENT = "ABS"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absence.ABSENT
Grade = Decimal | Literal[Absence.ABSENT]
Grades = Mapping[str, Grade]  # subject code -> grade


class ResitPolicy(enum.StrEnum):
    """How a resit grade combines with the first grade (I12, set per program)."""

    REPLACE = "replace"  # the resit grade replaces the first, even when lower
    BEST = "best"  # the better of the two
    CAP_10 = "cap"  # the resit grade replaces the first but counts at most 10


class ProfessionalKind(enum.StrEnum):
    """The three graded components of the professional part (R1.4, R1.7)."""

    MISSION = "mission"
    THESIS = "thesis"
    DEFENCE = "defence"


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    coefficient: Decimal
    kind: ProfessionalKind | None = None  # set on the professional part's components only

    def __post_init__(self) -> None:
        if (
            not isinstance(self.coefficient, Decimal)
            or not self.coefficient.is_finite()
            or self.coefficient <= 0
        ):
            raise DeliberationError(f"Subject {self.code}: the coefficient must be a positive Decimal.")


@dataclass(frozen=True)
class Unit:
    """A teaching unit (UV), or the professional part: both follow the same rules (I12)."""

    code: str
    name: str
    ects: Decimal
    subjects: tuple[Subject, ...]

    def __post_init__(self) -> None:
        if not self.subjects:
            raise DeliberationError(f"Unit {self.code} has no subject.")
        if not isinstance(self.ects, Decimal) or self.ects <= 0:
            raise DeliberationError(f"Unit {self.code}: ECTS must be a positive Decimal.")


@dataclass(frozen=True)
class Curriculum:
    """Teaching UVs worth 45 ECTS in all and the professional part worth 30 (R1.4)."""

    units: tuple[Unit, ...]
    professional: Unit

    def __post_init__(self) -> None:
        teaching = sum((u.ects for u in self.units), Decimal(0))
        if teaching != TEACHING_ECTS:
            raise DeliberationError(
                f"The teaching units are worth {teaching} ECTS; they must be worth 45 (R1.4)."
            )
        if self.professional.ects != PROFESSIONAL_ECTS:
            raise DeliberationError(
                f"The professional part is worth {self.professional.ects} ECTS; it must be worth 30 (R1.4)."
            )
        codes = [s.code for s in self.subjects()]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise DeliberationError(f"Subject codes used twice: {', '.join(dupes)}.")
        unit_codes = [u.code for u in self.all_units()]
        if len(set(unit_codes)) != len(unit_codes):
            raise DeliberationError("Two units share a code.")
        if any(s.kind is not None for u in self.units for s in u.subjects):
            raise DeliberationError("Only the professional part's components have a kind.")
        kinds = sorted(str(s.kind) for s in self.professional.subjects)
        if kinds != sorted(str(k) for k in ProfessionalKind):
            raise DeliberationError(
                "The professional part must have exactly one mission, one thesis and one defence (R1.4, R1.7)."
            )

    def all_units(self) -> tuple[Unit, ...]:
        return (*self.units, self.professional)

    def subjects(self) -> tuple[Subject, ...]:
        return tuple(s for u in self.all_units() for s in u.subjects)


@dataclass(frozen=True)
class Thresholds:
    """I12's thresholds, settings with these defaults."""

    uv_pass: Decimal = Decimal(10)
    overall_pass: Decimal = Decimal(10)
    resit_at_or_below: Decimal = Decimal(5)


class OutcomeKind(enum.StrEnum):
    DEGREE = "degree"
    FEES_OWED = "fees_owed"
    RESITS = "resits"
    REFUSED = "refused"
    INCOMPLETE = "incomplete"


# The order used by "a better grade never makes the outcome worse". DEGREE is best. FEES_OWED comes next:
# every part is validated and only a payment is missing. RESITS: nothing is lost yet. REFUSED: a part is
# still not validated after the resits (R1.9). INCOMPLETE (grades missing) is no verdict and has no rank.
OUTCOME_RANK: Mapping[OutcomeKind, int] = {
    OutcomeKind.DEGREE: 3,
    OutcomeKind.FEES_OWED: 2,
    OutcomeKind.RESITS: 1,
    OutcomeKind.REFUSED: 0,
}


class Trigger(enum.StrEnum):
    """Why a subject is sent to a resit (I12)."""

    LACUNE = "lacune"  # graded at or below 5: whatever the UV average
    ABSENT = "absent"  # absent: counts as 0, so a lacune
    UNIT_BELOW = "unit_below"  # the UV's average is below 10 and the subject is below 10
    OVERALL_BELOW = "overall_below"  # every UV reached 10 but the overall average did not (see rules.py)


@dataclass(frozen=True)
class Reason:
    """A sentence of the reasoning: a message code and its parameters, rendered by ``describe``."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectResult:
    code: str
    name: str
    coefficient: Decimal
    first: Grade | None  # None: not graded yet
    resit: Grade | None  # None: no resit grade (none required, or not given yet)
    used: Decimal | None  # the grade that counts, after the policy (an absence is 0)
    resit_triggers: tuple[Trigger, ...] = ()
    compensated_by: tuple[str, ...] = ()  # below the UV threshold, offset by these subjects (above it)


@dataclass(frozen=True)
class UnitResult:
    code: str
    name: str
    ects: Decimal
    professional: bool
    subjects: tuple[SubjectResult, ...]
    average: Fraction | None  # exact; None while a grade is missing
    validated: bool
    ects_awarded: Decimal


@dataclass(frozen=True)
class PendingResit:
    subject: str
    unit: str
    triggers: tuple[Trigger, ...]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    after_resits: bool  # False: the first session; True: resit grades were given and the policy applied
    policy: ResitPolicy
    thresholds: Thresholds
    units: tuple[UnitResult, ...]  # the teaching UVs, in curriculum order
    professional: UnitResult
    overall: Fraction | None  # ECTS-weighted mean of the teaching UVs' averages, exact
    teaching_validated: bool
    professional_validated: bool
    ects_obtained: Decimal
    resits: tuple[PendingResit, ...]  # to sit (first session), or sat (after resits)
    missing: tuple[str, ...]  # subjects without a grade (or a required resit without its grade)
    owed: Decimal
    reasons: tuple[Reason, ...]
    ignored_resits: tuple[str, ...] = ()  # resit grades given for a subject that had no resit to sit

    @property
    def rank(self) -> int:
        return OUTCOME_RANK[self.kind]
