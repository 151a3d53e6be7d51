"""The public catalogue's content, rendered once per language and kept in the shared cache.

The catalogue is the same for every visitor (issue 11 item 2): its content is kept per page, language
and signed-in state (the "apply" button differs), and read back in one cache round trip along with the
catalogue's version. Any save or delete of a catalogue model (catalog/signals.py) sets a new version, so
the next request renders afresh: an edit in the admin shows at once, in every process. The part that
differs per person (the navigation, CSRF tokens, messages) is the base template's, never cached.

A rendered page also changes with the clock (a window opens or closes at midnight in Paris, which moves
the badge and the page's default session): each entry says until when it holds.
"""

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from catalog import rules
from catalog.models import AdmissionSession, DocumentType, Offering

VERSION_KEY = "catalog:version"
# A cap, not the invalidation: entries are replaced by a new version as soon as the catalogue changes.
TIMEOUT_SECONDS = 6 * 3600


def _version() -> str:
    return secrets.token_hex(8)


def bump_version() -> None:
    """A new version now (this process sees the change at once) and again once the transaction commits:
    a page rendered from the data of before the commit was stored under the first one, never the last."""
    cache.set(VERSION_KEY, _version(), None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, _version(), None))


def valid_until(sessions: Iterable[AdmissionSession], now: dt.datetime) -> dt.datetime:
    """The first instant after ``now`` at which a window opens or closes: what the page shows changes."""
    bounds = [
        b
        for s in sessions
        for b in (rules.start_of_day(s.opens_on), rules.start_of_day(s.closes_on + dt.timedelta(days=1)))
        if b > now
    ]
    return min(bounds, default=now + dt.timedelta(seconds=TIMEOUT_SECONDS))


def cached_content(
    page: str, *, authenticated: bool, render: Callable[[], tuple[SafeString, dt.datetime]]
) -> tuple[SafeString, dt.datetime]:
    """The page's content from the cache, else ``render()`` (the content and until when it holds), kept;
    returned with until when it holds.

    One cache round trip on a hit: the version and the entry are read together, and an entry stored
    under another version (or past its time) is rendered again. The content is kept as the template
    rendered it (a SafeString, escaped there), so it is shown as it is, never escaped twice."""
    key = f"catalog:page:{page}:{get_language()}:{int(authenticated)}"
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:  # never set, or evicted: a new one, so no entry of before can match it
        cache.add(VERSION_KEY, _version(), None)
        version = cache.get(VERSION_KEY)
    entry = found.get(key)
    now = timezone.now()
    if entry is not None:
        entry_version, until, html = entry
        if entry_version == version and now < until and isinstance(html, SafeString):
            return html, until
    html, until = render()
    cache.set(key, (version, until, html), timeout_until(until, now))
    return html, until


def timeout_until(until: dt.datetime, now: dt.datetime) -> int:
    """The cache timeout, in seconds, of an entry that holds until ``until`` (the cap at most)."""
    return max(1, min(TIMEOUT_SECONDS, int((until - now).total_seconds())))


# ---- the catalogue's objects a candidate's dashboard reads (applications/views.py) ----------------

OPEN_OFFERINGS_KEY = "catalog:open-offerings"


def _offering_key(pk: int) -> str:
    return f"catalog:offering:{pk}"


def _open_offerings() -> list[dict[str, Any]]:
    """What the dashboard's "apply" list shows of each open offering of a published session, in the
    order of `catalog.selectors.offerings_open_now`, with the dates of its window (checked when read)."""
    offerings = Offering.objects.filter(is_open=True, session__is_published=True).select_related(
        "session", "program__campus"
    )
    return [
        {
            "pk": o.pk,
            "code": o.program.code,
            "campus": o.program.campus.name,
            "session": o.session.name,
            "opens_on": o.session.opens_on,
            "closes_on": o.session.closes_on,
        }
        for o in offerings
    ]


def _offering_bundles(pks: list[int]) -> dict[int, dict[str, Any]]:
    """Each offering of ``pks`` with its session (its institution and CVEC rate) and its program (its
    campus), and the document types of its session with their programs, in the order
    `applications.selectors.document_slots` reads them: three queries, however many offerings."""
    offerings = list(
        Offering.objects.filter(pk__in=pks).select_related(
            "session__institution", "session__cvec", "program__campus"
        )
    )
    types: dict[int, list[DocumentType]] = {o.session_id: [] for o in offerings}
    for t in DocumentType.objects.filter(session_id__in=types).prefetch_related("programs"):
        types[t.session_id].append(t)
    return {o.pk: {"offering": o, "types": types[o.session_id]} for o in offerings}


def dashboard_catalogue(
    offering_ids: Iterable[int],
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """The offerings ``offering_ids`` (`_offering_bundle`, by id) and the offerings open now (as
    `_open_offerings` says, those whose window is open at this instant), in one cache round trip when
    they are there. Each request reads its own copies (the cache keeps them pickled)."""
    ids = sorted(set(offering_ids))
    keys = [VERSION_KEY, OPEN_OFFERINGS_KEY, *(_offering_key(pk) for pk in ids)]
    found = cache.get_many(keys)
    version = found.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _version(), None)
        version = cache.get(VERSION_KEY)
    missing: dict[str, Any] = {}

    def current(key: str) -> Any:
        stored = found.get(key)
        return stored[1] if stored is not None and stored[0] == version else None

    bundles = {pk: current(_offering_key(pk)) for pk in ids}
    absent = [pk for pk, bundle in bundles.items() if bundle is None]
    if absent:
        built = _offering_bundles(absent)
        for pk in absent:
            bundles[pk] = built[pk]
            missing[_offering_key(pk)] = (version, built[pk])
    offerings = current(OPEN_OFFERINGS_KEY)
    if offerings is None:
        offerings = _open_offerings()
        missing[OPEN_OFFERINGS_KEY] = (version, offerings)
    if missing:
        cache.set_many(missing, TIMEOUT_SECONDS)
    now = timezone.now()
    open_now = [o for o in offerings if rules.window_is_open(o["opens_on"], o["closes_on"], now)]
    return bundles, open_now
