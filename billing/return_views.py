"""Finance screens for direct-debit returns and refunds (issue 9 items 8 and 9). Finance of the
institution only; everyone else (office, candidates, directors, jury) gets 404."""

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import FINANCE
from billing.models import (
    BankLine,
    DebitReturn,
    Due,
    LineState,
    Refund,
    RefundReason,
    RefundStatus,
    ReturnKind,
    ReturnOutcome,
)
from billing.references import display
from billing.selectors import with_balances
from billing.services import refunds as refund_svc
from billing.services import returns as svc
from billing.statements.base import StatementError
from catalog.models import Institution
from cursus.errors import DomainError
from cursus.exports import Column, export_response, export_view, requested_format
from cursus.institutions import scope_queryset
from cursus.money import format_eur
from cursus.uploads import too_large_message, upload_too_large

PER_PAGE = 50
MAX_RETURN_FILE = 20 * 1024 * 1024


# ---- access -------------------------------------------------------------------------------------


def _finance_only(user: Any) -> None:
    if not user.has_perm(FINANCE):
        raise Http404


def _scope(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return scope_queryset(qs, getattr(user, "institution_id", None))


def get_return_for_user(user: Any, pk: Any) -> DebitReturn:
    _finance_only(user)
    try:
        return _scope(user, DebitReturn.objects.all()).get(pk=pk)
    except (DebitReturn.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_refund_for_user(user: Any, pk: Any) -> Refund:
    _finance_only(user)
    try:
        return _scope(user, Refund.objects.all()).get(pk=pk)
    except (Refund.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _institution(user: Any, form: forms.Form) -> Institution:
    chosen = form.cleaned_data.get("institution")
    if chosen is not None:
        return chosen
    scope = getattr(user, "institution_id", None)
    if scope is not None:
        return Institution.objects.get(pk=scope)
    return Institution.objects.get()  # one school: nothing to choose (the field is hidden)


class _InstitutionMixin:
    def _institution_field(self, user: Any) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        if getattr(user, "institution_id", None) is not None:
            del fields["institution"]
        elif Institution.objects.count() == 1:
            del fields["institution"]  # one school: nothing to choose


# ---- forms --------------------------------------------------------------------------------------


class ReturnFileForm(_InstitutionMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Return file"),
        help_text=gettext_lazy("pain.002, camt.054 or CFONB 120: the format is recognised from the content."),
    )
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.all(), label=gettext_lazy("Institution")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._institution_field(user)


def _reason_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {label}") for code, label in svc.REASONS.items()]


class ManualReturnForm(_InstitutionMixin, forms.Form):
    key = forms.CharField(
        label=gettext_lazy("End-to-end id or payment reference"),
        max_length=40,
        help_text=gettext_lazy("As the bank gave it, or the reference of the instalment."),
    )
    reason_code = forms.ChoiceField(label=gettext_lazy("Reason code"), choices=_reason_choices)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ReturnKind.choices, initial=ReturnKind.RETURN
    )
    received_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),  # ISO, as a date input needs
    )
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.all(), label=gettext_lazy("Institution")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._institution_field(user)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_received_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


# ---- returns ------------------------------------------------------------------------------------


def return_rows(user: Any, *, state: str = "", reason: str = "") -> QuerySet[DebitReturn]:
    qs = _scope(user, DebitReturn.objects.all())
    if state == "pending":
        qs = qs.filter(outcome=ReturnOutcome.PENDING)
    elif state == "decided":
        qs = qs.exclude(outcome=ReturnOutcome.PENDING)
    if reason:
        qs = qs.filter(reason_code=reason.upper()[:4])
    return qs.select_related(
        "item__due__dossier__offering__program", "item__instalment", "item__mandate"
    ).order_by("-received_on", "-pk")


@login_required
def debit_returns(request: HttpRequest) -> HttpResponse:
    """The returns, pending first by default; upload a return file; enter one by hand."""
    user = request.user
    _finance_only(user)
    upload = ReturnFileForm(user=user, prefix="file")
    manual = ManualReturnForm(user=user, prefix="manual")
    result = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "upload":
            upload = ReturnFileForm(request.POST, request.FILES, user=user, prefix="file")
            if upload_too_large(request):
                upload.add_error("file", too_large_message())
            elif upload.is_valid():
                data = upload.cleaned_data["file"].read(MAX_RETURN_FILE + 1)
                try:
                    if len(data) > MAX_RETURN_FILE:
                        raise DomainError(too_large_message())
                    result = svc.returns_import(institution=_institution(user, upload), data=data, by=user)
                except (DomainError, StatementError) as exc:
                    upload.add_error("file", getattr(exc, "message", str(exc)))
            if result is None:
                status = 400
        elif action == "manual":
            manual = ManualReturnForm(request.POST, user=user, prefix="manual")
            if manual.is_valid():
                c = manual.cleaned_data
                try:
                    svc.return_enter(
                        institution=_institution(user, manual),
                        key=c["key"],
                        kind=c["kind"],
                        reason_code=c["reason_code"],
                        received_on=c["received_on"],
                        by=user,
                    )
                except DomainError as exc:
                    manual.add_error("key", exc.message)
                else:
                    messages.success(request, _("The return is recorded."))
                    return redirect("debit_returns")
            status = 400
        else:
            messages.error(request, _("Unknown action."))
            return redirect("debit_returns")
    g = request.GET
    params = {"state": g.get("state", "pending"), "reason": g.get("reason", "")}
    page = Paginator(return_rows(user, **params), PER_PAGE).get_page(g.get("page"))
    for ret in page.object_list:
        ret.reason_words = svc.reason_text(ret.reason_code)  # type: ignore[attr-defined]
        ret.final = ret.reason_code in svc.FINAL_REASONS  # type: ignore[attr-defined]
    return render(
        request,
        "billing/returns.html",
        {
            "page": page,
            **params,
            "query": urlencode(params),
            "reasons": _reason_choices(),
            "upload": upload,
            "manual": manual,
            "result": result,
        },
        status=status,
    )


@login_required
@require_POST
def debit_return_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Finance decides: present once more, or ask the debtor to pay otherwise."""
    ret = get_return_for_user(request.user, pk)
    try:
        svc.return_decide(debit_return=ret, outcome=request.POST.get("outcome", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded; the debtor is told by email."))
    return redirect(f"{_url('debit_returns')}?state=pending#return-{ret.pk}")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


# ---- refunds ------------------------------------------------------------------------------------


REFUND_STATES = (RefundStatus.TO_PAY, RefundStatus.PAID, RefundStatus.CANCELLED)


def refund_rows(user: Any, *, status: str = "") -> QuerySet[Refund]:
    qs = _scope(user, Refund.objects.all())
    if status in RefundStatus.values:
        qs = qs.filter(status=status)
    return qs.select_related("due__dossier__candidate", "due__dossier__offering__program").order_by(
        "-created_at", "-pk"
    )


def overpaid_dues(user: Any) -> list[Any]:
    """Dues paid beyond what is owed (a negative balance), and those a bank line flagged as paid in
    excess, with what may be refunded on each."""
    flagged = _scope(user, BankLine.objects.filter(state=LineState.EXCESS, due__isnull=False)).values(
        "due_id"
    )
    dues = with_balances(_scope(user, Due.objects.all())).filter(Q(balance__lt=0) | Q(pk__in=flagged))
    # The refunds still to pay on each due, in the same query (no three queries per due).
    open_refunds = (
        Refund.objects.filter(due=OuterRef("pk"), status=RefundStatus.TO_PAY)
        .order_by()
        .values("due")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    dues = dues.annotate(
        open_refunds=Coalesce(Subquery(open_refunds), Value(Decimal("0")), output_field=DecimalField())
    )
    out = []
    for due in dues.select_related("dossier__offering__program").order_by("dossier__last_name", "pk")[:200]:
        due.refundable = refund_svc.refundable_amount(  # type: ignore[attr-defined]
            due,
            balance=due.balance,  # type: ignore[attr-defined]
            paid=due.paid,  # type: ignore[attr-defined]
            open_refunds=Decimal(due.open_refunds).quantize(Decimal("0.01")),  # type: ignore[attr-defined]
        )
        if due.refundable > 0:  # type: ignore[attr-defined]
            out.append(due)
    return out


def _totals(qs: QuerySet[Refund]) -> dict[str, Decimal]:
    sums = {row["status"]: row["s"] for row in qs.order_by().values("status").annotate(s=Sum("amount"))}
    return {s: Decimal(sums.get(s) or 0).quantize(Decimal("0.01")) for s in RefundStatus.values}


@sensitive_post_parameters("iban")  # never in an error report (convention 22)
@login_required
def refunds(request: HttpRequest) -> HttpResponse:
    """Refunds to pay and paid, with totals; the overpayments to refund (“refund the excess”)."""
    user = request.user
    _finance_only(user)
    typed: dict[str, Any] = {}  # what was typed for a refused refund of an excess, shown again
    if request.method == "POST":
        due = _scope(user, Due.objects.all()).filter(pk=_int(request.POST.get("due"))).first()
        beneficiary = request.POST.get("beneficiary", "")[:140]
        iban = request.POST.get("iban", "")[:40]
        try:
            if request.POST.get("action") != "excess" or due is None:
                raise DomainError(_("Choose the amount due whose excess is to be refunded."))
            refund = refund_svc.overpayment_refund(due=due, by=user, beneficiary=beneficiary, iban=iban)
        except DomainError as exc:
            if due is None:
                messages.error(request, exc.message)
                return redirect("refunds")
            typed = {"due": due.pk, "beneficiary": beneficiary, "iban": iban, "error": exc.message}
        else:
            messages.success(
                request, _("Refund of %(amount)s to pay.") % {"amount": format_eur(refund.amount)}
            )
            return redirect("refunds")
    overpaid = overpaid_dues(user)
    if typed and not any(d.pk == typed["due"] for d in overpaid):
        messages.error(request, typed["error"])  # no longer listed: the message goes on top
    status = request.GET.get("status", RefundStatus.TO_PAY)
    page = Paginator(refund_rows(user, status=status), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/refunds.html",
        {
            "page": page,
            "status": status,
            "states": [(s.value, s.label) for s in REFUND_STATES],
            "totals": _totals(_scope(user, Refund.objects.all())),
            "overpaid": overpaid,
            "today": timezone.localdate(),
            "typed": typed,
        },
        status=400 if typed else 200,
    )


@login_required
@require_GET
@export_view("refunds_export")
def refunds_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _finance_only(user)
    fmt = requested_format(request)
    rows = refund_rows(user, status=request.GET.get("status", ""))
    columns: list[Column[Refund]] = [
        Column(_("Refund"), lambda r: r.pk),
        Column(_("Reference"), lambda r: display(r.due.reference)),
        Column(_("Dossier"), lambda r: r.due.dossier.number),
        Column(_("Surname"), lambda r: r.due.dossier.last_name),
        Column(_("First names"), lambda r: r.due.dossier.first_names),
        Column(_("Program"), lambda r: f"MS {r.due.dossier.offering.program.code}"),
        Column(_("Amount due"), lambda r: r.due.label),
        Column(_("Reason"), lambda r: str(RefundReason(r.reason).label)),
        Column(_("Amount (€)"), lambda r: r.amount),
        Column(_("Beneficiary"), lambda r: r.beneficiary),
        Column(_("IBAN (last 4)"), lambda r: r.iban_last4),
        Column(_("Status"), lambda r: str(RefundStatus(r.status).label)),
        Column(_("Created"), lambda r: r.created_at),
        Column(_("Paid on"), lambda r: r.paid_on),
    ]
    return export_response(rows, columns, filename="remboursements", fmt=fmt, request=request)


@login_required
@require_POST
def refund_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a refund paid (with the date the transfer left) or cancel it (with a reason)."""
    refund = get_refund_for_user(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "paid":
            try:
                paid_on = dt.date.fromisoformat(request.POST.get("paid_on", ""))
            except ValueError:
                raise DomainError(_("Give the date the transfer left.")) from None
            refund_svc.refund_mark_paid(refund=refund, paid_on=paid_on, by=request.user)
            messages.success(request, _("The refund is recorded as paid."))
        elif action == "cancel":
            refund_svc.refund_cancel(refund=refund, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("The refund is cancelled."))
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{_url('refunds')}#refund-{refund.pk}")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
