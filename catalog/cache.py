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

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from catalog import rules
from catalog.models import AdmissionSession

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
) -> SafeString:
    """The page's content from the cache, else ``render()`` (the content and until when it holds), kept.

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
            return html
    html, until = render()
    timeout = max(1, min(TIMEOUT_SECONDS, int((until - now).total_seconds())))
    cache.set(key, (version, until, html), timeout)
    return html
