from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from django.utils.translation import gettext_lazy as _


class MFAAdapter(DefaultMFAAdapter):
    """Staff keep their second factor: they may replace it (set up a new one) but never turn it off,
    which would leave a staff session without one (issue 6 §2). Candidates may turn theirs off."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Staff accounts need two-factor authentication: it cannot be turned off. If your device is "
            "lost, use a recovery code, then ask the administrator to reset your authenticator."
        ),
    }

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        from accounts.selectors import is_staff_member

        return not is_staff_member(authenticator.user)
