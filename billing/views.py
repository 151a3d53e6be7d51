"""The ledger screens (issue 9 items 1 and 6): every amount due with its balance, filters, totals and
exports for the accounting office; one dossier's lines with the running balance, where finance records
a card payment taken on request. Finance and the admissions office of the institution (the office
reads only); everybody else gets 404.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing import selectors as sel
from billing.forms import CardPaymentForm, LedgerFilterForm
from billing.models import Channel, Due, DueKind
from billing.references import display
from billing.services.ledger import payment_record
from catalog.models import AdmissionSession, Program
from cursus.errors import DomainError
from cursus.exports import Column, export_response, export_view, requested_format
from cursus.institutions import scope_queryset, user_scope
from cursus.money import format_eur

PER_PAGE = 50


def _state_choices() -> list[tuple[str, str]]:
    # Translated at request time, in the language of the person asking.
    return [
        (sel.DueState.OPEN, _("Open")),
        (sel.DueState.PAID, _("Paid")),
        (sel.DueState.OVERPAID, _("Paid more than due")),
        (sel.DueState.CANCELLED, _("Cancelled")),
    ]


def _state_label(state: str) -> str:
    return dict(_state_choices()).get(state, state)


def _may_see(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not sel.may_see_ledger(user):
        raise Http404


def _params(g: QueryDict) -> tuple[dict[str, str], dt.date | None, dt.date | None]:
    params = {k: g.get(k, "").strip() for k in ("q", "kind", "state", "program", "session")}
    dates = LedgerFilterForm(g)
    date_from = date_to = None
    if dates.is_valid():
        date_from, date_to = dates.cleaned_data["date_from"], dates.cleaned_data["date_to"]
    params["date_from"] = date_from.isoformat() if date_from else ""
    params["date_to"] = date_to.isoformat() if date_to else ""
    return params, date_from, date_to


def _rows(request: HttpRequest) -> tuple[QuerySet[Due], sel.LedgerTotals, dict[str, str]]:
    params, date_from, date_to = _params(request.GET)
    rows, totals = sel.ledger_rows(
        request.user,
        q=params["q"],
        kind=params["kind"],
        state=params["state"],
        program=params["program"],
        session=params["session"],
        date_from=date_from,
        date_to=date_to,
    )
    return rows, totals, params


def _in_scope(user: Any, qs: QuerySet[Any]) -> list[Any]:
    return list(scope_queryset(qs, user_scope(user)))


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    _may_see(request.user)
    rows, totals, params = _rows(request)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode(params)
    return render(
        request,
        "billing/ledger.html",
        {
            "page": page,
            "totals": totals,
            **params,
            "query": query,
            "kinds": DueKind.choices,
            "states": _state_choices(),
            "sessions": _in_scope(request.user, AdmissionSession.objects.order_by("-opens_on")),
            "programs": _in_scope(request.user, Program.objects.order_by("code")),
        },
    )


def _candidate_email(d: Due) -> str:
    return d.dossier.candidate.email


@login_required
@export_view("ledger_export")
def ledger_export(request: HttpRequest) -> HttpResponse:
    _may_see(request.user)
    fmt = requested_format(request)
    rows, _totals, _params_ = _rows(request)
    columns: list[Column[Any]] = [
        Column(_("Reference"), lambda d: display(d.reference)),
        Column(_("Kind"), lambda d: str(DueKind(d.kind).label)),
        Column(_("Label"), lambda d: d.label),
        Column(_("Dossier"), lambda d: d.dossier.number),
        Column(_("Surname"), lambda d: d.dossier.last_name),
        Column(_("First names"), lambda d: d.dossier.first_names),
        Column(_("Email"), _candidate_email),
        Column(_("Program"), lambda d: f"MS {d.dossier.offering.program.code}"),
        Column(_("Session"), lambda d: d.dossier.offering.session.name),
        Column(_("Due on"), lambda d: d.due_on),
        Column(_("Amount due (€)"), lambda d: d.amount),
        Column(_("Paid (€)"), lambda d: d.paid),
        Column(_("Balance (€)"), lambda d: d.balance),
        Column(_("State"), lambda d: _state_label(d.state)),
        Column(_("Cancelled at"), lambda d: d.cancelled_at),
    ]
    return export_response(rows, columns, filename="grand-livre", fmt=fmt, request=request)


@login_required
def ledger_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = sel.get_ledger_dossier(request.user, pk)
    ledger_ = sel.person_ledger(request.user, dossier)
    may_record = sel.may_record_payments(request.user)
    form = None
    if may_record and ledger_.open_dues:
        form = CardPaymentForm(dues=ledger_.open_dues, initial={"due": ledger_.open_dues[0].pk})
    if request.method == "POST":
        if not may_record:
            raise Http404
        form = CardPaymentForm(request.POST, dues=ledger_.open_dues)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment_record(
                    due=data["due"],
                    amount=data["amount"],
                    booked_on=data["paid_on"],
                    channel=Channel.CARD,
                    by=request.user,
                    note=_("Card terminal receipt no. %(n)s") % {"n": data["receipt"]},
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Card payment of %(amount)s recorded on %(ref)s.")
                    % {"amount": format_eur(data["amount"]), "ref": display(data["due"].reference)},
                )
                return redirect("ledger_dossier", pk=dossier.pk)
    return render(
        request,
        "billing/ledger_dossier.html",
        {
            "dossier": dossier,
            "ledger": ledger_,
            "form": form,
            "may_record": may_record,
            "state_labels": dict(_state_choices()),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )
