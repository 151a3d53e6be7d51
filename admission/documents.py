"""PDFs of the admission: the decision letter and the sitting's minutes (WeasyPrint)."""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from admission.models import Decision, JurySitting


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is made

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def decision_letter_pdf(decision: Decision) -> bytes:
    """In the candidate's language: name, program, decision (I5)."""
    dossier = decision.dossier
    with translation.override(dossier.candidate.language or settings.LANGUAGE_CODE):
        return _pdf(
            "admission/pdf/decision_letter.html",
            {
                "decision": decision,
                "dossier": dossier,
                "program": dossier.offering.program,
                "session": dossier.offering.session,
                "institution": dossier.offering.session.institution,
                "today": timezone.localdate(decision.sitting.closed_at or timezone.now()),
            },
        )


def minutes_pdf(sitting: JurySitting, *, groups: list[Any], language: str) -> bytes:
    """The sitting's procès-verbal: decisions by program, the members present."""
    with translation.override(language):
        return _pdf(
            "admission/pdf/minutes.html",
            {
                "sitting": sitting,
                "session": sitting.session,
                "institution": sitting.session.institution,
                "groups": groups,
                "members": list(sitting.members.all()),
            },
        )
