"""The cost every page shares, and the catalogue kept per language (issue 11 item 2).

Two "empty" pages are added to the site's URLs for these tests (``urlpatterns`` below, used through
``pytest.mark.urls``): the base template and its navigation around nothing, one public, one under the
staff prefix (second factor checked there). Their queries are the cost every page pays.
"""

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from accounts.backends import CursusModelBackend
from accounts.middleware import StaffSessionMiddleware
from accounts.models import User
from catalog import rules
from catalog.cache import valid_until
from catalog.models import AdmissionSession, DocumentType, Program
from cursus.urls import urlpatterns as site_urlpatterns
from tests.conftest import PASSWORD, make_user
from tests.test_catalog import text


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).replace("\u202f", " ").replace("\u00a0", " ").split())


def _empty(request: HttpRequest) -> HttpResponse:
    page = engines["django"].from_string('{% extends "base.html" %}{% block head_title %}—{% endblock %}')
    return HttpResponse(page.render(request=request))


urlpatterns = [
    path("vide/", _empty, name="test_empty"),
    path("gestion/vide/", _empty, name="test_staff_empty"),
    *site_urlpatterns,
]
with_empty_pages = pytest.mark.urls("tests.test_request_cost")


def queries(client: Any, url: str, **headers: Any) -> list[str]:
    """The SQL of one GET (after a first one, so that nothing done once per session is counted)."""
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response
    return [q["sql"] for q in ctx.captured_queries]


def tables(sql: list[str]) -> list[str]:
    """The table each query reads (its outermost FROM: the last, after any subquery)."""
    return [(re.findall(r'FROM "(\w+)"', q) or [q[:40]])[-1] for q in sql]


def session_writes(sql: list[str]) -> list[str]:
    return [q for q in sql if "django_session" in q and not q.lstrip().upper().startswith("SELECT")]


# --- The cost every page shares -------------------------------------------------------------------


@with_empty_pages
def test_an_empty_candidate_page_reads_the_session_and_the_user_and_nothing_else(
    client: Any, candidate: User
) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    sql = queries(client, "/vide/")
    # 1. the session row; 2. the user, with their permissions (none) and authenticator in subqueries.
    assert tables(sql) == ["django_session", "accounts_user"], sql
    assert session_writes(sql) == []
    page = client.get("/vide/").content.decode()
    assert candidate.email in page and reverse("dashboard") in page  # the candidate's navigation is there


@with_empty_pages
def test_an_empty_staff_page_costs_session_user_and_the_counts_it_shows(client: Any, office: User) -> None:
    client.login(email=office.email, password=PASSWORD)
    sql = queries(client, "/gestion/vide/")
    # 1. the session; 2. the user with their permissions and whether they have an authenticator (the
    # second-factor check of every staff screen reads that); then the office's two counts: 3. the
    # dossiers to check, 4. the registrations' work (one aggregate). No permission query of its own,
    # no session write.
    assert tables(sql)[:2] == ["django_session", "accounts_user"], sql
    counts = sql[2:]
    assert len(counts) == 2 and all("COUNT(" in q for q in counts), counts
    assert len(sql) <= 3 + len(counts)
    assert session_writes(sql) == []
    page = client.get("/gestion/vide/").content.decode()
    assert reverse("office_queue") in page and reverse("admin:index") in page  # the nav, back office too


@with_empty_pages
def test_each_staff_role_reads_its_permissions_with_the_user(
    client: Any, office: User, finance: User, jury: User, director_be: User
) -> None:
    for person in (office, finance, jury, director_be):
        client.login(email=person.email, password=PASSWORD)
        sql = queries(client, "/gestion/vide/")
        assert "auth_permission" not in " ".join(sql[2:]), (person.email, sql)
        assert "mfa_authenticator" not in " ".join(sql[2:]), (person.email, sql)
        assert all("COUNT(" in q for q in sql[2:]), (person.email, sql)  # the nav's counts only


def test_the_permissions_read_with_the_user_are_django_s_own(office: User, finance: User) -> None:
    """The one-query read gives what ModelBackend reads in two, own and group permissions alike."""
    office.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    office.groups.add(Group.objects.get(name="Finance"))  # two groups sharing a permission
    for person in (office, finance):
        loaded = CursusModelBackend().get_user(person.pk)
        assert loaded is not None
        fresh = User.objects.get(pk=person.pk)
        django = ModelBackend()
        assert loaded._user_perm_cache == django.get_user_permissions(fresh)  # type: ignore[attr-defined]
        assert loaded._group_perm_cache == django.get_group_permissions(fresh)  # type: ignore[attr-defined]
        assert loaded.get_all_permissions() == django.get_all_permissions(fresh)
        assert "accounts.admissions_office" in loaded.get_all_permissions() or person == finance


@with_empty_pages
def test_a_role_removed_takes_effect_on_the_next_request(client: Any, office: User) -> None:
    client.login(email=office.email, password=PASSWORD)
    assert client.get(reverse("office_queue")).status_code == 200
    assert reverse("office_queue") in client.get("/vide/").content.decode()
    office.groups.remove(Group.objects.get(name="Admissions office"))
    assert client.get(reverse("office_queue")).status_code == 404  # as for anyone without the role
    assert reverse("office_queue") not in client.get("/vide/").content.decode()


@with_empty_pages
def test_an_authenticator_removed_takes_effect_on_the_next_staff_request(client: Any, office: User) -> None:
    from allauth.mfa.models import Authenticator

    client.login(email=office.email, password=PASSWORD)
    assert client.get("/gestion/vide/").status_code == 200
    Authenticator.objects.filter(user=office).delete()
    response = client.get("/gestion/vide/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


@with_empty_pages
def test_no_session_write_on_a_plain_get_and_staff_sliding_expiry_once_a_minute(
    client: Any, candidate: User, office: User
) -> None:
    client.login(email=candidate.email, password=PASSWORD)
    for url in ("/vide/", reverse("home"), reverse("dashboard")):
        assert session_writes(queries(client, url)) == [], url
    client.login(email=office.email, password=PASSWORD)
    for url in ("/vide/", "/gestion/vide/", reverse("office_queue")):
        assert session_writes(queries(client, url)) == [], url
    session = client.session
    session[StaffSessionMiddleware.SEEN_KEY] -= StaffSessionMiddleware.TOUCH_EVERY + 1
    session.save()
    with CaptureQueriesContext(connection) as ctx:
        client.get("/gestion/vide/")
    writes = session_writes([q["sql"] for q in ctx.captured_queries])
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE"), writes
    assert session_writes(queries(client, "/gestion/vide/")) == []


# --- The catalogue, kept per language ---------------------------------------------------------------


def catalogue_queries(client: Any, url: str, **headers: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries if '"catalog_' in q["sql"]]


def test_the_catalogue_second_request_makes_no_catalogue_query(
    client: Any, open_session: AdmissionSession, candidate: User
) -> None:
    for url in (reverse("home"), reverse("session_detail", args=[open_session.pk])):
        assert catalogue_queries(client, url)  # rendered once…
        assert catalogue_queries(client, url) == []  # …then read from the cache
    anonymous = client.get(reverse("home")).content.decode()
    assert reverse("account_signup") in anonymous and candidate.email not in anonymous
    client.login(email=candidate.email, password=PASSWORD)
    assert catalogue_queries(client, reverse("home"))  # signed in: its own entry (the apply button)
    assert catalogue_queries(client, reverse("home")) == []
    page = client.get(reverse("home")).content.decode()
    # The person's own navigation and CSRF token around the shared content.
    assert candidate.email in page and 'name="csrfmiddlewaretoken"' in page
    assert f'class="button" href="{reverse("dashboard")}"' in page
    assert "MS BE+" in text_of(page) and "7 500,00 €" in text_of(page)


def test_a_program_edited_in_the_admin_shows_at_once(
    client: Any, open_session: AdmissionSession, office: User
) -> None:
    program = Program.objects.get(code="CSE")
    assert "Cybersécurité des systèmes" not in client.get(reverse("home")).content.decode()
    client.login(email=office.email, password=PASSWORD)
    response = client.post(
        reverse("admin:catalog_program_change", args=[program.pk]),
        {
            "institution": program.institution_id,
            "code": "CSE",
            "title_fr": "Cybersécurité des systèmes",
            "title_en": "Systems cybersecurity",
            "campus": program.campus_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    assert "Cybersécurité des systèmes" in client.get(reverse("home")).content.decode()


def test_the_catalogue_follows_changes_of_its_models(client: Any, open_session: AdmissionSession) -> None:
    url = reverse("session_detail", args=[open_session.pk])
    client.get(url)
    offering = open_session.offerings.get(program__code="MRPT")
    offering.tuition_personal = 8123
    offering.save()
    assert "8 123,00 €" in text(client.get(url))
    doc = DocumentType.objects.filter(session=open_session).first()
    assert doc is not None
    doc.label_fr = "Pièce nouvelle"
    doc.save()
    assert "Pièce nouvelle" in client.get(url).content.decode()
    open_session.is_published = False
    open_session.save()
    assert client.get(url).status_code == 404


def test_the_english_catalogue_is_kept_apart_from_the_french_one(
    client: Any, open_session: AdmissionSession
) -> None:
    program = Program.objects.get(code="CSE")
    program.title_fr, program.title_en = "Titre en français", "Title in English"
    program.save()
    french = client.get(reverse("home")).content.decode()
    assert "Titre en français" in french and "Title in English" not in french
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert catalogue_queries(client, reverse("home"))  # not the French entry
    english = client.get(reverse("home")).content.decode()
    assert "Title in English" in english and "Titre en français" not in english
    assert catalogue_queries(client, reverse("home")) == []
    client.cookies.pop("django_language")
    assert catalogue_queries(client, reverse("home")) == []  # French: still kept
    assert "Titre en français" in client.get(reverse("home")).content.decode()


def test_a_cached_page_holds_until_a_window_opens_or_closes(catalog: AdmissionSession) -> None:
    """The badge and the default session change at midnight in Paris: the entry says until when it holds."""
    opens = rules.start_of_day(catalog.opens_on)
    closes = rules.start_of_day(catalog.closes_on + dt.timedelta(days=1))
    assert valid_until([catalog], opens - dt.timedelta(days=3)) == opens
    assert valid_until([catalog], opens) == closes  # an instant that has come is no longer ahead
    assert valid_until([catalog], closes + dt.timedelta(days=1)) > closes + dt.timedelta(days=1)  # the cap


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_entry_past_its_time_is_rendered_again(
    client: Any, open_session: AdmissionSession, language: str
) -> None:
    import time_machine

    open_session.closes_on = dt.date.today() + dt.timedelta(days=2)
    open_session.save()
    client.cookies["django_language"] = language
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client.get(reverse("home"))
        assert catalogue_queries(client, reverse("home")) == []
        traveller.shift(dt.timedelta(days=4))  # the window has closed since
        assert catalogue_queries(client, reverse("home"))
        page = client.get(reverse("home")).content.decode()
    assert ("Applications closed" if language == "en" else "Candidatures closes") in page


def test_a_candidate_made_staff_is_checked_as_staff_at_once(client: Any, catalog: AdmissionSession) -> None:
    """The other way round: a role given takes effect on the next request too (second factor asked)."""
    person = make_user("soon.staff@example.org")
    client.login(email=person.email, password=PASSWORD)
    assert client.get(reverse("dashboard")).status_code == 200
    person.groups.add(Group.objects.get(name="Admissions office"))
    response = client.get(reverse("office_queue"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


@with_empty_pages
def test_the_back_office_link_is_shown_exactly_when_the_admin_has_something(
    client: Any, rf: Any, office: User, finance: User, jury: User, director_be: User, candidate: User
) -> None:
    """The link's quick check agrees with the admin's own list, for every role (no link to a refusal)."""
    from django.contrib import admin

    from cursus.context_processors import StaffNav

    jury.is_staff = True  # staff flag but no model of the admin
    jury.save()
    for person in (office, finance, jury, director_be, candidate):
        request = rf.get("/")
        request.user = person
        expected = bool(admin.site.get_app_list(request)) if person.is_staff else False
        assert StaffNav(request).back_office is expected, person.email
        client.login(email=person.email, password=PASSWORD)
        shown = f'href="{reverse("admin:index")}"' in client.get("/vide/").content.decode()
        assert shown is expected, person.email
    assert StaffNav(_request_of(rf, office)).back_office and not StaffNav(_request_of(rf, jury)).back_office


def _request_of(rf: Any, user: User) -> HttpRequest:
    request = rf.get("/")
    request.user = user
    return request  # type: ignore[no-any-return]


# --- The catalogue whole from the cache for anonymous visitors (catalog/middleware.py) -------------


def _kept(language: str, path: str) -> Any:
    from django.core.cache import cache

    return cache.get(f"catalog:response:{language}:{path}")


def _mark_kept(language: str, path: str) -> None:
    """Replace the kept page's body by a marker: an answer carrying it came from the cache, whole."""
    from django.core.cache import cache

    key = f"catalog:response:{language}:{path}"
    version, until, status, headers, _body = cache.get(key)
    cache.set(key, (version, until, status, headers, b"KEPT-PAGE"), 60)


def test_an_anonymous_catalogue_page_is_served_whole_from_one_cache_read(
    client: Any, open_session: AdmissionSession
) -> None:
    for url in (reverse("home"), reverse("session_detail", args=[open_session.pk])):
        first = client.get(url)
        client.get(url)  # the catalogue's version is set by the first render, the page kept by this one
        with CaptureQueriesContext(connection) as ctx:
            again = client.get(url)
        # one cache round trip (the database cache of the tests: one read of its table), nothing else
        assert again.status_code == 200 and tables([q["sql"] for q in ctx.captured_queries]) == [
            "cursus_cache"
        ]
        assert again.content == client.get(url).content
        page = again.content.decode()
        # nothing per visitor in it: no CSRF token, no nonce, no cookie set; the policy sent along
        assert "csrfmiddlewaretoken" not in page and "nonce=" not in page and not again.cookies
        assert "nonce" not in again.headers["Content-Security-Policy"]
        assert "script-src 'self'" in again.headers["Content-Security-Policy"]
        assert again.headers["X-Frame-Options"] == "DENY" and again.headers["Content-Language"] == "fr"
        assert "MS BE+" in text_of(page) and first.content.decode().count("<main") == 1


@pytest.mark.parametrize(
    ("how", "served_whole"),
    [
        ("as is", True),
        ("with a query string", False),
        ("signed in", False),
        ("with a pending message", False),
        ("with the CSRF cookie", True),
        ("head", False),
    ],
)
def test_only_an_anonymous_plain_get_is_served_whole(
    client: Any, open_session: AdmissionSession, candidate: User, how: str, served_whole: bool
) -> None:
    url = reverse("home")
    client.get(url)
    client.get(url)
    _mark_kept("fr", url)
    if how == "signed in":
        client.login(email=candidate.email, password=PASSWORD)
    elif how == "with a pending message":
        client.cookies["messages"] = "anything"
    elif how == "with the CSRF cookie":
        client.cookies["csrftoken"] = "x" * 32
    response = client.head(url) if how == "head" else client.get(url + ("?x=1" if "query" in how else ""))
    assert response.status_code == 200
    assert (response.content == b"KEPT-PAGE") is served_whole


def test_the_whole_page_follows_the_catalogue_and_the_language(
    client: Any, open_session: AdmissionSession
) -> None:
    from django.core.cache import cache

    cache.clear()  # the database cache's table outlives the tests that commit (browser tests): start empty
    url = reverse("home")
    client.get(url)
    client.get(url)
    assert _kept("fr", url) is not None and _kept("en", url) is None
    program = Program.objects.get(code="CSE")
    program.title_fr, program.title_en = "Titre changé", "Changed title"
    program.save()
    assert "Titre changé" in client.get(url).content.decode()  # a new version: rendered again
    client.cookies["django_language"] = "en"
    client.get(url)
    english = client.get(url)
    assert "Changed title" in english.content.decode() and english.headers["Content-Language"] == "en"
    assert _kept("en", url) is not None
    client.cookies["django_language"] = "xx"  # unknown: French, as the language middleware decides
    assert "Titre changé" in client.get(url).content.decode()


def test_a_kept_page_is_rendered_again_once_its_time_has_come(
    client: Any, open_session: AdmissionSession
) -> None:
    import time_machine

    open_session.closes_on = dt.date.today() + dt.timedelta(days=2)
    open_session.save()
    url = reverse("home")
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client.get(url)
        client.get(url)
        _mark_kept("fr", url)
        assert client.get(url).content == b"KEPT-PAGE"
        traveller.shift(dt.timedelta(days=4))  # the window has closed since
        page = client.get(url).content.decode()
    assert "Candidatures closes" in page


def test_the_language_switch_asks_a_token_only_of_a_signed_in_person(
    open_session: AdmissionSession, candidate: User
) -> None:
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and anonymous.cookies["django_language"].value == "en"
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.login(email=candidate.email, password=PASSWORD)
    assert signed_in.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 403
    candidate.refresh_from_db()
    assert candidate.language == "fr"
    page = signed_in.get(reverse("dashboard")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = signed_in.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.language == "en"


def test_a_permission_made_after_the_names_were_read_is_known_on_the_next_request(office: User) -> None:
    """Permissions come with the user as ids; their names are read once per process, and again when an
    id is not among them (a permission made since, by a migration of another process)."""
    from django.contrib.contenttypes.models import ContentType

    loaded = CursusModelBackend().get_user(office.pk)  # the names are read
    assert loaded is not None and "accounts.admissions_office" in loaded.get_all_permissions()
    made = Permission.objects.create(
        codename="made_later", name="Made later", content_type=ContentType.objects.get_for_model(User)
    )
    office.user_permissions.add(made)
    again = CursusModelBackend().get_user(office.pk)
    assert again is not None and "accounts.made_later" in again.get_all_permissions()
    assert again.has_perm("accounts.made_later") and again.has_perm("accounts.admissions_office")
