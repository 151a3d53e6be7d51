"""The superuser gives a new staff member their account and role in the admin, in Chromium (issue 7 item 4)."""

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.services import mfa_give_totp
from audit.models import AuditEvent
from catalog.models import AdmissionSession, Program
from tests.conftest import make_user
from tests.test_browser import login

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Un-mot-de-passe-solide-42"


def test_issue7_4_superuser_creates_a_staff_user_with_a_role_in_chromium(
    page: Page, live_server: Any, catalog: AdmissionSession
) -> None:
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    mfa_give_totp(user=root)  # staff sign in with a second factor (issue 6 §2)
    program = Program.objects.get(code="BE+")
    base = live_server.url
    login(page, base, root.email)
    # the superuser lands in the admin, where the people are
    expect(page).to_have_url(base + reverse("admin:index"))
    page.locator(f'a[href="{reverse("admin:accounts_user_changelist")}"]').first.click()
    page.locator(f'a[href="{reverse("admin:accounts_user_add")}"]').first.click()
    page.locator("#id_email").fill("nouvelle.directrice@example.org")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("#id_first_name").fill("Nadia")
    page.locator("#id_last_name").fill("Nouvelle")
    expect(page.locator("#id_is_staff")).to_be_checked()  # accounts made here are staff accounts
    # the admin's two-box pickers (script): choose the role, then the program directed
    page.locator("#id_groups_from").select_option(label="Program directors")
    page.locator("#id_groups_add").click()
    page.locator("#id_institution").select_option(value=str(catalog.institution_id))
    page.locator("#id_programs_directed_from").select_option(label=str(program))
    page.locator("#id_programs_directed_add").click()
    page.locator("input[name=_save]").click()
    page.wait_for_load_state()
    expect(page.locator(".errornote")).to_have_count(0)

    user = User.objects.get(email="nouvelle.directrice@example.org")
    assert user.is_staff and not user.is_superuser and user.check_password(NEW_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["Program directors"]
    assert user.institution_id == catalog.institution_id
    assert list(user.directed_programs.all()) == [program]
    assert AuditEvent.objects.filter(action="user.roles", object_id=str(user.pk), actor=root).exists()
    # the list of people shows the new role
    page.goto(base + reverse("admin:accounts_user_changelist") + "?q=nouvelle")
    expect(page.locator("#result_list")).to_contain_text("Program directors")
