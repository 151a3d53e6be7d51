"""Issue 6 §1, §2, §8: no secret in the back office, throttled admin login, staff second factor,
no account enumeration, short staff sessions, no-store pages, production settings."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from accounts.services import mfa_current_code, mfa_give_totp
from notifications.models import OutgoingEmail
from notifications.services import WITHHELD, email_can_be_resent, email_deliver, email_send_rendered
from tests.conftest import PASSWORD, make_user

BASE_DIR = Path(__file__).resolve().parent.parent
STAFF_LISTS = ["office_queue", "director_list", "sittings", "fee_payments"]
ROLES = ["office", "finance", "director_be", "jury", "superuser"]


@pytest.fixture
def superuser(catalog: Any) -> User:
    user = make_user("root@example.org", is_staff=True, is_superuser=True)
    mfa_give_totp(user=user)
    return user


def _reset_link(email: str) -> str:
    """Ask for a password reset as anyone can, and return the link the owner receives."""
    mail.outbox.clear()
    Client().post(reverse("account_reset_password"), {"email": email})
    assert len(mail.outbox) == 1, email
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body))
    assert match, mail.outbox[0].body
    return match.group(1)


def _pages_for(client: Client) -> dict[str, str]:
    """Every page a signed-in staff member can open: staff screens, each dossier's page and export, every
    admin list and every admin object page (emails, audit, users… whatever their permissions allow)."""
    from applications.models import Dossier
    from catalog.models import Program

    urls = ["/admin/", *(reverse(n) for n in STAFF_LISTS)]
    urls += [reverse("staff_dossier", args=[pk]) for pk in Dossier.objects.values_list("pk", flat=True)]
    urls += [reverse("director_export", args=[pk]) for pk in Program.objects.values_list("pk", flat=True)]
    as_attacker = RequestFactory().get("/admin/")
    as_attacker.user = User.objects.get(pk=client.session["_auth_user_id"])
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        try:
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        urls.append(changelist)
        urls.append(changelist + "?q=reset")
        for pk in model_admin.get_queryset(as_attacker).values_list("pk", flat=True)[:50]:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    pages = {}
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            pages[url] = (
                b"".join(response).decode("utf-8", "replace")
                if response.streaming
                else (response.content.decode("utf-8", "replace"))
            )
    return pages


@pytest.mark.parametrize("attacker_role", ROLES)
def test_issue6_1_no_staff_role_can_read_another_accounts_reset_or_verification_link(
    client: Any, request: Any, attacker_role: str, candidate: User, office: User, complete: Any
) -> None:
    """The takeover of issue 6: ask a reset for the victim, read the link in the back office. Every staff
    role against every other account (candidate, office, finance, director, jury, superuser)."""
    attacker = request.getfixturevalue(attacker_role)
    victims = [request.getfixturevalue(r) for r in ROLES if r != attacker_role] + [candidate]
    secrets = {}
    for victim in victims:
        link = _reset_link(victim.email)
        secrets[victim.email] = link.rstrip("/").rsplit("/", 1)[-1]
    # a sign-up's verification link too
    mail.outbox.clear()
    Client().post(
        reverse("account_signup"), {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    verification = re.search(r"/accounts/confirm-email/(\S+)/", str(mail.outbox[0].body))
    assert verification
    secrets["new@example.org"] = verification.group(1)

    client.login(email=attacker.email, password=PASSWORD)
    pages = _pages_for(client)
    assert "/admin/" in pages or attacker_role in {"director_be", "jury"}
    for email, secret in secrets.items():
        leaks = [url for url, text in pages.items() if secret in text]
        assert not leaks, f"{attacker_role} reads the secret link of {email} at {leaks}"
    # The emails were recorded (their sending is visible) without their content.
    recorded = OutgoingEmail.objects.filter(kind="password_reset_key")
    assert recorded.count() == len(victims)
    assert all(e.body_text == WITHHELD and e.body_html == "" and e.status == "sent" for e in recorded)
    # And the links themselves work for the owner (the test would see a leak: the secret is real).
    victim = victims[0]
    response = Client().get(_reset_link(victim.email), follow=True)
    assert response.status_code == 200 and "password1" in response.content.decode()


def test_issue6_1_a_secret_email_is_never_sent_again(db: Any) -> None:
    email = email_send_rendered(
        to="x@example.org",
        subject="Reset",
        body_text="https://site/accounts/password/reset/key/abc-def/",
        kind="password_reset_key",
        carries_secret=True,
    )
    assert email.body_text == WITHHELD and "abc-def" not in email.body_text
    assert not email_can_be_resent(email)
    assert mail.outbox[-1].body.endswith("abc-def/")  # the person got the real link
    OutgoingEmail.objects.filter(pk=email.pk).update(status="failed")
    mail.outbox.clear()
    assert email_deliver(email_id=email.pk).status == "failed" and mail.outbox == []
    plain = email_send_rendered(to="x@example.org", subject="Hello", body_text="Hi", kind="dossier_submitted")
    assert email_can_be_resent(plain)


def test_issue6_1_owner_is_told_when_their_password_changes(client: Any, candidate: User) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    mail.outbox.clear()
    new = "Un-autre-secret-2026"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[candidate.email]]
    assert OutgoingEmail.objects.filter(kind="password_changed", to=candidate.email).exists()


def test_issue6_1_owner_is_told_when_their_password_is_reset(candidate: User) -> None:
    link = _reset_link(candidate.email)
    anon = Client()
    form_url = anon.get(link, follow=True).redirect_chain[-1][0]
    mail.outbox.clear()
    new = "Encore-un-secret-2026"
    anon.post(form_url, {"password1": new, "password2": new})
    assert User.objects.get(pk=candidate.pk).check_password(new)
    assert any(m.to == [candidate.email] and "reset" in m.body.lower() for m in mail.outbox) or any(
        m.to == [candidate.email] and "réinitialisé" in m.body for m in mail.outbox
    )


# --- §2 authentication ------------------------------------------------------------------------------


def test_issue6_2_admin_login_goes_through_the_sites_throttled_login(superuser: User) -> None:
    anon = Client()
    response = anon.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    # The admin's own form checks no password any more: a POST there is sent to the site's login.
    response = anon.post("/admin/login/", {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in anon.session
    # 30 wrong passwords for the admin account: it is locked, as any account of the site.
    for i in range(30):
        anon.post(reverse("account_login"), {"login": superuser.email, "password": f"wrong-{i}"})
    response = anon.post(reverse("account_login"), {"login": superuser.email, "password": PASSWORD})
    assert "_auth_user_id" not in anon.session
    assert response.status_code in {200, 429}
    assert "/2fa/authenticate" not in response.get("Location", "")
    assert anon.get("/admin/").status_code == 302


def test_issue6_2_site_login_is_not_locked_before_the_limit(superuser: User) -> None:
    anon = Client()
    for i in range(3):
        anon.post(reverse("account_login"), {"login": superuser.email, "password": f"wrong-{i}"})
    response = anon.post(reverse("account_login"), {"login": superuser.email, "password": PASSWORD})
    assert response.status_code == 302 and "/2fa/authenticate" in response["Location"]


def _staff_without_factor(role: str) -> User:
    groups = {
        "office": "Admissions office",
        "finance": "Finance",
        "director_be": "Program directors",
        "jury": "Jury members",
    }
    if role == "superuser":
        return make_user("bare.root@example.org", is_staff=True, is_superuser=True)
    user = User.objects.create_user(email=f"bare.{role}@example.org", password=PASSWORD)
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=groups[role]))
    return user


@pytest.mark.parametrize("role", ROLES)
def test_issue6_2_staff_without_a_second_factor_reaches_no_staff_screen(catalog: Any, role: str) -> None:
    user = _staff_without_factor(role)
    raw = Client()  # a plain session: password only
    assert raw.login(email=user.email, password=PASSWORD)
    for url in ["/admin/", "/admin/applications/dossier/", *(reverse(n) for n in STAFF_LISTS)]:
        response = raw.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url


@pytest.mark.parametrize("role", ROLES)
def test_issue6_2_a_session_that_skipped_the_second_factor_is_signed_out(request: Any, role: str) -> None:
    user = request.getfixturevalue(role)
    raw = Client()
    assert raw.login(email=user.email, password=PASSWORD)  # bypasses allauth's second stage
    response = raw.get(reverse("office_queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in raw.session


def test_issue6_2_staff_sign_in_with_password_then_code(office: User) -> None:
    anon = Client()
    response = anon.post(reverse("account_login"), {"login": office.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    # between the two steps nothing is open
    assert anon.get(reverse("office_queue")).status_code == 302
    wrong = anon.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in anon.session
    anon.post(reverse("mfa_authenticate"), {"code": mfa_current_code(user=office)})
    assert anon.get(reverse("office_queue")).status_code == 200


@pytest.mark.parametrize(("steps_late", "accepted"), [(0, True), (1, True), (2, False)])
def test_issue6_2_a_code_of_the_step_just_past_is_still_accepted(
    office: User, steps_late: int, accepted: bool
) -> None:
    """A code read at the end of its 30 s step and typed in the next one passes (RFC 6238 §5.2, one
    step of delay); a code two steps old does not."""
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, 0, 29, tzinfo=dt.UTC), tick=False) as clock:
        code = mfa_current_code(user=office)
        anon = Client()
        anon.post(reverse("account_login"), {"login": office.email, "password": PASSWORD})
        if steps_late:  # 12:00:29 is the step's last second: 2 s on is the next step, 32 s the one after
            clock.shift(dt.timedelta(seconds=30 * (steps_late - 1) + 2))
        anon.post(reverse("mfa_authenticate"), {"code": code})
        assert (anon.get(reverse("office_queue")).status_code == 200) is accepted


def test_issue6_2_setting_up_an_authenticator_opens_the_staff_screens(
    transactional_db: Any, catalog: Any
) -> None:
    """Real commits (allauth records the new factor after commit), as in production."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    user = _staff_without_factor("office")
    anon = Client()
    anon.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = anon.get(reverse("office_queue"))
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before a factor is added (a stolen session cannot add one)
    page = anon.get(reverse("mfa_activate_totp"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    page = anon.post(page.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(dt.datetime.now().timestamp()) // 30))
    response = anon.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert anon.get(reverse("office_queue")).status_code == 200


def test_issue6_2_candidates_need_no_second_factor_but_may_turn_it_on(client: Any, candidate: User) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_issue6_2_signup_with_a_known_or_unknown_email_looks_and_works_the_same(
    candidate: User, monkeypatch: Any
) -> None:
    """No account enumeration: same page, same redirect, one email, one password hash either way."""
    hasher = get_hasher()
    calls: list[str] = []
    original = type(hasher).encode

    def counting(self: Any, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(type(hasher), "encode", counting)
    results = []
    for email in (candidate.email, "nobody.yet@example.org"):
        calls.clear()
        mail.outbox.clear()
        anon = Client()
        response = anon.post(
            reverse("account_signup"),
            {"email": email, "password1": "Nouveau-42-x", "password2": "Nouveau-42-x"},
        )
        page = anon.get(response["Location"])
        results.append(
            (response.status_code, response["Location"], page.status_code, page.content.decode(), len(calls))
        )
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]
    known, unknown = results
    assert known[:3] == unknown[:3]

    def same(text: str, email: str) -> str:
        text = re.sub(r'nonce="[^"]+"', "", text.replace(email, "X"))
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert same(known[3], candidate.email) == same(unknown[3], "nobody.yet@example.org")
    assert known[4] == unknown[4] == 1


def test_issue6_2_staff_sessions_end_after_30_idle_minutes(client: Any, office: User) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.login(email=office.email, password=PASSWORD)
        assert client.get(reverse("office_queue")).status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("office_queue")).status_code == 200
        traveller.shift(dt.timedelta(minutes=30, seconds=1))
        response = client.get(reverse("office_queue"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
        assert "_auth_user_id" not in client.session


def test_issue6_2_staff_sessions_end_after_12_hours_even_when_active(client: Any, office: User) -> None:
    start = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.login(email=office.email, password=PASSWORD)
        for _ in range(35):  # every 20 minutes for 11 h 40
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("office_queue")).status_code == 200
        traveller.shift(dt.timedelta(minutes=21))
        assert client.get(reverse("office_queue")).status_code == 302


def test_issue6_2_candidates_keep_longer_sessions(client: Any, candidate: User) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.login(email=candidate.email, password=PASSWORD)
        traveller.shift(dt.timedelta(hours=13))
        assert client.get(reverse("dashboard")).status_code == 200


def test_issue6_2_demo_code_only_for_demo_accounts(catalog: Any, settings: Any) -> None:
    from django.core.management import CommandError, call_command

    demo = make_user("office@cursus.demo", group="Admissions office")
    real = make_user("real.office@example.org", group="Admissions office")
    settings.DEBUG = True
    from io import StringIO

    out = StringIO()
    call_command("demo_code", demo.email, stdout=out)
    assert out.getvalue().strip() == mfa_current_code(user=demo)
    with pytest.raises(CommandError):
        call_command("demo_code", real.email)
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code", demo.email)


# --- §8 production settings ---------------------------------------------------------------------------


def test_issue6_8_pages_with_personal_data_are_not_stored(client: Any, candidate: User) -> None:
    assert "no-store" not in Client().get(reverse("home")).get("Cache-Control", "")
    client.login(email=candidate.email, password=PASSWORD)
    for url in (reverse("dashboard"), reverse("home")):
        assert "no-store" in client.get(url)["Cache-Control"], url


def _settings_load(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "EMAIL_MODE"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "cursus.settings",
            "IBAN_ENCRYPTION_KEYS": "k" * 43 + "=",
            **env,
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_issue6_8_debug_is_off_unless_set() -> None:
    result = _settings_load(SECRET_KEY="x" * 50, EMAIL_MODE="smtp")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_issue9_production_refuses_to_start_without_an_iban_encryption_key() -> None:
    result = _settings_load(DEBUG="0", SECRET_KEY="x" * 50, EMAIL_MODE="smtp", IBAN_ENCRYPTION_KEYS="")
    assert result.returncode != 0
    assert "IBAN_ENCRYPTION_KEYS must be set" in result.stderr


def test_issue6_8_console_email_is_refused_in_production() -> None:
    result = _settings_load(DEBUG="0", SECRET_KEY="x" * 50, EMAIL_MODE="console")
    assert result.returncode != 0 and "EMAIL_MODE=console" in result.stderr
    assert _settings_load(DEBUG="1", EMAIL_MODE="console").returncode == 0


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_issue6_2_throttle_counters_live_in_a_cache_every_process_shares() -> None:
    """CACHE_URL=redis://… : a counter written by one process is read by another (login throttling)."""
    script = (
        "import django, sys; django.setup(); from django.core.cache import cache; "
        "from django.conf import settings; assert 'Redis' in settings.CACHES['default']['BACKEND']; "
        "k = 'cursus-test-shared'; "
        "cache.set(k, 41) if sys.argv[1] == 'w' else print(cache.incr(k)); cache.close()"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cursus.settings", "DEBUG": "1"}
    env["CACHE_URL"] = "redis://127.0.0.1:6379/7"
    for arg in ("w", "r"):
        result = subprocess.run(
            [sys.executable, "-c", script, arg],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_issue6_2_staff_cannot_turn_their_second_factor_off(client: Any, office: User) -> None:
    from allauth.mfa.models import Authenticator

    client.login(email=office.email, password=PASSWORD)
    response = client.post(reverse("mfa_deactivate_totp"), follow=True)
    assert Authenticator.objects.filter(user=office, type="totp").exists()
    assert client.get(reverse("office_queue")).status_code == 200
    assert response.status_code == 200


def test_issue6_2_candidates_may_turn_theirs_off(client: Any, candidate: User) -> None:
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    totp = mfa_give_totp(user=candidate)
    assert get_adapter().can_delete_authenticator(totp)
    assert not get_adapter().can_delete_authenticator(
        Authenticator(user=make_user("x.office@example.org", group="Admissions office"), type="totp")
    )


def test_issue6_2_a_removed_authenticator_closes_the_staff_screens_at_once(client: Any, office: User) -> None:
    from allauth.mfa.models import Authenticator

    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("office_queue")).status_code == 200
    Authenticator.objects.filter(user=office).delete()  # e.g. an administrator after a lost phone
    response = client.get(reverse("office_queue"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_issue6_1_no_authenticator_secret_in_the_admin(client: Any, superuser: User, office: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    client.login(email=superuser.email, password=PASSWORD)
    totp = Authenticator.objects.get(user=office, type="totp")
    secret = decrypt(totp.data["secret"])
    page = client.get(reverse("admin:mfa_authenticator_change", args=[totp.pk]))
    assert page.status_code == 200 and secret not in page.content.decode()
    assert (
        client.post(reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"}).status_code
        == 302
    )
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
