"""The one way Cursus sends email (convention 8): render in the recipient's language, record, send after commit."""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cursus.institutions import institution_of
from notifications.models import EmailAttachment, EmailStatus, OutgoingEmail

Attachment = tuple[str, bytes, str]  # file name, content, MIME type

log = logging.getLogger(__name__)

# What the record of an email carrying a secret (reset or verification link, login code) holds instead of
# its body: staff can see that it was sent, never the secret (issue 6 §1, convention 22).
WITHHELD = "[This email carried a secret link or code; its content is not kept.]"


def email_send_rendered(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    kind: str,
    language: str = "",
    related: models.Model | None = None,
    attachments: list[Attachment] | None = None,
    deliver_now: bool = False,
    carries_secret: bool = False,
    institution: Any = None,
) -> OutgoingEmail:
    """Record an email; deliver it after commit through the task queue (or now, from a task).

    An email that ``carries_secret`` is recorded without its body and sent at once from memory: the
    secret never reaches the database, so no staff page, export or retry can show it. It cannot be
    re-sent (the person asks for a new link instead)."""
    email = OutgoingEmail.objects.create(
        to=to,
        subject=" ".join(subject.split()),
        body_text=WITHHELD if carries_secret else body_text,
        body_html="" if carries_secret else body_html,
        kind=kind,
        language=language,
        related_object=f"{related._meta.label_lower}:{related.pk}" if related is not None else "",
        # Scoped staff see the recorded emails of their institution only (I17).
        institution=institution if institution is not None else institution_of(related),
    )
    for filename, content, mimetype in attachments or []:
        EmailAttachment.objects.create(email=email, filename=filename, mimetype=mimetype, content=content)
    if carries_secret:
        return email_deliver(email_id=email.pk, body_text=body_text, body_html=body_html)
    if deliver_now:
        return email_deliver(email_id=email.pk)
    from notifications.tasks import deliver_email

    transaction.on_commit(lambda: deliver_email.enqueue(email.pk))
    return email


def email_send(
    *,
    template: str,
    to: str,
    language: str,
    context: dict[str, Any],
    related: models.Model | None = None,
    attachments: list[Attachment] | None = None,
    deliver_now: bool = False,
) -> OutgoingEmail:
    """Render ``emails/<template>_{subject.txt,body.txt,body.html}`` in ``language`` and queue it."""
    with translation.override(language or settings.LANGUAGE_CODE):
        ctx = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"emails/{template}_subject.txt", ctx, using="text")
        body_text = render_to_string(f"emails/{template}_body.txt", ctx, using="text")
        body_html = render_to_string(f"emails/{template}_body.html", ctx)
    return email_send_rendered(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=template,
        language=language,
        related=related,
        attachments=attachments,
        deliver_now=deliver_now,
    )


def email_can_be_resent(email: OutgoingEmail) -> bool:
    """Only an email whose whole content was kept can go again; one that carried a secret cannot."""
    return email.body_text != WITHHELD


def email_deliver(
    *, email_id: int, body_text: str | None = None, body_html: str | None = None
) -> OutgoingEmail:
    """Send a recorded email. Safe to call twice: a sent email is not sent again.

    ``body_text``/``body_html`` are given only for an email carrying a secret, whose record holds none."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status == EmailStatus.SENT:
            return email
        if body_text is None and not email_can_be_resent(email):
            return email
        email.attempts += 1
        text = email.body_text if body_text is None else body_text
        html = email.body_html if body_html is None else body_html
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        if html:
            message.attach_alternative(html, "text/html")
        for attachment in email.attachments.all():
            message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 — any transport error is recorded for retry
            log.warning("email %s to %s failed: %s", email.pk, email.to, exc)
            email.status = EmailStatus.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return email
