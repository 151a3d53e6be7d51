"""The accessibility statement RGAA requires, and what every page carries for keyboards and screen
readers (issue 7 item 9). The walk of every page with axe-core is tests/test_walk.py."""

import io
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from catalog.models import Institution
from privacy.models import AccessibilityStatement, Conformance
from privacy.services import accessibility_statement_install_defaults


def test_issue7_9_statement_says_level_gaps_contact_and_recourse(client: Client, catalog: Any) -> None:
    """Shown before the office saves one: not compliant (never audited), the known gaps, the
    institution's contact and the recourse to the Défenseur des droits."""
    page = client.get(reverse("accessibility_statement")).content.decode()
    assert 'data-level="none"' in page
    assert "RGAA" in page and "Aucun audit" in page
    assert catalog.institution.email in page
    assert "Défenseur des droits" in page and "formulaire.defenseurdesdroits.fr" in page


def test_issue7_9_statement_is_edited_per_institution_and_in_english(client: Client, catalog: Any) -> None:
    mine = accessibility_statement_install_defaults(catalog.institution)
    assert accessibility_statement_install_defaults(catalog.institution) == mine  # safe twice
    mine.conformance = Conformance.PARTIAL
    mine.compliance_rate = 74
    mine.gaps_en = "The campus map is an image without a description."
    mine.save()
    other = Institution.objects.create(name="École B", short_name="B", email="b@example.org")
    page = client.get(reverse("accessibility_statement"), headers={"cookie": "django_language=en"})
    text = page.content.decode()
    assert 'data-level="partial"' in text and 'data-level="none"' in text  # each institution its own
    assert "partially compliant" in text and "74 % of the RGAA criteria" in text
    assert "The campus map is an image without a description." in text
    assert other.email in text
    assert AccessibilityStatement.objects.count() == 1  # the other one is the unsaved default


def test_issue7_9_every_page_has_a_skip_link_labelled_menus_and_the_statement(
    client: Client, catalog: Any
) -> None:
    for name in ("home", "account_login", "account_signup", "privacy_notice"):
        page = client.get(reverse(name)).content.decode()
        assert re.search(r'<a class="skip-link" href="#main">', page), name
        assert '<main id="main"' in page, name
        labels = re.findall(r'<nav aria-label="([^"]+)"', page)
        assert len(labels) == len(set(labels)) == page.count("<nav"), (name, labels)
        assert f'href="{reverse("accessibility_statement")}"' in page, name


def test_issue7_9_a_failed_submit_shows_an_error_summary_that_takes_the_focus(
    client: Client, catalog: Any
) -> None:
    """The summary comes first in the main content, lists each error with a link to its field, and
    carries autofocus (cursus.js also focuses it)."""
    page = client.post(
        reverse("account_signup"), {"email": "not-an-email", "password1": "x"}
    ).content.decode()
    summary = re.search(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert 'href="#id_email"' in summary.group(1) and 'href="#id_password1"' in summary.group(1)
    assert page.index("error-summary") < page.index("<form", page.index('<main id="main"'))
    assert "error-summary" not in client.get(reverse("account_signup")).content.decode()


def test_issue7_9_seed_defaults_installs_the_statement(db: Any) -> None:
    """Like the privacy notice: `seed_defaults` installs an editable statement, and running it again
    keeps what the office saved."""
    from django.core.management import call_command

    call_command("seed_defaults", stdout=io.StringIO())
    statement = AccessibilityStatement.objects.get()
    statement.gaps_fr = "Écrit par le service."
    statement.save()
    call_command("seed_defaults", stdout=io.StringIO())
    assert AccessibilityStatement.objects.get().gaps_fr == "Écrit par le service."
