"""Flywire (issue 9 item 5): the notification endpoint Flywire calls, and finance's list of payments.

The endpoint is public (Flywire has no account) and leaks nothing: POST only (405), no CSRF token (a
server calls it), 401 and nothing stored without the secret's digest, 413 unread over 64 kB, and 200
at once for a notification kept (``billing.services.flywire``). It lives outside ``/gestion/``, so the
staff-session middleware leaves it alone; no login is asked. The list is finance's only (404 for
everybody else, like every finance screen).
"""

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import FINANCE
from billing import flywire as fw
from billing.models import FlywireStatus
from billing.services import flywire as svc
from cursus.institutions import user_scope

log = logging.getLogger(__name__)
PER_PAGE = 50
EVENTS_SHOWN = 30


@csrf_exempt
@require_POST
def flywire_notification(request: HttpRequest) -> HttpResponse:
    """Flywire's payment status callback (X-Flywire-Digest checked in constant time)."""
    secret = settings.FLYWIRE_SHARED_SECRET
    given = request.headers.get(fw.DIGEST_HEADER, "")
    if not secret or not given:
        return HttpResponse(status=401)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > fw.MAX_BODY:
        return HttpResponse(status=413)
    body = request.read(fw.MAX_BODY + 1)  # the raw body, read once: the digest is over these bytes
    if len(body) > fw.MAX_BODY:
        return HttpResponse(status=413)
    if not fw.digest_ok(body, given, secret):
        log.warning("Flywire notification refused: bad digest")
        return HttpResponse(status=401)
    svc.flywire_event_store(body=body)
    return HttpResponse(status=200)


def _finance_only(user: Any) -> None:
    # Staff without the role get the same 404 as anyone guessing the URL.
    if not user.has_perm(FINANCE):
        raise Http404


@login_required
@require_GET
def flywire_payments(request: HttpRequest) -> HttpResponse:
    """Flywire payments with their status, due, payout line; the latest notifications and outcomes."""
    user = request.user
    _finance_only(user)
    scope = user_scope(user)
    g = request.GET
    status = g.get("status", "")
    unassigned, unreconciled = g.get("unassigned") == "1", g.get("unreconciled") == "1"
    qs = svc.payments_visible_to(scope)
    if status in FlywireStatus.values:
        qs = qs.filter(status=status)
    if unassigned:
        qs = qs.filter(due__isnull=True)
    if unreconciled:
        qs = qs.filter(status=FlywireStatus.DELIVERED, payout_bank_line__isnull=True)
    qs = qs.select_related("due__dossier__offering__program", "payout_bank_line").order_by(
        "-created_at", "-pk"
    )
    page = Paginator(qs, PER_PAGE).get_page(g.get("page"))
    events = list(svc.events_visible_to(scope).order_by("-received_at", "-pk")[:EVENTS_SHOWN])
    for event in events:
        event.outcome_text = fw.outcome_label(event.outcome) if event.processed_at else ""  # type: ignore[attr-defined]
    params = {
        "status": status,
        "unassigned": "1" if unassigned else "",
        "unreconciled": "1" if unreconciled else "",
    }
    return render(
        request,
        "billing/flywire_payments.html",
        {
            "page": page,
            "events": events,
            "statuses": FlywireStatus.choices,
            **params,
            "query": urlencode(params),
        },
    )
