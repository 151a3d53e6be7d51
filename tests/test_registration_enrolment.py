"""The registration itself (issue 8 item 4): financing and its cost (R3.1, R3.2, I8), the CVEC (I9),
the instalments (I10), the BAC+5 proof of a conditional admission (R1.2), the candidate's pages."""

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from applications.progress import next_step
from audit.models import AuditEvent
from cursus.errors import DomainError
from cursus.money import format_eur
from cursus.templatetags.cursus import paris
from notifications.models import OutgoingEmail
from registration import rules
from registration.forms import RegistrationForm
from registration.models import (
    FileKind,
    FileVerdict,
    Instalment,
    OfferStatus,
    Registration,
    RegistrationFile,
    RegistrationStatus,
    Student,
)
from registration.services import enrolment, offers
from registration.services.files import current_file, registration_file_upload, registration_file_verdict
from tests.conftest import ELIGIBLE, PASSWORD, PNG_BYTES, offering
from tests.registration_helpers import (
    ADMITTED,
    CONDITIONAL,
    WAITING,
    at_jury_dossier,
    close_and_notify,
    decide,
    offer_of,
    set_capacity,
)

VALID_SIRET = "73282932000074"
INVALID_SIRET = "73282932000075"
COMPANY = {
    "financing": "company",
    "company_name": "Acme Industrie",
    "company_siret": "732 829 320 00074",
    "company_address": "1 rue de la Paix\n59500 Douai",
    "company_contact": "Claire Dupont",
    "company_billing_email": "factures@acme.fr",
}


def _kw(office: Any, finance: Any, director: Any) -> dict[str, Any]:
    return {"office": office, "finance": finance, "director": director}


@pytest.fixture
def people(open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any) -> dict[str, Any]:
    """BE+ with 3 places: A admitted, C admitted on condition (R1.2), W on the waiting list."""
    set_capacity(open_session, "BE+", 3)
    kw = _kw(office, finance, director_be)
    a = at_jury_dossier(open_session, email="a@example.org", **kw)
    c = at_jury_dossier(
        open_session, email="c@example.org", eligibility={**ELIGIBLE, "bac5_in_progress": True}, **kw
    )
    w = at_jury_dossier(open_session, email="w@example.org", **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(c, jury=jury, outcome=CONDITIONAL)
    decide(w, jury=jury, outcome=WAITING, rank=1)
    assert a.sitting is not None
    close_and_notify(a.sitting, office=office)
    for d in (a, c, w):
        d.refresh_from_db()
    return {"a": a, "c": c, "w": w, "session": open_session}


def _pdf(name: str = "piece") -> tuple[io.BytesIO, int]:
    data = tiny_pdf(name)
    return io.BytesIO(data), len(data)


def _upload(dossier: Dossier, kind: str) -> Any:
    f, size = _pdf(kind)
    return registration_file_upload(
        dossier=dossier, by=dossier.candidate, kind=kind, fileobj=f, name=f"{kind}.pdf", size=size
    )


def _login(dossier: Dossier) -> Client:
    c = Client()
    assert c.login(email=dossier.candidate.email, password=PASSWORD)
    return c


def _open(dossier: Dossier) -> Registration:
    return enrolment.registration_open(dossier=dossier, by=dossier.candidate)


def _ready_personal(dossier: Dossier) -> Registration:
    reg = _open(dossier)
    reg = enrolment.registration_save(
        registration=reg,
        by=dossier.candidate,
        data={"financing": "personal", "cvec_number": "DOU1 234567 89"},
    )
    _upload(dossier, FileKind.CVEC)
    return reg


# ---- the cost: R3.1, R3.2, I8, I10 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "financing", "tuition", "cvec"),
    [
        ("BE+", "personal", "7500.00", True),
        ("BE+", "job_seeker", "7500.00", False),
        ("BE+", "company", "12500.00", False),
        ("CSE", "personal", "9000.00", True),
        ("CSE", "job_seeker", "9000.00", False),
        ("CSE", "company", "14000.00", False),
    ],
)
def test_R3_1_R3_2_I8_cost_of_each_financing_mode(
    open_session: Any, code: str, financing: str, tuition: str, cvec: bool
) -> None:
    d = Dossier(offering=offering(open_session, code))
    cost = enrolment.registration_cost(d, financing, today=dt.date(2026, 9, 1))
    assert cost.tuition == Decimal(tuition)
    # R3.2: the CVEC of the session's academic year, for personal financing only.
    assert cost.cvec == (open_session.cvec.amount if cvec else Decimal("0.00"))
    assert cost.cvec_year == open_session.cvec.academic_year
    assert cost.total == cost.tuition + cost.cvec
    # I9: the CVEC is never one of the school's instalments.
    assert sum(line.amount for line in cost.instalments) == cost.tuition
    assert cost.debtor == ("company" if financing == "company" else "student")


def test_I10_instalment_dates_first_at_registration_then_the_session_dates(open_session: Any) -> None:
    d = Dossier(offering=offering(open_session, "BE+"))
    cal = open_session.teaching_calendar()
    cost = enrolment.registration_cost(d, "company", today=dt.date(2026, 9, 1))
    assert [line.due_on for line in cost.instalments] == [
        dt.date(2026, 9, 1),
        cal.second_instalment_on,
        cal.third_instalment_on,
    ]
    assert [line.amount for line in cost.instalments] == [
        Decimal("4166.66"),
        Decimal("4166.66"),
        Decimal("4166.68"),
    ]
    assert cost.academic_year == cal.academic_year


def test_I8_unknown_financing_is_refused(open_session: Any) -> None:
    with pytest.raises(DomainError):
        enrolment.registration_cost(Dossier(offering=offering(open_session, "BE+")), "")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=3, max_value=10_000_000))
def test_I10_three_instalments_are_decimal_sum_exactly_and_differ_by_at_most_2_cents(cents: int) -> None:
    total = Decimal(cents) / 100
    parts = rules.instalments(total)
    assert len(parts) == 3
    assert all(isinstance(p, Decimal) for p in parts)
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)
    assert sum(parts) == total
    assert max(parts) - min(parts) <= Decimal("0.02")
    assert parts[0] == parts[1] <= parts[2]  # the remainder goes on the last one


def test_I10_edges_3_cents_and_100000_euros() -> None:
    assert rules.instalments(Decimal("0.03")) == [Decimal("0.01")] * 3
    assert rules.instalments(Decimal("0.04")) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.02")]
    assert rules.instalments(Decimal("100000.00")) == [
        Decimal("33333.33"),
        Decimal("33333.33"),
        Decimal("33333.34"),
    ]


# ---- SIRET and the draft --------------------------------------------------------------------


def test_I8_siret_valid_is_kept_in_14_digits_invalid_is_refused(people: dict[str, Any]) -> None:
    a = people["a"]
    reg = _open(a)
    reg = enrolment.registration_save(registration=reg, by=a.candidate, data=COMPANY)
    assert reg.company_siret == VALID_SIRET
    with pytest.raises(DomainError) as exc:
        enrolment.registration_save(registration=reg, by=a.candidate, data={"company_siret": INVALID_SIRET})
    assert exc.value.code == "company_siret" and "SIRET" in exc.value.message
    reg.refresh_from_db()
    assert reg.company_siret == VALID_SIRET  # nothing half-saved
    assert RegistrationForm({"company_siret": INVALID_SIRET}).errors["company_siret"]
    assert RegistrationForm({"company_siret": "732829320"}).errors["company_siret"]  # too short
    assert RegistrationForm({"company_siret": VALID_SIRET}).is_valid()


def test_I8_agreement_must_end_after_it_starts_and_defaults_to_the_teaching_calendar(
    people: dict[str, Any],
) -> None:
    a = people["a"]
    reg = _open(a)
    cal = people["session"].teaching_calendar()
    assert (reg.agreement_starts_on, reg.agreement_ends_on) == (cal.starts_on, cal.ends_on)
    with pytest.raises(DomainError):
        enrolment.registration_save(
            registration=reg, by=a.candidate, data={"agreement_ends_on": cal.starts_on}
        )
    reg = enrolment.registration_save(
        registration=reg, by=a.candidate, data={"agreement_ends_on": cal.starts_on + dt.timedelta(days=1)}
    )
    assert reg.agreement_ends_on == cal.starts_on + dt.timedelta(days=1)


def test_only_the_candidate_opens_and_saves(people: dict[str, Any], office: Any) -> None:
    with pytest.raises(DomainError):
        enrolment.registration_open(dossier=people["a"], by=office)
    reg = _open(people["a"])
    with pytest.raises(DomainError):
        enrolment.registration_save(
            registration=reg, by=people["c"].candidate, data={"financing": "personal"}
        )
    with pytest.raises(DomainError):  # a waiting-list candidate has no place to register for
        _open(people["w"])


# ---- missing pieces -------------------------------------------------------------------------


def _missing_after_complete(reg: Registration, by: Any) -> str:
    with pytest.raises(DomainError) as exc:
        enrolment.registration_complete(registration=reg, by=by)
    assert exc.value.code == "missing"
    return exc.value.message


def test_I9_personal_needs_the_cvec_number_and_attestation(people: dict[str, Any]) -> None:
    a = people["a"]
    reg = enrolment.registration_save(registration=_open(a), by=a.candidate, data={"financing": "personal"})
    msg = _missing_after_complete(reg, a.candidate)
    assert "CVEC" in msg
    reg = enrolment.registration_save(registration=reg, by=a.candidate, data={"cvec_number": "DOU1"})
    msg = _missing_after_complete(reg, a.candidate)
    assert str(FileKind.CVEC.label) in msg
    _upload(a, FileKind.CVEC)
    enrolment.registration_complete(registration=reg, by=a.candidate)
    a.refresh_from_db()
    assert a.status == DossierStatus.REGISTERED


def test_I8_company_needs_every_detail_and_the_signed_agreement(people: dict[str, Any]) -> None:
    a = people["a"]
    reg = enrolment.registration_save(registration=_open(a), by=a.candidate, data={"financing": "company"})
    missing = enrolment.registration_missing(reg)
    assert len(missing) == 6  # name, SIRET, address, contact, billing email, agreement file
    reg = enrolment.registration_save(registration=reg, by=a.candidate, data=COMPANY)
    missing = enrolment.registration_missing(reg)
    assert len(missing) == 1 and str(FileKind.AGREEMENT.label) in missing[0]
    _upload(a, FileKind.AGREEMENT)
    assert enrolment.registration_missing(reg) == []


def test_I8_job_seeker_needs_the_france_travail_proof(people: dict[str, Any]) -> None:
    a = people["a"]
    reg = enrolment.registration_save(registration=_open(a), by=a.candidate, data={"financing": "job_seeker"})
    assert str(FileKind.FRANCE_TRAVAIL.label) in _missing_after_complete(reg, a.candidate)
    _upload(a, FileKind.FRANCE_TRAVAIL)
    reg = enrolment.registration_complete(registration=reg, by=a.candidate)
    assert reg.status == RegistrationStatus.COMPLETED
    assert {i.debtor for i in reg.instalments.all()} == {"student"}
    assert sum(i.amount for i in reg.instalments.all()) == Decimal("7500.00")


def test_a_refused_file_must_be_replaced(people: dict[str, Any], office: Any) -> None:
    a = people["a"]
    reg = _ready_personal(a)
    f = current_file(a, FileKind.CVEC)
    assert f is not None
    registration_file_verdict(file=f, by=office, accept=False, reason="illisible")
    msg = _missing_after_complete(reg, a.candidate)
    assert "illisible" in msg
    _upload(a, FileKind.CVEC)
    enrolment.registration_complete(registration=reg, by=a.candidate)


# ---- completing -----------------------------------------------------------------------------


def test_I10_completing_creates_instalments_student_and_registers_the_dossier(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a = people["a"]
    reg = _ready_personal(a)
    when = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        reg = enrolment.registration_complete(registration=reg, by=a.candidate, now=when)
    assert reg.status == RegistrationStatus.COMPLETED and reg.completed_at == when
    cal = people["session"].teaching_calendar()
    inst = list(Instalment.objects.filter(registration=reg).order_by("number"))
    assert [(i.number, i.amount, i.due_on, i.debtor, i.status) for i in inst] == [
        (1, Decimal("2500.00"), timezone.localdate(when), "student", "due"),
        (2, Decimal("2500.00"), cal.second_instalment_on, "student", "due"),
        (3, Decimal("2500.00"), cal.third_instalment_on, "student", "due"),
    ]
    student = Student.objects.get(dossier=a)
    assert student.academic_year == cal.academic_year and student.user_id == a.candidate_id
    assert student.number.startswith(cal.academic_year[:4])
    a.refresh_from_db()
    assert a.status == DossierStatus.REGISTERED
    assert offer_of(a).status == OfferStatus.REGISTERED
    assert AuditEvent.objects.filter(action="registration.complete", object_id=str(a.pk)).count() == 1
    email = OutgoingEmail.objects.get(kind="registration_confirmed", to=a.candidate.email)
    assert student.number in email.body_text and format_eur(Decimal("2500.00")) in email.body_text
    assert "SEPA" in email.body_text


def test_completing_twice_is_safe(people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    a = people["a"]
    reg = _ready_personal(a)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.registration_complete(registration=reg, by=a.candidate)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.registration_complete(registration=reg, by=a.candidate)
    assert Instalment.objects.filter(registration=reg).count() == 3
    assert Student.objects.filter(dossier=a).count() == 1
    assert OutgoingEmail.objects.filter(kind="registration_confirmed").count() == 1
    with pytest.raises(DomainError):  # a completed registration is no longer a draft
        enrolment.registration_save(registration=reg, by=a.candidate, data={"cvec_number": "X"})


def test_I8_company_instalments_are_the_company_s(people: dict[str, Any]) -> None:
    a = people["a"]
    reg = enrolment.registration_save(registration=_open(a), by=a.candidate, data=COMPANY)
    _upload(a, FileKind.AGREEMENT)
    reg = enrolment.registration_complete(registration=reg, by=a.candidate)
    assert {i.debtor for i in reg.instalments.all()} == {"company"}
    assert sum(i.amount for i in reg.instalments.all()) == Decimal("12500.00")


# ---- late registration (I7) ----------------------------------------------------------------


def test_I7_lapsed_offer_registers_late_only_while_a_place_is_free(
    open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any
) -> None:
    """BE+ with 1 place: A admitted lapses and W is offered the place: A cannot register; once W
    declines and no one waits, the place is free and A registers late."""
    set_capacity(open_session, "BE+", 1)
    kw = _kw(office, finance, director_be)
    a = at_jury_dossier(open_session, email="a@example.org", **kw)
    w = at_jury_dossier(open_session, email="w@example.org", **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(w, jury=jury, outcome=WAITING, rank=1)
    assert a.sitting is not None
    close_and_notify(a.sitting, office=office)
    a.refresh_from_db()
    reg = _ready_personal(a)
    ends = offer_of(a).ends_at
    assert ends is not None
    with time_machine.travel(ends + dt.timedelta(seconds=1)):
        offers.schedule_run()
        assert offer_of(a).status == OfferStatus.LAPSED
        with pytest.raises(DomainError) as exc:
            enrolment.registration_complete(registration=reg, by=a.candidate)
        assert exc.value.code == "capacity"
        assert enrolment.offer_context(offer_of(a))["place_free"] is False
        offers.offer_decline(offer=offer_of(w), by=w.candidate)
        assert enrolment.offer_context(offer_of(a))["place_free"] is True
        enrolment.registration_complete(registration=reg, by=a.candidate)
    assert offer_of(a).status == OfferStatus.REGISTERED


def test_I7_window_over_but_not_lapsed_yet_serves_the_waiting_list_first(
    open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any
) -> None:
    set_capacity(open_session, "BE+", 1)
    kw = _kw(office, finance, director_be)
    a = at_jury_dossier(open_session, email="a@example.org", **kw)
    w = at_jury_dossier(open_session, email="w@example.org", **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(w, jury=jury, outcome=WAITING, rank=1)
    assert a.sitting is not None
    close_and_notify(a.sitting, office=office)
    a.refresh_from_db()
    reg = _ready_personal(a)
    ends = offer_of(a).ends_at
    assert ends is not None
    with time_machine.travel(ends):  # 23:59:59 Paris: still in time
        enrolment.registration_complete(registration=reg, by=a.candidate)
    assert offer_of(a).status == OfferStatus.REGISTERED


# ---- the BAC+5 proof (R1.2) ----------------------------------------------------------------


def test_R1_2_conditional_candidate_registers_before_the_proof_then_it_is_validated(
    people: dict[str, Any], office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    c = people["c"]
    assert c.status == DossierStatus.CONDITIONAL
    reg = _ready_personal(c)
    reg = enrolment.registration_complete(registration=reg, by=c.candidate)
    c.refresh_from_db()
    assert c.status == DossierStatus.REGISTERED
    assert enrolment.is_conditional(c, reg)  # still on condition
    with pytest.raises(DomainError):  # nothing to check yet
        enrolment.bac5_proof_decide(dossier=c, by=office, accept=True)
    _upload(c, FileKind.BAC5_PROOF)
    with django_capture_on_commit_callbacks(execute=True):
        reg = enrolment.bac5_proof_decide(dossier=c, by=office, accept=True)
    assert reg.bac5_validated_at is not None and reg.bac5_validated_by == office
    assert not enrolment.is_conditional(c, reg)
    assert current_file(c, FileKind.BAC5_PROOF).verdict == FileVerdict.ACCEPTED  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="registration.bac5.validate", object_id=str(c.pk)).count() == 1
    assert OutgoingEmail.objects.filter(kind="registration_bac5_validated", to=c.candidate.email).count() == 1
    # Twice: nothing more.
    enrolment.bac5_proof_decide(dossier=c, by=office, accept=True)
    assert AuditEvent.objects.filter(action="registration.bac5.validate", object_id=str(c.pk)).count() == 1


def test_R1_2_proof_validated_before_registering_makes_the_admission_definitive(
    people: dict[str, Any], office: Any
) -> None:
    c = people["c"]
    _open(c)
    _upload(c, FileKind.BAC5_PROOF)
    enrolment.bac5_proof_decide(dossier=c, by=office, accept=True)
    c.refresh_from_db()
    assert c.status == DossierStatus.ADMITTED


def test_R1_2_proof_refused_with_a_reason_stays_on_condition(
    people: dict[str, Any], office: Any, finance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    c = people["c"]
    _open(c)
    _upload(c, FileKind.BAC5_PROOF)
    with pytest.raises(DomainError):
        enrolment.bac5_proof_decide(dossier=c, by=office, accept=False, reason="")
    with pytest.raises(DomainError):  # the office only
        enrolment.bac5_proof_decide(dossier=c, by=finance, accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        reg = enrolment.bac5_proof_decide(
            dossier=c, by=office, accept=False, reason="relevé de notes, pas le diplôme"
        )
    assert reg.bac5_validated_at is None
    f = current_file(c, FileKind.BAC5_PROOF)
    assert f is not None and f.verdict == FileVerdict.REFUSED and "relevé" in f.verdict_reason
    c.refresh_from_db()
    assert c.status == DossierStatus.CONDITIONAL
    email = OutgoingEmail.objects.get(kind="registration_bac5_refused", to=c.candidate.email)
    assert "relevé de notes" in email.body_text
    with pytest.raises(DomainError):  # an unconditional admission has no proof to check
        enrolment.bac5_proof_decide(dossier=people["a"], by=office, accept=True)


# ---- the pages ------------------------------------------------------------------------------


def _urls(d: Dossier, file_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("registration_form", args=[d.pk])),
        ("post", reverse("registration_form", args=[d.pk])),
        ("post", reverse("registration_file_upload", args=[d.pk])),
        ("get", reverse("registration_file_download", args=[d.pk, file_pk])),
        ("post", reverse("registration_complete", args=[d.pk])),
        ("get", reverse("offer_decline", args=[d.pk])),
        ("post", reverse("offer_decline", args=[d.pk])),
    ]


def test_another_candidate_gets_404_on_every_registration_url(people: dict[str, Any]) -> None:
    a, c = people["a"], people["c"]
    f = _upload(a, FileKind.CVEC)
    other = _login(c)
    for method, url in _urls(a, f.pk):
        assert getattr(other, method)(url).status_code == 404, url
    assert other.post(reverse("registration_bac5_verdict", args=[a.pk])).status_code == 404
    anonymous = Client()
    for method, url in _urls(a, f.pk):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    offer_of(a).refresh_from_db()
    assert offer_of(a).status == OfferStatus.OPEN


def test_staff_who_see_the_dossier_download_its_files(
    people: dict[str, Any], client: Client, office: Any, director_other: Any
) -> None:
    a = people["a"]
    f = _upload(a, FileKind.CVEC)
    url = reverse("registration_file_download", args=[a.pk, f.pk])
    client.force_login(office)
    assert client.get(url).status_code == 200
    client.force_login(director_other)
    assert client.get(url).status_code == 404
    assert _login(a).get(url).status_code == 200


def test_registration_page_shows_countdown_and_keeps_what_was_typed(people: dict[str, Any]) -> None:
    a = people["a"]
    c = _login(a)
    url = reverse("registration_form", args=[a.pk])
    page = c.get(url).content.decode()
    assert f'id="countdown-{a.pk}"' in page and "23:59:59" in page
    assert "15" in page or "jours" in page
    # An invalid SIRET: refused with a message, what was typed stays on the page and nothing is lost.
    r = c.post(url, {**COMPANY, "company_siret": INVALID_SIRET, "company_contact": "Jeanne Typée"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "error-summary" in body and INVALID_SIRET in body and "Jeanne Typée" in body
    # Valid: saved as a draft.
    r = c.post(url, COMPANY)
    assert r.status_code == 302
    reg = Registration.objects.get(dossier=a)
    assert (reg.financing, reg.company_siret, reg.company_billing_email) == (
        "company",
        VALID_SIRET,
        "factures@acme.fr",
    )
    page = c.get(url).content.decode()
    assert format_eur(Decimal("12500.00")) in page and "SEPA" in page


def test_htmx_financing_change_shows_that_mode_s_cost_without_saving(people: dict[str, Any]) -> None:
    a = people["a"]
    c = _login(a)
    url = reverse("registration_form", args=[a.pk])
    c.get(url)
    r = c.post(
        url, {"financing": "company", "company_name": "Pas encore", "preview": "1"}, HTTP_HX_REQUEST="true"
    )
    body = r.content.decode()
    assert r.status_code == 200 and format_eur(Decimal("12500.00")) in body and "Pas encore" in body
    assert Registration.objects.get(dossier=a).company_name == ""
    r = c.post(url, {"financing": "personal", "preview": "1"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert format_eur(Decimal("7500.00")) in body and 'id="cost-cvec"' in body


def test_I9_upload_and_complete_through_the_pages(people: dict[str, Any]) -> None:
    a = people["a"]
    c = _login(a)
    form_url = reverse("registration_form", args=[a.pk])
    c.get(form_url)
    # Not a PDF, JPEG or PNG: refused by content.
    r = c.post(
        reverse("registration_file_upload", args=[a.pk]),
        {
            "financing": "personal",
            "cvec_number": "DOU1",
            "file_cvec": SimpleUploadedFile("x.pdf", b"MZ not a pdf"),
        },
    )
    assert r.status_code == 200 and current_file(a, FileKind.CVEC) is None
    r = c.post(
        reverse("registration_complete", args=[a.pk]), {"financing": "personal", "cvec_number": "DOU1"}
    )
    assert r.status_code == 200 and 'id="missing"' in r.content.decode()
    r = c.post(
        reverse("registration_file_upload", args=[a.pk]),
        {
            "financing": "personal",
            "cvec_number": "DOU1",
            "file_cvec": SimpleUploadedFile("cvec.png", PNG_BYTES),
        },
    )
    assert r.status_code == 302 and current_file(a, FileKind.CVEC) is not None
    r = c.post(
        reverse("registration_complete", args=[a.pk]), {"financing": "personal", "cvec_number": "DOU1"}
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == DossierStatus.REGISTERED
    page = c.get(form_url).content.decode()
    assert Student.objects.get(dossier=a).number in page
    # Twice through the page: still one registration.
    c.post(reverse("registration_complete", args=[a.pk]), {})
    assert Instalment.objects.filter(registration__dossier=a).count() == 3


def test_decline_page_confirms_then_the_place_moves(people: dict[str, Any]) -> None:
    a = people["a"]
    c = _login(a)
    url = reverse("offer_decline", args=[a.pk])
    assert c.get(url).status_code == 200
    assert offer_of(a).status == OfferStatus.OPEN
    assert c.post(url).status_code == 302
    assert offer_of(a).status == OfferStatus.DECLINED
    a.refresh_from_db()
    assert a.status == DossierStatus.DECLINED
    # The waiting list is served at once: W is offered the freed place.
    assert offer_of(people["w"]).status == OfferStatus.OPEN
    page = c.get(reverse("registration_form", args=[a.pk])).content.decode()
    assert 'id="registration-form"' not in page
    assert c.get(url).status_code == 302  # nothing left to decline


def test_R1_2_bac5_verdict_view_is_the_office_s(
    people: dict[str, Any], client: Client, office: Any, finance: Any
) -> None:
    cdt = people["c"]
    _open(cdt)
    _upload(cdt, FileKind.BAC5_PROOF)
    url = reverse("registration_bac5_verdict", args=[cdt.pk])
    client.force_login(finance)
    assert client.post(url, {"verdict": "accepted"}).status_code == 404
    client.force_login(office)
    assert client.post(url, {"verdict": "accepted"}).status_code == 302
    assert Registration.objects.get(dossier=cdt).bac5_validated_at is not None


def test_conditional_candidate_sees_the_proof_upload_and_state(people: dict[str, Any]) -> None:
    cdt = people["c"]
    c = _login(cdt)
    page = c.get(reverse("registration_form", args=[cdt.pk])).content.decode()
    assert 'id="conditional"' in page and 'name="file_bac5_proof"' in page
    dash = c.get(reverse("dashboard")).content.decode()
    assert f'id="bac5-state-{cdt.pk}"' in dash


# ---- the dashboard --------------------------------------------------------------------------


def test_dashboard_admitted_waiting_and_registered(people: dict[str, Any]) -> None:
    a, w = people["a"], people["w"]
    dash = _login(a).get(reverse("dashboard")).content.decode()
    assert f'id="countdown-{a.pk}"' in dash
    assert reverse("registration_form", args=[a.pk]) in dash and reverse("offer_decline", args=[a.pk]) in dash
    dash = _login(w).get(reverse("dashboard")).content.decode()
    assert f'id="waiting-{w.pk}"' in dash and 'hx-trigger="every 60s"' in dash
    # 3 places, A and C hold two: one is left.
    assert "1 place" in dash or "1\u00a0place" in dash
    reg = _ready_personal(a)
    enrolment.registration_complete(registration=reg, by=a.candidate)
    dash = _login(a).get(reverse("dashboard")).content.decode()
    assert f'id="instalments-{a.pk}"' in dash and format_eur(Decimal("2500.00")) in dash
    assert Student.objects.get(dossier=a).number in dash


def test_dashboard_lapsed_says_whether_a_place_is_free(people: dict[str, Any]) -> None:
    a = people["a"]
    ends = offer_of(a).ends_at
    assert ends is not None
    with time_machine.travel(ends + dt.timedelta(seconds=1)):
        offers.schedule_run()
        dash = _login(a).get(reverse("dashboard")).content.decode()
    assert f'id="lapsed-{a.pk}"' in dash
    # W took the freed place: 3 places, A lapsed, C and W hold two, one is free.
    assert "place-free" in dash


def test_dashboard_query_count_does_not_grow_with_files_or_instalments(people: dict[str, Any]) -> None:
    """Convention 16: the dashboard's registration part is selected and prefetched once."""
    cdt = people["c"]
    reg = _ready_personal(cdt)
    enrolment.registration_complete(registration=reg, by=cdt.candidate)
    c = _login(cdt)
    url = reverse("dashboard")
    c.get(url)
    with CaptureQueriesContext(connection) as before:
        assert c.get(url).status_code == 200
    for _ in range(3):
        _upload(cdt, FileKind.BAC5_PROOF)
    with CaptureQueriesContext(connection) as after:
        assert c.get(url).status_code == 200
    assert len(after) == len(before), "\n".join(q["sql"][:200] for q in after.captured_queries)


def test_R1_2_registered_conditional_candidate_uploads_the_proof_from_the_page(
    people: dict[str, Any],
) -> None:
    cdt = people["c"]
    reg = _ready_personal(cdt)
    enrolment.registration_complete(registration=reg, by=cdt.candidate)
    c = _login(cdt)
    page = c.get(reverse("registration_form", args=[cdt.pk])).content.decode()
    assert 'id="registered"' in page and 'id="conditional"' in page and 'name="file_bac5_proof"' in page
    r = c.post(
        reverse("registration_file_upload", args=[cdt.pk]),
        {"file_bac5_proof": SimpleUploadedFile("m2.png", PNG_BYTES)},
    )
    assert r.status_code == 302
    assert current_file(cdt, FileKind.BAC5_PROOF) is not None
    # Nothing else may be given once registered.
    c.post(
        reverse("registration_file_upload", args=[cdt.pk]),
        {"file_cvec": SimpleUploadedFile("cvec2.png", PNG_BYTES)},
    )
    assert RegistrationFile.objects.filter(dossier=cdt, kind=FileKind.CVEC).count() == 1


# ---- fixes after the tester's walk ----------------------------------------------------------

RULE_CODE = re.compile(r"\((?:R|I)\d+(?:\.\d+)?\)")


def _no_rule_code(text: str) -> None:
    """SPEC rule codes are for the code and the tests, never for what a candidate reads."""
    assert not RULE_CODE.search(text), RULE_CODE.search(text)


def test_I8_dashboard_cost_is_the_registration_s_financing_not_the_intention(people: dict[str, Any]) -> None:
    a = people["a"]  # applied with the personal financing intention
    dash = _login(a).get(reverse("dashboard")).content.decode()
    assert format_eur(Decimal("7500.00")) in dash and format_eur(Decimal("12500.00")) not in dash
    reg = _open(a)
    enrolment.registration_save(registration=reg, by=a.candidate, data={"financing": "company"})
    dash = _login(a).get(reverse("dashboard")).content.decode()
    assert format_eur(Decimal("12500.00")) in dash  # the company tuition, without the CVEC
    assert format_eur(Decimal("7500.00")) not in dash


def test_I10_no_instalment_is_due_before_the_registration(open_session: Any) -> None:
    d = Dossier(offering=offering(open_session, "BE+"))
    cal = open_session.teaching_calendar()
    # The teaching year has begun: the second date is past, the third is not.
    between = cal.second_instalment_on + dt.timedelta(days=1)
    assert between < cal.third_instalment_on
    cost = enrolment.registration_cost(d, "personal", today=between)
    assert [line.due_on for line in cost.instalments] == [between, between, cal.third_instalment_on]
    # It is over: every instalment is due at registration, none before it.
    late = cal.third_instalment_on + dt.timedelta(days=10)
    cost = enrolment.registration_cost(d, "personal", today=late)
    assert [line.due_on for line in cost.instalments] == [late, late, late]
    assert sum(line.amount for line in cost.instalments) == cost.tuition


def test_I7_a_place_offered_from_the_waiting_list_says_when_its_15_days_run_from(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a, w = people["a"], people["w"]
    # W waits: the places left are explained (offered in the order of the list, or kept for the jury).
    dash = _login(w).get(reverse("dashboard")).content.decode()
    assert f'id="waiting-explained-{w.pk}"' in dash
    with django_capture_on_commit_callbacks(execute=True):
        offers.offer_decline(offer=offer_of(a), by=a.candidate)
    offers.schedule_run()
    offer = offer_of(w)
    assert offer.sent_at is not None and offer.ends_at is not None
    dash = _login(w).get(reverse("dashboard")).content.decode()
    sent = formats.date_format(timezone.localtime(offer.sent_at), "DATE_FORMAT")
    end = formats.date_format(timezone.localtime(offer.ends_at), "DATE_FORMAT")
    # The decision box says a place was offered, the timeline and next step date the 15 days.
    assert f'id="offered-{w.pk}"' in dash
    assert f"{sent}" in dash and end in dash and "23:59:59" in dash
    # The email offering the place gives its end, to the second.
    email = OutgoingEmail.objects.filter(kind="offer_waitlist", to=w.candidate.email).latest("pk")
    day = formats.date_format(timezone.localtime(offer.ends_at), "j F Y")
    assert day in email.body_text and "23:59:59" in email.body_text and day in email.body_html
    _no_rule_code(email.body_text + email.body_html)


def test_I7_lapsed_next_step_says_the_place_is_no_longer_guaranteed(people: dict[str, Any]) -> None:
    a = people["a"]
    ends = offer_of(a).ends_at
    assert ends is not None
    within = next_step(Dossier(status=DossierStatus.ADMITTED))
    with time_machine.travel(ends + dt.timedelta(seconds=1)):
        offers.schedule_run()
        dash = _login(a).get(reverse("dashboard")).content.decode()
        a.refresh_from_db()
        said = next_step(a, enrolment.candidate_state(a))
    assert said and said != within and said in dash.replace("&#x27;", "'")


def test_no_rule_code_in_what_the_candidate_reads(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    cdt = people["c"]  # admitted on condition: the pages that spoke of R1.2
    c = _login(cdt)
    _no_rule_code(c.get(reverse("dashboard")).content.decode())
    url = reverse("registration_form", args=[cdt.pk])
    c.post(url, {"financing": "personal"})
    _no_rule_code(c.get(url).content.decode())
    r = c.post(reverse("registration_complete", args=[cdt.pk]), {"financing": "personal"})
    _no_rule_code(r.content.decode())
    reg = Registration.objects.get(dossier=cdt)
    for m in enrolment.registration_missing(reg):
        _no_rule_code(m)
    _upload(cdt, FileKind.CVEC)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.registration_save(registration=reg, by=cdt.candidate, data={"cvec_number": "DOU1 2"})
        enrolment.registration_complete(registration=reg, by=cdt.candidate)
    _no_rule_code(c.get(url).content.decode())
    _no_rule_code(c.get(reverse("dashboard")).content.decode())
    for e in OutgoingEmail.objects.filter(to=cdt.candidate.email):
        _no_rule_code(e.subject + e.body_text + e.body_html)


def test_I8_an_invalid_siret_does_not_lose_the_valid_fields(people: dict[str, Any]) -> None:
    a = people["a"]
    c = _login(a)
    url = reverse("registration_form", args=[a.pk])
    c.get(url)
    r = c.post(
        url,
        {
            **COMPANY,
            "company_siret": INVALID_SIRET,
            "company_billing_email": "pas-un-email",
            "company_name": "Acme Gardée",
        },
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert INVALID_SIRET in body and "pas-un-email" in body  # what was typed stays on the page
    reg = Registration.objects.get(dossier=a)
    assert (reg.financing, reg.company_name, reg.company_contact) == (
        "company",
        "Acme Gardée",
        "Claire Dupont",
    )
    assert reg.company_address == COMPANY["company_address"]
    assert (reg.company_siret, reg.company_billing_email) == ("", "")  # the invalid ones are not saved
    # Only the invalid fields are flagged, each with its message.
    assert 'href="#id_company_siret"' in body and 'href="#id_company_billing_email"' in body
    assert 'href="#id_company_name"' not in body
    # After reload: the company name and financing are kept.
    page = c.get(url).content.decode()
    assert "Acme Gardée" in page
    assert re.search(r'<input[^>]*value="company"[^>]*checked', page)
    # The service: valid fields saved, the invalid one refused and named.
    with pytest.raises(enrolment.FieldErrors) as exc:
        enrolment.registration_save(
            registration=reg,
            by=a.candidate,
            data={"company_siret": INVALID_SIRET, "company_contact": "Jeanne"},
        )
    assert set(exc.value.errors) == {"company_siret"}
    reg.refresh_from_db()
    assert (reg.company_contact, reg.company_siret) == ("Jeanne", "")


def test_registered_page_lists_the_pieces_and_refuses_changes(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a = people["a"]
    reg = _ready_personal(a)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.registration_complete(registration=reg, by=a.candidate)
    reg.refresh_from_db()
    c = _login(a)
    url = reverse("registration_form", args=[a.pk])
    page = c.get(url).content.decode()
    cvec = current_file(a, FileKind.CVEC)
    assert cvec is not None
    assert reverse("registration_file_download", args=[a.pk, cvec.pk]) in page
    assert c.get(reverse("registration_file_download", args=[a.pk, cvec.pk])).status_code == 200
    # A POST to the completed registration changes nothing and does not say "Saved".
    r = c.post(url, {"financing": "company", "company_name": "Autre"}, follow=True)
    body = r.content.decode()
    assert "Saved." not in body and "Enregistré" not in body and 'class="msg error"' in body
    reg.refresh_from_db()
    assert reg.financing == "personal" and reg.company_name == ""
    # The dashboard's status line says when the candidate registered, not "submitted".
    dash = c.get(reverse("dashboard")).content.decode()
    at = paris(reg.completed_at)
    assert at in dash
    # Who pays, in the candidate's words.
    cost = enrolment.registration_cost(a, "personal")
    company = enrolment.registration_cost(a, "company")
    assert (cost.paid_by, company.paid_by) != (cost.debtor_label, company.debtor_label)
    with translation.override("en"):
        assert (str(cost.paid_by), str(company.paid_by)) == ("paid by you", "paid by your company")
    email = OutgoingEmail.objects.get(kind="registration_confirmed", to=a.candidate.email)
    with translation.override(a.candidate.language):
        assert str(cost.paid_by) in email.body_text and str(cost.debtor_label) not in email.body_text


def test_declined_registration_page_shows_no_raw_code(people: dict[str, Any]) -> None:
    a = people["a"]
    _open(a)
    offers.offer_decline(offer=offer_of(a), by=a.candidate)
    page = _login(a).get(reverse("registration_form", args=[a.pk])).content.decode()
    assert 'id="no-registration"' in page
    assert ">declined<" not in page and "declined." not in page.lower().split('id="no-registration"')[1][:80]


@pytest.mark.browser
def test_financing_swaps_break_no_content_security_policy(
    page: Any, live_server: Any, people: dict[str, Any]
) -> None:
    """The htmx swaps of the financing choice apply no inline style (style-src 'self' stays strict):
    htmx's indicator styles are off and it never copies style attributes while settling."""
    from playwright.sync_api import expect

    from tests.test_browser import login

    a = people["a"]
    violations: list[str] = []
    page.context.add_init_script(
        script="document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation', e.violatedDirective))"
    )
    page.on(
        "console",
        lambda m: (
            violations.append(m.text) if "Content Security Policy" in m.text or "CSP" in m.text else None
        ),
    )
    login(page, live_server.url, a.candidate.email)
    page.goto(live_server.url + reverse("registration_form", args=[a.pk]))
    for mode in ("company", "personal", "job_seeker", "company"):
        page.check(f"input[name=financing][value={mode}]")
        expect(page.locator("#cost [data-financing]")).to_have_attribute("data-financing", mode)
        if mode == "company":
            page.fill("input[name=company_name]", "Acme")
    page.wait_for_timeout(300)
    assert violations == []
