"""Back-office screens on the same site: finance confirms application-fee payments (R2.10, I3)."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import FINANCE
from applications import services
from applications.models import FeePayment, PaymentStatus
from cursus.errors import DomainError


def _finance_only(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


def payments_visible_to(user: Any) -> QuerySet[FeePayment]:
    qs = FeePayment.objects.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session", "confirmed_by"
    )
    if getattr(user, "institution_id", None):
        qs = qs.filter(dossier__offering__session__institution_id=user.institution_id)
    return qs


def _get_payment(user: Any, pk: Any) -> FeePayment:
    _finance_only(user)
    try:
        return payments_visible_to(user).get(pk=pk)
    except (FeePayment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
def fee_payments(request: HttpRequest) -> HttpResponse:
    _finance_only(request.user)
    status = request.GET.get("status", PaymentStatus.DECLARED)
    q = request.GET.get("q", "").strip()
    qs = payments_visible_to(request.user).order_by("declared_at", "id")
    if status in PaymentStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(reference__icontains=q)
            | Q(dossier__last_name__icontains=q)
            | Q(dossier__candidate__email__icontains=q)
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/staff/fee_payments.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "statuses": PaymentStatus.choices,
            "today": timezone.localdate(),
        },
    )


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
