"""Staff screens of the curriculum (issue 10 items 1, 2, 6): the curricula with their copy button, one
curriculum's units and subjects (ECTS sums and what is wrong at the top), its students with their thesis
and the renewal flag (R1.11), and the thesis (R1.7).

Access (convention 9, ``studies.access``): the office of the institution and the program's directors;
anyone else gets 404. Only the office renews an agreement (it makes an amount due); only the program's
director approves a thesis topic.
"""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from admission.selectors import list_query
from cursus.errors import DomainError
from cursus.money import format_eur as euros
from registration.models import Student
from studies.access import (
    curricula_for,
    get_curriculum_for_user,
    get_student_for_staff,
    is_director,
    is_office,
    students_for_staff,
)
from studies.curriculum_forms import (
    CopyForm,
    CurriculumNewForm,
    CurriculumSettingsForm,
    RenewalForm,
    SubjectForm,
    ThesisForm,
    UnitForm,
)
from studies.models import Curriculum, Renewal, Subject, Thesis, Unit
from studies.services import curriculum as svc
from studies.services import renewal as renewals
from studies.services.thesis import may_approve_topic, thesis_save, tutors_for

PER_PAGE = 50


def _per_curriculum(qs: Any, aggregate: Any) -> Subquery:
    """An aggregate of the curriculum's rows as a subquery: two joins would multiply each other's rows."""
    return Subquery(
        qs.filter(curriculum=OuterRef("pk")).order_by().values("curriculum").annotate(v=aggregate).values("v")
    )


def _may_list(user: Any) -> bool:
    return is_office(user) or is_director(user)


# ---- the curricula -------------------------------------------------------------------------------------


@login_required
def curricula(request: HttpRequest) -> HttpResponse:
    """The curricula by program and year, a copy button on each, and a form to start a new one."""
    user = request.user
    if not _may_list(user):
        raise Http404
    programs = list(svc.programs_for_curricula(user))
    form = CurriculumNewForm(programs=programs)
    if request.method == "POST":
        form = CurriculumNewForm(request.POST, programs=programs)
        if form.is_valid():
            program = next(p for p in programs if str(p.pk) == form.cleaned_data["program"])
            try:
                curriculum = svc.curriculum_create(
                    program=program,
                    academic_year=form.cleaned_data["academic_year"],
                    resit_policy=form.cleaned_data["resit_policy"],
                    by=user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The curriculum was created: add its units and subjects."))
                return redirect("curriculum_detail", pk=curriculum.pk)
    params = {"program": request.GET.get("program", ""), "year": request.GET.get("year", "").strip()}
    if params["program"] and params["program"] not in {str(p.pk) for p in programs}:
        raise Http404  # a program the person may not see: not an empty list saying it exists
    visible = curricula_for(user)
    qs = visible.annotate(
        n_subjects=_per_curriculum(Subject.objects.all(), Count("pk")),
        teaching=_per_curriculum(Unit.objects.filter(professional=False), Sum("ects")),
        professional=_per_curriculum(Unit.objects.filter(professional=True), Sum("ects")),
    ).order_by("program__code", "-academic_year")
    if params["program"]:
        qs = qs.filter(program_id=params["program"])
    if params["year"]:
        qs = qs.filter(academic_year=params["year"])
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    existing = set(visible.values_list("program_id", "academic_year"))
    rows: list[Any] = list(page.object_list)
    for c in rows:
        c.next_year = svc.next_academic_year(c.academic_year)
        c.can_copy = (c.program_id, c.next_year) not in existing
    years = sorted({y for _p, y in existing}, reverse=True)
    return render(
        request,
        "studies/curricula.html",
        {
            "page": page,
            **params,
            "query": list_query(params),
            "programs": programs,
            "years": years,
            "new_form": form,
            "form": form if form.is_bound else None,
            "teaching_ects": svc.TEACHING_ECTS,
            "professional_ects": svc.PROFESSIONAL_ECTS,
        },
    )


@login_required
@require_POST
def curriculum_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Last year's curriculum copied to another year in one action (never its grades)."""
    source = get_curriculum_for_user(request.user, pk)
    form = CopyForm(request.POST or {"academic_year": svc.next_academic_year(source.academic_year)})
    if not form.is_valid():
        messages.error(request, _("An academic year is written 2025-2026."))
        return redirect("curricula")
    try:
        copy = svc.curriculum_copy(
            source=source, academic_year=form.cleaned_data["academic_year"], by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("curricula")
    messages.success(
        request,
        _("The curriculum of %(from)s was copied to %(to)s: units, subjects, coefficients and teachers.")
        % {"from": source.academic_year, "to": copy.academic_year},
    )
    return redirect("curriculum_detail", pk=copy.pk)


# ---- one curriculum ------------------------------------------------------------------------------------


def _units(curriculum: Curriculum) -> list[Unit]:
    subjects = Subject.objects.prefetch_related("teachers").order_by("position", "code")
    return list(
        Unit.objects.filter(curriculum=curriculum)
        .prefetch_related(Prefetch("subjects", queryset=subjects))
        .order_by("professional", "position", "code")
    )


def _detail_page(request: HttpRequest, curriculum: Curriculum, **bound: Any) -> HttpResponse:
    """The page; ``bound`` replaces a blank form with the one that was sent (nothing typed is lost)."""
    units = _units(curriculum)
    teachers = list(svc.teachers_for(curriculum))
    teaching, professional = svc.curriculum_sums(units)
    locked = svc.curriculum_locked(curriculum)
    rows: list[Any] = units
    for unit in rows:
        unit.form = bound.get(f"unit-{unit.pk}") or UnitForm(
            prefix=f"unit-{unit.pk}",
            initial={
                "code": unit.code,
                "name": unit.name,
                "ects": unit.ects,
                "professional": unit.professional,
                "position": unit.position,
            },
        )
        unit.subject_list = list(unit.subjects.all())
        for s in unit.subject_list:
            s.teacher_list = list(s.teachers.all())
            s.form = bound.get(f"subject-{s.pk}") or SubjectForm(
                prefix=f"subject-{s.pk}",
                units=units,
                teachers=teachers,
                initial={
                    "unit": str(unit.pk),
                    "code": s.code,
                    "name": s.name,
                    "coefficient": s.coefficient,
                    "component": s.component,
                    "teachers": [str(t.pk) for t in s.teacher_list],
                    "position": s.position,
                },
            )
    error_form = next((f for f in bound.values() if f is not None and f.errors), None)
    ctx = {
        "curriculum": curriculum,
        "program": curriculum.program,
        "units": units,
        "teaching": teaching,
        "professional": professional,
        "teaching_ects": svc.TEACHING_ECTS,
        "professional_ects": svc.PROFESSIONAL_ECTS,
        "problems": svc.curriculum_check(curriculum, units=units),
        "locked": locked,
        "has_teachers": bool(teachers),
        "settings_form": bound.get("settings")
        or CurriculumSettingsForm(
            prefix="settings",
            initial={
                "resit_policy": curriculum.resit_policy,
                "resit_session_on": curriculum.resit_session_on,
            },
        ),
        "unit_form": bound.get("unit-new") or UnitForm(prefix="unit-new"),
        "subject_form": bound.get("subject-new")
        or SubjectForm(prefix="subject-new", units=units, teachers=teachers),
        "form": error_form,
    }
    return render(request, "studies/curriculum_detail.html", ctx, status=200)


def _unit_of(curriculum: Curriculum, raw: str | None) -> Unit:
    unit = Unit.objects.filter(curriculum=curriculum, pk=raw).first() if raw and raw.isdigit() else None
    if unit is None:
        raise Http404
    return unit


def _subject_of(curriculum: Curriculum, raw: str | None) -> Subject:
    subject = (
        Subject.objects.filter(curriculum=curriculum, pk=raw).select_related("unit").first()
        if raw and raw.isdigit()
        else None
    )
    if subject is None:
        raise Http404
    return subject


@login_required
def curriculum_detail(request: HttpRequest, pk: int) -> HttpResponse:
    curriculum = get_curriculum_for_user(request.user, pk)
    if request.method != "POST":
        return _detail_page(request, curriculum)
    action, user, post = request.POST.get("action", ""), request.user, request.POST
    here = reverse("curriculum_detail", args=[curriculum.pk])
    try:
        if action == "settings":
            form: Any = CurriculumSettingsForm(post, prefix="settings")
            if not form.is_valid():
                return _detail_page(request, curriculum, settings=form)
            try:
                svc.curriculum_update(curriculum=curriculum, by=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                return _detail_page(request, curriculum, settings=form)
            messages.success(request, _("The curriculum was saved."))
            return redirect(here)
        if action == "unit":
            unit = _unit_of(curriculum, post.get("unit")) if post.get("unit") else None
            key = f"unit-{unit.pk}" if unit else "unit-new"
            form = UnitForm(post, prefix=key)
            if not form.is_valid():
                return _detail_page(request, curriculum, **{key: form})
            data = form.cleaned_data
            try:
                unit = svc.unit_save(
                    curriculum=curriculum,
                    by=user,
                    unit=unit,
                    code=data["code"],
                    name=data["name"],
                    ects=data["ects"],
                    professional=data["professional"],
                    position=data["position"] or 0,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                return _detail_page(request, curriculum, **{key: form})
            messages.success(request, _("%(unit)s was saved.") % {"unit": unit.code})
            return redirect(f"{here}#unit-{unit.pk}")
        if action == "unit_delete":
            unit = _unit_of(curriculum, post.get("unit"))
            svc.unit_delete(unit=unit, by=user)
            messages.success(request, _("%(unit)s was removed.") % {"unit": unit.code})
            return redirect(here)
        if action == "subject":
            subject = _subject_of(curriculum, post.get("subject")) if post.get("subject") else None
            key = f"subject-{subject.pk}" if subject else "subject-new"
            units = _units(curriculum)
            teachers = list(svc.teachers_for(curriculum))
            form = SubjectForm(post, prefix=key, units=units, teachers=teachers)
            if not form.is_valid():
                return _detail_page(request, curriculum, **{key: form})
            data = form.cleaned_data
            chosen = {str(t.pk): t for t in teachers}
            try:
                subject = svc.subject_save(
                    curriculum=curriculum,
                    unit=next(u for u in units if str(u.pk) == data["unit"]),
                    by=user,
                    subject=subject,
                    code=data["code"],
                    name=data["name"],
                    coefficient=data["coefficient"],
                    component=data["component"],
                    teachers=[chosen[t] for t in data["teachers"]],
                    position=data["position"] or 0,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                return _detail_page(request, curriculum, **{key: form})
            messages.success(request, _("%(subject)s was saved.") % {"subject": subject.code})
            return redirect(f"{here}#subject-{subject.pk}")
        if action == "subject_delete":
            subject = _subject_of(curriculum, post.get("subject"))
            svc.subject_delete(subject=subject, by=user)
            messages.success(request, _("%(subject)s was removed.") % {"subject": subject.code})
            return redirect(here)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(here)


# ---- the students of a curriculum ----------------------------------------------------------------------


def _thesis_state(student: Student) -> tuple[str, str]:
    thesis: Thesis | None = getattr(student, "thesis", None)
    if thesis is None:
        return _("No thesis recorded"), "warn"
    if thesis.topic_approved_at is None:
        return _("Topic to approve"), "warn"
    return _("Topic approved"), "ok"


@login_required
@require_GET
def study_students(request: HttpRequest, pk: int) -> HttpResponse:
    """The students of the curriculum's program and year: their thesis, and the training agreement that
    ends before the curriculum does (R1.11) with the office's renewal."""
    user = request.user
    curriculum = get_curriculum_for_user(user, pk)
    qs = (
        students_for_staff(user)
        .filter(offering__program=curriculum.program, academic_year=curriculum.academic_year)
        .select_related("dossier__candidate", "thesis", "thesis__academic_tutor")
        .prefetch_related(Prefetch("renewals", queryset=Renewal.objects.order_by("-agreement_ends_on")))
        .order_by("dossier__last_name", "dossier__first_names", "pk")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    end = renewals.curriculum_end(curriculum)
    office = is_office(user)
    offering = renewals.current_offering(curriculum.program) if office else None
    flagged = 0
    students: list[Any] = list(page.object_list)
    for s in students:
        s.renewal_list = list(s.renewals.all())
        s.agreement_end = renewals.agreement_end(s, s.renewal_list)
        s.needs_renewal = s.status == "active" and renewals.needs_renewal(s, end, renewals=s.renewal_list)
        flagged += s.needs_renewal
        s.thesis_label, s.thesis_tone = _thesis_state(s)
        if office and s.needs_renewal:
            s.renewal_amount = renewals.tuition_for(offering or s.offering, s.registration.financing)
            start = s.agreement_end + dt.timedelta(days=1) if s.agreement_end else None
            s.renewal_form = RenewalForm(
                auto_id=f"renew{s.pk}_%s", initial={"starts_on": start, "ends_on": end}
            )
    return render(
        request,
        "studies/study_students.html",
        {
            "curriculum": curriculum,
            "program": curriculum.program,
            "page": page,
            "curriculum_end": end,
            "end_is_jury": end is not None and end != curriculum.resit_session_on,
            "flagged": flagged,
            "is_office": office,
        },
    )


def _curriculum_of(student: Student) -> Curriculum | None:
    return Curriculum.objects.filter(
        program_id=student.offering.program_id, academic_year=student.academic_year
    ).first()


@login_required
def thesis_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """R1.7: topic, host company, company tutor, academic tutor, defence date; the director approves."""
    user = request.user
    student = get_student_for_staff(user, pk)
    thesis = Thesis.objects.filter(student=student).select_related("topic_approved_by").first()
    can_approve = may_approve_topic(user, student)
    tutors = list(tutors_for(student.offering.program))
    initial: dict[str, Any] = {}
    if thesis is not None:
        initial = {
            "topic": thesis.topic,
            "host_company": thesis.host_company,
            "company_tutor": thesis.company_tutor,
            "academic_tutor": str(thesis.academic_tutor_id or ""),
            "defence_on": thesis.defence_on,
            "approve": thesis.topic_approved_at is not None,
        }
    form = ThesisForm(initial=initial, tutors=tutors, can_approve=can_approve)
    if request.method == "POST":
        form = ThesisForm(request.POST, initial=initial, tutors=tutors, can_approve=can_approve)
        if form.is_valid():
            data = form.cleaned_data
            tutor = next((t for t in tutors if str(t.pk) == data["academic_tutor"]), None)
            try:
                thesis_save(
                    student=student,
                    by=user,
                    topic=data["topic"],
                    host_company=data["host_company"],
                    company_tutor=data["company_tutor"],
                    academic_tutor=tutor,
                    defence_on=data["defence_on"],
                    approve=data["approve"] if can_approve else None,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The thesis was saved."))
                return redirect("thesis_edit", pk=student.pk)
    return render(
        request,
        "studies/thesis_edit.html",
        {
            "student": student,
            "thesis": thesis,
            "form": form,
            "can_approve": can_approve,
            "curriculum": _curriculum_of(student),
        },
    )


@login_required
@require_POST
def renewal_create(request: HttpRequest, pk: int) -> HttpResponse:
    """R1.11: the office renews a student's training agreement (a new tuition due, the student told)."""
    user = request.user
    student = get_student_for_staff(user, pk)
    if not is_office(user):
        raise Http404  # a director reads the flag; the office makes the amount due
    curriculum = _curriculum_of(student)
    back = (
        reverse("study_students", args=[curriculum.pk]) + f"#student-{student.pk}"
        if curriculum is not None
        else reverse("staff_registration", args=[student.dossier_id])
    )
    form = RenewalForm(request.POST, auto_id=f"renew{student.pk}_%s")
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, _("The agreement was not renewed: %(why)s") % {"why": " ".join(errors)})
        return redirect(back)
    try:
        renewal = renewals.renewal_create(
            student=student,
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            by=user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _(
            "The training agreement was renewed; a tuition due of %(amount)s was recorded and the student told."
        )
        % {"amount": euros(renewal.amount)},
    )
    return redirect(back)
