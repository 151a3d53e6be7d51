"""The one way Cursus sends email (convention 8): render in the recipient's language, record, send after commit."""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import EmailAttachment, EmailStatus, OutgoingEmail

Attachment = tuple[str, bytes, str]  # file name, content, MIME type

log = logging.getLogger(__name__)


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
) -> OutgoingEmail:
    """Record an email; deliver it after commit through the task queue (or now, from a task)."""
    email = OutgoingEmail.objects.create(
        to=to,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        language=language,
        related_object=f"{related._meta.label_lower}:{related.pk}" if related is not None else "",
    )
    for filename, content, mimetype in attachments or []:
        EmailAttachment.objects.create(email=email, filename=filename, mimetype=mimetype, content=content)
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
        subject = render_to_string(f"emails/{template}_subject.txt", ctx)
        body_text = render_to_string(f"emails/{template}_body.txt", ctx)
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


def email_deliver(*, email_id: int) -> OutgoingEmail:
    """Send a recorded email. Safe to call twice: a sent email is not sent again."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status == EmailStatus.SENT:
            return email
        email.attempts += 1
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
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
