"""Public catalogue: every figure comes from the database (issue #2 §4)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from applications.rules import EligibilityPath, PaymentChannel
from catalog import rules
from catalog.models import AdmissionSession
from catalog.selectors import published_sessions, session_catalogue


def _default_session(sessions: list[AdmissionSession]) -> AdmissionSession | None:
    now = timezone.now()
    for s in sessions:
        if rules.window_is_open(s.opens_on, s.closes_on, now):
            return s
    return sessions[0] if sessions else None


def _render_session(
    request: HttpRequest, session: AdmissionSession | None, sessions: list[AdmissionSession]
) -> HttpResponse:
    ctx: dict[str, object] = {"sessions": sessions, "session": None}
    if session is not None:
        session = session_catalogue(session)
        now = timezone.now()
        ctx.update(
            {
                "session": session,
                "institution": session.institution,
                "offerings": list(session.offerings.all()),
                "document_types": list(session.document_types.all()),
                "opens_at": rules.start_of_day(session.opens_on),
                "deadline_end": rules.end_of_day(session.closes_on),
                "international_deadline_end": rules.end_of_day(session.international_closes_on),
                "is_open": rules.window_is_open(session.opens_on, session.closes_on, now),
                "is_past": rules.is_late(session.closes_on, now),
                "paths": EligibilityPath.choices[:-1],
                "channels": PaymentChannel.choices,
            }
        )
    return render(request, "catalog/home.html", ctx)


def home(request: HttpRequest) -> HttpResponse:
    sessions = list(published_sessions())
    return _render_session(request, _default_session(sessions), sessions)


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sessions = list(published_sessions())
    session = next((s for s in sessions if s.pk == pk), None)
    if session is None:
        raise Http404
    return _render_session(request, session, sessions)
