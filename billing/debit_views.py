"""Finance screens for SEPA direct debits (issue 9 item 7, R3.4, I10): the files exported with their
status, the export of the instalments due by a date, the instalments due soon and those blocked (with
the reason); one file's debits with revert (until sent) and mark sent; the file's download. Finance of
the institution only; everybody else gets 404 (the file carries the debtors' IBANs)."""

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import FINANCE
from audit.services import audit_record
from billing import crypto, sepa
from billing.models import BatchStatus, DebitBatch
from billing.services import debits as svc
from catalog.models import Institution
from cursus.errors import DomainError
from cursus.institutions import scope_queryset, user_scope

PER_PAGE = 30
ITEMS_PER_PAGE = 200
# "Due soon" on the screen: what the next export would take, and a month ahead.
SOON_DAYS = 30


# ---- access -------------------------------------------------------------------------------------


def _finance_only(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


def _scope(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return scope_queryset(qs, user_scope(user))


def get_batch_for_user(user: Any, pk: Any) -> DebitBatch:
    """The direct debit file ``user`` may see: finance of its institution; 404 for anybody else."""
    _finance_only(user)
    try:
        return _scope(user, DebitBatch.objects.select_related("institution", "created_by", "sent_by")).get(
            pk=pk
        )
    except (DebitBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---- the export form ----------------------------------------------------------------------------


class ExportForm(forms.Form):
    due_by = forms.DateField(
        label=gettext_lazy("Export the debits of the instalments due by"),
        # ISO: a date input shows nothing of a localised value such as 27/12/2026.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    schema = forms.ChoiceField(
        label=gettext_lazy("File format"),
        choices=[(s, s) for s in sepa.SCHEMAS],
        help_text=gettext_lazy("pain.008.001.08 unless your bank still asks for pain.008.001.02."),
    )
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.all(), label=gettext_lazy("Institution")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schema"].initial = settings.SEPA_SCHEMA
        institutions = _scope(user, Institution.objects.order_by("name"))
        if len(institutions[:2]) == 1:
            # One school: nothing to choose.
            self.single_institution = institutions.first()
            del self.fields["institution"]
        else:
            self.single_institution = None
            self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]


# ---- screens ------------------------------------------------------------------------------------


@login_required
def debits(request: HttpRequest) -> HttpResponse:
    """The files with their status; the export form; the instalments due soon and those blocked."""
    user = request.user
    _finance_only(user)
    today = timezone.localdate()
    form = ExportForm(user=user, initial={"due_by": today + dt.timedelta(days=SOON_DAYS)})
    status = 200
    if request.method == "POST":
        form = ExportForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            institution = data.get("institution") or form.single_institution
            assert institution is not None  # the form requires one when there are several
            try:
                batches = svc.debits_export(
                    institution=institution, due_by=data["due_by"], by=user, schema=data["schema"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if not batches:
                    messages.info(
                        request, _("Nothing to export: no instalment is ready and due by that date.")
                    )
                else:
                    count = sum(b.count for b in batches)
                    messages.success(
                        request,
                        ngettext(
                            "%(files)d file exported with %(count)d debits.",
                            "%(files)d files exported with %(count)d debits.",
                            len(batches),
                        )
                        % {"files": len(batches), "count": count},
                    )
                if len(batches) == 1:
                    return redirect("debit_batch", batches[0].pk)
                return redirect("debits")
        status = 400
    files = _scope(user, DebitBatch.objects.select_related("institution")).order_by("-created_at", "-pk")
    page = Paginator(files, PER_PAGE).get_page(request.GET.get("page"))
    horizon = today + dt.timedelta(days=SOON_DAYS)
    cands = svc.debit_candidates(institution_id=user_scope(user), due_by=horizon, today=today)
    soon = [c for c in cands if c.ready]
    blocked = [c for c in cands if not c.ready]
    without_mandate = sum(1 for c in blocked if c.mandate_missing)
    return render(
        request,
        "billing/debits.html",
        {
            "form": form,
            "page": page,
            "soon": soon,
            "blocked": blocked,
            "without_mandate": without_mandate,
            "horizon": horizon,
        },
        status=status,
    )


@login_required
@require_GET
def debit_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """One file: its debits (student, due reference, amount, sequence, masked IBAN) and its actions."""
    batch = get_batch_for_user(request.user, pk)
    items = batch.items.select_related(
        "due", "mandate", "instalment__registration__dossier__offering__program"
    ).order_by("sequence", "pk")
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(item, crypto.mask(item.mandate.iban_country, item.mandate.iban_last4)) for item in page]
    frst = batch.items.filter(sequence="FRST").count()
    return render(
        request,
        "billing/debit_batch.html",
        {
            "batch": batch,
            "page": page,
            "rows": rows,
            "frst": frst,
            "rcur": batch.count - frst,
            "may_act": batch.status == BatchStatus.EXPORTED,
        },
    )


@login_required
@require_GET
def debit_batch_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The pain.008 as exported (finance only: it carries the debtors' IBANs); each download audited."""
    batch = get_batch_for_user(request.user, pk)
    audit_record(
        actor=request.user, action="debit_batch.download", obj=batch, data={"message_id": batch.message_id}
    )
    response = HttpResponse(svc.batch_xml(batch), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def debit_batch_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Revert (until sent) or mark sent, each confirmed by a ticked box."""
    user = request.user
    batch = get_batch_for_user(user, pk)
    action = request.POST.get("action", "")
    try:
        if action not in ("revert", "sent"):
            raise DomainError(_("Unknown action."))
        if request.POST.get("confirm") != "yes":
            raise DomainError(_("Tick the box to confirm."))
        if action == "revert":
            svc.batch_revert(batch=batch, by=user)
            messages.success(request, _("The file is reverted: its instalments will be in the next export."))
        else:
            svc.batch_mark_sent(batch=batch, by=user)
            messages.success(
                request, _("The file is marked sent: each debit is recorded as paid in the ledger.")
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("debit_batch", batch.pk)
