"""The deliberation of the studies jury as pure functions over plain values (I12, I13, convention 2).

``deliberate(curriculum, grades, resits=…, owed=…, thresholds=…, policy=…)`` gives an ``Outcome`` with its
reasoning; ``describe(reason, language)`` words it. Nothing here touches the database.
``deliberate`` (fast.py, in integers) gives exactly what ``deliberate_reference`` (rules.py, the rules read
straight with exact Fractions) gives; ``Promotion`` gives it for many students whose grades come as rows.
"""

from studies.deliberation.fast import ABSENT_SLOT, Promotion, deliberate
from studies.deliberation.reasons import describe, exact, outcome_label, shown
from studies.deliberation.report import outcome_to_dict, outcome_to_text
from studies.deliberation.rules import (
    agreement_outlasted,
    apply_resit_policy,
    check_grade,
    deliberate_reference,
    group_grades,
    uv_average,
    weighted_mean,
)
from studies.deliberation.values import (
    ABSENT,
    OUTCOME_RANK,
    Absence,
    Curriculum,
    DeliberationError,
    Grade,
    Grades,
    Outcome,
    OutcomeKind,
    PendingResit,
    ProfessionalKind,
    Reason,
    ResitPolicy,
    Subject,
    SubjectResult,
    Thresholds,
    Trigger,
    Unit,
    UnitResult,
)

__all__ = [
    "ABSENT",
    "ABSENT_SLOT",
    "OUTCOME_RANK",
    "Absence",
    "Curriculum",
    "DeliberationError",
    "Grade",
    "Grades",
    "Outcome",
    "OutcomeKind",
    "PendingResit",
    "ProfessionalKind",
    "Promotion",
    "Reason",
    "ResitPolicy",
    "Subject",
    "SubjectResult",
    "Thresholds",
    "Trigger",
    "Unit",
    "UnitResult",
    "agreement_outlasted",
    "apply_resit_policy",
    "check_grade",
    "deliberate",
    "deliberate_reference",
    "describe",
    "exact",
    "group_grades",
    "outcome_label",
    "outcome_to_dict",
    "outcome_to_text",
    "shown",
    "uv_average",
    "weighted_mean",
]
