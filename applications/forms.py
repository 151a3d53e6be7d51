import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications.models import DocumentLanguage, Dossier
from applications.rules import EligibilityPath, PaymentChannel, phone_e164
from catalog.models import DocumentType
from cursus.countries import country_choices

PHONE_INVALID = _(
    "This is not a phone number that can be called. Give it with its country code, "
    "e.g. +33 6 12 34 56 78 or +91 98765 43210."
)


# Issue 7 item 7: a birth date that makes the candidate this old on the day the session opens.
MIN_AGE, MAX_AGE = 16, 100
FRENCH_POSTAL_CODE = re.compile(r"\d{5}")


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class IdentityForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = [
            "last_name",
            "first_names",
            "birth_date",
            "birth_place",
            "nationality",
            "second_nationality",
        ]
        widgets = {
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "first_names": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "birth_date": DateInput(attrs={"autocomplete": "bday"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *country_choices()]
        self.fields["nationality"] = forms.ChoiceField(label=capfirst(_("nationality")), choices=choices)
        self.fields["second_nationality"] = forms.ChoiceField(
            label=capfirst(_("second nationality (if any)")), choices=choices, required=False
        )
        for name in ["last_name", "first_names", "birth_date", "birth_place"]:
            self.fields[name].required = True
        today = timezone.localdate()
        self.fields["birth_date"].widget.attrs.update(
            {"max": today.isoformat(), "min": f"{today.year - MAX_AGE - 1}-01-01"}
        )

    def clean_birth_date(self) -> dt.date | None:
        born: dt.date | None = self.cleaned_data.get("birth_date")
        if born is None:
            return born
        today = timezone.localdate()
        if born >= today:
            raise forms.ValidationError(_("The date of birth must be in the past."), code="future")
        session = getattr(getattr(self.instance, "offering", None), "session", None)
        day = session.opens_on if session is not None else today
        if not MIN_AGE <= age_on(born, day) <= MAX_AGE:
            raise forms.ValidationError(
                _("Check the year: applicants are between %(min)d and %(max)d years old.")
                % {"min": MIN_AGE, "max": MAX_AGE},
                code="implausible",
            )
        return born


class ContactForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = ["phone", "address", "postal_code", "city", "country"]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"] = forms.ChoiceField(
            label=capfirst(_("country")),
            choices=[("", "—"), *country_choices()],
            widget=forms.Select(attrs={"autocomplete": "country"}),
        )
        for field in self.fields.values():
            field.required = True
        self.fields["phone"].help_text = _(
            "With its country code when it is not a number of your address's country, e.g. +91 98765 43210."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("phone"):
            # Read in the address's country when it has no +code; stored as E.164 (issue 6 item 5).
            try:
                data["phone"] = phone_e164(data["phone"], region=data.get("country") or None)
            except ValueError:
                self.add_error("phone", PHONE_INVALID)
        postal_code = (data.get("postal_code") or "").strip()
        if data.get("country") == "FR" and postal_code:
            # Issue 7 item 7: a French postal code is five digits; other countries' formats are free.
            postal_code = postal_code.replace(" ", "")
            if FRENCH_POSTAL_CODE.fullmatch(postal_code):
                data["postal_code"] = postal_code
            else:
                self.add_error("postal_code", _("A French postal code has five digits, e.g. 59500."))
        return data


class EligibilityForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = [
            "eligibility_path",
            "diploma_title",
            "diploma_institution",
            "diploma_year",
            "experience_years",
            "bac5_in_progress",
        ]
        widgets = {"eligibility_path": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eligibility_path"].required = True
        self.fields["eligibility_path"].choices = EligibilityPath.choices  # type: ignore[attr-defined]
        self.fields["diploma_title"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("eligibility_path") == EligibilityPath.M1_EXPERIENCE
            and data.get("experience_years") is None
        ):
            self.add_error("experience_years", _("Path (d) needs your years of related experience."))
        if data.get("bac5_in_progress") and data.get("eligibility_path") in {
            EligibilityPath.M1_EXPERIENCE,
            EligibilityPath.NONE,
        }:
            self.add_error(
                "bac5_in_progress", _("'BAC+5 in progress' applies to paths (a), (b), (c), (e) and (f).")
            )
        return data


class FinancingForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = ["financing_intention"]
        widgets = {"financing_intention": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["financing_intention"].required = True
        field: Any = self.fields["financing_intention"]
        field.choices = [c for c in field.choices if c[0]]


SECTION_FORMS: dict[str, type[forms.ModelForm]] = {
    "identity": IdentityForm,
    "contact": ContactForm,
    "eligibility": EligibilityForm,
    "financing": FinancingForm,
}
SECTION_TITLES = {
    "identity": _("Identity"),
    "contact": _("Contact details"),
    "eligibility": _("Eligibility"),
    "financing": _("Financing"),
}


class UploadForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), widget=forms.HiddenInput)
    role = forms.ChoiceField(
        choices=[("original", "original"), ("translation", "translation")], widget=forms.HiddenInput
    )
    language = forms.ChoiceField(label=_("Language of the document"), choices=DocumentLanguage.choices)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["document_type"]
        field.queryset = DocumentType.objects.filter(session_id=dossier.offering.session_id)  # type: ignore[attr-defined]


class FeeDeclarationForm(forms.Form):
    channel = forms.ChoiceField(label=_("How did you pay?"), widget=forms.RadioSelect)
    paid_on = forms.DateField(label=_("Date of payment"), widget=DateInput())

    def __init__(self, *args: Any, channels: list[PaymentChannel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["channel"]
        field.choices = [(c.value, c.label) for c in channels]
