"""Staff screens of grades (issue 10 item 3): the subjects a person may grade, the grid of one subject and
session, the import of a file, and the director's publication.

Access (convention 9) goes through ``studies.access``: a teacher reaches their own subjects, a director
their programs' subjects, the office every subject of its institution; anything else is a 404, by GET
and by POST. Only the program's director publishes (404 for the others)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cursus.errors import DomainError
from cursus.uploads import too_large_message, upload_too_large
from registration.models import Student
from studies.access import get_subject_for_grading, is_director, is_office, is_teacher
from studies.grade_selectors import (
    curriculum_students,
    grades_locked,
    grading_subjects,
    resit_students,
    subject_grades,
)
from studies.gradefile import parse_grade
from studies.models import Grade, Session, Subject
from studies.services import grades as svc

PER_PAGE = 50  # every staff list is paged (issue 7 item 5)


def _session(value: str | None) -> Session:
    return Session.RESIT if value == Session.RESIT else Session.FIRST


def _grades_staff(user: Any) -> bool:
    """Teachers, directors and the office have a grades screen (possibly empty); nobody else."""
    return is_teacher(user) or is_director(user) or is_office(user)


def _grid_url(subject: Subject, session: str) -> str:
    url = reverse("grade_grid", args=[subject.pk])
    return url + "?session=resit" if session == Session.RESIT else url


# ---- the subjects -------------------------------------------------------------------------------


@login_required
@require_GET
def grade_subjects(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _grades_staff(user):
        raise Http404
    page = Paginator(grading_subjects(user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "studies/grade_subjects.html", {"page": page})


# ---- the grid -----------------------------------------------------------------------------------


@dataclass
class GridRow:
    student: Student
    grade: Grade | None
    typed: str  # what the input shows: the saved grade, or what was typed
    absent: bool
    error: str = ""

    @property
    def field(self) -> str:
        return f"g-{self.student.pk}"

    @property
    def absent_field(self) -> str:
        return f"a-{self.student.pk}"


def _rows(subject: Subject, session: Session) -> tuple[list[GridRow], bool]:
    students = list(curriculum_students(subject.curriculum))
    exact = True
    if session == Session.RESIT:
        students, exact = resit_students(subject, students)
    grades = subject_grades(subject, session)
    rows = []
    for s in students:
        g = grades.get(s.pk)
        # In the reader's language (14,50 in French), as typed and as the student's page shows it.
        typed = "" if g is None or g.absent or g.value is None else formats.number_format(g.value, 2)
        rows.append(GridRow(s, g, typed, bool(g and g.absent)))
    return rows, exact


def _grid_page(
    request: HttpRequest,
    subject: Subject,
    session: Session,
    rows: list[GridRow],
    exact: bool,
    *,
    problem: str = "",
    group_error: str = "",
    status: int = 200,
) -> HttpResponse:
    locked = grades_locked(subject.curriculum_id, session)
    published_at = subject.published_at if session == Session.FIRST else subject.resits_published_at
    return render(
        request,
        "studies/grade_grid.html",
        {
            "subject": subject,
            "session": session,
            "resit": session == Session.RESIT,
            "rows": rows,
            "errors": [r for r in rows if r.error],
            "problem": problem,
            "group_error": group_error,
            "group_grade": request.POST.get("group_grade", "") if request.method == "POST" else "",
            "group_members": set(request.POST.getlist("member")) if request.method == "POST" else set(),
            "exact": exact,
            "locked": locked,
            "published_at": published_at,
            "may_publish": svc.may_publish(request.user, subject.curriculum),
            "grid_url": _grid_url(subject, session),
            "entered": sum(1 for r in rows if r.grade is not None),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def grade_grid(request: HttpRequest, pk: int) -> HttpResponse:
    subject = get_subject_for_grading(request.user, pk)
    session = _session(request.GET.get("session") or request.POST.get("session"))
    rows, exact = _rows(subject, session)
    if request.method == "POST":
        if grades_locked(subject.curriculum_id, session):
            messages.error(request, svc._locked_message(subject))
            return redirect(_grid_url(subject, session))
        if request.POST.get("action") == "group":
            return _group(request, subject, session, rows, exact)
        return _save(request, subject, session, rows, exact)
    return _grid_page(request, subject, session, rows, exact)


def _save(
    request: HttpRequest, subject: Subject, session: Session, rows: list[GridRow], exact: bool
) -> HttpResponse:
    """The whole grid in one POST: every row checked first; one wrong row and nothing is saved, the page
    comes back with what was typed and says which rows are wrong."""
    wanted: list[tuple[GridRow, Decimal | None, bool]] = []
    for row in rows:
        if row.field not in request.POST:
            continue  # not on the page that was sent (a student added since): left alone
        row.typed = request.POST.get(row.field, "").strip()
        row.absent = request.POST.get(row.absent_field) == "on"
        value: Decimal | None = None
        if row.typed:
            try:
                value = parse_grade(row.typed, comma_ok=True)
            except ValueError as exc:
                row.error = str(exc)
                continue
            if value is None:  # "ABS" typed in the box
                row.absent, row.typed = True, ""
            elif row.absent:
                row.error = _("a grade and “absent” at once: give one or the other")
                continue
        wanted.append((row, value, row.absent))
    if any(r.error for r in rows):
        return _grid_page(request, subject, session, rows, exact)
    changed = 0
    try:
        with transaction.atomic():
            for row, value, absent in wanted:
                _g, did = svc._grade_set(
                    student=row.student,
                    subject=subject,
                    session=session,
                    value=None if absent else value,
                    absent=absent,
                    by=request.user,
                )
                changed += did
    except DomainError as exc:
        return _grid_page(request, subject, session, rows, exact, problem=exc.message)
    messages.success(request, _("Grid saved: %(n)d grades changed.") % {"n": changed})
    return redirect(_grid_url(subject, session))


def _group(
    request: HttpRequest, subject: Subject, session: Session, rows: list[GridRow], exact: bool
) -> HttpResponse:
    """R1.5: one grade for the students picked, stored for each; adjust each one in the grid after."""
    by_pk = {str(r.student.pk): r.student for r in rows}
    members = [by_pk[pk] for pk in request.POST.getlist("member") if pk in by_pk]
    try:
        value = parse_grade(request.POST.get("group_grade", ""), comma_ok=True)
        if value is None:
            raise ValueError(_("a group's grade is a number; mark absences in the grid"))
        svc.group_grade_apply(subject=subject, session=session, members=members, grade=value, by=request.user)
    except (ValueError, DomainError) as exc:
        return _grid_page(request, subject, session, rows, exact, group_error=str(exc))
    messages.success(
        request,
        _("Group grade given to %(n)d students: adjust each one in the grid if needed.")
        % {"n": len(members)},
    )
    return redirect(_grid_url(subject, session))


@login_required
@require_POST
def grades_publish(request: HttpRequest, pk: int) -> HttpResponse:
    subject = get_subject_for_grading(request.user, pk)
    if not svc.may_publish(request.user, subject.curriculum):
        raise Http404
    session = _session(request.POST.get("session"))
    try:
        done = svc.grades_publish(subject=subject, session=session, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if done:
            messages.success(request, _("Grades published: the students are told by email."))
        else:
            messages.info(request, _("These grades were already published."))
    return redirect(_grid_url(subject, session))


# ---- import -------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Grades file (CSV or Excel .xlsx)"),
        help_text=gettext_lazy(
            "Columns: student (student number, e.g. 202500042), subject (code), grade (12.5 with a dot, "
            "or ABS), and optionally session (first or resit)."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def grade_import(request: HttpRequest) -> HttpResponse:
    if not _grades_staff(request.user):
        raise Http404
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if upload_too_large(request):
            form.add_error("file", too_large_message())
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            report = svc.grades_import(data=upload.read(), filename=upload.name, by=request.user)
            if report.ok:
                messages.success(
                    request,
                    _("%(file)s imported: %(n)d grades recorded.")
                    % {"file": upload.name, "n": report.changed},
                )
    else:
        form = ImportForm()
    return render(request, "studies/grade_import.html", {"form": form, "report": report})
