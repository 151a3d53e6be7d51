"""What the admitted candidate does (issue 8 items 2, 4): register (financing, pieces, cost summary,
the BAC+5 proof of a conditional admission), or decline the place. Only the dossier's candidate
reaches these pages (`get_own_dossier`, 404 for anyone else); staff download files through
`get_registration_file_for_user` and the office checks the BAC+5 proof."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Dossier
from applications.rules import Financing
from applications.selectors import get_own_dossier
from applications.views import document_response
from cursus.errors import DomainError
from registration import selectors
from registration.forms import RegistrationForm
from registration.models import FileKind, Offer, OfferStatus, Registration, RegistrationStatus
from registration.services import enrolment
from registration.services.files import registration_file_upload
from registration.services.offers import offer_decline


def _own(request: HttpRequest, pk: int) -> tuple[Dossier, Offer]:
    dossier = get_own_dossier(request.user, pk)
    offer = selectors.offer_or_none(dossier)
    if offer is None:
        raise Http404  # no place was ever offered on this application
    return dossier, offer


def _page(
    request: HttpRequest,
    dossier: Dossier,
    offer: Offer,
    registration: Registration | None,
    form: RegistrationForm | None = None,
    *,
    missing: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None and registration is not None:
        form = RegistrationForm(initial=RegistrationForm.initial_of(registration))
    if form is not None and form.is_bound:
        mode = form.data.get("financing") or (registration.financing if registration else "")
    elif form is not None:
        mode = form.initial.get("financing") or ""
    else:
        mode = ""
    files = enrolment.registration_files(dossier)
    uploadable = enrolment.uploadable_kinds(dossier, registration)
    mode_file = enrolment.MODE_FILES.get(Financing(mode)) if mode in Financing.values else None
    slots = [
        {"kind": kind, "label": FileKind(kind).label, "current": files.get(kind), "shown": kind == mode_file}
        for kind in (FileKind.CVEC, FileKind.AGREEMENT, FileKind.FRANCE_TRAVAIL)
        if kind in uploadable
    ]
    ctx: dict[str, Any] = {
        "dossier": dossier,
        "program": dossier.offering.program,
        "session": dossier.offering.session,
        "registration": registration,
        "form": form,
        "mode": mode,
        "modes": Financing.choices,
        "cost": enrolment.registration_cost(dossier, mode) if mode in Financing.values else None,
        "slots": slots,
        "conditional": enrolment.is_conditional(dossier, registration),
        "bac5_file": files.get(FileKind.BAC5_PROOF),
        "bac5_uploadable": FileKind.BAC5_PROOF in uploadable,
        "missing": missing,
        "completed": registration is not None and registration.status == RegistrationStatus.COMPLETED,
        **enrolment.offer_context(offer),
    }
    if ctx["completed"]:
        assert registration is not None
        ctx["instalments"] = list(registration.instalments.select_related("due").order_by("number"))
        ctx["student"] = getattr(registration, "student", None)
        ctx["given_files"] = sorted(files.values(), key=lambda f: (f.uploaded_at, f.pk))
        # Issue 9 item 7: the direct-debit mandate (to sign, awaiting the company, signed).
        from billing.mandate_views import candidate_mandate_context

        ctx.update(candidate_mandate_context(registration))
    return render(request, "registration/candidate/registration.html", ctx, status=status)


def _submit(
    request: HttpRequest, dossier: Dossier, registration: Registration
) -> tuple[RegistrationForm | None, bool, int]:
    """Save what was typed (a draft) and every file chosen. Returns (form, saved cleanly, files)."""
    form = None
    ok = True
    if registration.status == RegistrationStatus.DRAFT:
        form = RegistrationForm(request.POST)
        ok = form.is_valid()
        # Every valid field is saved even when another is not (a wrong SIRET does not lose the
        # company's name); the invalid ones are flagged and keep what was typed.
        data = {k: v for k, v in form.cleaned_data.items() if k in request.POST}
        try:
            enrolment.registration_save(registration=registration, by=request.user, data=data)
        except enrolment.FieldErrors as exc:
            for field, message in exc.errors.items():
                if field not in form.errors:
                    form.add_error(field if field in form.fields else None, message)
            ok = False
        except DomainError as exc:
            form.add_error(None, exc.message)
            ok = False
    uploaded = 0
    for kind in enrolment.uploadable_kinds(dossier, registration):
        upload = request.FILES.get(f"file_{kind}")
        if upload is None:
            continue
        try:
            registration_file_upload(
                dossier=dossier,
                by=request.user,
                kind=kind,
                fileobj=upload,
                name=upload.name or "",
                size=upload.size or 0,
            )
        except DomainError as exc:
            messages.error(request, f"{FileKind(kind).label}{_(':')} {exc.message}")
            ok = False
        else:
            uploaded += 1
            messages.success(request, _("File received: %(name)s") % {"name": upload.name})
    if form is not None and form.errors:
        messages.error(
            request,
            _(
                "The fields marked below are not valid and were not saved; everything else you typed was saved."
            ),
        )
    return form, ok, uploaded


def _not_draft(registration: Registration) -> str:
    if registration.status == RegistrationStatus.COMPLETED:
        return _("Your registration is complete: it can no longer be changed.")
    return _("This registration has been cancelled: it can no longer be changed.")


def _open(request: HttpRequest, dossier: Dossier) -> Registration | None:
    registration = selectors.registration_or_none(dossier)
    if registration is not None:
        return registration
    try:
        return enrolment.registration_open(dossier=dossier, by=request.user)
    except DomainError:
        return None


@login_required
def registration_form(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, offer = _own(request, pk)
    registration = _open(request, dossier)
    if request.method == "POST" and registration is not None:
        if registration.status != RegistrationStatus.DRAFT and not request.FILES:
            # A completed (or cancelled) registration is not changed: say so, never "Saved."
            messages.error(request, _not_draft(registration))
            return redirect("registration_form", pk=dossier.pk)
        if request.POST.get("preview"):
            # htmx: the financing choice changed; the page shows that mode's fields, pieces and cost,
            # with what was typed, without saving it.
            values = {k: request.POST.get(k, "") for k in enrolment.FIELDS}
            preview = RegistrationForm(initial=values)
            return _page(request, dossier, offer, registration, preview)
        form, ok, uploaded = _submit(request, dossier, registration)
        if ok:
            if form is not None:
                messages.success(request, _("Saved."))
            elif not uploaded:
                messages.error(request, _not_draft(registration))
            return redirect("registration_form", pk=dossier.pk)
        return _page(request, dossier, offer, registration, form)
    return _page(request, dossier, offer, registration)


@login_required
@require_POST
def registration_file_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, offer = _own(request, pk)
    registration = _open(request, dossier)
    if registration is None:
        raise Http404
    if not any(request.FILES.get(f"file_{k}") for k in enrolment.uploadable_kinds(dossier, registration)):
        messages.error(request, _("Choose a file to upload (PDF, JPEG or PNG)."))
        form = RegistrationForm(request.POST) if registration.status == RegistrationStatus.DRAFT else None
        if form is not None:
            form.is_valid()
        return _page(request, dossier, offer, registration, form)
    form, ok, _n = _submit(request, dossier, registration)
    if ok:
        return redirect(reverse("registration_form", args=[dossier.pk]) + "#files")
    return _page(request, dossier, offer, registration, form)


@login_required
@require_POST
def registration_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, offer = _own(request, pk)
    registration = _open(request, dossier)
    if registration is None:
        raise Http404
    form, ok, _n = _submit(request, dossier, registration)
    if not ok:
        return _page(request, dossier, offer, registration, form)
    registration.refresh_from_db()
    try:
        enrolment.registration_complete(registration=registration, by=request.user)
    except DomainError as exc:
        registration.refresh_from_db()
        offer.refresh_from_db()
        if exc.code == "missing":
            return _page(
                request, dossier, offer, registration, missing=enrolment.registration_missing(registration)
            )
        messages.error(request, exc.message)
        return _page(request, dossier, offer, registration)
    messages.success(request, _("You are registered. A confirmation has been sent to you by email."))
    return redirect("registration_form", pk=dossier.pk)


@login_required
def registration_file_download(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    return document_response(
        selectors.get_registration_file_for_user(request.user, pk, file_pk), inline=False
    )


@login_required
def offer_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, offer = _own(request, pk)
    if offer.status not in (OfferStatus.OPEN, OfferStatus.LAPSED):
        messages.error(request, _("This place can no longer be declined."))
        return redirect("dashboard")
    if request.method == "POST":
        try:
            offer_decline(offer=offer, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You have declined your place. It is offered to the next candidate."))
        return redirect("dashboard")
    return render(
        request,
        "registration/candidate/decline.html",
        {"dossier": dossier, "program": dossier.offering.program, **enrolment.offer_context(offer)},
    )


@login_required
@require_POST
def registration_bac5_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    """The office validates or refuses the BAC+5 proof (R1.2)."""
    from accounts.roles import ADMISSIONS_OFFICE

    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404  # like every object another role may not act on (convention 9)
    dossier = selectors.get_registration_dossier_for_staff(request.user, pk)
    accept = request.POST.get("verdict") == "accepted"
    try:
        enrolment.bac5_proof_decide(
            dossier=dossier, by=request.user, accept=accept, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("BAC+5 proof validated: the admission is definitive.")
            if accept
            else _("BAC+5 proof refused: the candidate has been told why."),
        )
    try:
        return redirect(reverse("staff_registration", args=[dossier.pk]))
    except NoReverseMatch:
        return redirect("home")
