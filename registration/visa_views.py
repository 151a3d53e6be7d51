"""Visa screens (issue 8 item 5; R2.8, I11): the candidate's visa page and acceptance letter, and the
decision of the office or finance on a reported refusal, with the list finance works from."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import ADMISSIONS_OFFICE, FINANCE
from applications.models import Dossier
from applications.selectors import get_own_dossier
from cursus.errors import DomainError
from registration import selectors
from registration.models import VisaStatus
from registration.services import visa as services

PER_PAGE = 50


class EfeNumberForm(forms.Form):
    efe_number = forms.CharField(
        label=gettext_lazy("Your “Études en France” file number"),
        max_length=60,
        help_text=gettext_lazy(
            "Letters, digits and hyphens, as Campus France gives it (for example SN25-012345)."
        ),
    )


class RefusalForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Proof of the visa refusal (PDF, JPEG or PNG)"))


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        coerce=lambda v: v == "1",
        choices=[("1", gettext_lazy("Approve the refusal")), ("0", gettext_lazy("Refuse the proof"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=gettext_lazy("Reason (the candidate reads it)"), max_length=300)


def _url_or_none(name: str, *args: Any) -> str | None:
    # Other helpers' pages may not exist yet (contract): link to them only when they do.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _candidate_visa_dossier(user: Any, pk: Any) -> Dossier:
    """The candidate's own dossier, if the visa steps concern it (I2: international, offered a
    place); 404 otherwise, including for a non-international candidate."""
    dossier = get_own_dossier(user, pk)
    if not services.visa_concerns(dossier):
        raise Http404
    return dossier


def _page(
    request: HttpRequest, dossier: Dossier, *, efe_form: Any = None, refusal_form: Any = None
) -> HttpResponse:
    visa = services.visa_or_none(dossier)
    proof = services.refusal_proof(dossier)
    institution = dossier.offering.session.institution
    return render(
        request,
        "registration/visa/page.html",
        {
            "dossier": dossier,
            "program": dossier.offering.program,
            "session": dossier.offering.session,
            "institution": institution,
            "visa": visa,
            "proof": proof,
            "proof_url": _url_or_none("registration_file_download", dossier.pk, proof.pk) if proof else None,
            "letter_available": services.letter_available(dossier),
            "can_report": services.can_report_refusal(dossier),
            "can_record": services.can_record_number(dossier)
            and not (visa is not None and visa.status == VisaStatus.APPROVED),
            "efe_form": efe_form or EfeNumberForm(initial={"efe_number": visa.efe_number if visa else ""}),
            "refusal_form": refusal_form or RefusalForm(),
            "max_mb": settings.UPLOAD_MAX_BYTES // 1_048_576,
            # base.html sums up the errors of `form`: the one just sent.
            "form": efe_form or refusal_form,
        },
    )


@login_required
def visa_page(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _candidate_visa_dossier(request.user, pk)
    if request.method != "POST":
        return _page(request, dossier)
    action = request.POST.get("action")
    if action == "efe_number":
        form = EfeNumberForm(request.POST)
        if form.is_valid():
            try:
                services.visa_record_number(
                    dossier=dossier, by=request.user, efe_number=form.cleaned_data["efe_number"]
                )
            except DomainError as exc:
                form.add_error("efe_number", exc.message)
            else:
                messages.success(request, _("Your “Études en France” file number is recorded."))
                return redirect("visa_page", pk=dossier.pk)
        return _page(request, dossier, efe_form=form)
    if action == "refusal":
        refusal = RefusalForm(request.POST, request.FILES)
        if refusal.is_valid():
            upload = refusal.cleaned_data["file"]
            try:
                services.visa_report_refusal(
                    dossier=dossier, by=request.user, fileobj=upload, name=upload.name, size=upload.size
                )
            except DomainError as exc:
                refusal.add_error("file", exc.message)
            else:
                messages.success(
                    request, _("Your visa refusal has been reported. You will be told the decision by email.")
                )
                return redirect("visa_page", pk=dossier.pk)
        return _page(request, dossier, refusal_form=refusal)
    raise Http404


@login_required
def visa_letter(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _candidate_visa_dossier(request.user, pk)
    try:
        pdf = services.acceptance_letter_pdf(dossier)
    except DomainError:
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="acceptance-MS-{dossier.offering.program.code}-{dossier.number}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# ---- staff -------------------------------------------------------------------------------------


def _office_or_finance(user: Any) -> None:
    if not (user.has_perm(ADMISSIONS_OFFICE) or user.has_perm(FINANCE)):
        raise Http404


def _back(pk: int) -> str:
    return _url_or_none("staff_registration", pk) or reverse("visa_cases")


@login_required
@require_POST
def visa_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _office_or_finance(request.user)
    dossier = selectors.get_registration_dossier_for_staff(request.user, pk)
    if dossier.candidate_id == request.user.pk:
        raise Http404
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a reason: the candidate reads it."))
        return redirect(_back(dossier.pk))
    approve = form.cleaned_data["approve"]
    try:
        services.visa_decide(
            dossier=dossier, by=request.user, approve=approve, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Visa refusal approved: the registration is cancelled and the place has gone to the waiting list."
            )
            if approve
            else _("The proof was refused; the candidate has been told why."),
        )
    return redirect(_back(dossier.pk))


@login_required
def visa_cases(request: HttpRequest) -> HttpResponse:
    _office_or_finance(request.user)
    status = request.GET.get("status", VisaStatus.REPORTED)
    if status != "all" and status not in VisaStatus.values:
        status = VisaStatus.REPORTED
    page = Paginator(services.visa_cases_for_staff(request.user, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    cases = list(page)
    proofs = services.refusal_proofs([v.dossier_id for v in cases])
    has_download = _url_or_none("registration_file_download", 1, 1) is not None
    rows = []
    for v in cases:
        proof = proofs.get(v.dossier_id)
        rows.append(
            {
                "visa": v,
                "dossier": v.dossier,
                "proof": proof,
                "proof_url": _url_or_none("registration_file_download", v.dossier_id, proof.pk)
                if proof and has_download
                else None,
                "staff_url": _url_or_none("staff_registration", v.dossier_id),
                # A declined or released place closes the case: no decision form then.
                "decidable": v.status == VisaStatus.REPORTED
                and getattr(getattr(v.dossier, "offer", None), "status", None) not in services.CLOSED_OFFERS,
            }
        )
    return render(
        request,
        "registration/visa/cases.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": [(v, label) for v, label in VisaStatus.choices if v != VisaStatus.NONE],
        },
    )
