"""Email through a real SMTP server (aiosmtpd on 127.0.0.1), in the recipient's language (I15)."""

import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from applications import services
from applications.models import Dossier
from notifications.models import EmailStatus, OutgoingEmail
from notifications.services import email_deliver


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


def body_text(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


@pytest.mark.parametrize(
    ("language", "subject_word", "body_phrase"),
    [("fr", "Candidature reçue", "Nous avons bien reçu"), ("en", "Application received", "We have received")],
)
def test_I15_receipt_goes_through_real_smtp_in_the_candidates_language(
    smtp: Inbox,
    ready: Dossier,
    language: str,
    subject_word: str,
    body_phrase: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ready.candidate.language = language
    ready.candidate.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=ready, by=ready.candidate)
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == ready.candidate.email
    assert subject_word in msg["Subject"] and "BE+" in msg["Subject"]
    text = body_text(msg)
    assert body_phrase in text and ready.full_name in text
    assert msg.get_body(preferencelist=("html",)) is not None
    record = OutgoingEmail.objects.get(to=ready.candidate.email)
    assert record.status == EmailStatus.SENT and record.language == language


def test_failed_delivery_is_recorded_and_can_be_retried(
    settings: Any, ready: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens there
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=ready, by=ready.candidate)
    record = OutgoingEmail.objects.get(to=ready.candidate.email)
    assert record.status == EmailStatus.FAILED and record.attempts == 1 and record.last_error
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    email_deliver(email_id=record.pk)
    record.refresh_from_db()
    assert record.status == EmailStatus.SENT and record.attempts == 2
    email_deliver(email_id=record.pk)  # sending twice sends once
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("language", "subject_word", "letter_word"),
    [("fr", "Décision du jury", "Admis"), ("en", "Decision of the admission jury", "Admitted")],
)
def test_I5_decision_email_through_real_smtp_with_the_letter(
    smtp: Inbox,
    at_jury: Dossier,
    sitting_member: Any,
    office: Any,
    language: str,
    subject_word: str,
    letter_word: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import io

    from pypdf import PdfReader

    from admission import services as adm

    at_jury.candidate.language = language
    at_jury.candidate.save()
    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        adm.sitting_close(sitting=at_jury.sitting, by=office, reason="closed before its date (test)")  # type: ignore[arg-type]
    msg = next(m for m in smtp.messages if subject_word in m["Subject"])
    pdfs = [part for part in msg.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdfs[0].get_content())).pages)
    assert at_jury.last_name in text and "BE+" in text and letter_word in text


def test_issue7_1_plain_text_emails_show_plain_characters(db: Any) -> None:
    """Every text email is rendered without HTML escaping: an apostrophe stays an apostrophe."""
    from notifications.services import email_send

    class Dossier:
        full_name = "Jeanne d'Arc <Lorraine> & Co"
        pk = 1

    email = email_send(
        template="dossier_withdrawn",
        to="j@example.org",
        language="en",
        context={"dossier": Dossier(), "program": type("P", (), {"code": "BE+"})()},
    )
    assert "Jeanne d'Arc <Lorraine> & Co" in email.body_text
    assert "&#x27;" not in email.body_text and "&amp;" not in email.body_text
    assert "Jeanne d&#x27;Arc &lt;Lorraine&gt; &amp; Co" in email.body_html
