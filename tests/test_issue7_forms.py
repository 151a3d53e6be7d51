"""Issue 7 items 7 (candidate forms) and 8 (wording)."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from applications import services
from applications.forms import ContactForm, IdentityForm
from applications.models import Dossier, DossierStatus
from audit.labels import ACTION_LABELS
from audit.models import AuditEvent
from cursus.countries import country_choices
from cursus.templatetags.cursus import audit_action, audit_state, colon, paris
from tests.conftest import CONTACT, IDENTITY_FR, PASSWORD, fill_dossier

# ---- item 7: the forms ------------------------------------------------------------------------


def identity(draft: Dossier, **changes: Any) -> IdentityForm:
    data = {**IDENTITY_FR, **changes}
    return IdentityForm(data=data, instance=draft)


def contact(draft: Dossier, **changes: Any) -> ContactForm:
    return ContactForm(data={**CONTACT, **changes}, instance=draft)


def test_issue7_7_birth_date_in_2030_is_refused(draft: Dossier) -> None:
    form = identity(draft, birth_date="2030-01-01")
    assert not form.is_valid()
    assert "birth_date" in form.errors


def test_issue7_7_birth_date_of_1890_is_refused_and_a_plausible_one_accepted(draft: Dossier) -> None:
    assert "birth_date" in identity(draft, birth_date="1890-05-01").errors
    # 12 years old when the session opens: not a candidate to a Mastère Spécialisé
    opens = draft.offering.session.opens_on
    assert "birth_date" in identity(draft, birth_date=opens.replace(year=opens.year - 12).isoformat()).errors
    form = identity(draft, birth_date="1996-02-29")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["birth_date"] == dt.date(1996, 2, 29)


def test_issue7_7_phone_of_letters_is_refused(draft: Dossier) -> None:
    form = contact(draft, phone="zéro six douze")
    assert not form.is_valid()
    assert "phone" in form.errors
    ok = contact(draft, phone="06 11 22 33 44")
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["phone"] == "+33611223344"


def test_issue7_7_french_postal_code_has_five_digits_foreign_ones_are_free(draft: Dossier) -> None:
    assert "postal_code" in contact(draft, postal_code="5950").errors
    assert "postal_code" in contact(draft, postal_code="5950A").errors
    ok = contact(draft, postal_code="59 500")
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["postal_code"] == "59500"
    foreign = contact(draft, postal_code="SW1A 1AA", country="GB", phone="+44 20 7946 0958")
    assert foreign.is_valid(), foreign.errors


def test_issue7_7_contact_fields_carry_autocomplete_and_type(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    page = client.get(reverse("dossier_section", args=[draft.pk, "contact"])).content.decode()
    phone = re.search(r"<input[^>]*name=\"phone\"[^>]*>", page)
    assert phone and 'type="tel"' in phone.group(0) and 'autocomplete="tel"' in phone.group(0)
    for name, token in [("address", "address-line1"), ("postal_code", "postal-code"), ("country", "country")]:
        assert re.search(
            rf"<(input|select)[^>]*name=\"{name}\"[^>]*autocomplete=\"{token}\"", page
        ) or re.search(rf"<(input|select)[^>]*autocomplete=\"{token}\"[^>]*name=\"{name}\"", page), name
    page = client.get(reverse("dossier_section", args=[draft.pk, "identity"])).content.decode()
    assert re.search(r"<input[^>]*autocomplete=\"bday\"[^>]*>", page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_issue7_7_countries_sorted_with_accents_folded(language: str) -> None:
    with translation.override(language):
        names = [name for _code, name in country_choices()]
    assert names == sorted(names, key=_fold)
    if language == "fr":
        i = names.index("États-Unis")
        assert names[i - 1].startswith("E") and names[i + 1][0] in "EÉ"  # among the E, not after Z
        assert names[-1] == "Zimbabwe"


def _fold(name: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))


def test_issue7_7_sections_are_read_only_after_submission(client: Any, ready: Dossier) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    client.login(email=ready.candidate.email, password=PASSWORD)
    url = reverse("dossier_section", args=[ready.pk, "identity"])
    page = client.get(url).content.decode()
    assert '<form method="post" class="form card"' not in page
    assert 'id="read-only"' in page and "Lefèvre" in page and "Douai" in page
    response = client.post(
        url, {**IDENTITY_FR, "last_name": "Autre", "birth_date": "1996-02-29"}, follow=True
    )
    assert response.redirect_chain[-1][0] == url
    messages = [str(m) for m in response.context["messages"]]
    assert messages and "no longer be changed" in " ".join(messages) or "ne peut plus" in " ".join(messages)
    ready.refresh_from_db()
    assert ready.last_name == "Lefèvre"


def test_issue7_7_submission_without_confirmation_is_refused(client: Any, ready: Dossier) -> None:
    client.login(email=ready.candidate.email, password=PASSWORD)
    page = client.get(reverse("dossier_detail", args=[ready.pk])).content.decode()
    assert 'name="confirm"' in page and "required" in page
    client.post(reverse("dossier_submit", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.status == DossierStatus.DRAFT
    client.post(reverse("dossier_submit", args=[ready.pk]), {"confirm": "yes"})
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED


def test_issue7_7_new_dossier_shows_the_general_deadline_with_the_international_note(
    client: Any, draft: Dossier
) -> None:
    assert draft.is_international is None
    client.login(email=draft.candidate.email, password=PASSWORD)
    page = client.get(reverse("dashboard")).content.decode()
    session = draft.offering.session
    general = paris(session.deadline_end(international=False))
    international = paris(session.deadline_end(international=True))
    card = page[page.index(f'id="dossier-{draft.pk}"') :]
    assert card.index(general) < card.index(f'id="international-deadline-{draft.pk}"')
    assert international in card
    # once the nationality is known, the one deadline that applies, without the note
    services.dossier_save_section(dossier=draft, by=draft.candidate, section="identity", data=IDENTITY_FR)
    page = client.get(reverse("dashboard")).content.decode()
    assert general in page and f'id="international-deadline-{draft.pk}"' not in page


def test_issue7_7_ineligible_candidate_is_never_told_to_pay_or_submit(client: Any, draft: Dossier) -> None:
    fill_dossier(
        draft,
        eligibility={"eligibility_path": "none", "diploma_title": "Licence", "bac5_in_progress": False},
        documents=False,
        fee=False,
    )
    client.login(email=draft.candidate.email, password=PASSWORD)
    fee_url = reverse("dossier_fee", args=[draft.pk])
    for url in [reverse("dashboard"), reverse("dossier_detail", args=[draft.pk])]:
        page = client.get(url).content.decode()
        assert f'id="not-eligible-{draft.pk}"' in page
        assert f'href="{fee_url}"' not in page, url
        assert 'id="submit-button"' not in page, url
        assert "submit" not in _next_step(page), url
    page = client.get(fee_url).content.decode()
    assert 'name="channel"' not in page and 'id="not-eligible"' in page


def _next_step(page: str) -> str:
    """What the page says to do next, with "envoyer" read as "submit" and "payer" as "pay"."""
    parts = re.findall(r"(?:Next step|Étape suivante|Prochaine étape)[^<]*</strong>([^<]*)", page)
    assert parts
    return " ".join(parts).lower().replace("envoy", "submit").replace("pay", "submit")


# ---- item 8: wording --------------------------------------------------------------------------


def test_issue7_8_account_email_names_the_institution(
    client: Any, catalog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "zoe@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    body = mail.outbox[-1].body
    assert catalog.institution.name in body
    assert "c'est  !" not in body and "  !" not in body


def test_issue7_8_places_plural(catalog: Any) -> None:
    group = {"offering": None, "capacity": 3, "held": 1, "left": 2}
    with translation.override("fr"):
        one = render_to_string("admission/_places.html", {"g": group})
        two = render_to_string("admission/_places.html", {"g": {**group, "held": 2, "left": 1}})
    assert "1 place prise sur 3" in one and "2 restantes" in one
    assert "2 places prises sur 3" in two and "1 restante" in two
    with translation.override("en"):
        assert "1 of 3 places taken" in render_to_string("admission/_places.html", {"g": group})


def test_issue7_8_years_of_experience_plural(client: Any, draft: Dossier) -> None:
    draft.candidate.language = "en"
    draft.candidate.save()
    client.login(email=draft.candidate.email, password=PASSWORD)
    url = reverse("dossier_detail", args=[draft.pk])
    for years, shown in [
        (Decimal("1"), "1 year<"),
        (Decimal("1.5"), "1.5 years<"),
        (Decimal("4"), "4 years<"),
    ]:
        Dossier.objects.filter(pk=draft.pk).update(experience_years=years)
        with translation.override("en"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert shown in page, years


def test_issue7_8_history_shows_words_not_codes(client: Any, ready: Dossier, office: Any) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    office.language = "en"
    office.save()
    client.login(email=office.email, password=PASSWORD)
    with translation.override("en"):
        page = client.get(
            reverse("staff_dossier", args=[ready.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    history = page[page.index('id="history"') :]
    assert "Dossier submitted" in history
    assert "dossier.submit" not in history and "fee.declare" not in history
    assert "Draft → Submitted" in history


def test_issue7_8_every_audited_action_has_words() -> None:
    """An action recorded by the code but missing from the labels would show as a code."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    found = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    sections = {f"dossier.section.{s}" for s in ["identity", "contact", "eligibility", "financing"]}
    assert found, "no action found"
    assert (found | sections) - set(ACTION_LABELS) == set()
    assert audit_action("dossier.submit") != "dossier.submit"
    assert audit_action("unknown.code") == "unknown.code"
    with translation.override("en"):
        assert audit_state("confirmed", "fee.confirm") == "Confirmed"
        assert audit_state("submitted", "dossier.submit") == "Submitted"


def test_issue7_8_french_colon_and_times_without_seconds() -> None:
    with translation.override("fr"):
        assert colon() == "\u00a0:"
    with translation.override("en"):
        assert colon() == ":"
    from zoneinfo import ZoneInfo

    paris_tz = ZoneInfo("Europe/Paris")
    with translation.override("en"):
        assert "14:30 (Paris" in paris(dt.datetime(2025, 3, 1, 14, 30, 17, tzinfo=paris_tz))
        assert "23:59:59" in paris(dt.datetime(2025, 6, 4, 23, 59, 59, tzinfo=paris_tz))  # a deadline (I1)


def test_issue7_8_cvec_label_names_its_year(client: Any, ready: Dossier) -> None:
    client.login(email=ready.candidate.email, password=PASSWORD)
    page = client.get(reverse("dossier_detail", args=[ready.pk])).content.decode()
    year = ready.offering.session.cvec.academic_year
    assert f"CVEC {year}" in page


def test_issue7_8_audit_event_kinds_are_translated_words_in_french(ready: Dossier) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    event = AuditEvent.objects.filter(action="dossier.submit").get()
    with translation.override("fr"):
        assert audit_action(event.action) == "Dossier envoyé"
