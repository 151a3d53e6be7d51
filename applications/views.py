"""Candidate screens: dashboard, dossier sections, documents, fee, submission."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admission.models import Decision, JurySitting
from admission.selectors import decision_or_none
from admission.services import items_to_fix
from applications import rules, selectors, services
from applications.forms import SECTION_FORMS, SECTION_TITLES, FeeDeclarationForm, UploadForm
from applications.models import Dossier, DossierStatus
from applications.progress import next_step, progress_steps
from catalog import cache as catalog_cache
from catalog import rules as deadlines
from catalog.models import Offering
from cursus.errors import DomainError
from registration import selectors as selectors_registration
from registration.models import Offer, Registration, WaitlistEntry
from registration.services.enrolment import candidate_state


def _dossier_context(dossier: Dossier, types: list[Any] | None = None) -> dict[str, Any]:
    now = timezone.now()
    slots = selectors.document_slots(dossier, types)
    checklist = selectors.dossier_checklist(dossier, slots)
    international = dossier.is_international
    session = dossier.offering.session
    # Issue 7 item 7: until the nationality is known, the general deadline is shown, with the
    # international one beside it; submission still checks the deadline that applies (R2.7).
    deadline = session.deadline_for(international=False) if international is None else dossier.deadline()
    international_deadline_end = (
        session.deadline_end(international=True)
        if international is None and session.international_closes_on != session.closes_on
        else None
    )
    decision = decision_or_none(dossier)
    if decision is not None and not decision.is_final:
        decision = None  # not known to the candidate before the sitting closes (I5)
    interviews = [i for i in dossier.interviews.all() if i.status != "cancelled"]
    return {
        "steps": progress_steps(dossier, decision=decision, interviews=interviews),
        "next_step": next_step(dossier),
        "decision": decision,
        "interview": interviews[0] if interviews else None,
        "dossier": dossier,
        "session": session,
        "institution": session.institution,
        "program": dossier.offering.program,
        "slots": slots,
        "checklist": checklist,
        "deadline": deadline,
        "deadline_end": deadlines.end_of_day(deadline),
        "international_deadline_end": international_deadline_end,
        "time_left": deadlines.time_left(deadline, now),
        "is_late": deadlines.is_late(deadline, now),
        "international": international,
        "eligibility": dossier.eligibility(),
        "quote": dossier.quote(),
        "payment": selectors.fee_status(dossier),
        "channels": rules.payment_channels(international=bool(international)),
        "sections": SECTION_TITLES,
        # What the office returned the dossier for, from the slots at hand (no second read of them).
        "to_fix": items_to_fix(slots) if dossier.status == DossierStatus.INCOMPLETE else [],
    }


def _with_enrolment(ctx: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The candidate's own view of a dossier past the decision (issue 8): the registration's part,
    the cost of the financing chosen at registration once there is one (not the intention given
    while applying), and the steps that say when the 15 days to register run from."""
    enrolment = candidate_state(dossier)
    ctx["enrolment"] = enrolment
    if enrolment.get("cost") is not None:
        ctx["quote"] = enrolment["cost"]
    offer = enrolment.get("offer")
    if offer is not None:
        interviews = [ctx["interview"]] if ctx["interview"] else []
        ctx["steps"] = progress_steps(dossier, decision=ctx["decision"], interviews=interviews, offer=offer)
        ctx["next_step"] = next_step(dossier, enrolment)
    return ctx


# A dossier's parts that most dossiers do not have yet (the decision, the offer, the registration, the
# waiting-list entry): the dashboard's query asks only their ids, and reads those present afterwards, one
# query per kind that some dossier has, with what the dashboard reads of them.
_DOSSIER_PARTS: dict[str, Callable[[], QuerySet[Any]]] = {
    "decision": lambda: Decision.objects.select_related("sitting"),
    "offer": lambda: Offer.objects.all(),
    "registration": lambda: Registration.objects.select_related("student").prefetch_related(
        "instalments__due"
    ),
    "waitlist_entry": lambda: WaitlistEntry.objects.all(),
}


def _dashboard_dossiers(candidate_id: int) -> list[Dossier]:
    """The candidate's dossiers as the dashboard reads them, with their jury sitting and their parts
    (`_DOSSIER_PARTS`) in place, in a number of queries that does not grow with the dossiers. Narrow
    joins: PostgreSQL plans a wide select of many joined relations for longer than it takes to run it."""
    dossiers = list(
        Dossier.objects.filter(candidate_id=candidate_id)
        .annotate(**{f"{n}_pk": F(f"{n}__id") for n in _DOSSIER_PARTS})
        .prefetch_related("fee_payments", "interviews", "files")
    )
    for name, queryset in _DOSSIER_PARTS.items():
        field = Dossier._meta.get_field(name)
        ids = [getattr(d, f"{name}_pk") for d in dossiers if getattr(d, f"{name}_pk") is not None]
        found = {o.dossier_id: o for o in queryset().filter(pk__in=ids)} if ids else {}
        for d in dossiers:
            part = found.get(d.pk)
            if part is None:
                field.set_cached_value(d, None)  # type: ignore[union-attr]
            else:
                setattr(d, name, part)
    # The jury sitting (once assigned), the decision's if it is the same.
    sitting_ids = {d.sitting_id for d in dossiers if d.sitting_id is not None}
    sittings = {s.pk: s for s in JurySitting.objects.filter(pk__in=sitting_ids)} if sitting_ids else {}
    for d in dossiers:
        d.sitting = sittings.get(d.sitting_id) if d.sitting_id is not None else None
    return dossiers


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # The dossiers with their own parts; the catalogue's part (offering, session, institution, CVEC,
    # program, campus, document types, the offerings open now) from the catalogue cache in one round
    # trip (catalog/cache.py), not joined here.
    dossiers = _dashboard_dossiers(request.user.pk)  # type: ignore[arg-type]
    bundles, open_now = catalog_cache.dashboard_catalogue(d.offering_id for d in dossiers)
    for d in dossiers:
        d.offering = bundles[d.offering_id]["offering"]
        # The offer's and the waiting list's offering: the dossier's, read from the same objects.
        for part in (
            selectors_registration.offer_or_none(d),
            selectors_registration.waitlist_entry_or_none(d),
        ):
            if part is not None and part.offering_id in bundles:
                part.offering = bundles[part.offering_id]["offering"]
    # A dossier's registration files only matter under a conditional offer (candidate_state).
    conditional = [
        d for d in dossiers if getattr(selectors_registration.offer_or_none(d), "conditional", False)
    ]
    prefetch_related_objects(conditional, "registration_files")
    items = [_with_enrolment(_dossier_context(d, bundles[d.offering_id]["types"]), d) for d in dossiers]
    taken = {d.offering_id for d in dossiers}
    available = [o for o in open_now if o["pk"] not in taken]
    return render(request, "applications/dashboard.html", {"items": items, "available": available})


@login_required
@require_POST
def dossier_new(request: HttpRequest) -> HttpResponse:
    offering = get_object_or_404(
        Offering.objects.select_related("session", "program"), pk=request.POST.get("offering")
    )
    try:
        dossier = services.dossier_open(candidate=request.user, offering=offering)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard")
    return redirect("dossier_detail", pk=dossier.pk)


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_dossier_for_user(request.user, pk)
    ctx = _dossier_context(dossier)
    ctx["is_owner"] = dossier.candidate_id == request.user.pk
    if ctx["is_owner"]:
        _with_enrolment(ctx, dossier)
    return render(request, "applications/dossier.html", ctx)


@login_required
def dossier_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    dossier = selectors.get_own_dossier(request.user, pk)
    form_class = SECTION_FORMS.get(section)
    if form_class is None:
        raise Http404
    if not dossier.is_editable:
        # Issue 7 item 7: once submitted a section is read, not edited: no form that fails on save.
        if request.method == "POST":
            messages.error(request, _("This dossier has been submitted and can no longer be changed."))
            return redirect("dossier_section", pk=dossier.pk, section=section)
        ctx = _dossier_context(dossier)
        ctx.update(
            {
                "facts": section_facts(form_class(instance=dossier)),
                "section": section,
                "section_title": SECTION_TITLES[section],
            }
        )
        return render(request, "applications/section.html", ctx)
    if request.method == "POST":
        form = form_class(request.POST, instance=Dossier.objects.get(pk=dossier.pk))
        if form.is_valid():
            try:
                services.dossier_save_section(
                    dossier=dossier, by=request.user, section=section, data=form.cleaned_data
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("dossier_detail", args=[dossier.pk]) + f"#section-{section}")
        else:
            messages.error(request, _("Please correct the fields marked below; nothing you typed is lost."))
    else:
        form = form_class(instance=dossier)
    ctx = _dossier_context(dossier)
    ctx.update({"form": form, "section": section, "section_title": SECTION_TITLES[section]})
    return render(request, "applications/section.html", ctx)


def section_facts(form: forms.BaseForm) -> list[tuple[str, str]]:
    """A section's saved values as (label, shown value), for the read-only page after submission."""
    facts = []
    for bound in form:
        value = form.initial.get(bound.name, bound.field.initial)
        choices = getattr(bound.field, "choices", None)
        if choices is not None:
            shown = dict((str(k), str(v)) for k, v in choices).get(str(value if value is not None else ""))
        elif isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif isinstance(value, dt.date):
            shown = formats.date_format(value, "DATE_FORMAT")
        elif isinstance(value, Decimal):
            shown = floatformat(value, -1)
        else:
            shown = str(value) if value not in (None, "") else ""
        facts.append((str(bound.label), shown or "—"))
    return facts


@login_required
def dossier_documents(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_own_dossier(request.user, pk)
    form = UploadForm(dossier=dossier)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, dossier=dossier)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.document_upload(
                    dossier=dossier,
                    by=request.user,
                    document_type=form.cleaned_data["document_type"],
                    fileobj=upload,
                    name=upload.name,
                    size=upload.size,
                    language=form.cleaned_data["language"],
                    role=form.cleaned_data["role"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("File received: %(name)s") % {"name": upload.name})
                return redirect("dossier_documents", pk=dossier.pk)
        else:
            messages.error(request, _("Choose a file and its language."))
    ctx = _dossier_context(dossier)
    ctx.update({"form": form, "max_mb": settings.UPLOAD_MAX_BYTES // 1_048_576})
    return render(request, "applications/documents.html", ctx)


@login_required
def document_download(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    return document_response(selectors.get_document_for_user(request.user, pk, file_pk), inline=False)


# The extension of the type checked by content at upload, whatever name the file came with.
CHECKED_SUFFIX = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class ServedFile(Protocol):
    """What `document_response` needs of a stored upload: a dossier's document or a registration file."""

    content_type: str
    original_name: str

    @property
    def file(self) -> Any: ...


def document_response(doc: ServedFile, *, inline: bool) -> FileResponse:
    """The one way an uploaded file leaves the platform, to candidates and staff alike (issue 6
    item 5): the checked type and its extension, `nosniff`, never cached, and either a download or an
    inline view under a sandbox. The caller has checked access (convention 9)."""
    suffix = CHECKED_SUFFIX.get(doc.content_type)
    if suffix is None:
        raise Http404  # nothing but a checked type is ever served
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    stem = doc.original_name
    name = stem if stem.lower().endswith(suffix) else f"{stem}{suffix}"
    response = FileResponse(handle, as_attachment=not inline, filename=name, content_type=doc.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if inline and doc.content_type == "application/pdf":
        # Browsers refuse to run their PDF viewer in a sandboxed document (no sandbox token lifts it),
        # so an inline PDF gets the strictest policy the viewer works under: nothing of the file's
        # own may load or run (default-src 'none'), only the viewer's frame and styles.
        response["Content-Security-Policy"] = (
            "default-src 'none'; object-src 'self'; img-src 'self'; style-src 'unsafe-inline'"
        )
    else:
        response["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
        )
    return response


@login_required
def dossier_fee(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_own_dossier(request.user, pk)
    channels = rules.payment_channels(international=bool(dossier.is_international))
    form = FeeDeclarationForm(channels=channels, initial={"paid_on": timezone.localdate()})
    if request.method == "POST":
        form = FeeDeclarationForm(request.POST, channels=channels)
        if form.is_valid():
            try:
                services.fee_declare(
                    dossier=dossier,
                    by=request.user,
                    channel=form.cleaned_data["channel"],
                    paid_on=form.cleaned_data["paid_on"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Payment declared. Finance will confirm it."))
                return redirect(reverse("dossier_detail", args=[dossier.pk]) + "#section-fee")
    ctx = _dossier_context(dossier)
    ctx["form"] = form
    if ctx["eligibility"].eligible is True:
        # Issue 9 item 2 (R2.10): the structured reference beside the notice's; the due is made the
        # first time the candidate comes here to pay (imported here: billing imports applications).
        from billing.references import display
        from billing.services.ledger import fee_due

        ctx["structured_reference"] = display(fee_due(dossier).reference)
    return render(request, "applications/fee.html", ctx)


@login_required
@require_POST
def dossier_submit(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_own_dossier(request.user, pk)
    if request.POST.get("confirm") != "yes" and dossier.is_editable:
        # Issue 7 item 7: submitting is final, so the candidate says they know it (checked here,
        # not only by the browser's `required`).
        messages.error(request, _("Tick the box to confirm that you submit your dossier for good."))
        return redirect(reverse("dossier_detail", args=[dossier.pk]) + "#submit")
    try:
        services.dossier_submit(dossier=dossier, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dossier_detail", pk=dossier.pk)
    messages.success(request, _("Your dossier has been submitted. A receipt has been sent to you by email."))
    return redirect("dashboard")
