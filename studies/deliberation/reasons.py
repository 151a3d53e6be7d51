"""The reasoning in words, French or English: ``describe(reason, language)``.

Reasons are stored as codes with parameters (values.Reason) so that the same outcome is read in the
language of whoever reads it (I15). Messages are translatable strings; numbers are written the way each
language writes them (9,995 in French, 9.995 in English).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from studies.deliberation.values import Absence, OutcomeKind, Reason, ResitPolicy

MESSAGES: Mapping[str, Promise] = {
    "unit_validated": _("%(unit)s validated: average %(average)s, at least %(threshold)s."),
    "unit_below": _("%(unit)s not validated: average %(average)s, below %(threshold)s."),
    "unit_lacune": _("%(unit)s not validated while %(subjects)s is at or below %(threshold)s."),
    "compensated": _("In %(unit)s, %(subject)s (%(grade)s) is compensated by %(by)s."),
    "resit_lacune": _("Resit in %(subject)s: %(grade)s is at or below %(threshold)s (R1.6)."),
    "resit_absent": _("Resit in %(subject)s: absent, counted as 0."),
    "resit_unit_below": _(
        "Resit in %(subject)s: %(grade)s is below %(threshold)s in %(unit)s, not validated."
    ),
    "resit_overall_below": _(
        "Resit in %(subject)s: %(grade)s is below %(threshold)s and the overall average did not reach it."
    ),
    "resit_applied": _("%(subject)s: first grade %(first)s, resit %(resit)s, counts %(used)s (%(policy)s)."),
    "resit_ignored": _("The resit grade in %(subject)s is ignored: there was no resit to sit in it."),
    "overall_reached": _("Overall average of the teaching units: %(average)s, at least %(threshold)s."),
    "overall_below": _("Overall average of the teaching units: %(average)s, below %(threshold)s."),
    "teaching_validated": _("Teaching part validated."),
    "teaching_not_validated": _("Teaching part not validated."),
    "professional_validated": _("Mission, thesis and defence validated."),
    "professional_not_validated": _("Mission, thesis and defence not validated."),
    "ects": _("ECTS obtained: %(ects)s of 75."),
    "missing": _("Grades missing: %(subjects)s."),
    "missing_resits": _("Resit grades missing: %(subjects)s."),
    "resits_pending": _("Resits to sit: %(subjects)s."),
    "refused": _(
        "Still not validated after the resits: %(parts)s. The degree is refused (R1.9), unless the jury lets "
        "the student repeat under a renewed training agreement (R1.11)."
    ),
    "fees_owed": _(
        "Still owed to the school: %(amount)s. The degree is awarded only once it is paid (R1.8)."
    ),
    "degree": _("Both parts validated, no resit pending, nothing owed: the degree is awarded (I13)."),
}

OUTCOME_LABELS: Mapping[OutcomeKind, Promise] = {
    OutcomeKind.DEGREE: pgettext_lazy("deliberation outcome", "degree awarded"),
    OutcomeKind.FEES_OWED: pgettext_lazy("deliberation outcome", "fees outstanding"),
    OutcomeKind.RESITS: pgettext_lazy("deliberation outcome", "resits to sit"),
    OutcomeKind.REFUSED: pgettext_lazy("deliberation outcome", "refused"),
    OutcomeKind.INCOMPLETE: pgettext_lazy("deliberation outcome", "grades missing"),
}

POLICY_LABELS: Mapping[ResitPolicy, Promise] = {
    ResitPolicy.REPLACE: pgettext_lazy("resit policy", "the resit grade replaces the first"),
    ResitPolicy.BEST: pgettext_lazy("resit policy", "the better grade is kept"),
    ResitPolicy.CAP_10: pgettext_lazy("resit policy", "the resit grade counts at most 10"),
}

PART_LABELS: Mapping[str, Promise] = {
    "teaching": pgettext_lazy("deliberation part", "teaching part"),
    "professional": pgettext_lazy("deliberation part", "mission, thesis and defence"),
}

ABSENT_LABEL = pgettext_lazy("grade", "absent")


def exact(value: Fraction | Decimal) -> str:
    """A number as written with a dot, exact when it has a finite decimal form (9.995), else cut at three
    decimals with an ellipsis (31/3 → 10.333…). Never rounded up: what is shown below 10 is below 10."""
    frac = Fraction(value)
    den = frac.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        text = format(Decimal(frac.numerator) / Decimal(frac.denominator), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        whole, _dot, decimals = text.partition(".")
        return f"{whole}.{decimals.ljust(2, '0')}"
    cut = (Decimal(frac.numerator) / Decimal(frac.denominator)).quantize(
        Decimal("0.001"), rounding=ROUND_DOWN
    )
    return f"{cut}…"


def shown(value: Fraction | Decimal) -> str:
    """Two decimals for tables, cut (never rounded up): 9.995 shows 9.99, so nothing below 10 shows 10.00."""
    frac = Fraction(value)
    return str(
        (Decimal(frac.numerator) / Decimal(frac.denominator)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    )


def _localised(text: str, language: str) -> str:
    return text.replace(".", ",") if language.startswith("fr") else text


def format_value(value: Any, language: str, key: str = "") -> str:
    if value is Absence.ABSENT:
        return str(ABSENT_LABEL)
    if isinstance(value, ResitPolicy):
        return str(POLICY_LABELS[value])
    if key == "amount" and isinstance(value, Decimal):
        return _localised(f"{value.quantize(Decimal('0.01'))}", language) + " €"
    if key == "ects" and isinstance(value, Decimal):
        return _localised(format(value.normalize(), "f"), language)
    if isinstance(value, Fraction | Decimal):
        return _localised(exact(value), language)
    if key == "parts" and isinstance(value, tuple):
        return ", ".join(str(PART_LABELS[p]) for p in value)
    if isinstance(value, tuple | list):
        return ", ".join(format_value(v, language) for v in value)
    return str(value)


def describe(reason: Reason, language: str) -> str:
    """The reason as a sentence in ``language`` ("fr" or "en")."""
    with translation.override(language):
        params = {key: format_value(value, language, key) for key, value in reason.params.items()}
        return str(MESSAGES[reason.code]) % params


def outcome_label(kind: OutcomeKind, language: str) -> str:
    with translation.override(language):
        return str(OUTCOME_LABELS[kind])
