"""Each role sees only what it needs: another person's dossier or document is a 404 by every URL."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from applications import services
from applications.models import Dossier, FeePayment
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
    "interview_respond": lambda d, f: {"pk": d.pk, "interview_pk": d.interviews.get().pk},
    "decision_letter": lambda d, f: {"pk": d.pk},
    "dossier_withdraw": lambda d, f: {"pk": d.pk},
}
POST_ONLY = {"dossier_submit", "interview_respond", "dossier_withdraw"}

# Staff URLs that take an id: kwargs from the dossier and its file.
STAFF_CASES: dict[str, Any] = {
    "staff_dossier": lambda d, f: {"pk": d.pk},
    "staff_document_view": lambda d, f: {"pk": d.pk, "file_pk": f.pk},
    "document_verdict": lambda d, f: {"pk": d.pk, "file_pk": f.pk},
    "dossier_complete": lambda d, f: {"pk": d.pk},
    "dossier_incomplete": lambda d, f: {"pk": d.pk},
    "opinion_give": lambda d, f: {"pk": d.pk},
    "interview_propose": lambda d, f: {"pk": d.pk},
    "interview_notes": lambda d, f: {"pk": d.pk, "interview_pk": d.interviews.get().pk},
    "dossier_move": lambda d, f: {"pk": d.pk},
    "dossier_international": lambda d, f: {"pk": d.pk},
    "director_export": lambda d, f: {"program_pk": d.offering.program_id},
    "sitting_detail": lambda d, f: {"pk": d.sitting_id},
    "decision_record": lambda d, f: {"pk": d.sitting_id, "dossier_pk": d.pk},
    "sitting_close": lambda d, f: {"pk": d.sitting_id},
    "sitting_minutes": lambda d, f: {"pk": d.sitting_id},
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
    covered = set(CASES) | set(FINANCE_CASES) | set(STAFF_CASES)
    untested = id_taking_url_names() - covered - PUBLIC
    assert not untested, f"add access cases for: {sorted(untested)}"
    assert covered <= id_taking_url_names()


@pytest.fixture
def owned(at_jury: Dossier, sitting_member: Any, office: Any) -> tuple[Dossier, Any]:
    """A dossier that went all the way: files, an interview, a final decision."""
    from django.utils import timezone

    from admission import services as adm
    from admission.models import Interview

    adm.decision_record(dossier=at_jury, by=sitting_member, outcome="admitted")
    adm.sitting_close(sitting=at_jury.sitting, by=office)  # type: ignore[arg-type]
    Interview.objects.create(dossier=at_jury, starts_at=timezone.now(), mode="phone", proposed_by=office)
    return at_jury, at_jury.files.first()


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
    expected = {405} if name in POST_ONLY else {200}
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


def test_R2_2_director_reads_complete_dossiers_of_own_program_only(
    client: Any, ready: Dossier, director_other: Any, office: Any, finance: Any
) -> None:
    from catalog.models import Program
    from tests.conftest import make_complete

    services.dossier_submit(dossier=ready, by=ready.candidate)
    Program.objects.get(code="BE+").directors.add(director_other)
    client.login(email=director_other.email, password=PASSWORD)
    # submitted but not checked yet: not for the director (R2.2)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 404
    make_complete(ready, office, finance)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 200
    Program.objects.get(code="BE+").directors.remove(director_other)
    assert client.get(reverse("dossier_detail", args=[ready.pk])).status_code == 404


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


@pytest.mark.parametrize("name", sorted(STAFF_CASES))
def test_staff_urls_are_404_for_the_wrong_people(
    client: Any, owned: tuple[Dossier, Any], director_other: Any, name: str
) -> None:
    """A director of another program, a jury member of no sitting, the candidate themself: 404."""
    from tests.conftest import make_user

    dossier, f = owned
    url = reverse(name, kwargs=STAFF_CASES[name](dossier, f))
    lone_juror = make_user("lone.juror@example.org", group="Jury members")
    for person in (director_other, lone_juror, dossier.candidate):
        client.login(email=person.email, password=PASSWORD)
        assert client.get(url).status_code in {404, 405}, person
        assert (
            client.post(
                url, {"outcome": "refused", "verdict": "refused", "reason": "x", "notes": "x"}
            ).status_code
            == 404
        ), person
        client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("staff_dossier", "office"),
        ("staff_dossier", "director_be"),
        ("staff_dossier", "sitting_member"),
        ("staff_document_view", "director_be"),
        ("director_export", "director_be"),
        ("sitting_detail", "sitting_member"),
        ("sitting_detail", "office"),
        ("sitting_minutes", "sitting_member"),
    ],
)
def test_staff_urls_open_to_the_right_people(
    client: Any, owned: tuple[Dossier, Any], request: Any, name: str, who: str
) -> None:
    dossier, f = owned
    person = request.getfixturevalue(who)
    client.login(email=person.email, password=PASSWORD)
    assert client.get(reverse(name, kwargs=STAFF_CASES[name](dossier, f))).status_code == 200


def test_jury_member_sees_only_the_sittings_they_sit_on(
    client: Any, owned: tuple[Dossier, Any], sitting_member: Any
) -> None:
    from admission.models import JurySitting

    dossier, _f = owned
    client.login(email=sitting_member.email, password=PASSWORD)
    page = client.get(reverse("sittings")).content.decode()
    mine = dossier.sitting
    assert mine is not None and mine.name in page
    others = JurySitting.objects.exclude(pk=mine.pk)
    assert all(o.name not in page for o in others if o.session_id == mine.session_id)
    assert all(client.get(reverse("sitting_detail", args=[o.pk])).status_code == 404 for o in others)


def test_director_export_of_another_program_is_404(
    client: Any, owned: tuple[Dossier, Any], director_be: Any
) -> None:
    from catalog.models import Program

    client.login(email=director_be.email, password=PASSWORD)
    other = Program.objects.get(code="MRPT")
    assert client.get(reverse("director_export", args=[other.pk])).status_code == 404
    assert client.get(reverse("director_list"), {"program": other.pk}).status_code == 404
    csv_text = client.get(reverse("director_export", args=[owned[0].offering.program_id])).content.decode(
        "utf-8-sig"
    )
    assert owned[0].last_name in csv_text


@pytest.mark.parametrize("name", ["office_queue", "director_list", "sittings", "fee_payments"])
def test_candidate_reaches_no_staff_list(client: Any, candidate: Any, name: str) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    assert client.get(reverse(name)).status_code == 404
    client.logout()
    assert client.get(reverse(name)).status_code == 302
