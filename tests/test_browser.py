"""The candidate's journey in a real Chromium, in French and in English (I15)."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "signup": "Créer un compte",
        "confirm": "Confirmer",
        "start": "Commencer une candidature",
        "edit": "Modifier",
        "save": "Enregistrer",
        "upload": "Déposer",
        "pay": "Payer et déclarer le paiement",
        "paid": "J'ai payé",
        "submit": "Envoyer mon dossier",
        "submitted": "Envoyé",
        "receipt": "Accusé de réception",
    },
    "en": {
        "signup": "Create an account",
        "confirm": "Confirm",
        "start": "Start an application",
        "edit": "Edit",
        "save": "Save",
        "upload": "Upload",
        "pay": "Pay and declare the payment",
        "paid": "I have paid",
        "submit": "Submit my dossier",
        "submitted": "Submitted",
        "receipt": "Receipt",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_I15_candidate_journey_in_chromium(
    page: Page, live_server: Any, open_session: Any, tmp_path: Path, lang: str
) -> None:
    w = WORDS[lang]
    base = live_server.url
    email = f"journey-{lang}@example.org"
    page.goto(base + "/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name=re.compile("Application fee"))).to_be_visible()
    else:
        expect(page.get_by_role("heading", name=re.compile("Frais de dossier"))).to_be_visible()

    # sign up and verify the email
    page.get_by_role("link", name=w["signup"]).first.click()
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    confirmation = next(m for m in mail.outbox if email in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", str(confirmation.body))
    assert link, confirmation.body
    page.goto(link.group(0))
    page.get_by_role("button", name=w["confirm"]).click()

    # open a dossier for BE+
    page.goto(base + "/espace/")
    value = page.locator("#id_offering option", has_text="MS BE+ ").first.get_attribute("value")
    page.select_option("#id_offering", value=value)
    page.get_by_role("button", name=w["start"]).click()
    dossier_url = page.url

    def section(
        name: str,
        *,
        fill: dict[str, str] | None = None,
        select: dict[str, str] | None = None,
        check: list[str] | None = None,
    ) -> None:
        page.goto(dossier_url + f"section/{name}/")
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        for selector, value in (select or {}).items():
            page.select_option(selector, value)
        for selector in check or []:
            page.check(selector)
        page.get_by_role("button", name=w["save"]).click()
        expect(page.locator(f"#section-{name} .badge.ok")).to_be_visible()

    section(
        "identity",
        fill={
            "#id_last_name": "Nguyễn-Lefèvre",
            "#id_first_names": "Thảo Élodie",
            "#id_birth_date": "1997-04-12",
            "#id_birth_place": "Hà Nội",
        },
        select={"#id_nationality": "FR"},
    )
    section(
        "contact",
        fill={
            "#id_phone": "+33 6 00 00 00 00",
            "#id_address": "1 place d'Armes",
            "#id_postal_code": "59500",
            "#id_city": "Douai",
        },
        select={"#id_country": "FR"},
    )
    section(
        "eligibility",
        fill={"#id_diploma_title": "Master Génie civil"},
        check=["input[name=eligibility_path][value=c]"],
    )
    section("financing", check=["input[name=financing_intention][value=personal]"])

    # documents
    page.goto(dossier_url + "documents/")
    pdf = tmp_path / "piece.pdf"
    pdf.write_bytes(tiny_pdf("piece"))
    for code in ["cv", "cover_letter", "diploma", "transcripts", "identity"]:
        slot = page.locator(f"#doc-{code}")
        slot.locator("input[type=file]").set_input_files(str(pdf))
        slot.get_by_role("button", name=w["upload"]).click()
        expect(page.locator(f"#doc-{code} .badge.ok")).to_be_visible()

    # fee
    page.goto(dossier_url)
    page.get_by_role("link", name=w["pay"]).click()
    expect(page.locator("#payment-reference")).to_contain_text("NGUYEN-LEFEVRE MS BE+")
    page.check("input[name=channel][value=transfer]")
    page.fill("#id_paid_on", dt.date.today().isoformat())
    page.get_by_role("button", name=w["paid"]).click()

    # submit: final, so the candidate confirms it (issue 7 item 7)
    page.check("#id_confirm_submit")
    page.get_by_role("button", name=w["submit"]).click()
    expect(page.locator("[data-status=submitted]")).to_have_text(w["submitted"])
    expect(page.locator(".receipt")).to_contain_text(w["receipt"])
    dossier = Dossier.objects.get(candidate__email=email)
    assert dossier.status == DossierStatus.SUBMITTED
    receipt = [m for m in mail.outbox if email in m.to][-1]
    assert ("BE+" in receipt.subject) and (
        ("Candidature reçue" in receipt.subject)
        if lang == "fr"
        else ("Application received" in receipt.subject)
    )


def login(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    if "/2fa/authenticate" in page.url:
        enter_second_factor(page, email)


def enter_second_factor(page: Page, email: str) -> None:
    """Type the code the person's authenticator app shows now (staff need one, issue 6 §2)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    from accounts.models import User
    from accounts.services import mfa_current_code

    user = User.objects.get(email=email)
    code = mfa_current_code(user=user)
    # A code is accepted once; the same person signing in twice within 30 s in a test needs it again.
    totp = TOTP(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP))
    cache.delete(totp._get_used_cache_key(code))
    page.locator("input[name=code]").fill(code)
    page.locator("form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_load_state()


def test_admission_journey_in_chromium(
    page: Page,
    live_server: Any,
    ready: Dossier,
    office: Any,
    finance: Any,
    director_be: Any,
    jury: Any,
    tmp_path: Path,
) -> None:
    """R2.3, I3, I5: the office marks complete, the director gives an opinion, the jury admits,
    the sitting is closed, the candidate sees the decision and downloads the letter."""
    from admission.models import JurySitting
    from applications import services
    from applications.models import FeePayment

    base = live_server.url
    services.dossier_submit(dossier=ready, by=ready.candidate)
    payment = FeePayment.objects.get(dossier=ready)
    services.fee_confirm(payment=payment, by=finance, booked_on=payment.paid_on)
    for s in JurySitting.objects.filter(session=ready.offering.session):
        s.members.add(jury)
    ready.candidate.language = "en"
    ready.candidate.save()

    # the office checks every document and marks the dossier complete
    login(page, base, office.email)
    page.goto(base + "/gestion/dossiers/")
    page.locator(f"#row-{ready.pk} a").first.click()
    n = page.locator("form.verdict button[value=accepted]").count()
    assert n == 5
    for i in range(n):
        button = page.locator("form.verdict button[value=accepted]").nth(i)
        button_id = button.get_attribute("id")
        button.click()
        expect(page.locator(".badge", has_text="Acceptée")).to_have_count(i + 1)
        # The focus stays on the button used, in the row redrawn (not back at the top of the page).
        expect(page.locator(f"#{button_id}")).to_be_focused()
    page.locator("#mark-complete").click()
    expect(page.locator("h1 .badge")).to_have_text("Complet")

    # the director gives a favourable opinion
    login(page, base, director_be.email)
    page.goto(base + "/gestion/programmes/")
    page.locator(f"#row-{ready.pk} a").first.click()
    page.check("input[name=favourable][value='1']")
    page.fill("textarea[name=comment]", "Très bon profil, projet clair.")
    page.get_by_role("button", name="Donner l'avis").click()
    expect(page.locator("h1 .badge")).to_have_text("Au jury")
    ready.refresh_from_db()
    routed = ready.sitting
    assert routed is not None
    sitting = routed

    # the jury admits
    login(page, base, jury.email)
    page.goto(base + "/gestion/jurys/")
    page.get_by_role("link", name=sitting.name).click()
    expect(page.locator(".places").first).to_contain_text("0 place prise sur")
    row = page.locator(f"#d{ready.pk}")
    row.get_by_role("link", name="Décider").click()  # the form comes into the row (issue 11 item 2)
    row.locator("select[name=outcome]").select_option("admitted")
    row.get_by_role("button", name="Décider").click()
    expect(page.locator(f"#d{ready.pk}")).to_contain_text("Admis")
    expect(page.locator(".places").first).to_contain_text("1 place prise sur")

    # the office closes the sitting
    login(page, base, office.email)
    page.goto(base + f"/gestion/jurys/{sitting.pk}/")
    page.get_by_role("link", name="Clore la séance…").click()
    page.fill("#id_reason", "Séance avancée")  # before its date: a reason (issue 7 item 2)
    page.locator("#close-sitting").click()
    expect(page.locator("h1 .badge")).to_have_text("Close")

    # the candidate sees the decision and downloads the letter
    login(page, base, ready.candidate.email)
    page.goto(base + "/espace/")
    expect(page.locator(f"#decision-{ready.pk}")).to_contain_text("Admitted")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the decision letter (PDF)").click()
    path = tmp_path / "letter.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    from pypdf import PdfReader

    text = " ".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    assert ready.last_name in text and "Admitted" in text
