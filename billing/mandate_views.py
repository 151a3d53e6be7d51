"""SEPA mandates on screen (issue 9 item 7, R3.4, I10).

- The candidate (``mandate_sign``, ``mandate_pdf``): their registration's mandate — signed by them as
  the debtor, or awaiting their company's signatory, to whom they can have the link sent again. Only the
  dossier's candidate: ``get_candidate_mandate`` answers 404 to anybody else.
- The company's signatory (``mandate_company_sign``): no account, a signed link valid 30 days.
- Finance (``mandates``, ``mandate_detail``): every mandate of the institution, the IBAN in full on the
  detail page only, the debits made under it, revocation. Everybody else, the office included: 404.

The IBAN is shown masked on every page; in full only on finance's detail page and in the PDF the
debtor downloads.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from accounts.roles import FINANCE
from applications.models import Dossier
from applications.selectors import get_own_dossier, search_key
from billing.mandate_forms import MandateSignForm
from billing.models import Mandate, MandateStatus
from billing.services import mandates as svc
from cursus.errors import DomainError
from cursus.institutions import scope_queryset, user_scope
from registration.models import Debtor, Registration, RegistrationStatus

PER_PAGE = 50
log = logging.getLogger(__name__)


# ---- access -------------------------------------------------------------------------------------


def get_candidate_mandate(
    user: Any, pk: Any, *, start: bool = False
) -> tuple[Dossier, Registration, Mandate, bool]:
    """The mandate of the registration of dossier ``pk``, for its candidate only (404 for anybody else),
    and whether it was just made. ``start``: made when the registration is complete and has none yet
    (``mandate_start``; its DomainError, e.g. no creditor identifier, goes to the caller)."""
    dossier = get_own_dossier(user, pk)
    registration = (
        Registration.objects.select_related("dossier__candidate", "dossier__offering__program", "student")
        .filter(dossier=dossier)
        .first()
    )
    if registration is None:
        raise Http404
    mandate = svc.latest_mandate(registration)
    started = False
    if mandate is None and start and registration.status == RegistrationStatus.COMPLETED:
        mandate, started = svc.mandate_start(registration=registration, by=user), True
    if mandate is None:
        raise Http404
    return dossier, registration, mandate, started


def _finance_only(user: Any) -> None:
    # Staff without the role (the office included) get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


def get_mandate_for_finance(user: Any, pk: Any) -> Mandate:
    _finance_only(user)
    qs = scope_queryset(
        Mandate.objects.select_related(
            "institution", "registration__dossier__offering__program", "registration__dossier__candidate"
        ),
        user_scope(user),
    )
    try:
        return qs.get(pk=pk)
    except (Mandate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# ---- what the registration page shows ----------------------------------------------------------


def candidate_mandate_context(registration: Registration) -> dict[str, Any]:
    """For the registration page of a completed registration: the mandate section (no write)."""
    mandate = svc.latest_mandate(registration)
    ctx: dict[str, Any] = {
        "mandate": mandate,
        "mandate_company": (mandate.debtor_kind if mandate else svc.debtor_kind_of(registration))
        == Debtor.COMPANY,
    }
    if mandate is not None and mandate.status == MandateStatus.ACTIVE:
        ctx["mandate_iban"] = svc.masked_iban(mandate)
        ctx["mandate_schedule"] = svc.schedule_lines(mandate)
    return ctx


# ---- candidate ------------------------------------------------------------------------------------


def _sign(request: HttpRequest, mandate: Mandate, form: MandateSignForm, *, by: Any) -> Mandate | None:
    """Run the service with what was typed; the form gets the errors, or None is returned."""
    if not form.is_valid():
        return None
    try:
        return svc.mandate_sign(
            mandate=mandate,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            by=by,
            **form.service_kwargs(),
        )
    except svc.MandateInvalid as exc:
        form.add_service_errors(exc.errors)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


@sensitive_post_parameters("iban", "bic")  # never in an error report (convention 22)
@never_cache
@login_required
def mandate_sign(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dossier, _registration, mandate, started = get_candidate_mandate(request.user, pk, start=True)
    except DomainError as exc:
        # The institution is not ready for mandates (no valid creditor identifier): finance fixes it.
        log.warning("mandate for dossier %s cannot start: %s", pk, exc.code)
        messages.error(request, _("The direct-debit mandate cannot be prepared yet: please come back later."))
        return redirect("registration_form", pk=pk)
    company = mandate.debtor_kind == Debtor.COMPANY
    form: MandateSignForm | None = None
    if request.method == "POST":
        if company:
            if started:
                messages.success(
                    request,
                    _("The signing link has been sent to %(email)s.") % {"email": mandate.debtor_email},
                )
            elif request.POST.get("action") == "resend":
                try:
                    svc.mandate_company_link_resend(mandate=mandate, by=request.user)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(
                        request,
                        _("The signing link has been sent to %(email)s.") % {"email": mandate.debtor_email},
                    )
            return redirect("mandate_sign", pk=dossier.pk)
        if mandate.status != MandateStatus.AWAITING:
            messages.error(request, _("This mandate is already signed."))
            return redirect("mandate_sign", pk=dossier.pk)
        form = MandateSignForm(request.POST, company=False)
        if _sign(request, mandate, form, by=request.user) is not None:
            messages.success(
                request,
                _("Your mandate is signed. The schedule of the debits has been sent to you by email."),
            )
            return redirect("mandate_sign", pk=dossier.pk)
    elif mandate.status == MandateStatus.AWAITING and not company:
        form = MandateSignForm(initial=MandateSignForm.initial_of(mandate), company=False)
    return render(
        request,
        "billing/mandate_sign.html",
        _sign_context(mandate, form, dossier=dossier),
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _sign_context(mandate: Mandate, form: MandateSignForm | None, *, dossier: Dossier) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "mandate": mandate,
        "dossier": dossier,
        "program": dossier.offering.program,
        "institution": mandate.institution,
        "form": form,
        "company": mandate.debtor_kind == Debtor.COMPANY,
        "consent_text": svc.consent_text(mandate.institution.name),
        "iban": svc.masked_iban(mandate),
    }
    ctx["schedule"] = svc.schedule_lines(mandate)
    return ctx


@login_required
def mandate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _dossier, _registration, mandate, _started = get_candidate_mandate(request.user, pk)
    if mandate.signed_at is None:
        raise Http404
    # The full IBAN only to its debtor: the student for their own mandate; a company's is masked.
    pdf = svc.mandate_pdf(mandate, full_iban=mandate.debtor_kind == Debtor.STUDENT)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mandat-{mandate.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---- the company's signatory ------------------------------------------------------------------


@sensitive_post_parameters("iban", "bic")
@never_cache
def mandate_company_sign(request: HttpRequest, token: str) -> HttpResponse:
    mandate = svc.mandate_from_token(token)
    if mandate is None or mandate.status in (MandateStatus.REVOKED, MandateStatus.LAPSED):
        raise Http404
    dossier = mandate.registration.dossier
    form: MandateSignForm | None = None
    just_signed = False
    if mandate.status == MandateStatus.AWAITING:
        if request.method == "POST":
            form = MandateSignForm(request.POST, company=True)
            signed = _sign(request, mandate, form, by=None)
            if signed is not None:
                mandate, form, just_signed = signed, None, True
        else:
            form = MandateSignForm(initial=MandateSignForm.initial_of(mandate), company=True)
    ctx = _sign_context(mandate, form, dossier=dossier)
    ctx["token_page"] = True
    ctx["just_signed"] = just_signed  # the signatory is thanked, not told it was "already" signed
    return render(
        request,
        "billing/mandate_company_sign.html",
        ctx,
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


# ---- finance --------------------------------------------------------------------------------------


def mandate_rows(user: Any, *, q: str = "", status: str = "") -> QuerySet[Mandate]:
    qs = scope_queryset(Mandate.objects.all(), user_scope(user))
    if status:
        qs = qs.filter(status=status) if status in MandateStatus.values else qs.none()
    q = q.strip()
    if q:
        cond = Q(reference__icontains=q) | Q(debtor_name__icontains=q)
        words = search_key(q).split()
        if words:
            name = Q()
            for word in words:
                name &= Q(registration__dossier__search_name__contains=word)
            cond |= name
        qs = qs.filter(cond)
    return qs.select_related("registration__dossier__offering__program").order_by("-created_at", "-pk")


@login_required
@require_GET
def mandates(request: HttpRequest) -> HttpResponse:
    _finance_only(request.user)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "").strip()
    page = Paginator(mandate_rows(request.user, q=q, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for m in page:
        m.masked = svc.masked_iban(m)  # type: ignore[attr-defined]
    return render(
        request,
        "billing/mandate_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": MandateStatus.choices,
            "query": urlencode({"q": q, "status": status}),
        },
    )


@never_cache
@login_required
def mandate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = get_mandate_for_finance(request.user, pk)
    if request.method == "POST":
        try:
            svc.mandate_revoke(mandate=mandate, by=request.user, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The mandate is revoked."))
        return redirect("mandate_detail", pk=mandate.pk)
    debits = list(mandate.debit_items.select_related("batch", "instalment").order_by("collection_date", "pk"))
    try:
        iban = svc.iban_spaced(svc.mandate_iban(mandate))
    except ValueError:
        iban = _("cannot be decrypted with the configured keys")
    return render(
        request,
        "billing/mandate_detail.html",
        {
            "mandate": mandate,
            "dossier": mandate.registration.dossier,
            "iban": iban,
            "debits": debits,
            "schedule": svc.schedule_lines(mandate) if mandate.status == MandateStatus.ACTIVE else [],
            "consent_text": svc.consent_text(mandate.institution.name),
        },
    )
