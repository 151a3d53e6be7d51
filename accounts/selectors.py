"""What reads accounts: who is staff, and whether a session passed the second factor."""

from typing import Any

from django.http import HttpRequest

from accounts.roles import STAFF_ROLES


def is_staff_member(user: Any) -> bool:
    """Any staff role, the admin flag or the superuser: they all need a second factor (issue 6 §2).

    No query for the request's user: its permissions came with it (accounts/backends.py)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or any(user.has_perm(p) for p in STAFF_ROLES))


def has_second_factor(user: Any) -> bool:
    """Whether the person has an authenticator app. The request's user was read with the answer (as it
    stood when the request began: this is asked before the view, which may add or remove one)."""
    from allauth.mfa.models import Authenticator

    from accounts.backends import HAS_TOTP_ATTR

    known = getattr(user, HAS_TOTP_ATTR, None)
    if known is not None:
        return bool(known)

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_second_factor(request: HttpRequest) -> bool:
    from allauth.account.authentication import get_authentication_records

    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))
