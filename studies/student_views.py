"""The student's side of studies (issue 10 item 7): their published grades per UV, the ECTS obtained,
what remains (resits and their date), the outcome once the studies jury is closed, and the transcript.

A student sees only their own (``studies.access.own_students``) and only published grades; a person
who is no student gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from studies.access import get_own_student, own_students
from studies.deliberation import DeliberationError
from studies.grade_selectors import published_grades
from studies.selectors import curriculum_of, final_outcome, student_outcome


def _provisional(student: Any) -> Any:
    """The outcome the published grades give (not final): None while the curriculum is incomplete."""
    try:
        return student_outcome(student)
    except DeliberationError:
        return None


@login_required
@require_GET
def my_studies(request: HttpRequest) -> HttpResponse:
    students = list(own_students(request.user).filter(status="active"))
    if not students:
        raise Http404
    studies = []
    for student in students:
        curriculum = curriculum_of(student)
        final = final_outcome(student)
        outcome = None if final is not None else _provisional(student)
        studies.append(
            {
                "student": student,
                "curriculum": curriculum,
                "units": published_grades(student, curriculum) if curriculum is not None else [],
                "final": final,
                "outcome": outcome,
                "ects": final.ects if final is not None else getattr(outcome, "ects_obtained", None),
                "resits": list(getattr(outcome, "resits", ()) or ()) if outcome is not None else [],
            }
        )
    return render(request, "studies/my_studies.html", {"studies": studies})


@login_required
@require_GET
def my_transcript(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_own_student(request.user, pk)
    if final_outcome(student) is None:
        raise Http404  # no transcript before the studies jury is closed (R1.10)
    from studies.documents import transcript_pdf  # WeasyPrint: loaded only when a transcript is asked for

    language = translation.get_language() or "fr"
    pdf = transcript_pdf(student, language[:2])
    response = HttpResponse(pdf, content_type="application/pdf")
    # The link says "Download": an attachment, as the decision letter and the staff's transcript are.
    response["Content-Disposition"] = f'attachment; filename="releve-{student.number}.pdf"'
    return response
