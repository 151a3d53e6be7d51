from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Route allauth's emails through the one way Cursus sends mail (recorded, retried)."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from notifications.services import email_send_rendered

        msg = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", None) or []:
            if mimetype == "text/html":
                html = str(content)
        email_send_rendered(
            to=email,
            subject=str(msg.subject),
            body_text=str(msg.body),
            body_html=html,
            kind=template_prefix.rsplit("/", 1)[-1],
            language=translation.get_language() or "",
        )
