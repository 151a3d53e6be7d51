"""I3 in Chromium: the office returns a dossier asking for a document that is not in the session's list;
the candidate finds where to upload it, uploads it and submits again."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from applications import services
from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from tests.test_browser import login

pytestmark = pytest.mark.browser

ASKED = "Attestation de stage de fin d'études, signée"


def test_I3_office_asks_for_another_document_and_the_candidate_uploads_it_in_chromium(
    page: Page, live_server: Any, ready: Dossier, office: Any, tmp_path: Path
) -> None:
    base = live_server.url
    services.dossier_submit(dossier=ready, by=ready.candidate)

    # The office writes what it wants, ticks the box and returns the dossier.
    login(page, base, office.email)
    page.goto(base + f"/gestion/dossiers/{ready.pk}/")
    page.fill("#id_missing", ASKED)
    page.check("#id_ask_document")
    page.get_by_role("button", name="Renvoyer au candidat comme incomplet").click()
    expect(page.locator("h1 .badge")).to_have_text("Incomplet")
    ready.refresh_from_db()
    assert ready.status == DossierStatus.INCOMPLETE and ready.other_document_asked

    # The candidate reads it on the dashboard, and finds the slot among the documents.
    login(page, base, ready.candidate.email)
    page.goto(base + "/espace/")
    notice = page.locator(f"#incomplete-{ready.pk}")
    expect(notice).to_contain_text(ASKED)
    expect(page.locator(f"#other-document-{ready.pk}")).to_be_visible()
    page.goto(base + f"/dossiers/{ready.pk}/documents/")
    slot = page.locator("#doc-other")
    expect(slot).to_contain_text("Autre pièce demandée par le service des admissions")
    pdf = tmp_path / "attestation.pdf"
    pdf.write_bytes(tiny_pdf("attestation"))
    slot.locator("input[type=file]").set_input_files(str(pdf))
    slot.get_by_role("button", name="Déposer").click()
    expect(page.locator("#doc-other .badge.ok")).to_be_visible()

    # And submits again.
    page.goto(base + f"/dossiers/{ready.pk}/")
    page.check("#id_confirm_submit")
    page.get_by_role("button", name=re.compile("Envoyer")).first.click()
    expect(page.locator("[data-status=submitted]").first).to_be_visible()
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED
    assert ready.files.filter(document_type__code="other", superseded_at__isnull=True).count() == 1
