import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _


class LanguageMiddleware:
    """French by default, English on a switch (I15): the signed-in person's choice, else the
    language cookie set by the switch, else French. The browser's Accept-Language is not used:
    the school's site is French first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        lang = ""
        if user is not None and user.is_authenticated:
            lang = getattr(user, "language", "")
        if lang not in self.supported:
            lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if lang not in self.supported:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", lang)
        return response


class StaffSessionMiddleware:
    """Staff reach no staff screen without a second factor, and their sessions are short.

    A staff member (any staff role, `is_staff` or superuser) who has no authenticator is sent to set
    one up; one whose session did not pass the second factor is signed out and sent to sign in again.
    Staff sessions end after STAFF_SESSION_IDLE_SECONDS without a request and STAFF_SESSION_MAX_SECONDS
    in all, checked here on the server (the cookie's own age is not trusted). The session is written
    at most once a minute for this, not on every request (convention 25)."""

    SEEN_KEY = "cursus_seen_at"
    STARTED_KEY = "cursus_started_at"
    WARNED_KEY = "cursus_mfa_setup_warned"
    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.STAFF_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.selectors import is_staff_member

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_member(user):
            refused = self._check_session(request) or self._check_second_factor(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check_session(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        session = request.session
        started = session.get(self.STARTED_KEY)
        seen = session.get(self.SEEN_KEY)
        if started is None or seen is None:
            session[self.STARTED_KEY] = started = _authenticated_at(request) or now
            session[self.SEEN_KEY] = seen = now
        if (
            now - seen > settings.STAFF_SESSION_IDLE_SECONDS
            or now - started > settings.STAFF_SESSION_MAX_SECONDS
        ):
            logout(request)
            messages.info(request, _("Your session has ended. Please sign in again."))
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        if now - seen >= self.TOUCH_EVERY:
            session[self.SEEN_KEY] = now
        return None

    def _check_second_factor(self, request: HttpRequest) -> HttpResponse | None:
        from accounts.selectors import has_second_factor, session_passed_second_factor

        if not request.path.startswith(self.prefixes):
            return None
        # Both, on every staff page: an authenticator removed since (by an administrator, after a lost
        # device) sends the person to set up a new one, even in a session that had passed the old one.
        if has_second_factor(request.user):
            if session_passed_second_factor(request):
                return None
            # An authenticator exists but this session never passed it: sign in again, through it.
            logout(request)
            messages.info(request, _("Please sign in again with your second factor."))
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        if not request.session.get(self.WARNED_KEY):  # said once, not once per page tried
            request.session[self.WARNED_KEY] = True
            messages.warning(
                request,
                _(
                    "Staff screens need two-factor authentication. Set up an authenticator app "
                    "(then keep your recovery codes) to continue."
                ),
            )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))


def _authenticated_at(request: HttpRequest) -> float | None:
    from allauth.account.authentication import get_authentication_records

    times = [r.get("at") for r in get_authentication_records(request, request.user)]
    numbers = [t for t in times if isinstance(t, int | float)]
    return min(numbers) if numbers else None


class NoStoreMiddleware:
    """No page or file shown to a signed-in person is kept by a browser or a proxy cache (ASVS 14.3):
    they show personal data. Public pages seen anonymously keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or isinstance(response, FileResponse):
            patch_cache_control(response, no_store=True, private=True)
        return response
