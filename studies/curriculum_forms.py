"""Forms of the curriculum screens (issue 10 items 1, 2, 6). Choices are given as plain lists made once per
page, so that a page of many subjects asks the database for its teachers once (convention 16)."""

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from studies.models import Component, ResitPolicy

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CurriculumNewForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"))
    academic_year = forms.RegexField(
        label=_("Academic year"),
        regex=r"^\d{4}-\d{4}$",
        max_length=9,
        help_text=_("For example 2025-2026."),
        error_messages={"invalid": _("An academic year is written 2025-2026.")},
    )
    resit_policy = forms.ChoiceField(label=_("Resit policy"), choices=ResitPolicy.choices)

    def __init__(self, *args: Any, programs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["program"]).choices = [
            ("", "—"),
            *((str(p.pk), f"{p} — {p.title}") for p in programs),
        ]


class CurriculumSettingsForm(forms.Form):
    resit_policy = forms.ChoiceField(label=_("Resit policy"), choices=ResitPolicy.choices)
    resit_session_on = forms.DateField(label=_("Resit session"), required=False, widget=DATE)


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    ects = forms.DecimalField(
        label=_("ECTS"), max_digits=4, decimal_places=1, min_value=Decimal("0.5"), max_value=Decimal(75)
    )
    professional = forms.BooleanField(label=_("Professional part (mission, thesis, defence)"), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, required=False)


class SubjectForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    coefficient = forms.DecimalField(
        label=_("Coefficient"), max_digits=5, decimal_places=2, min_value=Decimal("0.01")
    )
    component = forms.ChoiceField(
        label=_("Component of the professional part"),
        required=False,
        choices=[("", pgettext_lazy("component", "none (a teaching subject)")), *Component.choices],
    )
    teachers = forms.MultipleChoiceField(label=_("Teachers"), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, required=False)

    def __init__(self, *args: Any, units: list[Any], teachers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            (str(u.pk), f"{u.code} — {u.name}") for u in units
        ]
        cast(forms.ChoiceField, self.fields["teachers"]).choices = [
            (str(t.pk), t.get_full_name() or t.email) for t in teachers
        ]
        self.fields["teachers"].widget.attrs["size"] = str(min(max(len(teachers), 2), 6))


class CopyForm(forms.Form):
    academic_year = forms.RegexField(
        label=_("Copy to the academic year"),
        regex=r"^\d{4}-\d{4}$",
        max_length=9,
        error_messages={"invalid": _("An academic year is written 2025-2026.")},
    )


class ThesisForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=300)
    host_company = forms.CharField(label=_("Host company"), max_length=200)
    company_tutor = forms.CharField(label=_("Company tutor"), max_length=200)
    academic_tutor = forms.ChoiceField(label=_("Academic tutor"), required=False)
    defence_on = forms.DateField(label=_("Defence date"), required=False, widget=DATE)
    approve = forms.BooleanField(label=_("I approve this topic (program director, R1.7)"), required=False)

    def __init__(self, *args: Any, tutors: list[Any], can_approve: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["academic_tutor"]).choices = [
            ("", "—"),
            *((str(t.pk), t.get_full_name() or t.email) for t in tutors),
        ]
        if not can_approve:
            del self.fields["approve"]


class RenewalForm(forms.Form):
    starts_on = forms.DateField(label=_("New agreement starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("New agreement ends on"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts: dt.date | None = data.get("starts_on")
        ends: dt.date | None = data.get("ends_on")
        if starts and ends and ends <= starts:
            self.add_error("ends_on", _("The new agreement ends after it starts."))
        return data
