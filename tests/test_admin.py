"""The back office: catalogue data editable by the office (I16), dossiers read-only, the trail append-only."""

from typing import Any

import pytest
from django.urls import reverse

from applications.models import Dossier
from catalog.models import AdmissionSession, Offering
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "model",
    ["institution", "campus", "admissionsession", "program", "offering", "documenttype", "cvecrate"],
)
def test_I16_office_edits_catalogue_data_in_the_admin(
    client: Any, office: Any, catalog: AdmissionSession, model: str
) -> None:
    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200


def test_I16_capacity_is_editable(client: Any, office: Any, catalog: AdmissionSession) -> None:
    client.login(email=office.email, password=PASSWORD)
    offering = Offering.objects.get(session=catalog, program__code="CSE")
    url = reverse("admin:catalog_offering_change", args=[offering.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="capacity"' in page.content.decode()
    data = {
        "session": catalog.pk,
        "program": offering.program_id,
        "capacity": 18,
        "tuition_personal": "9000.00",
        "tuition_company": "14000.00",
        "is_open": "on",
    }
    assert client.post(url, data).status_code == 302
    offering.refresh_from_db()
    assert offering.capacity == 18


def test_dossiers_are_read_only_in_the_admin(client: Any, office: Any, ready: Dossier) -> None:
    from applications import services

    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("admin:applications_dossier_changelist")).status_code == 200
    url = reverse("admin:applications_dossier_change", args=[ready.pk])
    # a draft is the candidate's own (issue 6 §4): not even the office opens it in the admin
    assert client.get(url).status_code == 302
    services.dossier_submit(dossier=ready, by=ready.candidate)
    assert client.get(url).status_code == 200
    client.post(url, {"last_name": "Changé"})
    ready.refresh_from_db()
    assert ready.last_name == "Lefèvre"
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200


def test_finance_has_no_catalogue_rights(client: Any, finance: Any, catalog: AdmissionSession) -> None:
    client.login(email=finance.email, password=PASSWORD)
    assert client.get(reverse("admin:catalog_offering_changelist")).status_code == 403


def test_I17_staff_of_another_institution_see_none_of_these_rows(
    client: Any, office: Any, ready: Dossier, catalog: AdmissionSession
) -> None:
    from catalog.models import Institution

    office.institution = Institution.objects.create(name="École voisine", short_name="EV")
    office.save()
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("admin:catalog_program_changelist")).content.decode()
    assert ">BE+<" not in page and ">CSE<" not in page
    offering = Offering.objects.get(session=catalog, program__code="BE+")
    assert client.get(reverse("admin:catalog_offering_change", args=[offering.pk])).status_code == 302
    assert (
        ready.last_name not in client.get(reverse("admin:applications_dossier_changelist")).content.decode()
    )
    assert client.get(reverse("office_queue"), {"status": "all"}).content.decode().count("row-") == 0
    # the same person without the scope sees them
    office.institution = None
    office.save()
    assert ">BE+<" in client.get(reverse("admin:catalog_program_changelist")).content.decode()
