"""Public catalogue: every figure comes from the database (issue #2 §4), rendered once per language and
kept in the cache until the catalogue changes (catalog/cache.py, issue 11 item 2)."""

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from applications.rules import EligibilityPath, PaymentChannel
from catalog import rules
from catalog.cache import cached_content, valid_until
from catalog.middleware import shared_until
from catalog.models import AdmissionSession
from catalog.selectors import published_sessions, session_catalogue


def _default_session(sessions: list[AdmissionSession], now: dt.datetime) -> AdmissionSession | None:
    for s in sessions:
        if rules.window_is_open(s.opens_on, s.closes_on, now):
            return s
    return sessions[0] if sessions else None


def _catalogue(pk: int | None, *, authenticated: bool) -> tuple[SafeString, dt.datetime]:
    """The content of the home page (``pk`` None: the session taking applications, else the first) or of
    one published session's page, and until when it holds. Nothing of the visitor but whether they are
    signed in: the content is shared by everyone in that state and language."""
    now = timezone.now()
    sessions = list(published_sessions())
    if pk is None:
        session = _default_session(sessions, now)
    else:
        session = next((s for s in sessions if s.pk == pk), None)
        if session is None:
            raise Http404
    ctx: dict[str, object] = {"sessions": sessions, "session": None, "authenticated": authenticated}
    if session is not None:
        session = session_catalogue(session)
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
    return render_to_string("catalog/_catalogue.html", ctx), valid_until(sessions, now)


def _page(request: HttpRequest, pk: int | None) -> HttpResponse:
    authenticated = request.user.is_authenticated
    html, until = cached_content(
        "home" if pk is None else f"session-{pk}",
        authenticated=authenticated,
        render=lambda: _catalogue(pk, authenticated=authenticated),
    )
    response = render(request, "catalog/home.html", {"catalogue": html})
    if not authenticated:
        # The whole page is then the same for every anonymous visitor of this language: kept whole
        # (catalog/middleware.py) until the catalogue changes or ``until``.
        shared_until(response, until)
    return response


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, None)


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)
