"""The office's forms on a registration page: extend a window, move a waiting candidate (issue 8
items 2, 3). The services check everything again; these only read what was typed."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DateInput


class ExtendForm(forms.Form):
    until = forms.DateField(
        label=_("New last day (the window ends at 23:59:59, Paris time)"),
        widget=DateInput,
        error_messages={"required": _("Give the new last day."), "invalid": _("Give a valid date.")},
    )
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=300,
        error_messages={"required": _("Give a reason for the extension.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the page may show the waiting-list form, with its own "reason", beside it.
        kwargs.setdefault("auto_id", "extend_%s")
        super().__init__(*args, **kwargs)


class WaitlistMoveForm(forms.Form):
    rank = forms.IntegerField(
        label=_("New rank"),
        min_value=1,
        error_messages={"required": _("Give the new rank."), "invalid": _("Give a whole number.")},
    )
    reason = forms.CharField(
        label=_("Reason for the change of rank"),
        max_length=300,
        error_messages={"required": _("Give a reason for the change of rank.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "move_%s")
        super().__init__(*args, **kwargs)


class FileVerdictForm(forms.Form):
    """The office's check of a registration document: accepted, or refused with a reason."""

    verdict = forms.ChoiceField(
        label=_("Check"),
        choices=[("accepted", _("Accept")), ("refused", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose to accept or refuse the document.")},
    )
    reason = forms.CharField(
        label=_("Reason (required to refuse; the candidate reads it)"), max_length=300, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verdict") == "refused" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the document is refused: the candidate reads it."))
        return data
