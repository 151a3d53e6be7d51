"""Issue 7 items 4 and 5: staff land on their work, see what waits, and lists find things."""

import datetime as dt
import importlib
import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.adapter import AccountAdapter
from accounts.models import User
from accounts.services import mfa_current_code
from admission.models import JurySitting
from applications import services
from applications.demo import DEMO_PASSWORD
from applications.models import Dossier, DossierStatus, FeePayment
from catalog.models import AdmissionSession, Program
from tests.conftest import IDENTITY_FR, PASSWORD, fill_dossier, make_complete, make_user, offering

ADMIN_LINK = f'href="{reverse("admin:index")}"'

LANDINGS = {
    "office@cursus.demo": "office_queue",
    "director@cursus.demo": "director_list",
    "jury@cursus.demo": "sittings",
    "finance@cursus.demo": "fee_payments",
    "admin@cursus.demo": "admin:index",
    "candidate@cursus.demo": "dashboard",
}


@pytest.fixture
def demo(db: Any) -> None:
    call_command("seed_defaults")
    call_command("seed_demo", candidates=12)


def sign_in(email: str, password: str = DEMO_PASSWORD, *, next_url: str = "") -> tuple[Client, str]:
    """allauth's real sign-in: the password, then the authenticator's code for staff. Returns the client
    and where the last step sends the person."""
    client = Client()
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    if response["Location"] == reverse("mfa_authenticate"):
        user = User.objects.get(email=email)
        code = mfa_current_code(user=user)
        # A code is accepted once; signing the same person in twice within 30 s needs it again.
        totp = TOTP(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP))
        cache.delete(totp._get_used_cache_key(code))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302, response.content.decode()[:2000]
    return client, response["Location"]


# ---- item 4: each role lands on its work -------------------------------------------------------------


@pytest.mark.parametrize("email", list(LANDINGS))
def test_issue7_4_each_demo_account_lands_on_its_screen(demo: None, email: str) -> None:
    client, location = sign_in(email)
    assert location == reverse(LANDINGS[email])
    assert client.get(location).status_code == 200


def test_issue7_4_a_safe_next_still_wins_and_an_unsafe_one_is_ignored(demo: None) -> None:
    _client, location = sign_in("office@cursus.demo", next_url=reverse("sittings"))
    assert location == reverse("sittings")
    _client, location = sign_in("office@cursus.demo", next_url="https://evil.example.org/")
    assert location == reverse("office_queue")


def _landing(user: User) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return AccountAdapter(request).get_login_redirect_url(request)


def test_issue7_4_several_roles_land_on_the_first_of_office_director_jury_finance(catalog: Any) -> None:
    both = make_user("two.hats@example.org", group="Finance")
    both.groups.add(Group.objects.get(name="Jury members"))
    assert _landing(User.objects.get(pk=both.pk)) == reverse("sittings")
    both.groups.add(Group.objects.get(name="Program directors"))
    # a director of no program has no list: the next role's screen
    assert _landing(User.objects.get(pk=both.pk)) == reverse("sittings")
    Program.objects.get(code="BE+").directors.add(both)
    assert _landing(User.objects.get(pk=both.pk)) == reverse("director_list")
    both.groups.add(Group.objects.get(name="Admissions office"))
    assert _landing(User.objects.get(pk=both.pk)) == reverse("office_queue")


def test_issue7_4_staff_of_the_admin_only_land_in_the_admin_and_candidates_on_their_dashboard(
    catalog: Any, candidate: User
) -> None:
    from django.contrib.auth.models import Permission

    clerk = make_user("clerk@example.org", is_staff=True)
    assert _landing(User.objects.get(pk=clerk.pk)) == reverse("dashboard")  # the admin has nothing for them
    clerk.user_permissions.add(Permission.objects.get(codename="view_program"))
    assert _landing(User.objects.get(pk=clerk.pk)) == reverse("admin:index")
    assert _landing(candidate) == reverse("dashboard")


def test_issue7_4_the_nav_never_offers_an_admin_page_the_person_cannot_open(demo: None) -> None:
    shown = {}
    for email in LANDINGS:
        client, location = sign_in(email)
        page = client.get(location).content.decode()
        shown[email] = ADMIN_LINK in page
        if shown[email]:
            # the link opens an admin with something in it for this person
            index = client.get(reverse("admin:index"))
            assert index.status_code == 200 and index.context["app_list"], email
    assert not shown["director@cursus.demo"] and not shown["jury@cursus.demo"]
    assert not shown["candidate@cursus.demo"]
    assert shown["admin@cursus.demo"] and shown["office@cursus.demo"]
    # the demo's director and jury are staff (so that they can be picked as such) yet see no such link
    assert User.objects.get(email="director@cursus.demo").is_staff


def test_issue7_4_nav_shows_only_the_screens_of_the_role(demo: None) -> None:
    screens = {name: reverse(name) for name in ("office_queue", "director_list", "sittings", "fee_payments")}
    expected = {
        "office@cursus.demo": {"office_queue", "sittings"},
        "director@cursus.demo": {"director_list"},
        "jury@cursus.demo": {"sittings"},
        "finance@cursus.demo": {"fee_payments"},
        "candidate@cursus.demo": set(),
    }
    for email, names in expected.items():
        client, location = sign_in(email)
        nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', client.get(location).content.decode(), re.S)
        assert nav is not None
        linked = {name for name, url in screens.items() if f'href="{url}"' in nav.group(1)}
        assert linked == names, email
        for name in linked:
            assert client.get(screens[name]).status_code == 200


def test_issue7_4_landing_screens_count_what_waits(demo: None) -> None:
    office = User.objects.get(email="office@cursus.demo")
    to_check = Dossier.objects.filter(status=DossierStatus.SUBMITTED).count()
    awaiting = Dossier.objects.filter(status=DossierStatus.COMPLETE).count()
    payments = FeePayment.objects.filter(status="declared").count()
    sittings = JurySitting.objects.filter(status="open").count()
    assert to_check and awaiting and payments and sittings
    words = {
        "office@cursus.demo": f"{to_check} dossier",
        "director@cursus.demo": f"{awaiting} await",
        "jury@cursus.demo": f"{sittings} sitting",
        "finance@cursus.demo": f"{payments} payment",
    }
    for email, text in words.items():
        user = User.objects.get(email=email)
        user.language = "en"
        user.save()
        client, location = sign_in(email)
        page = client.get(location).content.decode()
        assert re.search(r'<p class="notice" id="waiting">' + re.escape(text), page), (email, text)
    assert office.pk


def test_issue7_4_a_director_of_no_program_gets_no_link_to_a_404(client: Any, catalog: Any) -> None:
    lonely = make_user("lonely.director@example.org", group="Program directors")
    client.login(email=lonely.email, password=PASSWORD)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("director_list") not in page
    assert client.get(reverse("director_list")).status_code == 404


# ---- item 5: lists that find things --------------------------------------------------------------------


def test_issue7_5_searching_nguyen_and_42_finds_the_demo_dossiers(db: Any) -> None:
    call_command("seed_defaults")
    call_command("seed_demo", candidates=41)
    office_client, _ = sign_in("office@cursus.demo")
    nguyens = set(
        Dossier.objects.filter(last_name="Nguyễn")
        .exclude(status=DossierStatus.DRAFT)
        .values_list("pk", flat=True)
    )
    assert nguyens
    page = office_client.get(reverse("office_queue"), {"q": "nguyen", "status": "all"}).content.decode()
    assert {int(pk) for pk in re.findall(r'id="row-(\d+)"', page)} == nguyens
    assert "Nguyễn" in page
    # the 42nd dossier (n° 000042 on a fresh database), with and without leading zeros
    d42 = Dossier.objects.order_by("pk")[41]
    assert d42.status != DossierStatus.DRAFT
    for q in (str(d42.pk), f"{d42.pk:04d}", d42.number):
        page = office_client.get(reverse("office_queue"), {"q": q, "status": "all"}).content.decode()
        assert f'id="row-{d42.pk}"' in page, q
        assert page.count('id="row-') <= 2, q  # the number, maybe an email with the same digits
    # the director's list and finance's list find her too
    director_client, _ = sign_in("director@cursus.demo")
    complete = Dossier.objects.filter(status=DossierStatus.COMPLETE, last_name="Nguyễn").first()
    if complete is not None:
        page = director_client.get(reverse("director_list"), {"q": "NGUYEN"}).content.decode()
        assert f'id="row-{complete.pk}"' in page
    finance_client, _ = sign_in("finance@cursus.demo")
    page = finance_client.get(reverse("fee_payments"), {"q": "nguyen", "status": "all"}).content.decode()
    assert "Nguyễn" in page


def _submitted(dossier: Dossier) -> Dossier:
    return services.dossier_submit(dossier=dossier, by=dossier.candidate)


def test_issue7_5_search_ignores_accents_and_case_and_reads_numbers(
    client: Any, ready: Dossier, office: User
) -> None:
    _submitted(ready)
    client.login(email=office.email, password=PASSWORD)
    url = reverse("office_queue")
    for q in (
        "lefevre",
        "LEFÈVRE",
        "élodie lefevre",
        "Lefevre Alice",
        str(ready.pk),
        f"000{ready.pk}",
        ready.number,
    ):
        assert f'id="row-{ready.pk}"' in client.get(url, {"q": q}).content.decode(), q
    for q in ("lefevrex", "bob", str(ready.pk + 1000), "n° x"):
        assert f'id="row-{ready.pk}"' not in client.get(url, {"q": q}).content.decode(), q


def test_issue7_5_the_search_key_follows_the_name_and_is_erased_with_it(ready: Dossier) -> None:
    from privacy.services import dossier_erase

    assert ready.search_name == "lefevre alice elodie"
    ready = services.dossier_save_section(
        dossier=ready, by=ready.candidate, section="identity", data={**IDENTITY_FR, "last_name": "Nguyễn Đức"}
    )
    assert Dossier.objects.get(pk=ready.pk).search_name == "nguyen duc alice elodie"
    dossier_erase(dossier=ready, by=None, cause="request")
    erased = Dossier.objects.filter(pk=ready.pk).first()
    assert erased is None or (erased.search_name, erased.last_name) == ("", "")


def test_issue7_5_the_migration_fills_the_key_of_existing_dossiers(ready: Dossier) -> None:
    Dossier.objects.filter(pk=ready.pk).update(search_name="")
    migration = importlib.import_module("applications.migrations.0004_dossier_search_name")
    migration.fill_search_name(apps, None)
    assert Dossier.objects.get(pk=ready.pk).search_name == "lefevre alice elodie"


@pytest.fixture
def two_dossiers(
    ready: Dossier, other_candidate: User, open_session: AdmissionSession, office: User, finance: User
) -> tuple[Dossier, Dossier]:
    """Alice's BE+ dossier complete with its fee confirmed; Bob's CSE dossier submitted, fee declared."""
    complete = make_complete(ready, office, finance)
    bob = services.dossier_open(candidate=other_candidate, offering=offering(open_session, "CSE"))
    bob = fill_dossier(bob, identity={**IDENTITY_FR, "last_name": "Martin", "first_names": "Bob"})
    return complete, _submitted(bob)


def _rows(client: Any, url: str, **params: Any) -> set[int]:
    page = client.get(url, params).content.decode()
    return {int(pk) for pk in re.findall(r'id="row-(\d+)"', page)}


def test_issue7_5_office_filters_by_session_program_status_and_fee(
    client: Any, two_dossiers: tuple[Dossier, Dossier], office: User, catalog: AdmissionSession
) -> None:
    alice, bob = two_dossiers
    client.login(email=office.email, password=PASSWORD)
    url = reverse("office_queue")
    both = {alice.pk, bob.pk}
    assert _rows(client, url, status="all") == both
    assert _rows(client, url) == {bob.pk}  # opens on what waits: submitted dossiers
    assert _rows(client, url, status="complete") == {alice.pk}
    assert _rows(client, url, status="all", program=alice.offering.program_id) == {alice.pk}
    assert _rows(client, url, status="all", session=alice.offering.session_id) == both
    assert _rows(client, url, status="all", session=catalog.pk) == set()
    assert _rows(client, url, status="all", fee="confirmed") == {alice.pk}
    assert _rows(client, url, status="all", fee="declared") == {bob.pk}
    assert _rows(client, url, status="all", fee="none") == set()
    assert _rows(client, url, status="all", session="x") == set()


def test_issue7_5_director_list_opens_on_what_awaits_their_opinion(
    client: Any, two_dossiers: tuple[Dossier, Dossier], director_be: User, office: User, finance: User
) -> None:
    from admission import services as adm

    alice, bob = two_dossiers
    Program.objects.get(code="CSE").directors.add(director_be)
    bob = make_complete(bob, office, finance)
    adm.opinion_give(dossier=alice, by=director_be, favourable=True, comment="Bien", no_interview=True)
    client.login(email=director_be.email, password=PASSWORD)
    url = reverse("director_list")
    page = client.get(url).content.decode()
    assert _rows(client, url) == {bob.pk}  # complete, awaiting the opinion
    assert "MS CSE" in page and Program.objects.get(code="CSE").title_fr in page  # title beside the code
    assert _rows(client, url, status="") == {alice.pk, bob.pk}  # "All"
    assert _rows(client, url, status="", q="lefevre") == {alice.pk}


def test_issue7_5_director_list_puts_the_current_session_first(
    client: Any, two_dossiers: tuple[Dossier, Dossier], director_be: User, catalog: AdmissionSession
) -> None:
    alice, _bob = two_dossiers
    old_user = make_user("old@example.org", first_name="Old", last_name="Ancien")
    old = Dossier.objects.create(
        candidate=old_user,
        offering=offering(catalog, "BE+"),
        status=DossierStatus.COMPLETE,
        last_name="Ancien",
        search_name="ancien",
        submitted_at=timezone.now() - dt.timedelta(days=400),
    )
    client.login(email=director_be.email, password=PASSWORD)
    page = client.get(reverse("director_list")).content.decode()
    assert page.index(f'id="row-{alice.pk}"') < page.index(f'id="row-{old.pk}"')


def test_issue7_5_finance_filters_and_finds_by_folded_name_and_number(
    client: Any, two_dossiers: tuple[Dossier, Dossier], finance: User
) -> None:
    alice, bob = two_dossiers
    client.login(email=finance.email, password=PASSWORD)
    url = reverse("fee_payments")

    def refs(**params: Any) -> set[str]:
        return set(re.findall(r'id="payment-(\d+)"', client.get(url, params).content.decode()))

    alice_pay = str(FeePayment.objects.get(dossier=alice).pk)
    bob_pay = str(FeePayment.objects.get(dossier=bob).pk)
    assert refs() == {bob_pay}  # declared: what waits
    assert refs(status="all", q="LEFEVRE") == {alice_pay}
    assert refs(status="all", q=f"00{bob.pk}") == {bob_pay}
    assert refs(status="all", program=alice.offering.program_id) == {alice_pay}
    assert refs(status="all", session=alice.offering.session_id) == {alice_pay, bob_pay}


def _bulk(n: int, session: AdmissionSession, start: int) -> None:
    users = User.objects.bulk_create(
        [User(email=f"bulk{start + i}@example.org", last_name=f"Nom{start + i}") for i in range(n)]
    )
    Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offering(session, ("BE+", "CSE")[i % 2]),
                status=(DossierStatus.SUBMITTED, DossierStatus.COMPLETE)[i % 2],
                last_name=f"Nom{start + i}",
                first_names="Prénom",
                search_name=f"nom{start + i} prenom",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    FeePayment.objects.bulk_create(
        [
            FeePayment(
                dossier=d,
                channel="transfer",
                amount=100,
                reference=f"REF{d.pk}",
                paid_on=timezone.localdate(),
            )
            for d in Dossier.objects.filter(candidate__email__startswith="bulk", fee_payments__isnull=True)
        ]
    )
    sitting = JurySitting.objects.filter(session=session).first()
    assert sitting is not None
    JurySitting.objects.bulk_create(
        [
            JurySitting(
                session=session, name=f"Extra {start + i}", sits_on=sitting.sits_on, cutoff=sitting.cutoff
            )
            for i in range(n)
        ]
    )


def _count(client: Any, url: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx)


def test_issue7_5_lists_are_paged_and_make_a_constant_number_of_queries(
    client: Any, open_session: AdmissionSession, office: User, director_be: User, finance: User, jury: User
) -> None:
    Program.objects.get(code="CSE").directors.add(director_be)
    for user in (office, jury):
        user.groups.add(Group.objects.get(name="Jury members"))
    lists: list[tuple[User, str, dict[str, Any]]] = [
        (
            office,
            "office_queue",
            {"status": "all", "q": "nom", "fee": "declared", "session": open_session.pk},
        ),
        (director_be, "director_list", {"status": "", "q": "prenom"}),
        (finance, "fee_payments", {"status": "all", "q": "nom"}),
        (office, "sittings", {"session": open_session.pk}),
    ]
    _bulk(5, open_session, 0)
    small = {}
    for user, name, params in lists:
        client.login(email=user.email, password=PASSWORD)
        small[name] = _count(client, reverse(name), params)
    _bulk(120, open_session, 5)
    for user, name, params in lists:
        client.login(email=user.email, password=PASSWORD)
        assert _count(client, reverse(name), params) == small[name], name
        page = client.get(reverse(name), params).content.decode()
        assert "1 / " in page and "page=2" in page, name  # paged, the filters kept in the links
        for key, value in params.items():
            if value and key != "q":
                assert f"{key}={value}" in page.split("page=2")[0].rsplit("?", 1)[-1], (name, key)


# ---- item 4: the superuser manages staff in the admin ----------------------------------------------------


@pytest.fixture
def superuser(catalog: Any) -> User:
    return make_user("root@example.org", is_staff=True, is_superuser=True)


def test_issue7_4_the_superuser_creates_a_staff_user_with_roles_in_the_admin(
    client: Any, superuser: User, catalog: AdmissionSession
) -> None:
    from audit.models import AuditEvent

    client.login(email=superuser.email, password=PASSWORD)
    program = Program.objects.get(code="BE+")
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.director@example.org",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
            "first_name": "Nadia",
            "last_name": "Nouvelle",
            "language": "fr",
            "is_staff": "on",
            "groups": [Group.objects.get(name="Program directors").pk],
            "institution": catalog.institution_id,
            "programs_directed": [program.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="new.director@example.org")
    assert user.is_staff and not user.is_superuser and user.check_password("Un-mot-de-passe-solide-42")
    assert list(user.groups.values_list("name", flat=True)) == ["Program directors"]
    assert user.institution_id == catalog.institution_id
    assert list(user.directed_programs.all()) == [program]
    event = AuditEvent.objects.get(action="user.roles", object_id=str(user.pk))
    assert event.actor == superuser and event.data["to"]["programs"] == ["BE+"]
    assert "Un-mot-de-passe" not in str(event.data)
    # the change page shows the programs directed; a change of roles is audited again
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url).content.decode()
    assert f'<option value="{program.pk}" selected>' in page
    assert "Un-mot-de-passe" not in page
    # the new director is offered in the program's picker (staff only)
    picker = client.get(reverse("admin:catalog_program_change", args=[program.pk])).content.decode()
    assert "new.director@example.org" in picker


def test_issue7_4_only_unscoped_staff_with_the_right_reach_the_user_admin(
    client: Any, office: User, candidate: User
) -> None:
    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_user_change", args=[candidate.pk])).status_code in (302, 403)


def test_issue7_4_pickers_of_directors_jury_members_and_presidents_list_staff_only(
    client: Any, superuser: User, candidate: User, jury: User, open_session: AdmissionSession
) -> None:
    client.login(email=superuser.email, password=PASSWORD)
    sitting = JurySitting.objects.filter(session=open_session).first()
    assert sitting is not None
    for url in (
        reverse("admin:admission_jurysitting_change", args=[sitting.pk]),
        reverse("admin:catalog_program_change", args=[Program.objects.get(code="BE+").pk]),
    ):
        page = client.get(url).content.decode()
        assert jury.email in page and candidate.email not in page, url


def test_issue7_5_an_empty_search_in_one_status_offers_every_status(
    client: Any, office: Any, open_session: Any
) -> None:
    from django.urls import reverse

    from tests.conftest import PASSWORD

    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("office_queue"), {"q": "zzz-nobody", "status": "submitted"}).content.decode()
    assert 'id="search-everywhere"' in page and "status=all" in page
    page = client.get(reverse("office_queue"), {"q": "zzz-nobody", "status": "all"}).content.decode()
    assert 'id="search-everywhere"' not in page


@pytest.mark.parametrize("page", ["x", "0", "-1", "99999999999999999999999", "2"])
def test_issue7_5_a_page_number_out_of_range_shows_a_page_not_an_error(demo: None, page: str) -> None:
    """The lists read a page and its count in one query; a number the paginator corrects (or that no
    database could take as an offset) is corrected as the paginator does: the last page, or the first."""
    for email, name in (("office@cursus.demo", "office_queue"), ("director@cursus.demo", "director_list")):
        client, _location = sign_in(email)
        response = client.get(reverse(name) + f"?status=all&page={page}")
        assert response.status_code == 200, (email, page)
        assert 'id="row-' in response.content.decode(), (email, page)
