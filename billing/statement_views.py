"""Finance screens for bank statements (issue 9 items 3 and 4): upload with progress, the lines of an
import, and the triage queue of lines that need a person. Finance of the institution only; everyone
else (office, candidates, directors, jury) gets 404."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import FINANCE
from applications.selectors import search_key
from applications.services import fee_booked_in_time
from billing.models import BankLine, CsvMapping, Due, ImportStatus, LedgerLine, LineState, StatementImport
from billing.references import find_references
from billing.services import statements as svc
from billing.services.matching import ZERO, legacy_references
from catalog.models import Institution
from cursus.errors import DomainError
from cursus.institutions import scope_queryset
from cursus.uploads import too_large_message, upload_too_large

PER_PAGE = 50
LINES_PER_PAGE = 100
# What waits for a person: a proposal to accept, a line nobody matched, a payment short of or over
# what was due (refund review), money for a due already paid.
TRIAGE_STATES = (
    LineState.PROPOSED,
    LineState.UNMATCHED,
    LineState.PARTIAL,
    LineState.EXCESS,
    LineState.ALREADY_PAID,
)


# ---- access -------------------------------------------------------------------------------------


def _finance_only(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


def _scope(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return scope_queryset(qs, getattr(user, "institution_id", None))


def get_import_for_user(user: Any, pk: Any) -> StatementImport:
    _finance_only(user)
    try:
        return _scope(user, StatementImport.objects.select_related("csv_mapping", "uploaded_by")).get(pk=pk)
    except (StatementImport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_line_for_user(user: Any, pk: Any) -> BankLine:
    _finance_only(user)
    try:
        return _scope(user, BankLine.objects.all()).get(pk=pk)
    except (BankLine.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---- reads --------------------------------------------------------------------------------------


def _lines(qs: QuerySet[BankLine]) -> QuerySet[BankLine]:
    return qs.select_related(
        "due__dossier__offering__program",
        "proposed_due__dossier__offering__program",
        "statement",
    ).prefetch_related(
        Prefetch(
            "ledger_lines",
            queryset=LedgerLine.objects.filter(fee_payment__isnull=False).select_related(
                "fee_payment__dossier__offering__session"
            ),
            to_attr="fee_lines",
        )
    )


def _mark_late(lines: Any) -> list[BankLine]:
    """I3: a fee confirmed from a line booked after the deadline plus grace is shown as late."""
    out = list(lines)
    for line in out:
        fee_lines = getattr(line, "fee_lines", [])
        line.late = any(not fee_booked_in_time(fl.fee_payment) for fl in fee_lines)  # type: ignore[attr-defined]
    return out


def _amount(text: str) -> Decimal | None:
    cleaned = (
        text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    )
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern already checked it
        return None


def triage_lines(user: Any, *, q: str = "", state: str = "") -> QuerySet[BankLine]:
    qs = _scope(user, BankLine.objects.all())
    from billing.selectors import TO_SORT

    qs = qs.filter(state=state) if state in TRIAGE_STATES else qs.filter(state__in=TO_SORT)
    q = q.strip()
    if q:
        cond = Q(payer__icontains=q) | Q(remittance__icontains=q) | Q(entry_reference__icontains=q)
        amount = _amount(q)
        if amount is not None:
            cond |= Q(amount=amount)
        qs = qs.filter(cond)
    return _lines(qs).order_by("booked_on", "pk")


def due_search(user: Any, text: str, *, limit: int = 20) -> list[Due]:
    """Open or paid dues a person looks for when assigning a line: by payment reference, by the fee
    reference or a dossier number, or by every word of the name (accents and case ignored)."""
    text = text.strip()
    if not text:
        return []
    cond = Q(reference__in=find_references(text))
    numbers = [n for _code, n in legacy_references(text)]
    if text.lstrip("0").isdigit():
        numbers.append(int(text))
    if numbers:
        cond |= Q(dossier_id__in=numbers)
    words = search_key(text).split()
    if words and not text.isdigit():
        name = Q()
        for word in words:
            name &= Q(dossier__search_name__contains=word)
        cond |= name
    qs = (
        _scope(user, Due.objects.filter(cancelled_at__isnull=True))
        .filter(cond)
        .select_related("dossier__offering__program", "dossier__candidate")
        .annotate(left=Coalesce(Sum("lines__amount"), ZERO))
        .order_by("dossier__last_name", "due_on", "pk")
    )
    return list(qs[:limit])


# ---- forms --------------------------------------------------------------------------------------


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Statement file"),
        help_text=gettext_lazy("CFONB 120, camt.053 or CSV: the format is recognised from the content."),
    )
    mapping = forms.ModelChoiceField(
        queryset=CsvMapping.objects.none(),
        required=False,
        label=gettext_lazy("CSV column mapping"),
        help_text=gettext_lazy("Only for a CSV file: the bank whose columns it follows."),
        empty_label=gettext_lazy("— (not a CSV file)"),
    )
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.all(), label=gettext_lazy("Institution")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = _scope(user, CsvMapping.objects.order_by("name"))  # type: ignore[attr-defined]
        if getattr(user, "institution_id", None) is not None:
            del self.fields["institution"]
        else:
            institutions = Institution.objects.order_by("name")
            if institutions.count() == 1:
                # One school: nothing to choose.
                self.fields["institution"].initial = institutions.first()


# ---- screens ------------------------------------------------------------------------------------


@login_required
def statements(request: HttpRequest) -> HttpResponse:
    """Upload a statement; the imports with their status and counts."""
    user = request.user
    _finance_only(user)
    form = StatementUploadForm(user=user)
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES, user=user)
        if upload_too_large(request):
            form.add_error("file", too_large_message())
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            institution = form.cleaned_data.get("institution") or Institution.objects.get(
                pk=getattr(user, "institution_id", 0)
            )
            try:
                imp = svc.statement_upload(
                    institution=institution,
                    by=user,
                    fileobj=upload,
                    name=upload.name or "",
                    size=upload.size or 0,
                    mapping=form.cleaned_data.get("mapping"),
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, _("Statement received: its lines are being imported."))
                return redirect("statement_detail", imp.pk)
    imports = _scope(
        user, StatementImport.objects.select_related("csv_mapping", "uploaded_by", "institution")
    )
    page = Paginator(imports.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/statements.html", {"form": form, "page": page}, status=status)


@login_required
@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import: its progress while it runs (the page polls itself), then its lines."""
    imp = get_import_for_user(request.user, pk)
    running = imp.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    page = None
    if not running:
        page = Paginator(_lines(imp.lines.order_by("pk")), LINES_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = _mark_late(page.object_list)
    percent = int(imp.done * 100 / imp.total) if imp.total else 0
    return render(
        request,
        "billing/statements_detail.html",
        {"imp": imp, "running": running, "page": page, "percent": percent},
    )


@login_required
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    """The lines that need a person: accept, assign, discard, comment."""
    user = request.user
    _finance_only(user)
    g = request.GET
    params = {"q": g.get("q", ""), "state": g.get("state", "")}
    page = Paginator(triage_lines(user, **params), PER_PAGE).get_page(g.get("page"))
    page.object_list = _mark_late(page.object_list)
    # The due search of one line: ?line=<pk>&find=<text>
    find, find_line, found = g.get("find", "").strip(), g.get("line", ""), []
    if find and find_line:
        found = due_search(user, find)
    return render(
        request,
        "billing/triage.html",
        {
            "page": page,
            **params,
            "query": urlencode(params),
            "states": [(s.value, s.label) for s in TRIAGE_STATES],
            "find": find,
            "find_line": find_line,
            "found": found,
            "here": request.get_full_path(),
        },
    )


@login_required
@require_POST
def bank_line_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One triage move on a line: accept, assign, discard, comment."""
    user = request.user
    line = get_line_for_user(user, pk)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")[:1000]
    try:
        if action == "accept":
            svc.line_accept(line=line, by=user)
            messages.success(request, _("The payment is recorded."))
        elif action == "assign":
            due = _scope(user, Due.objects.all()).filter(pk=_int(request.POST.get("due"))).first()
            if due is None:
                raise DomainError(_("Choose the amount due this line pays."))
            svc.line_assign(line=line, due=due, by=user, comment=comment)
            messages.success(request, _("The line is assigned and the payment recorded."))
        elif action == "discard":
            svc.line_discard(line=line, by=user, comment=comment)
            messages.success(request, _("The line is discarded."))
        elif action == "comment":
            svc.line_comment(line=line, by=user, comment=comment)
            messages.success(request, _("Comment saved."))
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or f"{_triage_url()}#line-{line.pk}")


def _triage_url() -> str:
    from django.urls import reverse

    return reverse("triage")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
