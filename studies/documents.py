"""PDFs of the studies (issue 10 item 5): the transcript (*relevé de notes*) and the studies jury's minutes,
made with WeasyPrint through ``admission.documents.render_pdf`` (static files only; fonts on the @page
margin boxes), in French or English.

The transcript states what the jury ruled on: the reasoning stored on the student's last outcome of a
closed jury (grades, resit grades, the grade that counts, averages, ECTS). Before any jury it is
provisional and shows the published grades only.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from admission.documents import render_pdf
from studies import selectors
from studies.deliberation import outcome_label
from studies.deliberation.values import OutcomeKind as Kind
from studies.models import StudiesJury
from studies.reasoning import localised, reasoning_of, sentences


def _grade(text: str | None, language: str) -> str:
    if text is None:
        return ""
    if text == "ABS":
        return _("absent")
    return localised(text, language)


def _average(avg: dict[str, str] | None, language: str) -> dict[str, str]:
    if not avg:
        return {"shown": "—", "exact": "—"}
    return {"shown": localised(avg["shown"], language), "exact": localised(avg["exact"], language)}


def units_view(reasoning: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """The reasoning's units (teaching UVs then the professional part) with every figure written in
    ``language``: averages cut at two decimals with their exact value (never rounded up, I12)."""
    units = [
        *reasoning.get("units", []),
        *([reasoning["professional"]] if reasoning.get("professional") else []),
    ]
    out = []
    for u in units:
        out.append(
            {
                "code": u["code"],
                "name": u["name"],
                "ects": localised(_whole(u["ects"]), language),
                "ects_awarded": localised(_whole(u["ects_awarded"]), language),
                "validated": u["validated"],
                "average": _average(u.get("average"), language),
                "professional": u is reasoning.get("professional"),
                "subjects": [
                    {
                        "code": s["code"],
                        "name": s["name"],
                        "coefficient": localised(s["coefficient"], language),
                        "grade": _grade(s.get("grade"), language),
                        "resit": _grade(s.get("resit"), language),
                        "counts": _grade(s.get("counts"), language),
                        "triggers": s.get("resit_triggers", []),
                        "compensated_by": s.get("compensated_by", []),
                    }
                    for s in u["subjects"]
                ],
            }
        )
    return out


def transcript_context(student: Any, language: str) -> dict[str, Any]:
    final = selectors.final_outcome(student)
    curriculum = selectors.curriculum_of(student)
    jury: StudiesJury | None = None
    if final is not None:
        reasoning, jury = final.reasoning, final.jury
        label = final.get_outcome_display()
    else:
        outcome = selectors.student_outcome(student)
        reasoning = reasoning_of(outcome) if outcome is not None else {}
        label = outcome_label(outcome.kind, language) if outcome is not None else ""
    return {
        "student": student,
        "dossier": student.dossier,
        "program": student.offering.program,
        "institution": student.offering.session.institution,
        "year": student.academic_year,
        "curriculum": curriculum,
        "units": units_view(reasoning, language) if reasoning else [],
        "overall": _average(reasoning.get("overall_average"), language),
        "ects": localised(_whole(reasoning.get("ects_obtained", "0")), language),
        "outcome_label": label,
        "final": final,
        "jury": jury,
        "provisional": final is None,
        "today": timezone.localdate(),
    }


def transcript_pdf(student: Any, language: str) -> bytes:
    """The student's transcript (relevé de notes), in ``language`` ("fr" or "en")."""
    with translation.override(language):
        return render_pdf("studies/pdf/transcript.html", transcript_context(student, language))


def minutes_rows(jury: StudiesJury, language: str) -> list[dict[str, Any]]:
    rows = []
    outcomes = jury.outcomes.select_related("student__dossier", "decided_by").order_by(
        "student__dossier__last_name", "student__dossier__first_names", "student_id"
    )
    for o in outcomes:
        r = o.reasoning
        rows.append(
            {
                "outcome": o,
                "name": o.student.dossier.full_name,
                "number": o.student.number,
                "overall": _average(r.get("overall_average"), language),
                "ects": localised(_whole(str(o.ects)), language),
                "proposed": o.get_proposed_display(),
                "final": o.get_outcome_display() if o.outcome else "—",
                "overridden": bool(o.override_reason),
                "reasons": sentences(r, language) if o.outcome != Kind.DEGREE else [],
            }
        )
    return rows


def minutes_pdf(jury: StudiesJury, language: str) -> bytes:
    """The studies jury's minutes: every student's outcome, the overrides and their reasons, the members."""
    with translation.override(language):
        return render_pdf(
            "studies/pdf/minutes.html",
            {
                "jury": jury,
                "curriculum": jury.curriculum,
                "program": jury.curriculum.program,
                "institution": jury.curriculum.program.institution,
                "rows": minutes_rows(jury, language),
                "members": list(jury.members.all()),
                "closed_on": timezone.localdate(jury.closed_at) if jury.closed_at else None,
            },
        )


def _whole(text: str | None) -> str | None:
    """ECTS read as whole numbers when they are (75, not 75.0); a half ECTS keeps its decimal."""
    if text is None:
        return None
    return text[:-2] if text.endswith(".0") else text
