"""Back-office screens on the same site: finance confirms application-fee payments (R2.10, I3)."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import FINANCE
from applications import selectors, services
from applications.models import FeePayment, PaymentStatus
from applications.selectors import payments_visible_to
from catalog.models import AdmissionSession, Program
from cursus.errors import DomainError
from cursus.institutions import scope_queryset

PER_PAGE = 50


def _finance_only(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


def _get_payment(user: Any, pk: Any) -> FeePayment:
    _finance_only(user)
    try:
        return payments_visible_to(user).get(pk=pk)
    except (FeePayment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
def fee_payments(request: HttpRequest) -> HttpResponse:
    _finance_only(request.user)
    g = request.GET
    status = g.get("status", PaymentStatus.DECLARED)
    params = {
        "status": status,
        "q": g.get("q", ""),
        "session": g.get("session", ""),
        "program": g.get("program", ""),
    }
    qs = selectors.fee_payment_list(request.user, **params)
    page = Paginator(qs, PER_PAGE).get_page(g.get("page"))
    return render(
        request,
        "applications/staff/fee_payments.html",
        {
            "page": page,
            **params,
            "query": urlencode(params),
            "statuses": PaymentStatus.choices,
            "sessions": _in_scope(request.user, AdmissionSession.objects.all()),
            "programs": _in_scope(request.user, Program.objects.all()),
            "today": timezone.localdate(),
        },
    )


def _in_scope(user: Any, qs: QuerySet[Any]) -> list[Any]:
    return list(scope_queryset(qs, getattr(user, "institution_id", None)))


@login_required
@require_POST
def fee_payment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _get_payment(request.user, pk)
    try:
        booked_on = dt.date.fromisoformat(request.POST.get("booked_on", ""))
    except ValueError:
        messages.error(request, _("Give the date the bank booked the payment."))
        return redirect("fee_payments")
    if booked_on > timezone.localdate():
        messages.error(request, _("The booking date cannot be in the future."))
        return redirect("fee_payments")
    services.fee_confirm(payment=payment, by=request.user, booked_on=booked_on)
    messages.success(request, _("Payment %(ref)s confirmed.") % {"ref": payment.reference})
    return redirect("fee_payments")


@login_required
@require_POST
def fee_payment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _get_payment(request.user, pk)
    try:
        services.fee_reject(payment=payment, by=request.user, note=request.POST.get("note", "")[:300])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment %(ref)s marked as not found.") % {"ref": payment.reference})
    return redirect("fee_payments")
