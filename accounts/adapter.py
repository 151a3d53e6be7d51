from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils import translation

# allauth emails that carry no secret (no token link, no code): they may be recorded whole and re-sent.
# Every other account email (reset links, verification links, login codes, any future one) is treated
# as carrying a secret: sent at once from memory, recorded without its body (convention 22).
EMAILS_WITHOUT_SECRET = frozenset(
    {
        "account_already_exists",
        "unknown_account",
        "password_changed",
        "password_set",
        "password_reset",
        "email_changed",
        "email_deleted",
        "email_confirm",  # the "address confirmed" notice, not the link
        "totp_activated",
        "totp_deactivated",
        "recovery_codes_generated",
        "webauthn_added",
        "webauthn_removed",
    }
)


@dataclass(frozen=True)
class SiteIdentity:
    """What allauth's templates read as ``current_site``: the name and the address people know."""

    name: str
    domain: str


def site_identity(user: Any = None) -> SiteIdentity:
    """The institution a person deals with: a staff member's own, else that of their latest dossier,
    else the only institution there is; the platform's name when none is known."""
    from catalog.models import Institution

    institution = None
    if getattr(user, "pk", None):
        institution = getattr(user, "institution", None)
        if institution is None:
            institution = (
                Institution.objects.filter(sessions__offerings__dossiers__candidate=user)
                .order_by("-sessions__offerings__dossiers__updated_at")
                .first()
            )
    if institution is None:
        only = list(Institution.objects.all()[:2])
        institution = only[0] if len(only) == 1 else None
    domain = urlsplit(settings.SITE_URL).netloc or settings.SITE_URL
    return SiteIdentity(name=institution.name if institution else "Cursus", domain=domain)


class AccountAdapter(DefaultAccountAdapter):
    """Route allauth's emails through the one way Cursus sends mail (recorded; secrets never kept)."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Each role lands on its work (issue 7 item 4); allauth asks only when no safe ``next`` was given."""
        from cursus.context_processors import StaffNav

        return StaffNav(request).landing()  # a fresh one: the person has just signed in

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from notifications.services import email_send_rendered

        # Django's sites framework is not installed: the emails name the institution (issue 7 item 8).
        context = {"current_site": site_identity(context.get("user")), **context}
        msg = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", None) or []:
            if mimetype == "text/html":
                html = str(content)
        kind = template_prefix.rsplit("/", 1)[-1]
        user = context.get("user")
        email_send_rendered(
            to=email,
            subject=str(msg.subject),
            body_text=str(msg.body),
            body_html=html,
            kind=kind,
            language=translation.get_language() or "",
            carries_secret=kind not in EMAILS_WITHOUT_SECRET,
            # Account emails go out from the request, known address or not, so that signing up with
            # a known email takes as long as with an unknown one (no enumeration by timing).
            deliver_now=True,
            related=user if getattr(user, "pk", None) else None,
        )


class CursusSignupForm(SignupForm):
    """allauth's sign-up form that does the same work for a known email as for a new one: the
    password is hashed either way (no account enumeration by response time, issue 6 §2)."""

    def try_save(self, request: HttpRequest) -> Any:
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
