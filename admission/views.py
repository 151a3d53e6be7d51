"""Staff screens of the review and the juries. Every object goes through an access helper (404)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import ADMISSIONS_OFFICE, JURY_MEMBER, PROGRAM_DIRECTOR
from admission import rows as rows_html
from admission import selectors, services
from admission.documents import minutes_pdf
from admission.forms import (
    DecisionForm,
    IncompleteForm,
    InterviewForm,
    InterviewNotesForm,
    MoveForm,
    OpinionForm,
)
from admission.models import Interview, Outcome
from applications import selectors as app_selectors
from applications.models import Dossier, DossierStatus, Verdict
from applications.rules import EligibilityPath
from applications.views import document_response
from audit.services import audit_history
from cursus.context_processors import staff_nav
from cursus.dbrouter import replica_reads
from cursus.errors import DomainError
from cursus.exports import Column, export_response, export_view, requested_format

# Finance is not here: it works on payments and reaches no dossier page (issue 6 item 4).
STAFF_ROLES = (ADMISSIONS_OFFICE, PROGRAM_DIRECTOR, JURY_MEMBER)
PER_PAGE = 50  # every staff list is paged (issue 7 item 5)


def _staff_dossier(user: Any, pk: Any) -> Any:
    if not any(user.has_perm(p) for p in STAFF_ROLES):
        raise Http404
    dossier = app_selectors.get_dossier_for_user(user, pk)
    if dossier.candidate_id == user.pk:
        raise Http404
    return dossier


def _director_or_office(user: Any, dossier: Any) -> None:
    # Interviews are the program director's or the office's; a jury member reads them only.
    if not (user.has_perm(ADMISSIONS_OFFICE) or selectors.directs(user, dossier)):
        raise Http404


def _form_errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _done(request: HttpRequest, message: str, pk: int, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("staff_dossier", args=[pk]) + anchor)


def _refused(request: HttpRequest, exc: DomainError, pk: int) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("staff_dossier", pk=pk)


def _list_page(
    request: HttpRequest, qs: Any, programs: list[Any], sessions: list[Any]
) -> tuple[Any, list[selectors.DossierRow]]:
    """A page of a staff list and its rows, read here in one query: the page's rows carry the list's
    count. A page asked for that has no row (past the end, an empty list) or a page number the paginator
    corrects ("x", 0) is counted first, as `Paginator.get_page` does, then read."""
    paginator = Paginator(qs, PER_PAGE)
    asked = request.GET.get("page")
    # A number the database could not take as an offset ("?page=99999999999999999999") is the
    # paginator's to correct, as any other out of range.
    number = 1 if asked is None else int(asked) if asked.isdigit() and 1 <= int(asked) <= 1_000_000 else 0
    values = []
    if number:
        bottom = (number - 1) * PER_PAGE
        values = list(selectors.list_values(qs, total=True)[bottom : bottom + PER_PAGE])
    if values:
        paginator.count = values[0]["total"]
        page = paginator.page(number)
    else:
        page = paginator.get_page(asked)
        if paginator.count and page.number != number:
            bottom = (page.number - 1) * PER_PAGE
            values = list(selectors.list_values(qs)[bottom : bottom + PER_PAGE])
    rows = selectors.list_rows(values, programs=programs, sessions=sessions)
    page.object_list = rows  # type: ignore[assignment]  # the page's rows, read once
    return page, rows


@login_required
def office_queue(request: HttpRequest) -> HttpResponse:
    params = selectors.list_params(request.GET, status="submitted", sort="submitted")
    counts = selectors.office_counts(request.user)
    programs, sessions = selectors.list_programs(request.user), selectors.list_sessions(request.user)
    qs = selectors.office_queue(request.user, **params, base=Dossier.objects.all())
    page, rows = _list_page(request, qs, programs, sessions)
    staff_nav(request).known(to_check=counts["to_check"])
    return render(
        request,
        "admission/office_queue.html",
        {
            "page": page,
            "rows": rows,
            "rows_html": rows_html.dossier_rows_html(rows),
            **params,
            "query": selectors.list_query(params),
            "statuses": DossierStatus.choices,
            "sessions": sessions,
            "programs": programs,
            "fee_states": app_selectors.FeeState.choices(),
            "counts": counts,
            "LATE": selectors.LATE,
        },
    )


@login_required
def director_list(request: HttpRequest) -> HttpResponse:
    programs = selectors.director_programs(request.user)
    if not programs:
        raise Http404
    # Opens on what waits for the director: complete dossiers, the current session first (issue 7 item 5).
    params = selectors.list_params(request.GET, status=selectors.DIRECTOR_WAITING, sort="session")
    if params["program"] and params["program"] not in {str(p.pk) for p in programs}:
        raise Http404
    qs = selectors.director_dossiers(request.user, **params, base=Dossier.objects.all(), programs=programs)
    sessions = selectors.list_sessions(request.user)
    page, rows = _list_page(request, qs, programs, sessions)
    staff_nav(request).known(director=(len(programs), sum(p.waiting for p in programs)))  # type: ignore[attr-defined]
    return render(
        request,
        "admission/director_list.html",
        {
            "page": page,
            "rows": rows,
            "rows_html": rows_html.dossier_rows_html(rows),
            **params,
            "query": selectors.list_query(params),
            "programs": programs,
            "sessions": sessions,
            "fee_states": app_selectors.FeeState.choices(),
            "statuses": [c for c in DossierStatus.choices if c[0] in selectors.DIRECTOR_STATUSES],
            "WAITING": selectors.DIRECTOR_WAITING,
        },
    )


@login_required
@export_view("director_export")
def director_export(request: HttpRequest, program_pk: int) -> HttpResponse:
    program = selectors.get_program_for_director(request.user, program_pk)
    fmt = requested_format(request)
    qs = selectors.director_dossiers(request.user, program=str(program.pk), sort="name")

    def opinion(d: Any) -> str:
        given = selectors.opinion_or_none(d)
        return "" if given is None else (_("favourable") if given.favourable else _("unfavourable"))

    columns: list[Column[Any]] = [
        Column(_("Dossier"), lambda d: d.number),
        Column(_("Surname"), lambda d: d.last_name),
        Column(_("First names"), lambda d: d.first_names),
        Column(_("Email"), lambda d: d.candidate.email),
        Column(_("Status"), lambda d: d.get_status_display()),
        Column(_("Path"), lambda d: d.get_eligibility_path_display()),
        Column(_("Highest diploma"), lambda d: d.diploma_title),
        Column(_("International"), lambda d: d.is_international),
        Column(_("Opinion"), opinion),
        Column(_("Submitted at"), lambda d: d.submitted_at),
    ]
    return export_response(qs, columns, filename=f"dossiers-MS-{program.code}", fmt=fmt, request=request)


@login_required
def staff_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_dossier_page(request, _staff_dossier(request.user, pk))


def _staff_dossier_page(request: HttpRequest, dossier: Any, **forms: Any) -> HttpResponse:
    """The dossier page; ``forms`` replaces a blank form with one bound to what was typed."""
    user = request.user
    is_office = user.has_perm(ADMISSIONS_OFFICE)
    is_director = selectors.directs(user, dossier)
    ctx: dict[str, Any] = {
        "dossier": dossier,
        "program": dossier.offering.program,
        "session": dossier.offering.session,
        "slots": app_selectors.document_slots(dossier),
        "payment": app_selectors.fee_status(dossier),
        "eligibility": dossier.eligibility(),
        "quote": dossier.quote(),
        "opinion": selectors.opinion_or_none(dossier),
        "decision": selectors.decision_or_none(dossier),
        "interviews": list(dossier.interviews.order_by("-starts_at")),
        "history": list(audit_history(dossier)[:200]),
        "is_office": is_office,
        "is_director": is_director,
        "can_check": is_office and dossier.status == DossierStatus.SUBMITTED,
        "can_review": is_director and dossier.status == DossierStatus.COMPLETE,
        "can_interview": (is_director or is_office) and dossier.status == DossierStatus.COMPLETE,
        "can_move": is_office and dossier.status in (DossierStatus.REVIEWED, DossierStatus.AT_JURY),
        "opinion_form": OpinionForm(pending_interview=_has_pending_interview(dossier)),
        "interview_form": InterviewForm(initial={"minutes": 30, "mode": "video"}),
        "notes_form": InterviewNotesForm(),
        "incomplete_form": IncompleteForm(),
        "move_form": MoveForm(session_id=dossier.offering.session_id),
        "Verdict": Verdict,
    }
    ctx.update(forms)
    if ctx["can_check"]:
        ctx["problems"] = services.completeness_problems(dossier)
    return render(request, "admission/staff_dossier.html", ctx)


def _has_pending_interview(dossier: Any) -> bool:
    return any(i.status in services.PENDING_INTERVIEW for i in dossier.interviews.all())


@login_required
def staff_document_view(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """Documents read in the browser (PDF and images inline) by staff who may see the dossier."""
    dossier = _staff_dossier(request.user, pk)
    try:
        doc = dossier.files.get(pk=file_pk)
    except (ValueError, TypeError, dossier.files.model.DoesNotExist):
        raise Http404 from None
    # The same helper as the candidate's download (issue 6 item 5).
    return document_response(doc, inline=True)


@login_required
@require_POST
def document_verdict(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    try:
        doc = dossier.files.select_related("document_type").get(pk=file_pk)
    except (ValueError, TypeError, dossier.files.model.DoesNotExist):
        raise Http404 from None
    error = ""
    try:
        services.document_verdict(
            file=doc,
            by=request.user,
            verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        # htmx (issue 7 item 6): the file's verdict and the completeness box change in place; the
        # page keeps its scroll position and whatever else was typed.
        return _verdict_fragment(request, dossier, file_pk, error, request.POST.get("reason", ""))
    if error:
        messages.error(request, error)
        return redirect(reverse("staff_dossier", args=[dossier.pk]) + f"#verdict-{file_pk}")
    return _done(request, _("Document checked."), dossier.pk, f"#verdict-{file_pk}")


def _verdict_fragment(
    request: HttpRequest, dossier: Any, file_pk: int, error: str, typed_reason: str
) -> HttpResponse:
    dossier.refresh_from_db()
    slots = app_selectors.document_slots(dossier)
    found = [f for s in slots for f in (s.current, s.translation) if f is not None and f.pk == file_pk]
    can_check = dossier.status == DossierStatus.SUBMITTED
    ctx = {
        "dossier": dossier,
        "slots": slots,
        "f": found[0] if found else dossier.files.get(pk=file_pk),
        "can_check": can_check,
        "problems": services.completeness_problems(dossier) if can_check else [],
        "verdict_error": error,
        "typed_reason": typed_reason if error else "",
        "oob": True,
    }
    return render(request, "admission/_verdict_fragment.html", ctx)


@login_required
@require_POST
def dossier_complete(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    try:
        services.dossier_mark_complete(dossier=dossier, by=request.user)
    except DomainError as exc:
        return _refused(request, exc, dossier.pk)
    return _done(request, _("The dossier is complete: it goes to the program director."), dossier.pk)


@login_required
@require_POST
def dossier_incomplete(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    form = IncompleteForm(request.POST)
    valid = form.is_valid()
    missing = form.cleaned_data["missing"].splitlines() if valid else []
    try:
        services.dossier_mark_incomplete(
            dossier=dossier,
            by=request.user,
            missing=missing,
            ask_document=valid and form.cleaned_data["ask_document"],
        )
    except DomainError as exc:
        # What the office typed stays on the page with the reason (nothing lost).
        messages.error(request, exc.message)
        return _staff_dossier_page(request, dossier, incomplete_form=form)
    return _done(
        request, _("The dossier went back to the candidate with the list of what is missing."), dossier.pk
    )


@login_required
@require_POST
def opinion_give(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not selectors.directs(request.user, dossier):
        raise Http404
    form = OpinionForm(request.POST, pending_interview=_has_pending_interview(dossier))
    if form.is_valid():
        try:
            services.opinion_give(
                dossier=dossier,
                by=request.user,
                favourable=form.cleaned_data["favourable"],
                comment=form.cleaned_data["comment"],
                no_interview=form.cleaned_data.get("no_interview", False),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(request, _("Opinion recorded."), dossier.pk)
    # What the director typed stays on the page with the error (issue 7 item 6).
    messages.error(request, _form_errors(form))
    return _staff_dossier_page(request, dossier, opinion_form=form)


@login_required
@require_POST
def interview_propose(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    _director_or_office(request.user, dossier)
    form = InterviewForm(request.POST)
    if form.is_valid():
        try:
            services.interview_propose(
                dossier=dossier,
                by=request.user,
                starts_at=form.starts_at(),
                mode=form.cleaned_data["mode"],
                link=form.cleaned_data["link"],
                phone=form.cleaned_data["phone"],
                minutes=form.cleaned_data["minutes"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(
                request,
                _("Interview proposed; the candidate was sent an invitation."),
                dossier.pk,
                "#interviews",
            )
    # The form comes back as it was typed, open, with its errors (issue 7 item 6).
    messages.error(request, _form_errors(form))
    return _staff_dossier_page(request, dossier, interview_form=form, interview_form_open=True)


@login_required
@require_POST
def interview_notes(request: HttpRequest, pk: int, interview_pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    _director_or_office(request.user, dossier)
    try:
        interview = dossier.interviews.get(pk=interview_pk)
    except (ValueError, TypeError, Interview.DoesNotExist):
        raise Http404 from None
    try:
        if request.POST.get("action") == "cancel":
            services.interview_cancel(
                interview=interview, by=request.user, reason=request.POST.get("notes", "")
            )
            done = _("Interview cancelled; the candidate was told.")
        else:
            services.interview_record(
                interview=interview, by=request.user, notes=request.POST.get("notes", "")
            )
            done = _("Interview notes recorded.")
    except DomainError as exc:
        return _refused(request, exc, dossier.pk)
    return _done(request, done, dossier.pk, "#interviews")


@login_required
@require_POST
def dossier_international(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    value = {"yes": True, "no": False, "auto": None}.get(request.POST.get("value", ""), None)
    try:
        services.dossier_set_international(
            dossier=dossier, by=request.user, value=value, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return _refused(request, exc, dossier.pk)
    return _done(request, _("International flag updated."), dossier.pk)


@login_required
@require_POST
def dossier_move(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _staff_dossier(request.user, pk)
    if not request.user.has_perm(ADMISSIONS_OFFICE):
        raise Http404
    form = MoveForm(request.POST, session_id=dossier.offering.session_id)
    if not form.is_valid():
        messages.error(request, _("Choose an open sitting and give a reason."))
        return redirect("staff_dossier", pk=dossier.pk)
    try:
        services.dossier_move(
            dossier=dossier,
            by=request.user,
            sitting=form.cleaned_data["sitting"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _refused(request, exc, dossier.pk)
    return _done(request, _("The dossier was moved."), dossier.pk)


@login_required
def sittings(request: HttpRequest) -> HttpResponse:
    if not (request.user.has_perm(ADMISSIONS_OFFICE) or request.user.has_perm(JURY_MEMBER)):
        raise Http404
    session = request.GET.get("session", "")
    qs = selectors.sitting_list(request.user, session=session)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "admission/sittings.html",
        {
            "page": page,
            "sittings": page.object_list,
            "session": session,
            "sessions": selectors.list_sessions(request.user),
            "query": selectors.list_query({"session": session}),
        },
    )


@login_required
def sitting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sitting = selectors.get_sitting_for_user(request.user, pk)
    is_member = selectors.sits_on(request.user, sitting)
    # Rows made ready to print in Python (issue 11 item 2); ?edit= opens one row's form without JavaScript.
    groups = rows_html.jury_screen_groups(
        sitting, may_decide=is_member and not sitting.is_closed, edit=request.GET.get("edit", "")
    )
    return render(
        request,
        "admission/sitting.html",
        {
            "sitting": sitting,
            "groups": groups,
            "is_member": is_member,
            "outcomes": Outcome.choices,
            # The legend of the path column: a dossier before a jury has one of the six ways in (R1.3).
            "paths": [(v, label) for v, label in EligibilityPath.choices if v != EligibilityPath.NONE],
            "can_close": _can_close(request.user, sitting),
            "letters": selectors.sitting_letters_progress(sitting) if sitting.is_closed else None,
            "can_retry": _may_close(request.user, sitting),
        },
    )


def _may_close(user: Any, sitting: Any) -> bool:
    return bool(user.has_perm(ADMISSIONS_OFFICE) or sitting.president_id == user.pk)


def _can_close(user: Any, sitting: Any) -> bool:
    return not sitting.is_closed and _may_close(user, sitting)


@login_required
@require_http_methods(["GET", "POST"])
def decision_record(request: HttpRequest, pk: int, dossier_pk: int) -> HttpResponse:
    """POST records a decision; GET gives the row with its decision form (the jury screen carries no
    form per row: 500 of them weighed 600 kB, issue 11 item 2)."""
    sitting = selectors.get_sitting_for_user(request.user, pk)
    if not selectors.sits_on(request.user, sitting):
        raise Http404  # the office reads the sitting; only its members decide
    dossier = sitting.dossiers.exclude(status=DossierStatus.WITHDRAWN).filter(pk=dossier_pk).first()
    if dossier is None:
        # Withdrawn or moved to another sitting since the screen was loaded (issue 6 item 9).
        return _decision_gone(request, sitting, dossier_pk)
    if request.method == "GET":
        if not request.headers.get("HX-Request"):
            return redirect(
                reverse("sitting_detail", args=[sitting.pk]) + f"?edit={dossier.pk}#d{dossier.pk}"
            )
        return _decision_row(request, sitting, dossier.pk)
    form = DecisionForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose a decision.")
    else:
        try:
            services.decision_record(
                dossier=dossier,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                comment=form.cleaned_data["comment"],
                waitlist_rank=form.cleaned_data["waitlist_rank"],
            )
        except DomainError as exc:
            error = exc.message
    if request.headers.get("HX-Request"):
        # htmx: only the row and the program's places change on the page.
        posted = {k: request.POST.get(k, "") for k in ("outcome", "waitlist_rank", "comment")}
        return _decision_fragment(request, sitting, dossier.pk, error, posted if error else None)
    if error:
        messages.error(request, error)
        # Without JavaScript the row's form opens again beside the message.
        return redirect(reverse("sitting_detail", args=[sitting.pk]) + f"?edit={dossier.pk}#d{dossier.pk}")
    messages.success(request, _("Decision recorded for %(name)s.") % {"name": dossier.full_name})
    return redirect(reverse("sitting_detail", args=[sitting.pk]) + f"#d{dossier.pk}")


def _decision_gone(request: HttpRequest, sitting: Any, dossier_pk: int) -> HttpResponse:
    message = _("This dossier is no longer before this sitting (withdrawn or moved): nothing was recorded.")
    if request.headers.get("HX-Request"):
        return render(request, "admission/_decision_gone.html", {"pk": dossier_pk, "message": message})
    messages.warning(request, message)
    return redirect("sitting_detail", pk=sitting.pk)


def _decision_row(request: HttpRequest, sitting: Any, dossier_pk: int) -> HttpResponse:
    """The row with its decision form open, for htmx."""
    if sitting.is_closed:
        raise Http404  # decisions are final: no form
    found = rows_html.jury_screen_row(sitting, dossier_pk)
    if found is None:
        return _decision_gone(request, sitting, dossier_pk)
    ctx = {"r": found[1], "outcomes": Outcome.choices, "editing": True}
    return render(request, "admission/_sitting_row.html", ctx)


def _decision_fragment(
    request: HttpRequest, sitting: Any, dossier_pk: int, error: str, posted: dict[str, str] | None = None
) -> HttpResponse:
    found = rows_html.jury_screen_row(sitting, dossier_pk)
    if found is None:
        return _decision_gone(request, sitting, dossier_pk)
    group, row = found
    ctx = {
        "r": row,
        "g": group,
        "outcomes": Outcome.choices,
        "row_error": error,
        "f": posted,  # a refused decision's form shows what was sent
        "oob": True,
    }
    return render(request, "admission/_decision_fragment.html", ctx)


@login_required
def sitting_close(request: HttpRequest, pk: int) -> HttpResponse:
    sitting = selectors.get_sitting_for_user(request.user, pk)
    if not (_can_close(request.user, sitting) or sitting.is_closed):
        raise Http404
    if request.method == "POST":
        try:
            services.sitting_close(sitting=sitting, by=request.user, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("sitting_close", pk=sitting.pk)
        messages.success(
            request, _("The sitting is closed. Its decisions are final and the candidates are being told.")
        )
        return redirect("sitting_detail", pk=sitting.pk)
    groups = selectors.jury_screen(sitting)
    return render(
        request,
        "admission/sitting_close.html",
        {
            "sitting": sitting,
            "groups": groups,
            "undecided": services.sitting_undecided(sitting),
            "early": timezone.localdate() < sitting.sits_on,
        },
    )


@login_required
def sitting_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """The letters of a closed sitting: "312 of 500 sent", polled by its page while some are not
    (issue 11 item 5); a POST sends the failed ones again."""
    sitting = selectors.get_sitting_for_user(request.user, pk)
    if not sitting.is_closed:
        raise Http404
    if request.method == "POST":
        try:
            n = services.sitting_letters_retry(sitting=sitting, by=request.user)
        except DomainError:
            raise Http404 from None
        messages.success(
            request,
            ngettext("%(n)d letter is being sent again.", "%(n)d letters are being sent again.", n) % {"n": n}
            if n
            else _("No letter has failed: there is nothing to send again."),
        )
        return redirect(reverse("sitting_detail", kwargs={"pk": sitting.pk}) + "#letters")
    if not request.headers.get("HX-Request"):
        return redirect(reverse("sitting_detail", kwargs={"pk": sitting.pk}) + "#letters")
    return render(
        request,
        "admission/_sitting_letters.html",
        {
            "sitting": sitting,
            "letters": selectors.sitting_letters_progress(sitting),
            "can_retry": _may_close(request.user, sitting),
        },
    )


@login_required
@replica_reads
def sitting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    sitting = selectors.get_sitting_for_user(request.user, pk)
    if not sitting.is_closed:
        raise Http404
    pdf = minutes_pdf(
        sitting, groups=selectors.jury_screen(sitting), language=translation.get_language() or "fr"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pv-jury-{sitting.pk}.pdf"'
    return response
