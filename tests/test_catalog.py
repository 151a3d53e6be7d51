"""The public catalogue: every figure of the notice, from the database (R2.1, R2.7, R2.10, R2.11, R3.1–R3.3, R3.5, I16, I17)."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import AdmissionSession, Campus, Institution, Offering, Program
from catalog.services import catalog_install_defaults

ROOT = Path(__file__).resolve().parent.parent


def text(response: Any) -> str:
    body = response.content.decode()
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(body.replace("\u202f", " ").replace("\u00a0", " ").replace("&#x27;", "'").split())


def test_I16_defaults_are_the_notice(catalog: AdmissionSession) -> None:
    assert catalog.name == "2025-2026"
    assert str(catalog.opens_on) == "2024-09-25" and str(catalog.closes_on) == "2025-06-04"
    assert str(catalog.international_closes_on) == "2025-03-12"
    assert catalog.application_fee == Decimal("60.00")
    assert catalog.cvec.amount == Decimal("103.00") and catalog.cvec.academic_year == "2024-2025"
    assert sorted(o.program.code for o in catalog.offerings.all()) == ["BE+", "CSE", "InECAM", "MRPT", "PPIB"]
    assert all(o.capacity > 0 for o in catalog.offerings.all())


def test_I16_defaults_are_idempotent_and_keep_edits(catalog: AdmissionSession) -> None:
    Offering.objects.filter(session=catalog, program__code="CSE").update(capacity=12)
    catalog_install_defaults()
    assert AdmissionSession.objects.count() == 1 and Program.objects.count() == 5
    assert Offering.objects.get(session=catalog, program__code="CSE").capacity == 12


def test_R3_5_campuses_and_addresses(catalog: AdmissionSession) -> None:
    where = {p.code: p.campus for p in Program.objects.select_related("campus")}
    assert where["BE+"] == where["PPIB"] == where["InECAM"]
    assert "Lahure" in where["BE+"].name and "Boulevard Lahure" in where["BE+"].address
    assert "Villeneuve" in where["CSE"].name and "Guglielmo Marconi" in where["CSE"].address
    assert "Bourseul" in where["MRPT"].name and "941 rue Charles Bourseul" in where["MRPT"].address


def test_home_reaches_every_figure_of_the_notice(client: Any, catalog: AdmissionSession) -> None:
    """R2.1, R2.7, R2.10, R2.11, R3.1, R3.2, R3.3, R3.5 on the page people land on."""
    page = text(client.get(reverse("home")))
    for code in ["BE+", "PPIB", "InECAM", "CSE", "MRPT"]:
        assert f"MS {code}" in page
    for campus in Campus.objects.all():
        assert campus.name.replace("'", "'") in page
    for amount in ["7 500,00 €", "12 500,00 €", "9 000,00 €", "14 000,00 €", "103,00 €", "60,00 €"]:
        assert amount in page, amount
    assert "FR76 1007 1590 0000 0010 2433 444" in page and "TRPUFRP1" in page
    assert "IMT NORD EUROPE– AGENCE COMPTABLE" in page  # verbatim, dash and all
    assert "82 Av. Du Président John F. Kennedy, 59800 LILLE, FRANCE" in page
    assert "TRESOR PUBLIC LILLE" in page
    assert "4 juin 2025 à 23:59:59 (heure de Paris)" in page  # R2.1
    assert "12 mars 2025 à 23:59:59 (heure de Paris)" in page  # R2.7
    assert "25 septembre 2024 à 00:00 (heure de Paris)" in page  # no seconds where they mean nothing
    assert "remboursables" in page  # R2.11
    assert "Flywire" in page and "internationaux" in page  # R2.10
    assert "logements" in client.get(reverse("home")).content.decode()  # R3.3 link to housing page
    assert "restauration" in client.get(reverse("home")).content.decode()


def test_R1_1_the_home_page_says_what_a_mastere_specialise_is(client: Any, catalog: AdmissionSession) -> None:
    page = text(client.get(reverse("home")))
    assert "spécialisation post-master (BAC+6) destinée aux diplômés" in page
    assert "expérience professionnelle" in page and "75 ECTS" in page  # R1.4 beside it
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = text(client.get(reverse("home")))
    assert "post-master specialisation (BAC+6) for graduates, most of them with work experience" in page


def test_I15_home_in_english(client: Any, catalog: AdmissionSession) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = text(client.get(reverse("home")))
    assert "Application fee" in page and "Non-refundable" in page
    assert "4 June 2025" in page or "June 4, 2025" in page
    assert "7 500,00 €" in page  # I14: French format in both languages


def test_I17_figures_come_from_the_database(client: Any, catalog: AdmissionSession) -> None:
    Offering.objects.filter(program__code="CSE").update(tuition_personal=Decimal("9100.00"))
    Institution.objects.update(bank_iban="FR00 TEST")
    catalog.cvec.amount = Decimal("105.00")
    catalog.cvec.save()
    page = text(client.get(reverse("home")))
    assert "9 100,00 €" in page and "FR00 TEST" in page and "105,00 €" in page
    assert "FR76 1007" not in page


def test_I17_no_school_detail_in_code_or_templates() -> None:
    needles = ["IMT Nord", "FR76 1007", "TRPUFRP1", "TRESOR PUBLIC", "Bourseul", "Lahure"]
    allowed = {ROOT / "catalog" / "defaults.py"}
    offenders = []
    for folder in [
        "templates",
        "catalog",
        "applications",
        "accounts",
        "notifications",
        "audit",
        "cursus",
        "static",
    ]:
        for path in (ROOT / folder).rglob("*"):
            if (
                path.is_file()
                and path.suffix in {".py", ".html", ".txt", ".js", ".css"}
                and path not in allowed
                and "migrations" not in path.parts
            ):
                content = path.read_text(encoding="utf-8")
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in needles if n in content]
    assert not offenders


def test_I17_second_institution_lives_beside_the_first(client: Any, catalog: AdmissionSession) -> None:
    other = Institution.objects.create(name="École Test", short_name="ET", bank_iban="FR99 OTHER")
    assert Institution.objects.count() == 2
    assert Program.objects.filter(institution=catalog.institution).count() == 5
    assert not Program.objects.filter(institution=other).exists()


def test_home_query_count_is_constant(
    client: Any, catalog: AdmissionSession, django_assert_max_num_queries: Any
) -> None:
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("session_detail", args=[catalog.pk]))
    for i in range(10):
        program = Program.objects.create(
            institution=catalog.institution, code=f"X{i}", campus=Campus.objects.get(name__contains="Lahure")
        )
        Offering.objects.create(session=catalog, program=program, tuition_personal=1, tuition_company=2)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("session_detail", args=[catalog.pk]))
    assert len(many) == len(few)


def test_unpublished_session_is_not_shown(client: Any, catalog: AdmissionSession) -> None:
    AdmissionSession.objects.filter(pk=catalog.pk).update(is_published=False)
    assert client.get(reverse("session_detail", args=[catalog.pk])).status_code == 404
