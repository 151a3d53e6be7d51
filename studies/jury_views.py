"""Staff screens of the studies jury (issue 10 item 5): the sittings, one sitting with every student's
proposed outcome and its reasoning, confirm/override, close, the minutes, the degrees awarded, a
student's transcript. Every object goes through ``studies.access`` (404 otherwise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import JURY_MEMBER
from cursus.dbrouter import replica_reads
from cursus.errors import DomainError
from cursus.exports import Column, export_response, export_view, requested_format
from studies import access
from studies.documents import minutes_pdf, transcript_pdf, units_view
from studies.models import JuryOutcome, OutcomeKind, StudiesJury
from studies.reasoning import localised, sentences
from studies.services import jury as service


def _language() -> str:
    return translation.get_language() or "fr"


def _may_see_juries(user: Any) -> bool:
    # The nav offers the list to these roles without a query (convention 25); anyone seated on a jury
    # reaches it too.
    return (
        access.is_office(user)
        or access.is_director(user)
        or user.has_perm(JURY_MEMBER)
        or access.juries_for(user).exists()
    )


@login_required
def studies_juries(request: HttpRequest) -> HttpResponse:
    if not _may_see_juries(request.user):
        raise Http404
    curricula = list(access.curricula_for(request.user))
    if request.method == "POST":
        return _open(request, curricula)
    juries = list(
        access.juries_for(request.user)
        .select_related("curriculum__program", "closed_by")
        .order_by("-sits_on", "-pk")[:200]
    )
    counts: dict[int, dict[str, int]] = {}
    for jury_id, outcome in JuryOutcome.objects.filter(jury__in=juries).values_list("jury_id", "outcome"):
        c = counts.setdefault(jury_id, {"students": 0, "decided": 0, "degrees": 0})
        c["students"] += 1
        c["decided"] += bool(outcome)
        c["degrees"] += outcome == OutcomeKind.DEGREE
    for j in juries:
        j.counts = counts.get(j.pk, {"students": 0, "decided": 0, "degrees": 0})  # type: ignore[attr-defined]
    return render(
        request,
        "studies/juries.html",
        {"juries": juries, "curricula": curricula, "today": timezone.localdate()},
    )


def _open(request: HttpRequest, curricula: list[Any]) -> HttpResponse:
    by_pk = {str(c.pk): c for c in curricula}
    curriculum = by_pk.get(request.POST.get("curriculum", ""))
    if curriculum is None:
        messages.error(request, _("Choose a curriculum."))
        return redirect("studies_juries")
    try:
        sits_on = dt.date.fromisoformat(request.POST.get("sits_on", ""))
    except ValueError:
        messages.error(request, _("Give the jury's date."))
        return redirect("studies_juries")
    try:
        jury = service.jury_open(
            curriculum=curriculum,
            sits_on=sits_on,
            after_resits=request.POST.get("after_resits") == "on",
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("studies_juries")
    messages.success(request, _("The studies jury is open; every student's outcome is proposed."))
    return redirect("studies_jury", pk=jury.pk)


def _row(o: JuryOutcome, language: str) -> dict[str, Any]:
    r = o.reasoning or {}
    units = units_view(r, language) if r else []
    overall = r.get("overall_average")
    return {
        "o": o,
        "units": units,
        "overall_shown": localised(overall["shown"], language) if overall else "—",
        "overall_exact": localised(overall["exact"], language) if overall else "—",
        "owed": Decimal(r.get("owed", "0")),
        "resits": [x["subject"] for x in r.get("resits", [])],
        "compensations": [
            (u["code"], s["code"], s["counts"], s["compensated_by"])
            for u in units
            for s in u["subjects"]
            if s["compensated_by"]
        ],
        "sentences": sentences(r, language),
    }


def _outcome_rows(jury: StudiesJury, kind: str = "") -> list[dict[str, Any]]:
    qs = jury.outcomes.select_related("student__dossier", "decided_by").order_by(
        "student__dossier__last_name", "student__dossier__first_names", "student_id"
    )
    if kind:
        # The final outcome when there is one, else the proposal.
        qs = qs.filter(Q(outcome=kind) | Q(outcome="", proposed=kind))
    language = _language()
    return [_row(o, language) for o in qs]


@login_required
def studies_jury(request: HttpRequest, pk: int) -> HttpResponse:
    jury = access.get_jury_for_user(request.user, pk)
    if request.method == "POST":
        if not service.can_close(request.user, jury):
            raise Http404
        try:
            n = service.jury_propose(jury)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Outcomes proposed again from the grades: %(n)d changed.") % {"n": n})
        return redirect("studies_jury", pk=jury.pk)
    kind = request.GET.get("outcome", "")
    if kind and kind not in OutcomeKind.values:
        kind = ""
    rows = _outcome_rows(jury, kind)
    return render(
        request,
        "studies/jury.html",
        {
            "jury": jury,
            "rows": rows,
            "kind": kind,
            "kinds": OutcomeKind.choices,
            "override_kinds": [(k.value, k.label) for k in service.OVERRIDE_KINDS],
            "can_decide": not jury.closed_at and service.can_decide(request.user, jury),
            "can_close": not jury.closed_at and service.can_close(request.user, jury),
        },
    )


@login_required
@require_POST
def studies_jury_outcome(request: HttpRequest, pk: int, outcome_pk: int) -> HttpResponse:
    jury = access.get_jury_for_user(request.user, pk)
    if not service.can_decide(request.user, jury):
        raise Http404  # the office reads the sitting; its members and the director rule
    row = jury.outcomes.filter(pk=outcome_pk).select_related("student__dossier").first()
    if row is None:
        raise Http404
    error = ""
    try:
        if request.POST.get("action") == "override":
            service.outcome_override(
                outcome=row,
                kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
        else:
            service.outcome_confirm(outcome=row, by=request.user)
    except DomainError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        row = JuryOutcome.objects.select_related("student__dossier", "decided_by").get(pk=row.pk)
        jury.refresh_from_db()
        return render(
            request,
            "studies/_jury_row.html",
            {
                "r": _row(row, _language()),
                "jury": jury,
                "override_kinds": [(k.value, k.label) for k in service.OVERRIDE_KINDS],
                "can_decide": not jury.closed_at,
                "row_error": error,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("Outcome recorded for %(name)s.") % {"name": row.student.dossier.full_name}
        )
    return redirect(reverse("studies_jury", args=[jury.pk]) + f"#o{row.pk}")


@login_required
def studies_jury_close(request: HttpRequest, pk: int) -> HttpResponse:
    jury = access.get_jury_for_user(request.user, pk)
    if not service.can_close(request.user, jury):
        raise Http404
    if request.method == "POST":
        try:
            service.jury_close(jury=jury, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("studies_jury_close", pk=jury.pk)
        messages.success(
            request, _("The studies jury is closed. Its outcomes are final and the students are being told.")
        )
        return redirect("studies_jury", pk=jury.pk)
    outcomes = list(jury.outcomes.select_related("student__dossier"))
    return render(
        request,
        "studies/jury_close.html",
        {
            "jury": jury,
            "outcomes": outcomes,
            "undecided": [o for o in outcomes if not o.outcome],
            "early": timezone.localdate() < jury.sits_on,
        },
    )


@login_required
@replica_reads
def studies_jury_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    jury = access.get_jury_for_user(request.user, pk)
    response = HttpResponse(minutes_pdf(jury, _language()), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pv-jury-etudes-{jury.pk}.pdf"'
    return response


DEGREE_COLUMNS: list[Column[JuryOutcome]] = [
    Column(_("Student number"), lambda o: o.student.number),
    Column(_("Last name"), lambda o: o.student.dossier.last_name),
    Column(_("First names"), lambda o: o.student.dossier.first_names),
    Column(_("Program"), lambda o: o.jury.curriculum.program.code),
    Column(_("Academic year"), lambda o: o.jury.curriculum.academic_year),
    Column(_("Jury date"), lambda o: o.jury.sits_on),
    Column(_("ECTS"), lambda o: o.ects),
    Column(
        _("Overall average"), lambda o: ((o.reasoning or {}).get("overall_average") or {}).get("exact", "")
    ),
    Column(_("Final"), lambda o: o.jury.closed_at is not None),
]


@login_required
@export_view("studies_degrees_export")
def studies_degrees_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The degrees awarded by this jury (final once it is closed)."""
    jury = access.get_jury_for_user(request.user, pk)
    fmt = requested_format(request)
    rows = (
        jury.outcomes.filter(outcome=OutcomeKind.DEGREE)
        .select_related("student__dossier", "jury__curriculum__program")
        .order_by("student__dossier__last_name", "student__dossier__first_names")
    )
    program = jury.curriculum.program.code
    return export_response(
        rows,
        DEGREE_COLUMNS,
        filename=f"diplomes-{program}-{jury.sits_on.isoformat()}",
        fmt=fmt,
        request=request,
    )


@login_required
def staff_transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's transcript for the office and their program's director."""
    student = access.get_student_for_staff(request.user, pk)
    language = request.GET.get("lang") if request.GET.get("lang") in {"fr", "en"} else _language()
    response = HttpResponse(transcript_pdf(student, language or "fr"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="releve-{student.number}.pdf"'
    return response
