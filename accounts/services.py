import time
from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_GROUPS


def roles_ensure_groups() -> dict[str, Group]:
    """Create or refresh one group per staff role with its permissions. Safe to call twice."""
    groups = {}
    for name, (role, extra) in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label="accounts", codename=role)]
        for label in extra:
            app_label, codename = label.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups[name] = group
    return groups


def mfa_give_totp(*, user: Any, secret: str | None = None) -> Any:
    """Give a person an authenticator app (TOTP) with recovery codes, as allauth's set-up does. Safe to
    call twice: an existing authenticator is kept. Used by the demo and the tests; real people set
    theirs up themselves from /accounts/2fa/."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    totp = TOTP.activate(user, secret or generate_totp_secret()).instance
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return totp


def mfa_current_code(*, user: Any) -> str:
    """The code an authenticator app of this person shows now."""
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(decrypt(authenticator.data["secret"]), counter))
