"""Issue 6 item 5: `.ics` invitations that no input can add a line to, phone numbers validated and
stored as E.164, and PDFs rendered with a fetcher that loads nothing but `data:` and static files."""

import datetime as dt
import io
import re
import socket
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from icalendar import Calendar
from pypdf import PdfReader

from admission import rules
from admission.documents import html_to_pdf, static_file_for_url, static_only_fetcher
from admission.forms import InterviewForm
from admission.models import Interview
from admission.services import interview_invitation_ics
from applications.forms import PHONE_INVALID, ContactForm
from applications.models import Dossier
from applications.rules import phone_e164
from tests.conftest import CONTACT, PASSWORD, PNG_BYTES

PARIS = ZoneInfo("Europe/Paris")
INJECTION = "\r\nATTENDEE:mailto:x@evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:fake"
BARE_BREAKS = "a\rATTENDEE:mailto:y@evil\nORGANIZER:mailto:z@evil\u2028X-EVIL:1\x0bX-VT:1\x00"

# ---- .ics ----------------------------------------------------------------------------------------


def _invitation(**overrides: Any) -> str:
    values: dict[str, Any] = {
        "uid": "interview-1@cursus",
        "starts_at": dt.datetime(2026, 3, 10, 14, 0, tzinfo=PARIS),
        "minutes": 30,
        "summary": "Interview — MS BE+",
        "description": "Interview about your application.",
        "location": "+33327000000",
        "organizer_email": "admissions@example.org",
        "attendee_email": "alice@example.org",
        "stamp": dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC),
    }
    return rules.ics_invitation(**(values | overrides))


def _unfolded_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\r" not in line and "\n" not in line for line in physical), "a bare CR or LF"
    assert all(len(line.encode()) <= 75 for line in physical), "a line longer than 75 octets"
    return "\r\n".join(physical).replace("\r\n ", "").split("\r\n")


def _names(text: str) -> list[str]:
    return [line.split(":", 1)[0].split(";", 1)[0] for line in _unfolded_lines(text)]


def _one_event(text: str) -> Any:
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize("field", ["summary", "description", "location"])
@pytest.mark.parametrize("hostile", [INJECTION, BARE_BREAKS])
def test_item5_ics_text_cannot_add_a_property_or_an_event(field: str, hostile: str) -> None:
    text = _invitation(**{field: "Entretien" + hostile})
    names = _names(text)
    assert names.count("ATTENDEE") == 1 and names.count("ORGANIZER") == 1
    assert names.count("BEGIN") == 2 and names.count("END") == 2  # VCALENDAR and one VEVENT
    assert not any(n.startswith("X-") for n in names)
    event = _one_event(text)
    assert str(event["ATTENDEE"]) == "mailto:alice@example.org"
    assert str(event["ORGANIZER"]) == "mailto:admissions@example.org"
    value = str(event[field.upper()])
    assert value.startswith("Entretien") and "\r" not in value and "\x00" not in value
    if field != "description":
        assert "\n" not in value  # a one-line field: breaks became spaces


def test_item5_ics_escapes_backslash_semicolon_comma_and_keeps_description_lines() -> None:
    text = _invitation(
        summary="Jury; salle 2, bâtiment \\B",
        description="Ligne 1\r\nLigne 2; suite, fin",
        location="Salle C\\D; 2e étage, aile nord",
    )
    lines = _unfolded_lines(text)
    assert "SUMMARY:Jury\\; salle 2\\, bâtiment \\\\B" in lines
    assert "DESCRIPTION:Ligne 1\\nLigne 2\\; suite\\, fin" in lines
    event = _one_event(text)
    assert str(event["SUMMARY"]) == "Jury; salle 2, bâtiment \\B"
    assert str(event["DESCRIPTION"]) == "Ligne 1\nLigne 2; suite, fin"
    assert str(event["LOCATION"]) == "Salle C\\D; 2e étage, aile nord"


def test_item5_ics_control_characters_in_addresses_and_uid_are_dropped() -> None:
    text = _invitation(
        uid="interview-1@cursus\r\nATTENDEE:mailto:u@evil",
        attendee_email="alice@example.org\r\nATTENDEE:mailto:a@evil",
        organizer_email="o@example.org\nX-EVIL:1",
    )
    names = _names(text)
    assert names.count("ATTENDEE") == 1 and "X-EVIL" not in names
    assert len(_one_event(text).walk()) == 1


def test_item5_ics_folds_at_75_octets_without_cutting_a_character() -> None:
    summary = "Entretien — " + "é€😀" * 40
    text = _invitation(summary=summary)
    assert "\r\n " in text  # it was folded
    physical = text[:-2].split("\r\n")
    assert max(len(line.encode()) for line in physical) <= 75
    assert str(_one_event(text)["SUMMARY"]) == summary


def test_item5_interview_invitation_of_a_hostile_phone_or_link_stays_one_event(
    complete: Dossier, director_be: Any
) -> None:
    """Numbers are validated by the forms; the .ics does not rely on it."""
    for mode, phone, link in [
        ("phone", "+33 3 27\r\nATTENDEE:mailto:x@evil", ""),
        ("video", "", "https://visio.example.org/a\r\nEND:VEVENT\r\nBEGIN:VEVENT"),
    ]:
        interview = Interview.objects.create(
            dossier=complete,
            starts_at=dt.datetime(2030, 1, 7, 10, 0, tzinfo=PARIS),
            mode=mode,
            phone=phone,
            link=link,
            proposed_by=director_be,
        )
        text = interview_invitation_ics(interview).decode()
        event = _one_event(text)
        assert str(event["ATTENDEE"]) == f"mailto:{complete.candidate.email}"
        assert "\n" not in str(event["LOCATION"])
        assert _names(text).count("ATTENDEE") == 1


# ---- phone numbers -------------------------------------------------------------------------------

VALID = [
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("+33 3 27 71 22 22", "FR", "+33327712222"),
    ("+91 98765 43210", "FR", "+919876543210"),  # an Indian mobile given with its code
    ("98765 43210", "IN", "+919876543210"),  # read in the address's country
]
GARBAGE = [
    "hello",
    "12",
    "+33 1",
    "06 12 34 56 78 ext. 12",
    "0612345678\r\nATTENDEE:mailto:x@evil",
    "+999 123",
]


@pytest.mark.parametrize(("raw", "region", "e164"), VALID)
def test_item5_phone_valid_numbers_are_stored_as_e164(raw: str, region: str, e164: str) -> None:
    assert phone_e164(raw, region=region) == e164


@pytest.mark.parametrize("raw", GARBAGE)
def test_item5_phone_garbage_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        phone_e164(raw)


@pytest.mark.parametrize(("raw", "country", "e164"), [(r, c, e) for r, c, e in VALID])
def test_item5_contact_form_accepts_french_and_indian_numbers(
    draft: Dossier, raw: str, country: str, e164: str
) -> None:
    form = ContactForm(data={**CONTACT, "phone": raw, "country": country}, instance=draft)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == e164


@pytest.mark.parametrize("raw", GARBAGE)
def test_item5_contact_form_refuses_garbage_with_a_clear_message(draft: Dossier, raw: str) -> None:
    form = ContactForm(data={**CONTACT, "phone": raw}, instance=draft)
    assert not form.is_valid()
    assert "indicatif pays" in str(form.errors["phone"])  # French by default (I15)


def test_item5_contact_section_saves_e164_and_shows_the_error(client: Client, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    url = reverse("dossier_section", args=[draft.pk, "contact"])
    page = client.post(url, {**CONTACT, "phone": "pas un numéro"})
    assert page.status_code == 200 and page.context["form"].errors["phone"] == [str(PHONE_INVALID)]
    draft.refresh_from_db()
    assert draft.phone != "pas un numéro"
    response = client.post(url, {**CONTACT, "phone": "+91 98765 43210", "country": "IN"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.phone == "+919876543210"


def _interview_data(**extra: Any) -> dict[str, Any]:
    return {"day": "2030-01-07", "time": "10:00", "minutes": 30, "mode": "phone", **extra}


@pytest.mark.parametrize(
    ("raw", "e164"), [("03 27 71 22 22", "+33327712222"), ("+91 22 2778 1234", "+912227781234")]
)
def test_item5_interview_form_stores_e164(raw: str, e164: str) -> None:
    form = InterviewForm(data=_interview_data(phone=raw))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == e164


@pytest.mark.parametrize("raw", GARBAGE)
def test_item5_interview_form_refuses_garbage(raw: str) -> None:
    form = InterviewForm(data=_interview_data(phone=raw))
    assert not form.is_valid() and "phone" in form.errors


def test_item5_interview_proposed_with_a_bad_number_is_refused(
    client: Client, complete: Dossier, director_be: Any
) -> None:
    client.login(email=director_be.email, password=PASSWORD)
    url = reverse("interview_propose", args=[complete.pk])
    client.post(url, _interview_data(phone="+33 3 27\r\nATTENDEE:mailto:x@evil"))
    assert not Interview.objects.filter(dossier=complete).exists()
    client.post(url, _interview_data(phone="+33 3 27 71 22 22"))
    assert Interview.objects.get(dossier=complete).phone == "+33327712222"


# ---- PDFs ----------------------------------------------------------------------------------------

HOSTILE_HTML = """<html><head><link rel="stylesheet" href="file:///etc/hostname">
<style>@import url("http://127.0.0.1:9/x.css");</style></head><body>
<p>Lettre</p>
<img src="http://127.0.0.1:9/x.png"><img src="https://example.org/y.png">
<img src="file:///etc/passwd"><img src="../../../../../../etc/passwd">
<img src="/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd"><img src="ftp://127.0.0.1/z">
</body></html>"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network is closed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_item5_pdf_fetches_no_url_and_no_file_outside_static(no_network: list[Any]) -> None:
    fetcher = static_only_fetcher()
    pdf = html_to_pdf(HOSTILE_HTML, fetcher=fetcher)
    assert "Lettre" in _text(pdf)
    assert no_network == []
    refused = set(fetcher.refused)
    for url in ["http://127.0.0.1:9/x.png", "https://example.org/y.png", "file:///etc/passwd"]:
        assert url in refused
    assert "file:///etc/hostname" in refused and "http://127.0.0.1:9/x.css" in refused
    assert fetcher.served == []
    text = _text(pdf)
    assert "root:" not in text and Path("/etc/hostname").read_text().strip() not in text.split()


def test_item5_every_pdf_uses_the_static_only_fetcher_by_default(
    no_network: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="admission.documents"):
        html_to_pdf(HOSTILE_HTML)
    refused = [r.getMessage() for r in caplog.records if r.name == "admission.documents"]
    assert any("file:///etc/passwd" in m for m in refused) and no_network == []


def test_item5_no_pdf_is_made_outside_the_render_function() -> None:
    base = Path(settings.BASE_DIR)
    skip = {".venv", "tests", "migrations", "var"}
    offenders = [
        str(p.relative_to(base))
        for p in base.rglob("*.py")
        if not skip.intersection(p.relative_to(base).parts)
        and p != base / "admission" / "documents.py"
        and re.search(r"^\s*(from|import) weasyprint", p.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert offenders == []


@pytest.fixture
def static_logo(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    (folder / "cursus-test").mkdir(parents=True)
    logo = folder / "cursus-test" / "logo.png"
    logo.write_bytes(PNG_BYTES)
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, folder]
    return logo


def _image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("src", ["/static/cursus-test/logo.png", "{file}"])
def test_item5_pdf_embeds_an_image_from_the_static_files(
    static_logo: Path, no_network: list[Any], src: str
) -> None:
    fetcher = static_only_fetcher()
    src = src.format(file=static_logo.as_uri())
    pdf = html_to_pdf(f'<p>Logo</p><img src="{src}" style="width:2cm">', fetcher=fetcher)
    assert fetcher.refused == [] and fetcher.served == [static_logo.resolve()]
    assert _image_count(pdf) == 1


def test_item5_pdf_embeds_a_data_url_image(no_network: list[Any]) -> None:
    import base64

    fetcher = static_only_fetcher()
    data = base64.b64encode(PNG_BYTES).decode()
    pdf = html_to_pdf(f'<img src="data:image/png;base64,{data}" style="width:2cm">', fetcher=fetcher)
    assert fetcher.refused == [] and _image_count(pdf) == 1


def test_item5_static_file_for_url_refuses_what_is_not_a_static_file(static_logo: Path) -> None:
    assert static_file_for_url(static_logo.as_uri()) == static_logo.resolve()
    assert static_file_for_url("file:///static/cursus-test/logo.png") == static_logo.resolve()
    for url in [
        "file:///etc/passwd",
        "file:///static/../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
        f"file://{settings.BASE_DIR}/cursus/settings.py",  # a project file, not a static one
        "http://127.0.0.1/static/cursus-test/logo.png",
        static_logo.as_uri().replace("logo.png", "missing.png"),
    ]:
        assert static_file_for_url(url) is None, url
