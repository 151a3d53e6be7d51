"""Issue 7 items 1, 2 and 6: the incomplete round-trip, steps in their order (convention 26), fewer
clicks for the office."""

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from admission import services as adm
from admission.documents import decision_letter_pdf, minutes_pdf
from admission.models import Decision, Interview, JurySitting
from admission.selectors import jury_screen
from applications import services
from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from audit.models import AuditEvent
from cursus.errors import DomainError
from tests.conftest import IDENTITY_FR, PASSWORD, fill_dossier, make_user, offering

PARIS = ZoneInfo("Europe/Paris")
REASON = "The scan doesn't show the second page"


def pdf_text(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def english_submitted(open_session: Any) -> Dossier:
    """An English-speaking candidate's submitted dossier (fee declared, not confirmed yet)."""
    user = make_user("priya@example.org", language="en", first_name="Priya", last_name="O'Neil")
    dossier = fill_dossier(
        services.dossier_open(candidate=user, offering=offering(open_session, "BE+")),
        identity={**IDENTITY_FR, "first_names": "Priya", "last_name": "O'Neil"},
    )
    services.dossier_submit(dossier=dossier, by=user)
    dossier.refresh_from_db()
    return dossier


def _propose(dossier: Dossier, by: Any) -> Interview:
    return adm.interview_propose(
        dossier=dossier,
        by=by,
        starts_at=timezone.now() + dt.timedelta(days=3),
        mode="video",
        link="https://visio.example.org/abc",
    )


# ---- item 1: the incomplete round-trip ---------------------------------------------------------


def test_issue7_1_incomplete_email_of_english_candidate_lists_only_what_the_office_refused_or_wrote(
    english_submitted: Dossier, office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = english_submitted
    cv = dossier.files.get(document_type__code="cv")
    adm.document_verdict(file=cv, by=office, verdict="refused", reason=REASON)
    others = list(dossier.files.exclude(pk=cv.pk))
    adm.document_verdict(file=others[0], by=office, verdict="accepted")
    # the other documents stay "not checked yet", the fee awaits finance: the office's own work
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        adm.dossier_mark_incomplete(dossier=dossier, by=office, missing=["Sign the cover letter"])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    body = str(message.body)
    html = str(message.alternatives[0][0])  # type: ignore[union-attr]
    assert cv.document_type.label_en in body and REASON in body and "Sign the cover letter" in body
    assert "&#" not in body and "&amp;" not in body and "&#" not in str(message.subject)
    assert "Priya O'Neil" in body  # names are plain characters too
    assert "incomplete" in str(message.subject)  # English, the candidate's language
    for internal in ("Not checked", "Pas encore", "finance", "fee", "frais"):
        assert internal not in body, internal
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(lines) == 2, lines  # the refused CV and the office's line, nothing else
    for f in others[1:]:
        assert f.document_type.label_en not in body and f.document_type.label_fr not in body
    assert ": refused (" in body and "Please fix the following" in body  # English wording
    assert REASON.replace("'", "&#x27;") in html  # the HTML part escapes, once


def test_issue7_1_candidate_page_shows_the_refused_document_until_replaced(
    client: Any, english_submitted: Dossier, office: Any
) -> None:
    dossier = english_submitted
    cv = dossier.files.get(document_type__code="cv")
    adm.document_verdict(file=cv, by=office, verdict="refused", reason=REASON)
    adm.dossier_mark_incomplete(dossier=dossier, by=office, missing=[])
    client.login(email=dossier.candidate.email, password=PASSWORD)
    for url in (reverse("dossier_detail", args=[dossier.pk]), reverse("dashboard")):
        page = client.get(url).content.decode()
        assert "incomplete" in page.lower() or "returned your dossier" in page
        assert "Everything is there" not in page  # never both at once
        assert REASON.replace("'", "&#x27;") in page and cv.document_type.label_en in page
    detail = client.get(reverse("dossier_detail", args=[dossier.pk])).content.decode()
    heading = detail.split('id="section-documents">')[1].split("</h2>")[0]
    assert "to fix" in heading and "✔" not in heading
    documents = client.get(reverse("dossier_documents", args=[dossier.pk])).content.decode()
    assert "refused-doc" in documents and REASON.replace("'", "&#x27;") in documents
    data = tiny_pdf("cv v2")
    services.document_upload(
        dossier=dossier,
        by=dossier.candidate,
        document_type=cv.document_type,
        fileobj=io.BytesIO(data),
        name="cv2.pdf",
        size=len(data),
    )
    page = client.get(reverse("dossier_detail", args=[dossier.pk])).content.decode()
    assert "refused-doc" not in page and REASON.replace("'", "&#x27;") not in page
    assert "Everything is there" not in page  # still returned: the candidate submits again


def test_issue7_1_office_returns_a_dossier_only_with_something_to_fix(
    english_submitted: Dossier, office: Any
) -> None:
    with pytest.raises(DomainError) as err:
        adm.dossier_mark_incomplete(dossier=english_submitted, by=office, missing=["  ", ""])
    assert err.value.code == "reason"
    english_submitted.refresh_from_db()
    assert english_submitted.status == DossierStatus.SUBMITTED


def test_issue7_1_office_page_does_not_prefill_its_internal_checklist(
    client: Any, english_submitted: Dossier, office: Any
) -> None:
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("staff_dossier", args=[english_submitted.pk])).content.decode()
    textarea = page.split('id="id_missing"')[1].split("</textarea>")[0]
    assert textarea.endswith(">")  # empty: nothing of "not checked yet" reaches the candidate


# ---- item 2: steps in their order --------------------------------------------------------------


def test_issue7_2_closing_a_future_sitting_is_refused_without_a_reason(
    at_jury: Dossier, sitting_member: Any, office: Any
) -> None:
    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    sitting = at_jury.sitting
    assert sitting is not None
    day_before = dt.datetime.combine(sitting.sits_on, dt.time(23, 59, 59), tzinfo=PARIS) - dt.timedelta(
        days=1
    )
    with pytest.raises(DomainError) as err:
        adm.sitting_close(sitting=sitting, by=office, at=day_before)
    assert err.value.code == "early"
    sitting.refresh_from_db()
    assert not sitting.is_closed
    adm.sitting_close(sitting=sitting, by=office, reason="The president is away on the date", at=day_before)
    sitting.refresh_from_db()
    assert sitting.is_closed and sitting.close_reason == "The president is away on the date"
    assert sitting.closed_on == sitting.sits_on - dt.timedelta(days=1)
    event = AuditEvent.objects.get(action="sitting.close")
    assert event.reason == "The president is away on the date" and event.data["early"] is True


def test_issue7_2_closing_on_its_date_needs_no_reason(
    at_jury: Dossier, sitting_member: Any, office: Any
) -> None:
    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    sitting = at_jury.sitting
    assert sitting is not None
    midnight = dt.datetime.combine(sitting.sits_on, dt.time(0, 0), tzinfo=PARIS)
    assert adm.sitting_close(sitting=sitting, by=office, at=midnight).is_closed
    sitting.refresh_from_db()
    assert sitting.close_reason == ""


def test_issue7_2_close_page_asks_the_reason_of_an_early_closing(
    client: Any, at_jury: Dossier, sitting_member: Any, office: Any
) -> None:
    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    sitting = at_jury.sitting
    assert sitting is not None and sitting.sits_on > timezone.localdate()
    client.login(email=office.email, password=PASSWORD)
    url = reverse("sitting_close", args=[sitting.pk])
    assert 'id="early-warning"' in client.get(url).content.decode()
    client.post(url, {"reason": ""})
    sitting.refresh_from_db()
    assert not sitting.is_closed
    client.post(url, {"reason": "Jury brought forward"})
    sitting.refresh_from_db()
    assert sitting.is_closed and sitting.close_reason == "Jury brought forward"


def test_issue7_2_letter_and_minutes_state_the_day_the_sitting_closed(
    at_jury: Dossier, sitting_member: Any, office: Any
) -> None:
    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    sitting = at_jury.sitting
    assert sitting is not None
    closed = dt.datetime.combine(sitting.sits_on - dt.timedelta(days=5), dt.time(15), tzinfo=PARIS)
    adm.sitting_close(sitting=sitting, by=office, reason="Brought forward", at=closed)
    sitting = JurySitting.objects.get(pk=sitting.pk)
    decision = Decision.objects.select_related("sitting").get(dossier=at_jury)
    with translation.override("fr"):
        closed_text = formats.date_format(closed.date(), "DATE_FORMAT")
        planned_text = formats.date_format(sitting.sits_on, "DATE_FORMAT")
    letter = " ".join(pdf_text(decision_letter_pdf(decision)).split())
    assert closed_text in letter and planned_text not in letter
    minutes = " ".join(pdf_text(minutes_pdf(sitting, groups=jury_screen(sitting), language="fr")).split())
    assert closed_text in minutes and "Brought forward" in minutes


def test_issue7_2_a_dossier_with_a_proposed_interview_does_not_reach_the_jury(
    complete: Dossier, director_be: Any
) -> None:
    interview = _propose(complete, director_be)
    with pytest.raises(DomainError) as err:
        adm.opinion_give(dossier=complete, by=director_be, favourable=True)
    assert err.value.code == "interview"
    complete.refresh_from_db()
    assert complete.status == DossierStatus.COMPLETE and complete.sitting_id is None
    adm.interview_record(interview=interview, by=director_be, notes="Clear project.")
    adm.opinion_give(dossier=complete, by=director_be, favourable=True)
    complete.refresh_from_db()
    assert complete.status == DossierStatus.AT_JURY


def test_issue7_2_director_says_no_interview_is_needed(
    complete: Dossier, director_be: Any, django_capture_on_commit_callbacks: Any
) -> None:
    interview = _propose(complete, director_be)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        adm.opinion_give(dossier=complete, by=director_be, favourable=True, no_interview=True)
    interview.refresh_from_db()
    complete.refresh_from_db()
    assert interview.status == "cancelled" and complete.status == DossierStatus.AT_JURY
    assert any("cancel" in str(m.subject).lower() or "annul" in str(m.subject).lower() for m in mail.outbox)
    assert AuditEvent.objects.filter(action="interview.cancel").count() == 1


def test_issue7_2_director_cancels_an_interview_from_the_dossier_page(
    client: Any, complete: Dossier, director_be: Any
) -> None:
    interview = _propose(complete, director_be)
    client.login(email=director_be.email, password=PASSWORD)
    page = client.get(reverse("staff_dossier", args=[complete.pk])).content.decode()
    assert 'id="interview-pending"' in page and 'value="cancel"' in page
    client.post(reverse("interview_notes", args=[complete.pk, interview.pk]), {"action": "cancel"})
    interview.refresh_from_db()
    assert interview.status == "cancelled"
    client.post(reverse("opinion_give", args=[complete.pk]), {"favourable": "1", "comment": ""})
    complete.refresh_from_db()
    assert complete.status == DossierStatus.AT_JURY


def test_issue7_2_opinion_form_with_a_proposed_interview_says_what_comes_first(
    client: Any, complete: Dossier, director_be: Any
) -> None:
    _propose(complete, director_be)
    client.login(email=director_be.email, password=PASSWORD)
    response = client.post(
        reverse("opinion_give", args=[complete.pk]), {"favourable": "0", "comment": "Weak project"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Weak project" in page  # what was typed stays
    complete.refresh_from_db()
    assert complete.status == DossierStatus.COMPLETE


def test_issue7_2_no_slot_to_confirm_once_the_dossier_moved_on(
    client: Any, complete: Dossier, director_be: Any, office: Any
) -> None:
    interview = _propose(complete, director_be)
    Dossier.objects.filter(pk=complete.pk).update(status=DossierStatus.AT_JURY)  # e.g. moved by hand
    with pytest.raises(DomainError):
        adm.interview_respond(interview=interview, by=complete.candidate, confirm=True)
    client.login(email=complete.candidate.email, password=PASSWORD)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("interview_respond", args=[complete.pk, interview.pk]) not in page


def test_issue7_2_decision_has_no_preselected_outcome(
    client: Any, at_jury: Dossier, sitting_member: Any
) -> None:
    sitting = at_jury.sitting
    assert sitting is not None
    client.login(email=sitting_member.email, password=PASSWORD)
    # The form comes into the row on demand (issue 11 item 2), without JavaScript through ?edit=.
    url = reverse("decision_record", args=[sitting.pk, at_jury.pk])
    assert f'hx-get="{url}"' in client.get(reverse("sitting_detail", args=[sitting.pk])).content.decode()
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith(f'<tr id="d{at_jury.pk}">')
    redirect = client.get(url)
    assert redirect.status_code == 302
    page = client.get(redirect["Location"]).content.decode()
    for html in (row, page):
        select = html.split('name="outcome"')[1].split("</select>")[0]
        assert '<option value="" selected>' in select and select.count("selected") == 1
    response = client.post(
        reverse("decision_record", args=[sitting.pk, at_jury.pk]), {"outcome": ""}, HTTP_HX_REQUEST="true"
    )
    assert not Decision.objects.filter(dossier=at_jury).exists()
    assert 'role="alert"' in response.content.decode()


# ---- item 6: fewer clicks ----------------------------------------------------------------------


def test_issue7_6_verdict_updates_in_place_and_a_repeated_click_records_nothing(
    client: Any, english_submitted: Dossier, office: Any
) -> None:
    dossier = english_submitted
    f = dossier.files.get(document_type__code="cv")
    client.login(email=office.email, password=PASSWORD)
    url = reverse("document_verdict", args=[dossier.pk, f.pk])
    for _ in range(2):
        response = client.post(url, {"verdict": "accepted"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="verdict-{f.pk}"' in html and 'id="completeness-status" hx-swap-oob="true"' in html
    assert AuditEvent.objects.filter(action="document.verdict", data__file=f.pk).count() == 1
    f.refresh_from_db()
    assert f.verdict == "accepted"


def test_issue7_6_refusal_error_names_its_document(
    client: Any, english_submitted: Dossier, office: Any
) -> None:
    dossier = english_submitted
    f = dossier.files.select_related("document_type").get(document_type__code="cv")
    client.login(email=office.email, password=PASSWORD)
    url = reverse("document_verdict", args=[dossier.pk, f.pk])
    html = client.post(url, {"verdict": "refused", "reason": " "}, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="verdict-error-{f.pk}"' in html and f.document_type.label_fr in html
    f.refresh_from_db()
    assert f.verdict == "pending"
    # without htmx: the same error, on the page, with an anchor to the document
    response = client.post(url, {"verdict": "refused", "reason": ""})
    assert response.status_code == 302 and response["Location"].endswith(f"#verdict-{f.pk}")
    page = client.get(response["Location"]).content.decode()
    assert f.document_type.label_fr in page.split('role="alert"')[0] or f.document_type.label_fr in page


def test_issue7_6_interview_form_keeps_what_was_typed_on_an_error(
    client: Any, complete: Dossier, director_be: Any
) -> None:
    client.login(email=director_be.email, password=PASSWORD)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("interview_propose", args=[complete.pk]),
        {
            "day": yesterday,
            "time": "10:30",
            "minutes": "45",
            "mode": "video",
            "link": "https://visio.example.org/typed-link",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "https://visio.example.org/typed-link" in page and 'value="45"' in page and yesterday in page
    assert '<details open id="propose-interview">' in page
    assert not Interview.objects.filter(dossier=complete).exists()


@pytest.mark.browser
def test_issue7_6_verdict_in_place_in_chromium(
    page: Any, live_server: Any, ready: Dossier, office: Any
) -> None:
    """htmx: a verdict changes its cell only; the scroll position stays; a refusal without a reason
    names its document."""
    from playwright.sync_api import expect

    from tests.test_browser import login

    services.dossier_submit(dossier=ready, by=ready.candidate)
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 500})
    login(page, base, office.email)
    page.goto(base + reverse("staff_dossier", args=[ready.pk]))
    cv = ready.files.select_related("document_type").get(document_type__code="cv")
    cell = page.locator(f"#verdict-{cv.pk}")
    cell.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 37)")
    before = page.evaluate("window.scrollY")
    assert before > 0
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    cell.locator("button[value=refused]").click()
    expect(page.locator(f"#verdict-error-{cv.pk}")).to_contain_text(cv.document_type.label_fr)
    page.locator(f"#verdict-{cv.pk} input[name=reason]").fill("Illisible")
    page.locator(f"#verdict-{cv.pk} button[value=refused]").click()
    expect(page.locator(f"#verdict-{cv.pk} .badge").first).to_have_text("Refusée")
    expect(page.locator("#to-fix")).to_contain_text("Illisible")
    assert page.evaluate("window.__sameDocument === true")
    assert page.evaluate("window.scrollY") == before


def test_issue7_1_a_refused_document_must_be_replaced_before_submitting_again(
    english_submitted: Dossier, office: Any
) -> None:
    dossier = english_submitted
    cv = dossier.files.get(document_type__code="cv")
    adm.document_verdict(file=cv, by=office, verdict="refused", reason=REASON)
    adm.dossier_mark_incomplete(dossier=dossier, by=office, missing=[])
    dossier.refresh_from_db()
    with pytest.raises(DomainError):
        services.dossier_submit(dossier=dossier, by=dossier.candidate)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.INCOMPLETE
    data = tiny_pdf("cv v2")
    services.document_upload(
        dossier=dossier,
        by=dossier.candidate,
        document_type=cv.document_type,
        fileobj=io.BytesIO(data),
        name="cv2.pdf",
        size=len(data),
    )
    services.dossier_submit(dossier=dossier, by=dossier.candidate)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED
