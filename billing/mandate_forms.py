"""The mandate's signing form (issue 9 item 7): the same fields for the student and for a company's
signatory. The checks that make a mandate (IBAN, BIC, address, consent) are the service's
(``billing.services.mandates``); the form keeps what was typed and shows each message beside its field."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Mandate
from cursus.countries import country_choices


class MandateSignForm(forms.Form):
    signatory_name = forms.CharField(
        label=_("Your name (the person signing for the company)"), max_length=140, required=False
    )
    debtor_name = forms.CharField(label=_("Account holder"), max_length=70, required=False)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        required=False,
        help_text=_("As on your bank details (RIB), with or without spaces."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=20,
        required=False,
        help_text=_("Found from the IBAN when left empty."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    street = forms.CharField(
        label=_("Street and number"),
        max_length=70,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    town = forms.CharField(
        label=_("Town"),
        max_length=35,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.ChoiceField(
        label=_("Country"), required=False, widget=forms.Select(attrs={"autocomplete": "country"})
    )
    # Labelled for the page's error summary; the template renders the box with the consent sentence.
    consent = forms.BooleanField(label=_("Your consent"), required=False)

    def __init__(self, *args: Any, company: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]  # type: ignore[attr-defined]
        if not company:
            del self.fields["signatory_name"]

    @staticmethod
    def initial_of(mandate: Mandate) -> dict[str, str]:
        return {
            "debtor_name": mandate.debtor_name,
            "street": mandate.street,
            "postcode": mandate.postcode,
            "town": mandate.town,
            "country": mandate.country,
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "iban": data.get("iban") or "",
            "bic": data.get("bic") or "",
            "debtor_name": data.get("debtor_name") or "",
            "street": data.get("street") or "",
            "postcode": data.get("postcode") or "",
            "town": data.get("town") or "",
            "country": data.get("country") or "",
            "consent": bool(data.get("consent")),
            "signatory_name": data.get("signatory_name") or "",
        }

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
