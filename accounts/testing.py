"""A test client for the suite and the benchmarks: staff signed in by it have passed the second factor."""

import time
from typing import Any

from django.test import Client


class SecondFactorClient(Client):
    """Django's test client whose ``login``/``force_login`` of a staff member also passes the second
    factor, as the real sign-in does after an authenticator code (that flow itself is proven in
    tests/test_security.py). Candidates are logged in as they are. Use ``Client()`` for a raw session."""

    def login(self, **credentials: Any) -> bool:
        ok = super().login(**credentials)
        if ok:
            self._pass_second_factor()
        return ok

    def force_login(self, user: Any, backend: str | None = None) -> None:
        super().force_login(user, backend)
        self._pass_second_factor()

    def _pass_second_factor(self) -> None:
        from accounts.models import User
        from accounts.selectors import is_staff_member
        from accounts.services import mfa_give_totp

        session = self.session
        user = User.objects.get(pk=session["_auth_user_id"])
        if not is_staff_member(user):
            return
        authenticator = mfa_give_totp(user=user)
        now = time.time()
        session["account_authentication_methods"] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "type": "totp", "id": authenticator.pk},
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
