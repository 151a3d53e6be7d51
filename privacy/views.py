"""The privacy notice (public) and the person's own data: no id in any URL, only the signed-in person's."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.selectors import is_staff_member
from cursus.errors import DomainError
from privacy import selectors, services
from privacy.forms import ErasureForm


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/notice.html", {"notices": selectors.privacy_notices()})


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """RGAA 4.1: the statement of each institution (public, linked from every page's footer)."""
    return render(request, "privacy/accessibility.html", {"statements": selectors.accessibility_statements()})


@never_cache
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/my_data.html",
        {
            "summary": selectors.data_summary(request.user),
            "pending": selectors.pending_erasure(request.user),
            "kept": selectors.kept_dossiers(request.user),
            "is_staff_account": is_staff_member(request.user),
        },
    )


@never_cache
@login_required
def my_data_export(request: HttpRequest) -> FileResponse:
    archive = services.data_export(user=request.user)
    name = f"cursus-data-{timezone.localdate():%Y%m%d}.zip"
    response = FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def my_data_erase(request: HttpRequest) -> HttpResponse:
    if is_staff_member(request.user):
        messages.error(request, _("Staff accounts are closed by an administrator."))
        return redirect("my_data")
    form = ErasureForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.erasure_request(user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("my_data")
        if outcome.erased_now:
            logout(request)
            messages.success(request, _("Your account and your data have been erased."))
            return redirect("home")
        if outcome.erase_on is not None:
            messages.success(
                request,
                _(
                    "Your request is recorded. Your drafts have been erased; your submitted dossiers will be "
                    "erased after %(date)s, at the end of their retention period."
                )
                % {"date": formats.date_format(outcome.erase_on, "DATE_FORMAT")},
            )
        else:
            messages.success(request, _("Your request is recorded."))
        return redirect("my_data")
    return render(
        request,
        "privacy/erase.html",
        {
            "form": form,
            "summary": selectors.data_summary(request.user),
            "pending": selectors.pending_erasure(request.user),
        },
    )
