import time
from typing import Any

from allauth.account.signals import user_signed_up
from allauth.mfa.signals import authenticator_added
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation


@receiver(user_signed_up)
def remember_signup_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The language the person signed up in becomes their language (I15)."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    if lang[:2] in {"fr", "en"} and user.language != lang[:2]:
        user.language = lang[:2]
        user.save(update_fields=["language"])


@receiver(authenticator_added)
def second_factor_set_up(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    """Setting up an authenticator proves its code in this very session: count it as passed, so that
    a staff member who has just set one up goes on to their screens without signing in again."""
    if request is not None and getattr(authenticator, "type", None) == "totp":
        from allauth.account.internal.flows.login import record_authentication

        record_authentication(request, user, "mfa", type="totp", id=authenticator.pk)


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Start the staff session's clocks at sign-in, so the first page after it writes nothing."""
    if request is not None and hasattr(request, "session"):
        from accounts.middleware import StaffSessionMiddleware

        now = time.time()
        request.session[StaffSessionMiddleware.STARTED_KEY] = now
        request.session[StaffSessionMiddleware.SEEN_KEY] = now
