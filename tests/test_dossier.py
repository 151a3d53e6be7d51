"""The candidate's dossier, from draft to submission (R1.2, R1.3, R2.1, R2.7, R2.8, R2.10, R2.11, I1, I2, I3)."""

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from applications import services
from applications.models import Dossier, DossierStatus, FeePayment
from applications.selectors import dossier_checklist
from audit.models import AuditEvent
from cursus.errors import DomainError
from tests.conftest import ELIGIBLE, IDENTITY_FR, PASSWORD, fill_dossier, offering

PARIS = ZoneInfo("Europe/Paris")
IDENTITY_SN = {**IDENTITY_FR, "last_name": "Diallo", "first_names": "Mamadou", "nationality": "SN"}


def open_2025(candidate: Any, catalog: Any, code: str = "BE+") -> Dossier:
    at = dt.datetime(2025, 1, 10, 10, 0, tzinfo=PARIS)
    return services.dossier_open(candidate=candidate, offering=offering(catalog, code), at=at)


def test_one_dossier_per_program_and_several_programs(candidate: Any, open_session: Any) -> None:
    be = services.dossier_open(candidate=candidate, offering=offering(open_session, "BE+"))
    again = services.dossier_open(candidate=candidate, offering=offering(open_session, "BE+"))
    cse = services.dossier_open(candidate=candidate, offering=offering(open_session, "CSE"))
    assert be.pk == again.pk
    assert cse.pk != be.pk
    assert Dossier.objects.filter(candidate=candidate).count() == 2


def test_second_dossier_copies_identity_and_contact(ready: Dossier, open_session: Any) -> None:
    second = services.dossier_open(candidate=ready.candidate, offering=offering(open_session, "PPIB"))
    assert second.last_name == "Lefèvre" and second.nationality == "FR" and second.city == "Douai"
    assert second.eligibility_path == ""  # eligibility is per program: asked again


def test_R2_1_cannot_open_before_the_window(candidate: Any, catalog: Any) -> None:
    before = dt.datetime(2024, 9, 24, 23, 59, 59, tzinfo=PARIS)
    with pytest.raises(DomainError):
        services.dossier_open(candidate=candidate, offering=offering(catalog, "BE+"), at=before)
    opening = dt.datetime(2024, 9, 25, 0, 0, 0, tzinfo=PARIS)
    assert services.dossier_open(candidate=candidate, offering=offering(catalog, "BE+"), at=opening).pk


@pytest.mark.parametrize(
    ("identity", "last_second"),
    [
        (IDENTITY_FR, dt.datetime(2025, 6, 4, 23, 59, 59, tzinfo=PARIS)),  # R2.1
        (IDENTITY_SN, dt.datetime(2025, 3, 12, 23, 59, 59, tzinfo=PARIS)),  # R2.7, international
    ],
)
def test_I1_R2_1_R2_7_submit_at_last_second_is_in_time(
    candidate: Any,
    catalog: Any,
    identity: dict[str, Any],
    last_second: dt.datetime,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dossier = fill_dossier(
        open_2025(candidate, catalog), identity=identity, at=last_second - dt.timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.dossier_submit(dossier=dossier, by=candidate, at=last_second)
    assert submitted.status == DossierStatus.SUBMITTED
    assert submitted.submitted_at == last_second


@pytest.mark.parametrize(
    ("identity", "first_late"),
    [
        (IDENTITY_FR, dt.datetime(2025, 6, 5, 0, 0, 0, tzinfo=PARIS)),  # R2.1
        (IDENTITY_SN, dt.datetime(2025, 3, 13, 0, 0, 0, tzinfo=PARIS)),  # R2.7
    ],
)
def test_I1_R2_1_R2_7_submit_at_next_midnight_is_late_and_draft_kept(
    candidate: Any, catalog: Any, identity: dict[str, Any], first_late: dt.datetime
) -> None:
    dossier = fill_dossier(
        open_2025(candidate, catalog), identity=identity, at=first_late - dt.timedelta(days=3)
    )
    before = {f.name: getattr(dossier, f.name) for f in Dossier._meta.fields if f.name != "updated_at"}
    with pytest.raises(DomainError) as err:
        services.dossier_submit(dossier=dossier, by=candidate, at=first_late)
    assert err.value.code == "late"
    assert "23:59:59" in err.value.message
    dossier.refresh_from_db()
    after = {f.name: getattr(dossier, f.name) for f in Dossier._meta.fields if f.name != "updated_at"}
    assert after == before
    assert dossier.status == DossierStatus.DRAFT
    assert dossier.files.count() > 0


def test_R2_7_international_candidate_between_deadlines_is_late(candidate: Any, catalog: Any) -> None:
    at = dt.datetime(2025, 4, 1, 12, 0, tzinfo=PARIS)
    sn = fill_dossier(open_2025(candidate, catalog), identity=IDENTITY_SN, at=at)
    with pytest.raises(DomainError):
        services.dossier_submit(dossier=sn, by=candidate, at=at)


def test_I2_one_european_nationality_makes_the_march_deadline_not_apply(candidate: Any, catalog: Any) -> None:
    dossier = open_2025(candidate, catalog)
    fill_dossier(
        dossier,
        identity={**IDENTITY_SN, "second_nationality": "BE"},
        at=dt.datetime(2025, 4, 1, tzinfo=PARIS),
    )
    dossier.refresh_from_db()
    assert dossier.is_international is False
    assert dossier.deadline() == dt.date(2025, 6, 4)


def test_I2_office_override_decides(candidate: Any, catalog: Any) -> None:
    dossier = fill_dossier(
        open_2025(candidate, catalog), identity=IDENTITY_SN, at=dt.datetime(2025, 2, 1, tzinfo=PARIS)
    )
    assert dossier.is_international is True
    dossier.international_override = False
    assert dossier.is_international is False
    assert dossier.deadline() == dt.date(2025, 6, 4)


def test_I3_submission_needs_every_document_and_a_fee(draft: Dossier) -> None:
    fill_dossier(draft, documents=False, fee=False)
    checklist = dossier_checklist(draft)
    assert not checklist.ready and not checklist.documents and not checklist.fee
    with pytest.raises(DomainError) as err:
        services.dossier_submit(dossier=draft, by=draft.candidate)
    assert err.value.code == "incomplete"
    assert "Lettre de motivation" in err.value.message or "Cover letter" in err.value.message


def test_I3_submission_with_documents_but_no_fee_is_refused(draft: Dossier) -> None:
    fill_dossier(draft, documents=True, fee=False)
    with pytest.raises(DomainError):
        services.dossier_submit(dossier=draft, by=draft.candidate)
    services.fee_declare(dossier=draft, by=draft.candidate, channel="transfer", paid_on=dt.date.today())
    assert services.dossier_submit(dossier=draft, by=draft.candidate).status == DossierStatus.SUBMITTED


def test_I3_declared_transfer_suffices_to_submit(
    ready: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    assert FeePayment.objects.get(dossier=ready).status == "declared"
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=ready, by=ready.candidate)
    ready.refresh_from_db()
    assert ready.status == DossierStatus.SUBMITTED
    assert mail.outbox and "BE+" in mail.outbox[0].subject  # the receipt
    assert AuditEvent.objects.filter(
        action="dossier.submit", object_id=str(ready.pk), to_state="submitted"
    ).exists()


def test_R1_3_not_eligible_cannot_pay_the_fee(draft: Dossier) -> None:
    fill_dossier(
        draft,
        eligibility={**ELIGIBLE, "eligibility_path": "d", "experience_years": Decimal("2")},
        documents=False,
        fee=False,
    )
    assert draft.eligibility().eligible is False
    with pytest.raises(DomainError) as err:
        services.fee_declare(dossier=draft, by=draft.candidate, channel="transfer", paid_on=dt.date.today())
    assert err.value.code == "eligibility"
    assert not FeePayment.objects.filter(dossier=draft).exists()


def test_R1_3_path_d_with_three_years_requires_proof_of_experience(draft: Dossier) -> None:
    fill_dossier(
        draft,
        eligibility={**ELIGIBLE, "eligibility_path": "d", "experience_years": Decimal("3")},
        documents=False,
        fee=False,
    )
    missing = " ".join(dossier_checklist(draft).missing)
    assert "expérience" in missing or "experience" in missing


def test_R1_2_bac5_in_progress_asks_for_proof_of_enrolment(draft: Dossier) -> None:
    fill_dossier(draft, eligibility={**ELIGIBLE, "bac5_in_progress": True}, documents=False, fee=False)
    assert draft.eligibility().conditional
    missing = " ".join(dossier_checklist(draft).missing)
    assert "scolarité" in missing or "enrolment" in missing


def test_R2_10_flywire_refused_for_european_candidate(draft: Dossier) -> None:
    fill_dossier(draft, documents=False, fee=False)
    with pytest.raises(DomainError) as err:
        services.fee_declare(dossier=draft, by=draft.candidate, channel="flywire", paid_on=dt.date.today())
    assert err.value.code == "channel"


def test_R2_10_flywire_accepted_for_international_candidate(draft: Dossier) -> None:
    fill_dossier(draft, identity=IDENTITY_SN, documents=False, fee=False)
    payment = services.fee_declare(
        dossier=draft, by=draft.candidate, channel="flywire", paid_on=dt.date.today()
    )
    assert payment.amount == Decimal("60.00")
    assert payment.reference == f"DIALLO MS BE+ {draft.number}"


def test_R2_10_fee_cannot_be_declared_twice(ready: Dossier) -> None:
    with pytest.raises(DomainError):
        services.fee_declare(dossier=ready, by=ready.candidate, channel="card", paid_on=dt.date.today())


def test_submitted_dossier_cannot_change(ready: Dossier) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    with pytest.raises(DomainError):
        services.dossier_save_section(
            dossier=ready, by=ready.candidate, section="identity", data={"last_name": "X"}
        )
    ready.refresh_from_db()
    assert ready.last_name == "Lefèvre"
    # submitting twice is harmless
    assert services.dossier_submit(dossier=ready, by=ready.candidate).status == DossierStatus.SUBMITTED


def test_fee_confirm_is_idempotent_and_audited(ready: Dossier, finance: Any) -> None:
    payment = FeePayment.objects.get(dossier=ready)
    services.fee_confirm(payment=payment, by=finance, booked_on=dt.date.today())
    services.fee_confirm(payment=payment, by=finance, booked_on=dt.date.today())
    assert AuditEvent.objects.filter(action="fee.confirm").count() == 1
    payment.refresh_from_db()
    assert payment.status == "confirmed" and payment.confirmed_by == finance


def test_I3_grace_period_for_transfers_booked_after_deadline(
    candidate: Any, catalog: Any, finance: Any
) -> None:
    dossier = fill_dossier(open_2025(candidate, catalog), at=dt.datetime(2025, 6, 4, 20, tzinfo=PARIS))
    payment = FeePayment.objects.get(dossier=dossier)
    services.fee_confirm(payment=payment, by=finance, booked_on=dt.date(2025, 6, 14))
    assert services.fee_booked_in_time(FeePayment.objects.get(pk=payment.pk))
    FeePayment.objects.filter(pk=payment.pk).update(booked_on=dt.date(2025, 6, 15))
    assert not services.fee_booked_in_time(FeePayment.objects.get(pk=payment.pk))


# ---- through the pages ----------------------------------------------------------------------


def test_I1_late_submission_through_the_page_says_so_and_keeps_the_draft(
    client: Any, candidate: Any, catalog: Any
) -> None:
    dossier = fill_dossier(open_2025(candidate, catalog), at=dt.datetime(2025, 6, 1, tzinfo=PARIS))
    client.login(email=candidate.email, password=PASSWORD)
    with time_machine.travel(dt.datetime(2025, 6, 5, 0, 0, 0, tzinfo=PARIS), tick=False):
        response = client.post(reverse("dossier_submit", args=[dossier.pk]), {"confirm": "yes"}, follow=True)
    assert "23:59:59" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.DRAFT


def test_I1_submission_through_the_page_at_last_second(client: Any, candidate: Any, catalog: Any) -> None:
    dossier = fill_dossier(open_2025(candidate, catalog), at=dt.datetime(2025, 6, 1, tzinfo=PARIS))
    client.login(email=candidate.email, password=PASSWORD)
    with time_machine.travel(dt.datetime(2025, 6, 4, 23, 59, 59, tzinfo=PARIS), tick=False):
        client.post(reverse("dossier_submit", args=[dossier.pk]), {"confirm": "yes"})
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED


def test_section_error_keeps_what_was_typed(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    url = reverse("dossier_section", args=[draft.pk, "identity"])
    response = client.post(
        url,
        {
            "last_name": "Lefèvre-Ünal",
            "first_names": "Zoé",
            "birth_date": "pas une date",
            "birth_place": "Lille",
            "nationality": "FR",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Lefèvre-Ünal" in body and "Zoé" in body and "pas une date" in body
    draft.refresh_from_db()
    assert draft.first_names != "Zoé"  # nothing half-saved


def test_R1_3_page_says_plainly_when_not_eligible(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    url = reverse("dossier_section", args=[draft.pk, "eligibility"])
    client.post(url, {"eligibility_path": "d", "diploma_title": "M1 Chimie", "experience_years": "2"})
    response = client.get(reverse("dossier_fee", args=[draft.pk]))
    body = response.content.decode()
    assert 'id="not-eligible"' in body
    assert "I have paid" not in body and "J'ai payé" not in body


def test_R2_8_R2_11_dashboard_for_non_eu_candidate(client: Any, draft: Dossier) -> None:
    fill_dossier(draft, identity=IDENTITY_SN, documents=False, fee=False)
    client.login(email=draft.candidate.email, password=PASSWORD)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Études en France" in body
    body = client.get(reverse("dossier_fee", args=[draft.pk])).content.decode()
    assert "Flywire" in body
    assert "remboursable" in body  # R2.11 stated where the fee is paid
    assert draft.offering.session.institution.bank_iban in body


def test_R2_8_european_candidate_gets_no_etudes_en_france_notice(client: Any, ready: Dossier) -> None:
    client.login(email=ready.candidate.email, password=PASSWORD)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Études en France" not in body
    assert "Flywire" not in client.get(reverse("dossier_fee", args=[ready.pk])).content.decode()


def test_dashboard_shows_status_missing_deadline_fee_and_next_step(client: Any, draft: Dossier) -> None:
    client.login(email=draft.candidate.email, password=PASSWORD)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Brouillon" in body
    assert "23:59:59" in body
    assert "Curriculum vitae" in body  # missing
    assert "non payés" in body or "non payé" in body
    assert "Prochaine étape" in body
