"""Staff screens of registration (issue 8 items 2, 3, 6): registrations by program and state, one
candidate's registration page with the office's actions, the students, and their exports.

Access (convention 9): the office and finance of the institution see everything, a program director
their programs only (`registration.selectors.registration_dossiers_visible_to`); anyone else gets
404. Only the office extends a window or reorders the waiting list: a 404 for the others."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import ADMISSIONS_OFFICE, FINANCE
from admission.selectors import list_query
from applications.rules import Financing
from audit.services import audit_history
from cursus.errors import DomainError
from cursus.exports import Column, export_response, export_view, requested_format
from registration import rules
from registration import staff_selectors as sel
from registration.models import (
    FileKind,
    FileVerdict,
    OfferStatus,
    RegistrationFile,
    StudentStatus,
    VisaStatus,
    WaitlistStatus,
)
from registration.selectors import (
    get_registration_dossier_for_staff,
    offer_or_none,
    registration_or_none,
    waitlist_entry_or_none,
    waitlist_rank,
)
from registration.services import offers
from registration.services.files import registration_file_verdict as file_verdict
from registration.staff_forms import ExtendForm, FileVerdictForm, WaitlistMoveForm

PER_PAGE = 50  # every staff list is paged (issue 7 item 5)
# The registration documents the office checks here; the BAC+5 proof and the visa refusal have their own
# decisions (they change the admission), so never this plain check.
CHECKED_HERE = (FileKind.CVEC, FileKind.AGREEMENT, FileKind.FRANCE_TRAVAIL)
# A place given up or released closes what was pending on it (a reported visa refusal).
CLOSED_OFFERS = (OfferStatus.DECLINED, OfferStatus.RELEASED)


def url_or_none(name: str, *args: Any) -> str | None:
    """The URL of another part of registration if it is there (built by other hands), else None."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _check_program(params: dict[str, str], programs: list[Any]) -> None:
    # A program the person may not see is a 404, not an empty list that says it exists.
    if params["program"] and params["program"] not in {str(p.pk) for p in programs}:
        raise Http404


# ---- registrations by program and state ---------------------------------------------------------


@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sel.may_see_registrations(user):
        raise Http404
    params = sel.list_params(request.GET)
    if params["todo"] not in sel.TODO:
        params["todo"] = ""
    programs = sel.list_programs(user)
    _check_program(params, programs)
    page = Paginator(sel.registrations(user, **params), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = sel.decorate(page.object_list)
    is_office, is_finance = user.has_perm(ADMISSIONS_OFFICE), user.has_perm(FINANCE)
    return render(
        request,
        "registration/staff/registrations.html",
        {
            "page": page,
            **params,
            "query": list_query(params),
            "states": sel.STATES,
            "WAITING": sel.WAITING,
            "programs": programs,
            "sessions": sel.list_sessions(user),
            "places": sel.program_places(user, program=params["program"], session=params["session"]),
            # What waits here (the navigation's counts, one query): each line links to its list.
            "work": sel.registration_work(user),
            "show_ending": is_office or not is_finance,
            "show_proofs": is_office,
            "visa_cases_url": url_or_none("visa_cases") if is_office or is_finance else None,
            "PROOFS": sel.PROOFS,
            "ENDING": sel.ENDING,
            "ENDING_SOON_DAYS": sel.ENDING_SOON_DAYS,
        },
    )


def _state(d: Any) -> str:
    offer = getattr(d, "offer", None)
    if offer is not None:
        return str(offer.get_status_display())
    entry = getattr(d, "waitlist_entry", None)
    if entry is not None and entry.status == WaitlistStatus.WAITING:
        return _("Waiting list")
    return entry.get_status_display() if entry is not None else ""


def _offer_attr(name: str) -> Any:
    def get(d: Any) -> Any:
        offer = getattr(d, "offer", None)
        return getattr(offer, name) if offer is not None else None

    return get


def _registration_attr(d: Any, name: str) -> Any:
    reg = getattr(d, "registration", None)
    return getattr(reg, name) if reg is not None else None


@login_required
@export_view("registrations_export")
def registrations_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sel.may_see_registrations(user):
        raise Http404
    fmt = requested_format(request)
    params = sel.list_params(request.GET)
    programs = sel.list_programs(user)
    _check_program(params, programs)
    rows = sel.decorate(sel.registrations(user, **params))

    def waiting_rank(d: Any) -> int | None:
        entry = getattr(d, "waitlist_entry", None)
        return d.rank if entry is not None and entry.status == WaitlistStatus.WAITING else None

    def financing(d: Any) -> str:
        reg = getattr(d, "registration", None)
        return str(reg.get_financing_display()) if reg is not None and reg.financing else ""

    def student_number(d: Any) -> str:
        student = getattr(d, "student", None)
        return student.number if student is not None else ""

    columns: list[Column[Any]] = [
        Column(_("Program"), lambda d: f"MS {d.offering.program.code}"),
        Column(_("Session"), lambda d: d.offering.session.name),
        Column(_("Dossier"), lambda d: d.number),
        Column(_("Surname"), lambda d: d.last_name),
        Column(_("First names"), lambda d: d.first_names),
        Column(_("Email"), lambda d: d.candidate.email),
        Column(_("State"), _state),
        Column(_("Rank on the waiting list"), waiting_rank),
        Column(_("Window ends at"), _offer_attr("ends_at")),
        Column(_("Days left"), lambda d: d.days_left),
        Column(_("Extended"), lambda d: bool(_offer_attr("extended_at")(d))),
        Column(_("Lapsed at"), _offer_attr("lapsed_at")),
        Column(
            _("Registration"),
            lambda d: str(d.registration.get_status_display()) if _registration_attr(d, "pk") else "",
        ),
        Column(_("Financing"), financing),
        Column(_("Registered at"), lambda d: _registration_attr(d, "completed_at")),
        Column(_("Student number"), student_number),
    ]
    code = next((p.code for p in programs if str(p.pk) == params["program"]), "")
    return export_response(
        rows,
        columns,
        filename=f"inscriptions-MS-{code}" if code else "inscriptions",
        fmt=fmt,
        request=request,
    )


# ---- one candidate's registration ---------------------------------------------------------------


@login_required
def staff_registration(request: HttpRequest, pk: int) -> HttpResponse:
    return _registration_page(request, get_registration_dossier_for_staff(request.user, pk))


def _registration_page(request: HttpRequest, dossier: Any, **forms: Any) -> HttpResponse:
    """The page; ``forms`` replaces a blank form with one bound to what was typed (nothing lost)."""
    user = request.user
    verdict_forms = forms.pop("verdict_forms", {})
    is_office = user.has_perm(ADMISSIONS_OFFICE)
    is_finance = user.has_perm(FINANCE)
    offer = offer_or_none(dossier)
    registration = registration_or_none(dossier)
    entry = waitlist_entry_or_none(dossier)
    now = timezone.now()
    files = list(RegistrationFile.objects.filter(dossier=dossier).select_related("uploaded_by", "verdict_by"))
    for f in files:
        f.download_url = url_or_none("registration_file_download", dossier.pk, f.pk)  # type: ignore[attr-defined]
        # The office accepts or refuses a current registration document that waits for its check.
        if (
            is_office
            and f.kind in CHECKED_HERE
            and f.superseded_at is None
            and f.verdict == FileVerdict.PENDING
        ):
            f.verdict_form = verdict_forms.get(f.pk) or FileVerdictForm(auto_id=f"verdict{f.pk}_%s")  # type: ignore[attr-defined]
    # A missing one-to-one row raises an AttributeError subclass: getattr's default covers it.
    visa = getattr(dossier, "visa", None)
    student = getattr(dossier, "student", None)
    open_window = offer is not None and offer.status == OfferStatus.OPEN and offer.ends_at is not None
    waiting = entry is not None and entry.status == WaitlistStatus.WAITING
    bac5_url = url_or_none("registration_bac5_verdict", dossier.pk)
    visa_url = url_or_none("visa_decide", dossier.pk)
    bac5_pending = (
        offer is not None
        and offer.conditional
        and (registration is None or registration.bac5_validated_at is None)
        and any(f.kind == "bac5_proof" and f.superseded_at is None and f.verdict == "pending" for f in files)
    )
    ctx: dict[str, Any] = {
        "dossier": dossier,
        "program": dossier.offering.program,
        "session": dossier.offering.session,
        "decision": getattr(dossier, "decision", None),
        "offer": offer,
        "days_left": rules.days_left(offer.ends_at, now) if open_window and offer and offer.ends_at else None,
        "registration": registration,
        "instalments": list(registration.instalments.order_by("number")) if registration else [],
        "entry": entry,
        "rank": waitlist_rank(entry) if waiting and entry is not None else None,
        "files": files,
        "visa": visa,
        "student": student,
        "history": list(audit_history(dossier)[:200]),
        "is_office": is_office,
        "can_extend": is_office and open_window,
        "can_move": is_office and waiting,
        "bac5_url": bac5_url if is_office and bac5_pending else None,
        # The condition (R1.2) is lifted once the office has validated the BAC+5 proof.
        "condition_lifted": registration is not None and registration.bac5_validated_at is not None,
        "visa_url": visa_url
        if (is_office or is_finance)
        and visa is not None
        and visa.status == VisaStatus.REPORTED
        and not (offer is not None and offer.status in CLOSED_OFFERS)
        else None,
        "visa_closed": visa is not None
        and visa.status == VisaStatus.REPORTED
        and offer is not None
        and offer.status in CLOSED_OFFERS,
        "waitlist_offer_at": (offer.sent_at or offer.created_at)
        if offer is not None and entry is not None and entry.status == WaitlistStatus.OFFERED
        else None,
        "extend_form": ExtendForm(),
        "move_form": WaitlistMoveForm(initial={"rank": waitlist_rank(entry) if waiting and entry else None}),
    }
    ctx.update(forms)
    return render(request, "registration/staff/registration.html", ctx)


def _office_dossier(request: HttpRequest, pk: int) -> Any:
    dossier = get_registration_dossier_for_staff(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404  # finance and directors read; only the office moves places
    return dossier


@login_required
@require_POST
def offer_extend(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _office_dossier(request, pk)
    offer = offer_or_none(dossier)
    if offer is None:
        raise Http404
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            offer = offers.offer_extend(
                offer=offer,
                by=request.user,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The window was extended; the candidate is told by email."))
            return redirect(reverse("staff_registration", args=[dossier.pk]) + "#offer")
    # What the office typed stays on the page with the error; the page's summary lists it once.
    return _registration_page(request, dossier, extend_form=form, extend_open=True, form=form)


@login_required
@require_POST
def waitlist_move(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _office_dossier(request, pk)
    entry = waitlist_entry_or_none(dossier)
    if entry is None:
        raise Http404
    form = WaitlistMoveForm(request.POST)
    if form.is_valid():
        try:
            offers.waitlist_move(
                entry=entry,
                by=request.user,
                rank=form.cleaned_data["rank"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The rank on the waiting list was changed."))
            return redirect(reverse("staff_registration", args=[dossier.pk]) + "#waitlist")
    return _registration_page(request, dossier, move_form=form, move_open=True, form=form)


@login_required
@require_POST
def registration_file_verdict(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    """The office accepts a registration document or refuses it with a reason (the candidate then
    replaces it before completing). Another dossier's file, the BAC+5 proof or the visa refusal (they
    have their own decisions): 404."""
    dossier = _office_dossier(request, pk)
    f = RegistrationFile.objects.filter(dossier=dossier, pk=file_pk, kind__in=CHECKED_HERE).first()
    if f is None:
        raise Http404
    form = FileVerdictForm(request.POST, auto_id=f"verdict{f.pk}_%s")
    if form.is_valid():
        accept = form.cleaned_data["verdict"] == FileVerdict.ACCEPTED
        try:
            file_verdict(file=f, by=request.user, accept=accept, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error("reason" if exc.code == "reason" else None, exc.message)
        else:
            messages.success(
                request,
                _("The document was accepted.")
                if accept
                else _("The document was refused; the candidate must replace it before completing."),
            )
            return redirect(reverse("staff_registration", args=[dossier.pk]) + f"#file-{f.pk}")
    return _registration_page(request, dossier, verdict_forms={f.pk: form}, form=form)


# ---- students -------------------------------------------------------------------------------------


@login_required
def students(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sel.may_see_registrations(user):
        raise Http404
    params = sel.student_params(request.GET)
    programs = sel.list_programs(user)
    _check_program(params, programs)
    page = Paginator(sel.students(user, **params), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "registration/staff/students.html",
        {
            "page": page,
            **params,
            "query": list_query(params),
            "programs": programs,
            "years": sel.academic_years(user),
            "statuses": StudentStatus.choices,
            "financings": Financing.choices,
        },
    )


@login_required
@export_view("students_export")
def students_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sel.may_see_registrations(user):
        raise Http404
    fmt = requested_format(request)
    params = sel.student_params(request.GET)
    programs = sel.list_programs(user)
    _check_program(params, programs)
    columns: list[Column[Any]] = [
        Column(_("Student number"), lambda s: s.number),
        Column(_("Program"), lambda s: f"MS {s.offering.program.code}"),
        Column(_("Academic year"), lambda s: s.academic_year),
        Column(_("Dossier"), lambda s: s.dossier.number),
        Column(_("Surname"), lambda s: s.dossier.last_name),
        Column(_("First names"), lambda s: s.dossier.first_names),
        Column(_("Email"), lambda s: s.dossier.candidate.email),
        Column(_("Status"), lambda s: str(s.get_status_display())),
        Column(
            _("Financing"),
            lambda s: str(s.registration.get_financing_display()) if s.registration.financing else "",
        ),
        Column(_("Company"), lambda s: s.registration.company_name),
        Column(_("Registered at"), lambda s: s.registration.completed_at),
    ]
    code = next((p.code for p in programs if str(p.pk) == params["program"]), "")
    return export_response(
        sel.students(user, **params),
        columns,
        filename=f"etudiants-MS-{code}" if code else "etudiants",
        fmt=fmt,
        request=request,
    )
