"""The public catalogue served whole to anonymous visitors, from the shared cache (issue 11 item 2).

A catalogue page seen by someone not signed in is the same for every such visitor of a language: its
content is the catalogue's (catalog/cache.py), and the base template around it holds nothing personal
(no CSRF token: the anonymous language switch needs none, accounts/views.py; no CSP nonce: the scripts
are the site's own files, allowed by ``script-src 'self'``). So the whole response is kept, and the next
anonymous visitor gets it from one cache round trip, before the session, the user, the CSRF check, the
template engine and the rest of the middleware run: the catalogue costs about what a bare view costs.

Only responses a view marks with ``shared_until`` are kept, and only for a GET without a query string
from a visitor who has no cookie but the language's and the CSRF one (no session, no pending message).
An entry holds until the catalogue changes (the version of catalog/cache.py, in the same round trip) or
its time has come (a window opens or closes at midnight in Paris): then the page is rendered again. It
never carries a Set-Cookie: a response that sets a cookie is not kept.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from catalog.cache import VERSION_KEY, timeout_until

_UNTIL_ATTR = "_cursus_shared_until"
# The catalogue's pages: the only ones looked up in the cache (any other costs nothing more).
SHARED_URL_NAMES = frozenset({"home", "session_detail"})


def shared_until(response: HttpResponse, until: dt.datetime) -> None:
    """Mark ``response`` as the same for every anonymous visitor of this language until ``until``."""
    setattr(response, _UNTIL_ATTR, until)


class SharedPageCacheMiddleware:
    """Anonymous catalogue pages from the shared cache, whole; see the module's docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}
        self.harmless_cookies = {settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME}

    def _key(self, request: HttpRequest) -> str | None:
        """The cache key of this request's page, or None when it is not one to share."""
        if request.method != "GET" or request.META.get("QUERY_STRING"):
            return None
        if not set(request.COOKIES) <= self.harmless_cookies:
            return None
        try:
            if resolve(request.path_info).url_name not in SHARED_URL_NAMES:
                return None
        except Resolver404:
            return None
        # As accounts.middleware.LanguageMiddleware chooses for an anonymous visitor.
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        return f"catalog:response:{language}:{request.path}"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        found = cache.get_many([VERSION_KEY, key])
        version, entry = found.get(VERSION_KEY), found.get(key)
        if entry is not None and version is not None:
            entry_version, until, status, headers, body = entry
            if entry_version == version and timezone.now() < until:
                response = HttpResponse(body, status=status)
                for name, value in headers:
                    response.headers[name] = value
                return response
        response = self.get_response(request)
        until = getattr(response, _UNTIL_ATTR, None)
        if (
            until is not None
            and version is not None  # set by the render (catalog/cache.py) when it was missing: next time
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            headers = [
                (name, value) for name, value in response.headers.items() if name.lower() != "set-cookie"
            ]
            entry = (version, until, response.status_code, headers, response.content)
            cache.set(key, entry, timeout_until(until, timezone.now()))
        return response
