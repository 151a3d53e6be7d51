"""Visas (issue 8 item 5): the acceptance letter, the *Études en France* number, a visa refusal
reported with its proof and approved or refused by the office or finance (R2.8, R2.11, R3.4, I2, I11)."""

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from applications.demo import tiny_pdf
from applications.models import Dossier, FeePayment
from audit.models import AuditEvent
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration.models import (
    FileVerdict,
    Instalment,
    InstalmentStatus,
    OfferStatus,
    Registration,
    RegistrationStatus,
    Student,
    StudentStatus,
    VisaCase,
    VisaStatus,
    WaitlistStatus,
)
from registration.services import visa
from tests.conftest import IDENTITY_FR, PASSWORD
from tests.registration_helpers import (
    ADMITTED,
    WAITING,
    at_jury_dossier,
    close_and_notify,
    decide,
    entry_of,
    offer_of,
    set_capacity,
)

IDENTITY_SN = {**IDENTITY_FR, "last_name": "Diallo", "first_names": "Awa", "nationality": "SN"}


def _after_commit(*, execute: bool = True) -> Any:
    """Emails leave after commit (convention 7): the steps run in it do their on_commit work at once."""
    return TestCase.captureOnCommitCallbacks(execute=execute)


def _login(client: Any, dossier: Dossier) -> Any:
    client.login(email=dossier.candidate.email, password=PASSWORD)
    return client


def _close_all(*dossiers: Dossier, office: Any) -> None:
    sittings = {d.sitting_id: d.sitting for d in dossiers if d.sitting is not None}
    for sitting in sittings.values():
        assert sitting is not None
        close_and_notify(sitting, office=office)


@pytest.fixture
def story(open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any) -> dict[str, Any]:
    """BE+ with 1 place: A (international, French speaker) admitted, W on the waiting list, F (French
    national) admitted to CSE; letters sent."""
    offering = set_capacity(open_session, "BE+", 1)
    kw = {"office": office, "finance": finance, "director": director_be}
    a = at_jury_dossier(open_session, email="awa@example.org", identity=IDENTITY_SN, **kw)
    w = at_jury_dossier(open_session, email="w@example.org", **kw)
    f = at_jury_dossier(open_session, email="fr@example.org", code="CSE", **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(w, jury=jury, outcome=WAITING, rank=1)
    decide(f, jury=jury, outcome=ADMITTED)
    _close_all(a, w, f, office=office)
    for d in (a, w, f):
        d.refresh_from_db()
    assert a.is_international is True and f.is_international is False
    return {"offering": offering, "a": a, "w": w, "f": f}


def _register(dossier: Dossier, *, financing: str = "personal") -> Registration:
    """A completed registration with its three instalments and its student, made through the models
    (the enrolment services make it in the app; here only its shape matters)."""
    reg = Registration.objects.create(
        dossier=dossier, status=RegistrationStatus.COMPLETED, financing=financing, cvec_number="ABC1234567"
    )
    for n, amount in ((1, "2500.00"), (2, "2500.00"), (3, "2500.00")):
        Instalment.objects.create(
            registration=reg, number=n, amount=Decimal(amount), due_on=dt.date(2026, n, 15), debtor="student"
        )
    Student.objects.create(
        user=dossier.candidate,
        dossier=dossier,
        registration=reg,
        offering=dossier.offering,
        academic_year="2026-2027",
    )
    offer = offer_of(dossier)
    offer.status = OfferStatus.REGISTERED
    offer.save(update_fields=["status"])
    Dossier.objects.filter(pk=dossier.pk).update(status="registered")
    dossier.refresh_from_db()
    return reg


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)  # amounts are written with (narrow) no-break spaces


def _proof(name: str = "refus.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_pdf("Refus de visa"), content_type="application/pdf")


def _report(client: Any, dossier: Dossier) -> Any:
    with _after_commit():
        return _login(client, dossier).post(
            reverse("visa_page", args=[dossier.pk]), {"action": "refusal", "file": _proof()}
        )


def _decide(client: Any, dossier: Dossier, approve: str, reason: str) -> Any:
    with _after_commit():
        return client.post(reverse("visa_decide", args=[dossier.pk]), {"approve": approve, "reason": reason})


# ---- the letter (R2.8) ---------------------------------------------------------------------------


def test_R2_8_acceptance_letter_pdf_in_french(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    response = _login(client, a).get(reverse("visa_letter", args=[a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    offering = story["offering"]
    assert "MastèreSpécialiséBE+" in text
    # The intention given while applying is personal financing: that tuition only, and the CVEC.
    assert "7500,00€" in text and "12500,00€" not in text
    assert "DIALLO" in text and "Sénégal" in text and "29février1996" in text  # French dates and names
    calendar = offering.session.teaching_calendar()
    assert str(calendar.starts_on.year) in text
    assert offering.program.campus.name.replace(" ", "") in text


def test_R2_8_acceptance_letter_in_english_with_the_registration_financing(
    story: dict[str, Any], client: Any
) -> None:
    a = story["a"]
    a.candidate.language = "en"
    a.candidate.save(update_fields=["language"])
    _register(a, financing="company")
    text = _pdf_text(visa.acceptance_letter_pdf(a))
    assert "BE+" in text and "12500,00€" in text and "7500,00€" not in text
    assert "Senegal" in text and "Feb" in text and "Acceptanceletter" in text


def test_R2_8_letter_shows_both_tuitions_when_financing_unknown(story: dict[str, Any]) -> None:
    a = story["a"]
    Dossier.objects.filter(pk=a.pk).update(financing_intention="")
    a.refresh_from_db()
    text = _pdf_text(visa.acceptance_letter_pdf(a))
    assert "7500,00€" in text and "12500,00€" in text


def test_R2_8_visa_page_tells_about_studying_in_france(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    institution = a.offering.session.institution
    institution.studies_in_france_url = "https://www.example.org/etudes-en-france"
    institution.save(update_fields=["studies_in_france_url"])
    page = _login(client, a).get(reverse("visa_page", args=[a.pk])).content.decode()
    assert "Études en France" in page and "https://www.example.org/etudes-en-france" in page
    assert reverse("visa_letter", args=[a.pk]) in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("visa_page", args=[a.pk]) in dashboard


# ---- who reaches what ----------------------------------------------------------------------------


def test_I2_non_international_candidate_gets_404(story: dict[str, Any], client: Any) -> None:
    f = story["f"]
    _login(client, f)
    assert client.get(reverse("visa_page", args=[f.pk])).status_code == 404
    assert client.get(reverse("visa_letter", args=[f.pk])).status_code == 404
    assert (
        client.post(reverse("visa_page", args=[f.pk]), {"action": "refusal", "file": _proof()}).status_code
        == 404
    )
    assert reverse("visa_page", args=[f.pk]) not in client.get(reverse("dashboard")).content.decode()
    with pytest.raises(DomainError):
        visa.acceptance_letter_pdf(f)


def test_I11_other_candidate_gets_404_on_every_visa_url(story: dict[str, Any], client: Any) -> None:
    a, w = story["a"], story["w"]
    _login(client, w)
    assert client.get(reverse("visa_page", args=[a.pk])).status_code == 404
    assert (
        client.post(
            reverse("visa_page", args=[a.pk]), {"action": "efe_number", "efe_number": "SN25-1"}
        ).status_code
        == 404
    )
    assert client.get(reverse("visa_letter", args=[a.pk])).status_code == 404
    assert (
        client.post(reverse("visa_decide", args=[a.pk]), {"approve": "1", "reason": "x"}).status_code == 404
    )
    assert client.get(reverse("visa_cases")).status_code == 404
    assert VisaCase.objects.count() == 0


def test_anonymous_is_sent_to_log_in(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    for url in (
        reverse("visa_page", args=[a.pk]),
        reverse("visa_letter", args=[a.pk]),
        reverse("visa_cases"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_I11_jury_and_director_get_404_on_visa_decide(
    story: dict[str, Any], client: Any, jury: Any, director_be: Any
) -> None:
    a = story["a"]
    _report(client, a)
    client.logout()
    for user in (jury, director_be):
        client.login(email=user.email, password=PASSWORD)
        assert (
            client.post(reverse("visa_decide", args=[a.pk]), {"approve": "1", "reason": "x"}).status_code
            == 404
        )
        assert client.get(reverse("visa_cases")).status_code == 404
        client.logout()
    assert VisaCase.objects.get(dossier=a).status == VisaStatus.REPORTED


def test_I11_staff_of_another_institution_gets_404(story: dict[str, Any], client: Any, finance: Any) -> None:
    from catalog.models import Institution

    a = story["a"]
    _report(client, a)
    client.logout()
    other = Institution.objects.create(name="Autre école", short_name="AE")
    finance.institution = other
    finance.save(update_fields=["institution"])
    client.login(email=finance.email, password=PASSWORD)
    assert (
        client.post(reverse("visa_decide", args=[a.pk]), {"approve": "1", "reason": "x"}).status_code == 404
    )
    assert f'id="visa-{a.pk}"' not in client.get(reverse("visa_cases")).content.decode()


# ---- the candidate's steps -----------------------------------------------------------------------


def test_R2_8_efe_number_is_recorded_and_checked(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    url = reverse("visa_page", args=[a.pk])
    bad = _login(client, a).post(url, {"action": "efe_number", "efe_number": "n°12!"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "4 to 40 characters" in body or "4 à 40 caractères" in body
    assert 'value="n°12!"' in body  # what was typed is kept
    ok = client.post(url, {"action": "efe_number", "efe_number": " sn25-012345 "})
    assert ok.status_code == 302
    assert VisaCase.objects.get(dossier=a).efe_number == "SN25-012345"
    assert AuditEvent.objects.filter(action="visa.efe_number", object_id=str(a.pk)).count() == 1


def test_I11_refusal_report_emails_the_candidate_and_the_office(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    institution = a.offering.session.institution
    institution.email = "admissions@example.org"
    institution.save(update_fields=["email"])
    response = _report(client, a)
    assert response.status_code == 302
    case = VisaCase.objects.get(dossier=a)
    assert case.status == VisaStatus.REPORTED and case.reported_at is not None
    assert visa.refusal_proof(a) is not None
    assert OutgoingEmail.objects.filter(kind="visa_reported", to=a.candidate.email).count() == 1
    assert OutgoingEmail.objects.filter(kind="visa_reported_staff", to="admissions@example.org").count() == 1
    # Reported once: no second report while it waits for a decision.
    again = client.post(reverse("visa_page", args=[a.pk]), {"action": "refusal", "file": _proof()})
    assert again.status_code == 404 or "report-refusal" not in again.content.decode()
    assert AuditEvent.objects.filter(action="visa.report").count() == 1


def test_refusal_report_without_a_file_keeps_the_page(story: dict[str, Any], client: Any) -> None:
    a = story["a"]
    response = _login(client, a).post(reverse("visa_page", args=[a.pk]), {"action": "refusal"})
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert not VisaCase.objects.filter(dossier=a, status=VisaStatus.REPORTED).exists()


# ---- the decision (I11, R2.11, R3.4) ------------------------------------------------------------


def _fees(dossier: Dossier) -> list[tuple[Any, ...]]:
    return list(
        FeePayment.objects.filter(dossier=dossier)
        .values_list("pk", "status", "amount", "note")
        .order_by("pk")
    )


def test_I11_R2_11_approval_cancels_refunds_first_instalment_and_offers_the_place(
    story: dict[str, Any], client: Any, finance: Any
) -> None:
    a, w, offering = story["a"], story["w"], story["offering"]
    reg = _register(a)
    fees_before = _fees(a)
    assert fees_before  # the 60 € fee was paid and confirmed
    assert _report(client, a).status_code == 302
    client.logout()
    client.login(email=finance.email, password=PASSWORD)
    listing = client.get(reverse("visa_cases")).content.decode()
    assert f'id="visa-{a.pk}"' in listing
    proof = visa.refusal_proof(a)
    assert proof is not None
    proof_url = reverse("registration_file_download", args=[a.pk, proof.pk])
    assert proof_url in listing and client.get(proof_url).status_code == 200
    # A reason is required.
    client.post(reverse("visa_decide", args=[a.pk]), {"approve": "1", "reason": " "})
    assert VisaCase.objects.get(dossier=a).status == VisaStatus.REPORTED

    response = _decide(client, a, "1", "Refus consulaire vérifié")
    assert response.status_code == 302
    case = VisaCase.objects.get(dossier=a)
    assert case.status == VisaStatus.APPROVED and case.decided_by == finance
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED and reg.cancel_reason == "Refus consulaire vérifié"
    assert dict(Instalment.objects.filter(registration=reg).values_list("number", "status")) == {
        1: InstalmentStatus.TO_REFUND,
        2: InstalmentStatus.CANCELLED,
        3: InstalmentStatus.CANCELLED,
    }
    assert Student.objects.get(dossier=a).status == StudentStatus.CANCELLED
    a.refresh_from_db()
    assert a.status == "cancelled"
    assert visa.refusal_proof(a).verdict == FileVerdict.ACCEPTED  # type: ignore[union-attr]
    # The place went to the waiting list at once (I7).
    assert offer_of(a).status == OfferStatus.RELEASED
    w_offer = offer_of(w)
    assert w_offer.status == OfferStatus.OPEN and entry_of(w).status == WaitlistStatus.OFFERED
    w.refresh_from_db()
    assert w.status == "admitted"
    assert OutgoingEmail.objects.filter(kind="offer_waitlist", to=w.candidate.email).count() == 1
    from registration import selectors

    assert selectors.places(offering) == (1, 1)
    # R2.11: the application fee is never refunded, and the email says so.
    assert _fees(a) == fees_before
    email = OutgoingEmail.objects.get(kind="visa_approved", to=a.candidate.email)
    assert "2 500,00" in email.body_text.replace("\u202f", " ").replace("\u00a0", " ")
    # said in words, never as a rule code (English until the lead merges the French)
    assert "R2.11" not in email.body_text
    assert "fee is not refunded" in email.body_text or "frais de candidature ne sont pas" in email.body_text
    assert AuditEvent.objects.filter(action="visa.approve", object_id=str(a.pk)).count() == 1
    assert AuditEvent.objects.filter(action="dossier.cancel_visa", object_id=str(a.pk)).count() == 1
    # The candidate still reads where things stand, with the reason.
    client.logout()
    page = _login(client, a).get(reverse("visa_page", args=[a.pk])).content.decode()
    assert "Refus consulaire vérifié" in page and 'data-visa="approved"' in page
    assert reverse("visa_letter", args=[a.pk]) not in page
    assert client.get(reverse("visa_letter", args=[a.pk])).status_code == 404


def test_I11_a_decided_case_cannot_be_decided_again(story: dict[str, Any], client: Any, office: Any) -> None:
    a, w = story["a"], story["w"]
    _register(a)
    _report(client, a)
    with _after_commit():
        visa.visa_decide(dossier=a, by=office, approve=True, reason="Refus vérifié")
    for approve in (True, False):
        with pytest.raises(DomainError):
            visa.visa_decide(dossier=a, by=office, approve=approve, reason="Encore")
    client.logout()
    client.login(email=office.email, password=PASSWORD)
    response = _decide(client, a, "1", "Encore")
    assert response.status_code == 302
    assert VisaCase.objects.get(dossier=a).decision_reason == "Refus vérifié"
    assert AuditEvent.objects.filter(action="visa.approve").count() == 1
    assert AuditEvent.objects.filter(action="offer.release").count() == 1
    assert Instalment.objects.filter(status=InstalmentStatus.TO_REFUND).count() == 1
    assert offer_of(w).status == OfferStatus.OPEN
    assert OutgoingEmail.objects.filter(kind="visa_approved").count() == 1


def test_I11_approval_without_registration_releases_the_open_place(
    story: dict[str, Any], client: Any, office: Any
) -> None:
    a, w = story["a"], story["w"]
    _report(client, a)
    visa.visa_decide(dossier=a, by=office, approve=True, reason="Refus vérifié")
    a.refresh_from_db()
    assert a.status == "cancelled" and offer_of(a).status == OfferStatus.RELEASED
    assert offer_of(w).status == OfferStatus.OPEN
    assert not Registration.objects.filter(dossier=a).exists()


def test_I11_rejection_keeps_the_place_and_allows_a_new_report(
    story: dict[str, Any], client: Any, office: Any
) -> None:
    a, w, offering = story["a"], story["w"], story["offering"]
    reg = _register(a)
    _report(client, a)
    client.logout()
    client.login(email=office.email, password=PASSWORD)
    _decide(client, a, "0", "Document illisible")
    case = VisaCase.objects.get(dossier=a)
    assert case.status == VisaStatus.REJECTED and case.decision_reason == "Document illisible"
    assert visa.refusal_proof(a).verdict == FileVerdict.REFUSED  # type: ignore[union-attr]
    a.refresh_from_db()
    reg.refresh_from_db()
    assert a.status == "registered" and reg.status == RegistrationStatus.COMPLETED
    assert offer_of(a).status == OfferStatus.REGISTERED
    assert entry_of(w).status == WaitlistStatus.WAITING
    assert set(Instalment.objects.filter(registration=reg).values_list("status", flat=True)) == {
        InstalmentStatus.DUE
    }
    from registration import selectors

    assert selectors.places(offering) == (1, 1)
    assert OutgoingEmail.objects.filter(kind="visa_rejected", to=a.candidate.email).count() == 1
    # A rejected report can be made again with a new proof.
    client.logout()
    page = _login(client, a).get(reverse("visa_page", args=[a.pk])).content.decode()
    assert "Document illisible" in page and 'id="report-refusal"' in page
    assert _report(client, a).status_code == 302
    case.refresh_from_db()
    assert case.status == VisaStatus.REPORTED and case.decision_reason == ""
    assert visa.refusal_proof(a).verdict == FileVerdict.PENDING  # type: ignore[union-attr]


def test_I11_only_office_or_finance_decide_in_the_service(
    story: dict[str, Any], client: Any, jury: Any
) -> None:
    a = story["a"]
    _report(client, a)
    with pytest.raises(DomainError):
        visa.visa_decide(dossier=a, by=jury, approve=True, reason="x")
    with pytest.raises(DomainError):
        visa.visa_decide(dossier=a, by=a.candidate, approve=True, reason="x")
    assert VisaCase.objects.get(dossier=a).status == VisaStatus.REPORTED


def test_visa_cases_list_query_count(
    story: dict[str, Any], client: Any, finance: Any, django_assert_max_num_queries: Any
) -> None:
    _report(client, story["a"])
    client.logout()
    client.login(email=finance.email, password=PASSWORD)
    client.get(reverse("visa_cases"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("visa_cases") + "?status=all")
    assert response.status_code == 200


@pytest.mark.browser
def test_R2_8_visa_pages_fit_a_phone_and_pass_axe(
    transactional_db: Any, browser: Any, live_server: Any, story: dict[str, Any], client: Any, finance: Any
) -> None:
    """The candidate's visa page and finance's list, at 390 px and 1366 px, in French and English."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.test_walk import walk

    a = story["a"]
    _report(client, a)
    axe = Axe()
    problems = [
        *walk(browser, live_server.url, "candidate", a.candidate, [reverse("visa_page", args=[a.pk])], axe),
        *walk(browser, live_server.url, "finance", finance, [reverse("visa_cases")], axe),
    ]
    assert not problems, "\n".join(map(str, problems))


def test_I11_R3_4_approval_after_a_registration_made_by_the_enrolment_services(
    story: dict[str, Any], client: Any, finance: Any
) -> None:
    """The same story through the registration the candidate really completes (issue 8 item 4)."""
    from registration.services import enrolment
    from registration.services.files import registration_file_upload

    a = story["a"]
    reg = enrolment.registration_open(dossier=a, by=a.candidate)
    reg = enrolment.registration_save(
        registration=reg, by=a.candidate, data={"financing": "personal", "cvec_number": "LIL1-2026-012345"}
    )
    data = tiny_pdf("Attestation CVEC")
    registration_file_upload(
        dossier=a, by=a.candidate, kind="cvec", fileobj=io.BytesIO(data), name="cvec.pdf", size=len(data)
    )
    with _after_commit():
        enrolment.registration_complete(registration=reg, by=a.candidate)
    instalments = list(Instalment.objects.filter(registration=reg).order_by("number"))
    assert len(instalments) == 3 and Student.objects.get(dossier=a).status == StudentStatus.ACTIVE
    fees_before = _fees(a)
    _report(client, a)
    client.logout()
    client.login(email=finance.email, password=PASSWORD)
    _decide(client, a, "1", "Refus consulaire vérifié")
    assert [(i.number, i.status) for i in Instalment.objects.filter(registration=reg).order_by("number")] == [
        (1, InstalmentStatus.TO_REFUND),
        (2, InstalmentStatus.CANCELLED),
        (3, InstalmentStatus.CANCELLED),
    ]
    assert Student.objects.get(dossier=a).status == StudentStatus.CANCELLED
    assert offer_of(story["w"]).status == OfferStatus.OPEN
    assert _fees(a) == fees_before


def test_I11_a_decline_closes_a_reported_visa_case(story: dict[str, Any], client: Any, office: Any) -> None:
    from registration.services.offers import offer_decline
    from registration.staff_selectors import registration_work

    a, w = story["a"], story["w"]
    _report(client, a)
    assert [v.dossier_id for v in visa.visa_cases_for_staff(office)] == [a.pk]
    assert registration_work(office).visas == 1
    with _after_commit():
        offer_decline(offer=offer_of(a), by=a.candidate)
    assert offer_of(a).status == OfferStatus.DECLINED
    # no longer listed as waiting for a decision, nor counted; still in the full list, without a form
    assert list(visa.visa_cases_for_staff(office)) == []
    assert registration_work(office).visas == 0
    assert [v.dossier_id for v in visa.visa_cases_for_staff(office, status="all")] == [a.pk]
    with pytest.raises(DomainError) as exc:
        visa.visa_decide(dossier=a, by=office, approve=True, reason="Refus vérifié")
    assert exc.value.code == "state"
    case = VisaCase.objects.get(dossier=a)
    assert case.status == VisaStatus.REPORTED and case.decided_at is None
    assert not AuditEvent.objects.filter(action__in=["visa.approve", "visa.reject"]).exists()
    assert offer_of(w).status == OfferStatus.OPEN  # the decline gave the place once, not twice
    client.logout()
    client.login(email=office.email, password=PASSWORD)
    html = client.get(reverse("visa_cases"), {"status": "all"}).content.decode()
    assert f'id="visa-{a.pk}"' in html and reverse("visa_decide", args=[a.pk]) not in html
    html = client.get(reverse("staff_registration", args=[a.pk])).content.decode()
    assert 'id="visa-closed"' in html and reverse("visa_decide", args=[a.pk]) not in html
    response = _decide(client, a, "1", "Refus vérifié")
    assert response.status_code == 302
    assert VisaCase.objects.get(dossier=a).status == VisaStatus.REPORTED
