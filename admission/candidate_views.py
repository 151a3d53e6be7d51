"""What the candidate does in the admission: answer an interview, read the decision, withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admission import services
from admission.documents import decision_letter_pdf
from admission.models import Decision, Interview
from applications import services as app_services
from applications.selectors import get_own_dossier
from cursus.errors import DomainError


@login_required
@require_POST
def interview_respond(request: HttpRequest, pk: int, interview_pk: int) -> HttpResponse:
    dossier = get_own_dossier(request.user, pk)
    try:
        interview = dossier.interviews.get(pk=interview_pk)
    except (ValueError, TypeError, Interview.DoesNotExist):
        raise Http404 from None
    confirm = request.POST.get("answer") == "confirm"
    try:
        services.interview_respond(
            interview=interview, by=request.user, confirm=confirm, message=request.POST.get("message", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Thank you: your answer was sent.")
            if confirm
            else _("Your request for another slot was sent."),
        )
    return redirect("dashboard")


@login_required
def decision_letter(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = get_own_dossier(request.user, pk)
    try:
        decision = Decision.objects.select_related(
            "sitting",
            "dossier__candidate",
            "dossier__offering__program",
            "dossier__offering__session__institution",
        ).get(dossier=dossier)
    except Decision.DoesNotExist:
        raise Http404 from None
    if not decision.is_final:
        raise Http404  # a decision is known only once its sitting is closed (I5)
    response = HttpResponse(decision_letter_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="decision-MS-{dossier.offering.program.code}-{dossier.number}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def dossier_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = get_own_dossier(request.user, pk)
    try:
        app_services.dossier_withdraw(dossier=dossier, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your application has been withdrawn. The application fee is not refunded.")
        )
    return redirect("dashboard")
