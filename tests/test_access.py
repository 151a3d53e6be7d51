"""Each role sees only what it needs: another person's dossier or document is a 404 by every URL."""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from applications import services
from applications.demo import tiny_pdf
from applications.models import Dossier, FeePayment
from catalog.models import DocumentType
from tests.conftest import PASSWORD

# Public pages that take an id: published catalogue data only.
PUBLIC = {"session_detail"}
# Every project URL that takes an id, with the kwargs to reach the owner's object.
CASES: dict[str, Any] = {
    "dossier_detail": lambda d, f: {"pk": d.pk},
    "dossier_section": lambda d, f: {"pk": d.pk, "section": "identity"},
    "dossier_documents": lambda d, f: {"pk": d.pk},
    "document_download": lambda d, f: {"pk": d.pk, "file_pk": f.pk},
    "dossier_fee": lambda d, f: {"pk": d.pk},
    "dossier_submit": lambda d, f: {"pk": d.pk},
}

# Finance-only URLs that take a payment id.
FINANCE_CASES = ["fee_payment_confirm", "fee_payment_reject"]


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            namespace = getattr(p, "namespace", None)
            if namespace == "admin" or (getattr(p, "urlconf_name", None) == "allauth.urls"):
                continue  # the admin checks its own permissions; allauth takes no object ids
            module = getattr(p.urlconf_module, "__name__", "")
            if module.startswith("allauth"):
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def id_taking_url_names() -> set[str]:
    names = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<int:" in route or "pk>" in route or "_id>" in route:
            names.add(pattern.name or route)
    return names


def test_every_id_taking_url_has_an_access_test() -> None:
    """A new URL that takes an id fails here until it is added to CASES (or PUBLIC)."""
    untested = id_taking_url_names() - set(CASES) - set(FINANCE_CASES) - PUBLIC
    assert not untested, f"add access cases for: {sorted(untested)}"
    assert set(CASES) | set(FINANCE_CASES) <= id_taking_url_names()


@pytest.fixture
def owned(draft: Dossier) -> tuple[Dossier, Any]:
    t = DocumentType.objects.get(session=draft.offering.session, code="cv")
    data = tiny_pdf("cv")
    f = services.document_upload(
        dossier=draft,
        by=draft.candidate,
        document_type=t,
        fileobj=io.BytesIO(data),
        name="cv.pdf",
        size=len(data),
    )
    return draft, f


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_candidate_gets_404(
    client: Any, owned: tuple[Dossier, Any], other_candidate: Any, name: str
) -> None:
    dossier, f = owned
    url = reverse(name, kwargs=CASES[name](dossier, f))
    client.login(email=other_candidate.email, password=PASSWORD)
    assert client.get(url).status_code in {404, 405}
    assert client.post(url, {"last_name": "Pirate"}).status_code == 404
    dossier.refresh_from_db()
    assert dossier.last_name != "Pirate"


@pytest.mark.parametrize("name", sorted(CASES))
def test_director_of_another_program_gets_404(
    client: Any, owned: tuple[Dossier, Any], director_other: Any, name: str
) -> None:
    dossier, f = owned
    url = reverse(name, kwargs=CASES[name](dossier, f))
    client.login(email=director_other.email, password=PASSWORD)
    assert client.get(url).status_code in {404, 405}
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_is_sent_to_log_in(client: Any, owned: tuple[Dossier, Any], name: str) -> None:
    dossier, f = owned
    url = reverse(name, kwargs=CASES[name](dossier, f))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_owner_reaches_their_own(client: Any, owned: tuple[Dossier, Any], name: str) -> None:
    dossier, f = owned
    url = reverse(name, kwargs=CASES[name](dossier, f))
    client.login(email=dossier.candidate.email, password=PASSWORD)
    expected = {405} if name == "dossier_submit" else {200}
    assert client.get(url).status_code in expected


def test_unknown_ids_are_404_not_500(client: Any, candidate: Any) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    assert client.get(reverse("dossier_detail", args=[999999])).status_code == 404
    assert client.get(reverse("document_download", args=[999999, 1])).status_code == 404


def test_office_reads_any_dossier_but_cannot_edit_it(
    client: Any, owned: tuple[Dossier, Any], office: Any
) -> None:
    dossier, f = owned
    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("dossier_detail", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("document_download", args=[dossier.pk, f.pk])).status_code == 200
    assert client.get(reverse("dossier_section", args=[dossier.pk, "identity"])).status_code == 404


def test_director_reads_submitted_dossiers_of_own_program_only(
    client: Any, ready: Dossier, director_other: Any
) -> None:
    from catalog.models import Program

    services.dossier_submit(dossier=ready, by=ready.candidate)
    client.login(email=director_other.email, password=PASSWORD)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 404
    Program.objects.get(code="BE+").directors.add(director_other)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 200


def test_candidate_reaches_no_staff_page(client: Any, candidate: Any) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/applications/dossier/").status_code == 302


@pytest.mark.parametrize("name", FINANCE_CASES)
def test_finance_urls_are_404_for_everyone_but_finance(
    client: Any, ready: Dossier, office: Any, director_other: Any, name: str
) -> None:
    payment = FeePayment.objects.get(dossier=ready)
    url = reverse(name, args=[payment.pk])
    assert client.post(url).status_code == 302 and reverse("account_login") in client.post(url)["Location"]
    for person in (ready.candidate, office, director_other):
        client.login(email=person.email, password=PASSWORD)
        assert client.post(url, {"booked_on": "2025-01-01"}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == "declared"
    assert client.get(reverse("fee_payments")).status_code == 404


def test_finance_confirms_a_declared_fee_with_its_booking_date(
    client: Any, ready: Dossier, finance: Any
) -> None:
    payment = FeePayment.objects.get(dossier=ready)
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("fee_payments"), {"q": "LEFEVRE"}).content.decode()
    assert payment.reference in page
    client.post(reverse("fee_payment_confirm", args=[payment.pk]), {"booked_on": "2099-01-01"})
    payment.refresh_from_db()
    assert payment.status == "declared"  # a future booking date is refused
    client.post(reverse("fee_payment_confirm", args=[payment.pk]), {"booked_on": str(payment.paid_on)})
    payment.refresh_from_db()
    assert (
        payment.status == "confirmed"
        and payment.booked_on == payment.paid_on
        and payment.confirmed_by == finance
    )


def test_fee_list_query_count_is_constant(
    client: Any, finance: Any, open_session: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import fill_dossier, make_user, offering

    def add(n: int) -> None:
        for i in range(n):
            user = make_user(f"c{i}-{FeePayment.objects.count()}@example.org")
            fill_dossier(
                services.dossier_open(candidate=user, offering=offering(open_session, "CSE")), documents=False
            )

    client.login(email=finance.email, password=PASSWORD)
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("fee_payments"))
    add(12)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("fee_payments"))
    assert len(many) == len(few)
