"""Finance's forms on the ledger screens (issue 9)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Due, DueKind
from billing.references import display
from cursus.money import format_eur


class LedgerFilterForm(forms.Form):
    """The list's filters; a bad value is dropped rather than refused (it is a GET)."""

    date_from = forms.DateField(
        label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Due until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CardPaymentForm(forms.Form):
    """A card payment taken on the payment terminal at the candidate's request (issue 9 item 6)."""

    due = forms.ModelChoiceField(queryset=Due.objects.none(), label=_("Amount due"), empty_label=None)
    # Typed as people write it, in either language: 60 / 60,00 / 60.00 / 1 234,56 / 1,234.56.
    amount = forms.CharField(label=_("Amount paid (€)"), max_length=20)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    receipt = forms.CharField(
        label=_("Terminal receipt number"),
        max_length=40,
        help_text=_("As printed on the card terminal's receipt."),
        error_messages={"required": _("Give the receipt number printed by the card terminal.")},
    )

    def __init__(self, *args: Any, dues: list[Due], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["due"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Due.objects.filter(pk__in=[d.pk for d in dues]).order_by("due_on", "pk")
        field.label_from_instance = _due_label  # type: ignore[assignment,method-assign]
        self.fields["paid_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_amount(self) -> Decimal:
        amount = parse_amount(self.cleaned_data["amount"])
        if amount is None or amount <= 0:
            raise forms.ValidationError(_("Give the amount in euros, e.g. 60,00 or 60.00."))
        return amount

    def clean_paid_on(self) -> dt.date:
        paid_on: dt.date = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."))
        return paid_on

    def clean_receipt(self) -> str:
        receipt: str = self.cleaned_data["receipt"].strip()
        if not receipt:
            raise forms.ValidationError(_("Give the receipt number printed by the card terminal."))
        return receipt


def _due_label(due: Due) -> str:
    kind = DueKind(due.kind).label
    return f"{due.label or kind} — {display(due.reference)} — {format_eur(due.amount)}"


def parse_amount(text: str) -> Decimal | None:
    """A positive or negative amount in euros with at most two decimals, or None. The last of `,` and
    `.` is the decimal mark when a third or fewer digits follow it; spaces group thousands."""
    import re
    from decimal import InvalidOperation

    raw = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if not raw:
        return None
    mark = max(raw.rfind(","), raw.rfind("."))
    if mark != -1 and len(raw) - mark - 1 <= 2:
        whole, cents = raw[:mark], raw[mark + 1 :]
    else:
        whole, cents = raw, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        value = Decimal(f"{whole}.{cents or '0'}")
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e9"):
        return None
    return value.quantize(Decimal("0.01"))
