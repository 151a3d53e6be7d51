"""The candidate's registration form (issue 8 item 4). Nothing is required to save a draft: what is
typed is kept; the service says what is still missing when the candidate completes."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DateInput
from applications.rules import Financing
from cursus.errors import DomainError
from registration.models import Registration
from registration.services.enrolment import FIELDS, siret_clean


class RegistrationForm(forms.Form):
    financing = forms.ChoiceField(
        label=_("How is your training financed?"),
        choices=Financing.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    cvec_number = forms.CharField(
        label=_("CVEC attestation number"),
        max_length=40,
        required=False,
        help_text=_("On the attestation you get after paying the CVEC on cvec.etudiant.gouv.fr."),
    )
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    company_siret = forms.CharField(
        label=_("SIRET"), max_length=20, required=False, help_text=_("14 digits, e.g. 732 829 320 00074.")
    )
    company_address = forms.CharField(
        label=_("Company address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    company_contact = forms.CharField(
        label=_("Contact person at the company"), max_length=200, required=False
    )
    company_billing_email = forms.EmailField(
        label=_("Billing email"),
        required=False,
        error_messages={"invalid": _("This billing email address is not valid (e.g. invoices@company.fr).")},
    )
    agreement_starts_on = forms.DateField(
        label=_("Training agreement starts on"), required=False, widget=DateInput()
    )
    agreement_ends_on = forms.DateField(
        label=_("Training agreement ends on"), required=False, widget=DateInput()
    )

    MODE_FIELDS = {
        Financing.PERSONAL: ("cvec_number",),
        Financing.COMPANY: (
            "company_name",
            "company_siret",
            "company_address",
            "company_contact",
            "company_billing_email",
            "agreement_starts_on",
            "agreement_ends_on",
        ),
        Financing.JOB_SEEKER: (),
    }

    @classmethod
    def initial_of(cls, registration: Registration) -> dict[str, Any]:
        return {k: getattr(registration, k) for k in FIELDS}

    def clean_company_siret(self) -> str:
        try:
            return siret_clean(self.cleaned_data.get("company_siret", ""))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("agreement_starts_on"), data.get("agreement_ends_on")
        if start and end and end <= start:
            self.add_error("agreement_ends_on", _("The training agreement must end after it starts."))
        return data

    def mode_fields(self, mode: str) -> list[forms.BoundField]:
        return [self[name] for name in self.MODE_FIELDS.get(mode, ())]  # type: ignore[call-overload]

    @property
    def personal_fields(self) -> list[forms.BoundField]:
        return self.mode_fields(Financing.PERSONAL)

    @property
    def company_fields(self) -> list[forms.BoundField]:
        return self.mode_fields(Financing.COMPANY)
