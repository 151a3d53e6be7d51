"""SEPA mandates (issue 9 item 7, R3.4, I10): IBAN/BIC and creditor identifier checks, explicit consent,
the IBAN encrypted at rest and masked on every page, the company's signing link, the pre-notification
at least 14 days before the first debit, the 36-month lapse, who reaches what, and an IBAN that never
reaches a log line, an email or an audit row."""

import datetime as dt
import io
import json
import logging
import re
from typing import Any

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from applications.demo import tiny_pdf
from applications.models import Dossier
from audit.models import AuditEvent
from billing import crypto
from billing.models import Mandate, MandateStatus
from billing.services import mandates as svc
from cursus.errors import DomainError
from notifications.models import EmailAttachment, OutgoingEmail
from notifications.services import WITHHELD
from registration.models import FileKind, Registration
from registration.services import enrolment
from registration.services.files import registration_file_upload
from tests.conftest import PASSWORD, make_user
from tests.registration_helpers import ADMITTED, at_jury_dossier, close_and_notify, decide, set_capacity

IBAN = "FR7630006000011234567890189"
IBAN_SPACED = "FR76 3000 6000 0112 3456 7890 189"
BAD_CHECKSUM = "FR7630006000011234567890188"
NON_SEPA = "BR1800360305000010009795493C1"
DE_IBAN = "DE89370400440532013000"
CREDITOR_ID = "FR72ZZZ123456"
COMPANY = {
    "financing": "company",
    "company_name": "Acme Industrie",
    "company_siret": "732 829 320 00074",
    "company_address": "1 rue de la Paix\n59500 Douai",
    "company_contact": "Claire Dupont",
    "company_billing_email": "factures@acme.fr",
}


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Services' messages are read in English here; pages follow each person's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _after_commit() -> Any:
    return TestCase.captureOnCommitCallbacks(execute=True)


def _upload(dossier: Dossier, kind: str) -> None:
    data = tiny_pdf(kind)
    registration_file_upload(
        dossier=dossier,
        by=dossier.candidate,
        kind=kind,
        fileobj=io.BytesIO(data),
        name=f"{kind}.pdf",
        size=len(data),
    )


def _complete(dossier: Dossier, data: dict[str, Any], kind: str) -> Registration:
    reg = enrolment.registration_open(dossier=dossier, by=dossier.candidate)
    reg = enrolment.registration_save(registration=reg, by=dossier.candidate, data=data)
    _upload(dossier, kind)
    with _after_commit():
        return enrolment.registration_complete(registration=reg, by=dossier.candidate)


@pytest.fixture
def people(open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any) -> dict[str, Any]:
    """BE+: S registered with personal financing (the student is the debtor), C financed by a company;
    O another admitted candidate. The institution has a valid creditor identifier."""
    institution = open_session.institution
    institution.sepa_creditor_id = CREDITOR_ID
    institution.save()
    set_capacity(open_session, "BE+", 5)
    # The people here read English (the services' messages are checked in English too).
    kw = {"office": office, "finance": finance, "director": director_be, "language": "en"}
    s = at_jury_dossier(open_session, email="s@example.org", **kw)
    c = at_jury_dossier(open_session, email="c@example.org", **kw)
    o = at_jury_dossier(open_session, email="o@example.org", **kw)
    for d in (s, c, o):
        decide(d, jury=jury, outcome=ADMITTED)
    assert s.sitting is not None
    close_and_notify(s.sitting, office=office)
    for d in (s, c, o):
        d.refresh_from_db()
    s_reg = _complete(s, {"financing": "personal", "cvec_number": "DOU1 234567 89"}, FileKind.CVEC)
    c_reg = _complete(c, COMPANY, FileKind.AGREEMENT)
    # Completing a registration prepares its mandate after commit (and emails a company its link):
    # proven in test_I10_registration_prepares_the_mandate; the stories here start before that.
    assert set(Mandate.objects.values_list("registration_id", "debtor_kind")) == {
        (s_reg.pk, "student"),
        (c_reg.pk, "company"),
    }
    assert [e.to for e in mail.outbox if e.to == ["factures@acme.fr"]] == [["factures@acme.fr"]]
    Mandate.objects.all().delete()
    OutgoingEmail.objects.filter(kind="mandate_company_link").delete()
    mail.outbox.clear()
    return {"s": s, "c": c, "o": o, "s_reg": s_reg, "c_reg": c_reg, "institution": institution}


def _login(client: Any, user: Any) -> Any:
    assert client.login(email=user.email, password=PASSWORD)
    return client


SIGN = {
    "debtor_name": "Alice Lefèvre",
    "iban": IBAN_SPACED,
    "bic": "",
    "street": "3 rue Lahure",
    "postcode": "59500",
    "town": "Douai",
    "country": "FR",
    "consent": "on",
}


def _sign(mandate: Mandate, **over: Any) -> Mandate:
    kwargs: dict[str, Any] = {
        "iban": IBAN,
        "bic": "",
        "debtor_name": "Alice Lefèvre",
        "street": "3 rue Lahure",
        "postcode": "59500",
        "town": "Douai",
        "country": "FR",
        "consent": True,
        "ip": "192.0.2.7",
        "user_agent": "pytest",
        "by": None,
    }
    kwargs.update(over)
    with _after_commit():
        return svc.mandate_sign(mandate=mandate, **kwargs)


def _student_mandate(people: dict[str, Any]) -> Mandate:
    return svc.mandate_start(registration=people["s_reg"], by=people["s"].candidate)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---- checks (pure) ----------------------------------------------------------------------------------


def test_R3_4_a_valid_french_iban_is_accepted_and_its_bic_derived() -> None:
    iban = svc.iban_check(IBAN_SPACED.lower())
    assert iban.compact == IBAN
    assert svc.bic_check("", iban) == "AGRIFRPPXXX"
    assert svc.bic_check("agri frpp", iban) == "AGRIFRPP"


def test_R3_4_a_bad_checksum_is_refused_with_a_clear_message() -> None:
    with pytest.raises(DomainError) as exc:
        svc.iban_check(BAD_CHECKSUM)
    assert "check digits" in exc.value.message and BAD_CHECKSUM not in exc.value.message


def test_R3_4_an_iban_outside_the_sepa_zone_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        svc.iban_check(NON_SEPA)
    assert "SEPA zone" in exc.value.message


def test_R3_4_an_empty_or_malformed_iban_is_refused() -> None:
    for value in ("", "FR76", "XX12 3456"):
        with pytest.raises(DomainError):
            svc.iban_check(value)


def test_R3_4_a_bic_of_another_bank_is_refused_when_schwifty_knows_the_bank() -> None:
    de = svc.iban_check(DE_IBAN)
    assert svc.bic_check("COBADEFFXXX", de) == "COBADEFFXXX"
    assert svc.bic_check("COBADEFF", de) == "COBADEFF"
    with pytest.raises(DomainError) as exc:
        svc.bic_check("AGRIFRPP", de)
    assert "COBADEFF" in exc.value.message
    with pytest.raises(DomainError):
        svc.bic_check("ZZZZ", de)


def test_R3_4_creditor_identifier_checked(catalog: Any) -> None:
    institution = catalog.institution
    institution.sepa_creditor_id = CREDITOR_ID
    assert svc.creditor_identifier(institution) == CREDITOR_ID
    institution.sepa_creditor_id = "FR73ZZZ123456"
    with pytest.raises(DomainError) as exc:
        svc.creditor_identifier(institution)
    assert exc.value.code == "creditor_id" and "not valid" in exc.value.message
    institution.sepa_creditor_id = ""
    with pytest.raises(DomainError) as exc:
        svc.creditor_identifier(institution)
    assert exc.value.code == "creditor_id" and "back office" in exc.value.message


def test_R3_4_mandate_reference_is_in_the_sepa_set_and_unique(people: dict[str, Any]) -> None:
    m = _student_mandate(people)
    assert re.fullmatch(r"[A-Z0-9-]{1,35}", m.reference)
    assert svc.mandate_start(registration=people["s_reg"], by=None).pk == m.pk  # safe twice
    svc.mandate_revoke(mandate=m, by=people["s"].candidate, reason="account closed")
    again = svc.mandate_start(registration=people["s_reg"], by=None)
    assert again.pk != m.pk and again.reference != m.reference
    assert re.fullmatch(r"[A-Z0-9-]{1,35}", again.reference)


# ---- start and sign -------------------------------------------------------------------------------


def test_R3_4_no_creditor_identifier_is_a_clear_refusal_not_a_crash(
    people: dict[str, Any], client: Any
) -> None:
    institution = people["institution"]
    institution.sepa_creditor_id = ""
    institution.save()
    with pytest.raises(DomainError) as exc:
        svc.mandate_start(registration=people["s_reg"], by=None)
    assert exc.value.code == "creditor_id"
    s = people["s"]
    response = _login(client, s.candidate).get(reverse("mandate_sign", args=[s.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("registration_form", args=[s.pk])
    assert not Mandate.objects.exists()


def test_R3_4_consent_missing_is_refused(people: dict[str, Any]) -> None:
    m = _student_mandate(people)
    with pytest.raises(svc.MandateInvalid) as exc:
        _sign(m, consent=False)
    assert set(exc.value.errors) == {"consent"}
    m.refresh_from_db()
    assert m.status == MandateStatus.AWAITING and not m.iban_encrypted


def test_R3_4_town_and_country_are_required(people: dict[str, Any]) -> None:
    m = _student_mandate(people)
    with pytest.raises(svc.MandateInvalid) as exc:
        _sign(m, town="", country="ZZ")
    assert {"town", "country"} <= set(exc.value.errors)


def test_R3_4_the_sign_page_keeps_what_was_typed(people: dict[str, Any], client: Any) -> None:
    s = people["s"]
    _login(client, s.candidate)
    page = client.get(reverse("mandate_sign", args=[s.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert s.full_name in html  # the account holder prefilled with the candidate's name
    assert "you authorise (A)" in html and people["institution"].name in html
    response = client.post(
        reverse("mandate_sign", args=[s.pk]), {**SIGN, "consent": "", "street": "12 rue X"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "12 rue X" in html and "Tick the box" in html
    assert Mandate.objects.get().status == MandateStatus.AWAITING


def test_R3_4_signing_records_consent_time_address_and_browser(people: dict[str, Any], client: Any) -> None:
    s = people["s"]
    _login(client, s.candidate)
    client.get(reverse("mandate_sign", args=[s.pk]))
    with _after_commit():
        response = client.post(
            reverse("mandate_sign", args=[s.pk]),
            SIGN,
            HTTP_USER_AGENT="Firefox/140",
            REMOTE_ADDR="198.51.100.4",
        )
    assert response.status_code == 302
    m = Mandate.objects.get()
    assert m.status == MandateStatus.ACTIVE and m.signed_at is not None
    assert (m.signed_ip, m.signed_user_agent, m.signed_by) == ("198.51.100.4", "Firefox/140", s.candidate)
    assert (m.iban_country, m.iban_last4, m.bic, m.town, m.country) == (
        "FR",
        "0189",
        "AGRIFRPPXXX",
        "Douai",
        "FR",
    )
    assert AuditEvent.objects.filter(action="mandate.sign", object_id=str(m.pk)).exists()
    with pytest.raises(DomainError):  # signed once
        _sign(m)


# ---- encryption at rest ---------------------------------------------------------------------------


def test_R3_4_the_iban_is_encrypted_at_rest(people: dict[str, Any]) -> None:
    from django.db import connection

    m = _sign(_student_mandate(people))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM billing_mandate WHERE id = %s", [m.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert IBAN not in row and IBAN_SPACED not in row and "30006000011234567890" not in row
    assert svc.mandate_iban(m) == IBAN
    assert crypto.decrypt(crypto.encrypt(IBAN_SPACED)) == IBAN


def test_R3_4_keys_rotate_without_a_migration(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.IBAN_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt(IBAN)
    settings.IBAN_ENCRYPTION_KEYS = [new, old]  # the new key encrypts, both decrypt
    assert crypto.decrypt(token) == IBAN
    fresh = crypto.encrypt(IBAN)
    settings.IBAN_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(fresh) == IBAN
    with pytest.raises(ValueError):
        crypto.decrypt(token)  # the old key was removed before re-encryption


# ---- masked everywhere a page shows it ------------------------------------------------------------


def test_R3_4_iban_masked_on_the_candidate_pages_and_the_finance_list(
    people: dict[str, Any], client: Any, finance: Any, office: Any
) -> None:
    s = people["s"]
    m = _sign(_student_mandate(people))
    masked = svc.masked_iban(m)
    assert masked.endswith("0189") and IBAN not in masked
    _login(client, s.candidate)
    for url in (reverse("registration_form", args=[s.pk]), reverse("mandate_sign", args=[s.pk])):
        html = client.get(url).content.decode()
        assert masked in html and m.reference in html and CREDITOR_ID in html, url
        assert IBAN not in html and IBAN_SPACED not in html, url
    registration_page = client.get(reverse("registration_form", args=[s.pk])).content.decode()
    assert reverse("mandate_pdf", args=[s.pk]) in registration_page
    # The student debtor's own PDF carries the IBAN in full.
    pdf = client.get(reverse("mandate_pdf", args=[s.pk]))
    assert pdf.status_code == 200 and pdf["Cache-Control"] == "private, no-store"
    text = _pdf_text(pdf.content)
    assert IBAN_SPACED in text and CREDITOR_ID in text and m.reference in text
    client.logout()
    _login(client, finance)
    listing = client.get(reverse("mandates")).content.decode()
    assert masked in listing and IBAN not in listing and IBAN_SPACED not in listing
    assert client.get(reverse("mandates"), {"q": m.reference}).content.decode().count(f"mandate-{m.pk}") == 1
    assert f"mandate-{m.pk}" not in client.get(reverse("mandates"), {"status": "revoked"}).content.decode()
    assert f"mandate-{m.pk}" in client.get(reverse("mandates"), {"q": s.last_name}).content.decode()
    detail = client.get(reverse("mandate_detail", args=[m.pk])).content.decode()
    assert IBAN_SPACED in detail  # finance only
    client.logout()
    _login(client, office)
    assert client.get(reverse("mandates")).status_code == 404
    assert client.get(reverse("mandate_detail", args=[m.pk])).status_code == 404


def test_R3_4_finance_nav_has_mandates(client: Any, finance: Any, catalog: Any) -> None:
    _login(client, finance)
    html = client.get(reverse("mandates")).content.decode()
    assert f'href="{reverse("mandates")}"' in html


# ---- the company's signing link -------------------------------------------------------------------


def _company_link(people: dict[str, Any]) -> tuple[Mandate, str]:
    with _after_commit():
        m = svc.mandate_start(registration=people["c_reg"], by=people["c"].candidate)
    assert m.debtor_kind == "company" and m.debtor_email == "factures@acme.fr"
    sent = [e for e in mail.outbox if e.to == ["factures@acme.fr"]]
    assert len(sent) == 1
    match = re.search(r"https?://\S+/mandat/(\S+?)/", str(sent[0].body))
    assert match
    recorded = OutgoingEmail.objects.get(kind="mandate_company_link")
    assert recorded.body_text == WITHHELD and match.group(1) not in recorded.body_html  # no token kept
    return m, reverse("mandate_company_sign", args=[match.group(1)])


def test_R3_4_company_signs_through_its_link(people: dict[str, Any], client: Any) -> None:
    m, url = _company_link(people)
    client.cookies["django_language"] = "en"  # the signatory has no account: the switch's cookie
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert people["c"].full_name in html and people["institution"].name in html
    assert "4 166,66" in html or "4\u202f166,66" in html or "4,166.66" in html  # 12,500.00 in three
    refused = client.post(url, {**SIGN, "debtor_name": "Acme Industrie"})
    assert refused.status_code == 400 and "signs for the company" in refused.content.decode()
    with _after_commit():
        done = client.post(url, {**SIGN, "debtor_name": "Acme Industrie", "signatory_name": "Claire Dupont"})
    assert done.status_code == 200
    m.refresh_from_db()
    assert m.status == MandateStatus.ACTIVE and m.signatory_name == "Claire Dupont" and m.signed_by is None
    again = client.get(url)
    assert again.status_code == 200 and "already signed" in again.content.decode()
    reuse = client.post(url, {**SIGN, "iban": DE_IBAN, "debtor_name": "X", "signatory_name": "Y"})
    assert reuse.status_code == 200 and "already signed" in reuse.content.decode()
    m.refresh_from_db()
    assert svc.mandate_iban(m) == IBAN and m.signatory_name == "Claire Dupont"


def test_R3_4_a_tampered_company_link_is_404(people: dict[str, Any], client: Any) -> None:
    _m, url = _company_link(people)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("mandate_company_sign", args=[forged])).status_code == 404
    assert client.get(reverse("mandate_company_sign", args=["nothing"])).status_code == 404
    from django.core import signing

    other_salt = signing.dumps({"m": _m.pk}, salt="another.use")
    assert client.get(reverse("mandate_company_sign", args=[other_salt])).status_code == 404


def test_R3_4_a_company_link_expires_after_30_days(people: dict[str, Any], client: Any) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _m, url = _company_link(people)
        traveller.shift(dt.timedelta(days=29, hours=23))
        assert client.get(url).status_code == 200
        traveller.shift(dt.timedelta(hours=2))
        assert client.get(url).status_code == 404


def test_R3_4_the_candidate_sends_the_company_link_again(people: dict[str, Any], client: Any) -> None:
    c = people["c"]
    _login(client, c.candidate)
    html = client.get(reverse("registration_form", args=[c.pk])).content.decode()
    assert "Send the signing link to my company" in html
    with _after_commit():
        client.post(reverse("mandate_sign", args=[c.pk]), {"action": "resend"})
    assert len([e for e in mail.outbox if e.to == ["factures@acme.fr"]]) == 1  # made and sent once
    with _after_commit():
        client.post(reverse("mandate_sign", args=[c.pk]), {"action": "resend"})
    assert len([e for e in mail.outbox if e.to == ["factures@acme.fr"]]) == 2
    html = client.get(reverse("registration_form", args=[c.pk])).content.decode()
    assert "Awaiting your company" in html


# ---- the pre-notification (I10) -------------------------------------------------------------------


def test_I10_prenotification_lists_three_dates_at_least_14_days_ahead(people: dict[str, Any]) -> None:
    m = _sign(_student_mandate(people))
    m.refresh_from_db()
    assert m.prenotified_at is not None
    emails = [e for e in mail.outbox if e.to == [people["s"].candidate.email] and m.reference in e.subject]
    assert len(emails) == 1
    body = emails[0].body
    assert m.reference in body and CREDITOR_ID in body and svc.masked_iban(m) in body
    assert IBAN not in body and IBAN_SPACED not in body
    notified_on = timezone.localdate(m.prenotified_at)
    lines = svc.schedule_lines(m, today=notified_on)
    assert len(lines) == 3
    for line in lines:
        assert line.collected_on >= notified_on + dt.timedelta(days=14)
        assert line.collected_on >= line.due_on
        assert line.collected_on.strftime("%d/%m/%Y") in body or str(line.collected_on.day) in body
    # the first instalment is due at registration (today): its debit comes 14 days later at the earliest
    assert lines[0].due_on == notified_on and lines[0].collected_on > lines[0].due_on
    (name, content, mimetype) = emails[0].attachments[0]
    assert mimetype == "application/pdf" and m.reference in name
    text = _pdf_text(content)
    assert m.reference in text and CREDITOR_ID in text and IBAN_SPACED not in text and IBAN not in text
    # safe twice: one pre-notification only
    svc.mandate_prenotification_send(mandate_id=m.pk)
    assert len([e for e in mail.outbox if m.reference in e.subject]) == 1


def test_I10_prenotification_days_follow_the_setting(people: dict[str, Any], settings: Any) -> None:
    settings.SEPA_PRENOTIFICATION_DAYS = 30
    m = _sign(_student_mandate(people))
    m.refresh_from_db()
    notified_on = timezone.localdate(m.prenotified_at)
    assert all(line.collected_on >= notified_on + dt.timedelta(days=30) for line in svc.schedule_lines(m))


# ---- lapse after 36 months ------------------------------------------------------------------------


def test_R3_4_a_mandate_lapses_at_exactly_36_months_unused(people: dict[str, Any]) -> None:
    m = _sign(_student_mandate(people))
    signed_on = dt.date(2023, 3, 15)
    Mandate.objects.filter(pk=m.pk).update(
        signed_at=timezone.make_aware(dt.datetime(2023, 3, 15, 23, 30)), last_collected_on=None
    )
    assert svc.mandates_lapse(today=dt.date(2026, 3, 14)) == 0
    m.refresh_from_db()
    assert m.status == MandateStatus.ACTIVE
    assert svc.mandates_lapse(today=dt.date(2026, 3, 15)) == 1
    m.refresh_from_db()
    assert m.status == MandateStatus.LAPSED and m.lapsed_at is not None
    assert AuditEvent.objects.filter(action="mandate.lapse", object_id=str(m.pk)).exists()
    assert svc.mandates_lapse(today=dt.date(2026, 3, 15)) == 0  # safe twice
    assert signed_on.year == 2023


def test_R3_4_the_last_collection_restarts_the_36_months(people: dict[str, Any]) -> None:
    m = _sign(_student_mandate(people))
    Mandate.objects.filter(pk=m.pk).update(
        signed_at=timezone.make_aware(dt.datetime(2020, 1, 1, 10)), last_collected_on=dt.date(2024, 1, 31)
    )
    assert svc.mandates_lapse(today=dt.date(2027, 1, 30)) == 0
    assert svc.mandates_lapse(today=dt.date(2027, 1, 31)) == 1


def test_R3_4_the_schedule_lapses_mandates(people: dict[str, Any]) -> None:
    from registration.services.offers import schedule_run

    m = _sign(_student_mandate(people))
    Mandate.objects.filter(pk=m.pk).update(signed_at=timezone.now() - dt.timedelta(days=3 * 366 + 2))
    assert schedule_run().mandates_lapsed == 1


# ---- revoke, access ----------------------------------------------------------------------------------


def test_R3_4_finance_revokes_with_a_reason(people: dict[str, Any], client: Any, finance: Any) -> None:
    m = _sign(_student_mandate(people))
    _login(client, finance)
    client.post(reverse("mandate_detail", args=[m.pk]), {"reason": ""})
    m.refresh_from_db()
    assert m.status == MandateStatus.ACTIVE
    client.post(reverse("mandate_detail", args=[m.pk]), {"reason": "Le débiteur a révoqué le mandat"})
    m.refresh_from_db()
    assert m.status == MandateStatus.REVOKED and m.revoke_reason == "Le débiteur a révoqué le mandat"
    assert svc.mandate_for_instalment(people["s_reg"].instalments.get(number=2)) is None


def test_R3_4_mandate_for_instalment(people: dict[str, Any]) -> None:
    instalment = people["s_reg"].instalments.get(number=1)
    m = _student_mandate(people)
    assert svc.mandate_for_instalment(instalment) is None  # not signed yet
    m = _sign(m)
    assert svc.mandate_for_instalment(instalment) == m


def test_R3_4_only_the_candidate_reaches_their_mandate(
    people: dict[str, Any], client: Any, office: Any, finance: Any
) -> None:
    s, o = people["s"], people["o"]
    m = _sign(_student_mandate(people))
    urls = [reverse("mandate_sign", args=[s.pk]), reverse("mandate_pdf", args=[s.pk])]
    for person in (o.candidate, office, finance, make_user("x@example.org")):
        client.logout()
        _login(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
            assert client.post(url, SIGN).status_code == 404, (person, url)
    client.logout()
    _login(client, s.candidate)
    assert client.get(reverse("mandate_detail", args=[m.pk])).status_code == 404
    assert client.get(reverse("mandates")).status_code == 404
    # A candidate whose registration is not complete has no mandate page.
    client.logout()
    _login(client, o.candidate)
    assert client.get(reverse("mandate_sign", args=[o.pk])).status_code == 404
    client.logout()
    assert client.get(urls[0]).status_code == 302  # anonymous: to the login page


def test_R3_4_no_pdf_before_signature(people: dict[str, Any], client: Any) -> None:
    s = people["s"]
    _student_mandate(people)
    _login(client, s.candidate)
    assert client.get(reverse("mandate_pdf", args=[s.pk])).status_code == 404


# ---- an IBAN never appears in a log line --------------------------------------------------------


def test_R3_4_an_iban_never_appears_in_a_log_line_an_email_or_an_audit_row(
    people: dict[str, Any], client: Any, finance: Any, caplog: Any
) -> None:
    """The whole life of a mandate (start, sign, PDF, pre-notification, finance's detail page, revoke),
    every log record at DEBUG, every recorded email with its attachments, every audit row."""
    s = people["s"]
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    _login(client, s.candidate)
    with _after_commit():
        assert client.get(reverse("mandate_sign", args=[s.pk])).status_code == 200  # start
        assert client.post(reverse("mandate_sign", args=[s.pk]), SIGN).status_code == 302  # sign + prenotify
    assert client.get(reverse("mandate_pdf", args=[s.pk])).status_code == 200
    assert client.get(reverse("registration_form", args=[s.pk])).status_code == 200
    m = Mandate.objects.get()
    assert m.prenotified_at is not None
    client.logout()
    _login(client, finance)
    assert IBAN_SPACED in client.get(reverse("mandate_detail", args=[m.pk])).content.decode()
    client.get(reverse("mandates"))
    with _after_commit():
        client.post(reverse("mandate_detail", args=[m.pk]), {"reason": "révoqué"})
    m.refresh_from_db()
    assert m.status == MandateStatus.REVOKED

    seen: list[str] = [caplog.text]
    seen += [r.getMessage() for r in caplog.records]
    for e in OutgoingEmail.objects.all():
        seen += [e.subject, e.body_text, e.body_html, e.last_error]
    for a in EmailAttachment.objects.all():
        content = bytes(a.content)
        seen.append(content.decode("latin-1"))
        if a.mimetype == "application/pdf":
            seen.append(_pdf_text(content))
    for event in AuditEvent.objects.all():
        seen += [event.reason, event.from_state, event.to_state, json.dumps(event.data, ensure_ascii=False)]
    for sent in mail.outbox:
        seen.append(str(sent.body))
        seen += [str(alt[0]) for alt in getattr(sent, "alternatives", [])]
    everything = "\n".join(seen)
    assert OutgoingEmail.objects.filter(kind="mandate_prenotification").count() == 1
    assert AuditEvent.objects.filter(action__startswith="mandate.").count() >= 4
    for form in (IBAN, IBAN_SPACED, IBAN.lower(), "30006000011234567890189"):
        assert form not in everything, form


def test_R3_4_the_finance_list_query_count_is_constant(
    people: dict[str, Any], client: Any, finance: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _sign(_student_mandate(people))
    _login(client, finance)
    client.get(reverse("mandates"))  # the first page after signing in may write the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("mandates")).status_code == 200
    with _after_commit():
        svc.mandate_start(registration=people["c_reg"], by=None)
    with CaptureQueriesContext(connection) as two:
        html = client.get(reverse("mandates")).content.decode()
    assert len(re.findall(r'<tr id="mandate-\d+"', html)) == 2
    assert len(two) == len(one)


def test_I10_registration_prepares_the_mandate(people: dict[str, Any]) -> None:
    """The people fixture asserts it as it builds them: completing a registration starts the
    mandate of its debtor (student: to sign on the registration page; company: link emailed)."""
    assert Mandate.objects.count() == 0  # removed by the fixture after checking them
