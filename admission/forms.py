import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import InterviewMode, JurySitting, Outcome
from applications.forms import PHONE_INVALID, DateInput
from applications.rules import phone_e164

PARIS = ZoneInfo("Europe/Paris")


class OpinionForm(forms.Form):
    favourable = forms.TypedChoiceField(
        label=_("Opinion"),
        choices=[("1", _("Favourable")), ("0", _("Unfavourable"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required when unfavourable)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    no_interview = forms.BooleanField(
        label=_("No interview is needed: cancel the proposed one (the candidate is told)"), required=False
    )

    def __init__(self, *args: Any, pending_interview: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not pending_interview:
            del self.fields["no_interview"]  # asked only while an interview is only proposed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("favourable") is False and not (data.get("comment") or "").strip():
            self.add_error("comment", _("An unfavourable opinion needs a comment."))
        return data


class InterviewForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time (Paris)"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=10, max_value=180, initial=30)
    mode = forms.ChoiceField(label=_("Mode"), choices=InterviewMode.choices, widget=forms.RadioSelect)
    link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    phone = forms.CharField(label=_("Number you will call"), required=False, max_length=40)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        if not raw:
            return ""
        try:
            return phone_e164(raw)  # E.164: it goes into the .ics invitation (issue 6 item 5)
        except ValueError:
            raise forms.ValidationError(PHONE_INVALID, code="phone") from None

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"], tzinfo=PARIS)


class InterviewNotesForm(forms.Form):
    notes = forms.CharField(label=_("Notes of the interview"), widget=forms.Textarea(attrs={"rows": 4}))


class IncompleteForm(forms.Form):
    missing = forms.CharField(
        label=_("Anything else the candidate must fix (one item a line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # refused documents are sent with their reasons without being retyped
    )
    ask_document = forms.BooleanField(
        label=_("It asks for a document that is not in the list: the candidate must upload it"),
        required=False,
    )


class MoveForm(forms.Form):
    sitting = forms.ModelChoiceField(label=_("Sitting"), queryset=JurySitting.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, session_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["sitting"]
        field.queryset = JurySitting.objects.filter(session_id=session_id, status="open")


class DecisionForm(forms.Form):
    # No outcome is preselected (issue 7 item 2): an empty choice first, refused as "choose one".
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("— choose a decision —")), *Outcome.choices],
        error_messages={"required": _("Choose a decision.")},
    )
    waitlist_rank = forms.IntegerField(label=_("Rank"), min_value=1, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
