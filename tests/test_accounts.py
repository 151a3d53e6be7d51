"""Accounts: sign-up with email verification, log in/out, password reset, language (I15), throttling."""

import re
from typing import Any

from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD


def confirm_link(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_requires_email_verification(
    client: Any, catalog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "zoe@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    # not verified yet: the dashboard is not reachable
    assert client.get(reverse("dashboard")).status_code == 302
    link = confirm_link(mail.outbox[0])
    assert client.get(link).status_code == 200
    client.post(link)
    assert client.get(reverse("dashboard")).status_code == 200


def test_I15_signup_language_becomes_the_users_language(
    client: Any, catalog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "en@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert User.objects.get(email="en@example.org").language == "en"
    assert "Confirm" in mail.outbox[0].subject or "confirm" in mail.outbox[0].body.lower()


def test_I15_language_switch_is_remembered_for_the_user(client: Any, candidate: User) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    assert "Mes candidatures" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/espace/"})
    candidate.refresh_from_db()
    assert candidate.language == "en"
    assert "My applications" in client.get(reverse("dashboard")).content.decode()


def test_login_and_logout(client: Any, candidate: User) -> None:
    response = client.post(reverse("account_login"), {"login": candidate.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_login_attempts_are_throttled(client: Any, candidate: User) -> None:
    for _ in range(5):
        client.post(reverse("account_login"), {"login": candidate.email, "password": "wrong"})
    # even the right password is refused while throttled
    response = client.post(reverse("account_login"), {"login": candidate.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_a_link(
    client: Any, candidate: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": candidate.email})
    assert len(mail.outbox) == 1 and "/accounts/password/reset/key/" in mail.outbox[0].body


def test_passwords_are_hashed_with_argon2() -> None:
    from cursus import settings as project  # the tests themselves use a fast hasher

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = User(email="x@example.org")
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS):
        user.set_password(PASSWORD)
    assert user.password.startswith("argon2$")
