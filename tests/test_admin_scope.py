"""I17 in the back office (issue 6 item 3): staff of institution A see and accept nothing of institution B.

Institution B gets everything A has (session, programs, offerings, document types, campus, sittings,
staff, a dossier decided by its jury with a payment, an interview and an opinion, audit events, an
email); every B string carries the marker "QZXW". An admissions-office member of A holding every
permission of every registered admin walks every admin's list, add and change pages and posts changes
pointing at B's rows.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import models
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import ROLE_GROUPS
from admission import services as adm
from admission.models import Decision, Interview, JurySitting, Opinion
from applications import services
from applications.demo import demo_session
from applications.models import DocumentFile, Dossier, FeePayment
from audit.models import AuditEvent
from catalog.models import AdmissionSession, Campus, DocumentType, Institution, Offering, Program
from cursus.institutions import institution_path, scope_queryset
from notifications.models import OutgoingEmail
from notifications.services import email_send_rendered
from tests.conftest import IDENTITY_FR, fill_dossier, make_complete, make_user

PARIS = ZoneInfo("Europe/Paris")
MARKER = "qzxw"


def _decide(dossier: Dossier, *, office: User, finance: User, director: User, jury: User) -> Dossier:
    """Complete, interviewed, reviewed and decided: every admission model gets a row."""
    dossier = make_complete(dossier, office, finance)
    interview = adm.interview_propose(
        dossier=dossier,
        by=director,
        starts_at=dt.datetime.now(tz=PARIS).replace(microsecond=0) + dt.timedelta(days=3),
        mode="phone",
        phone="+33 3 27 00 00 00",
    )
    adm.interview_record(interview=interview, by=director, notes="Held: clear project.")
    adm.opinion_give(dossier=dossier, by=director, favourable=True)
    dossier.refresh_from_db()
    assert dossier.sitting is not None, dossier.status
    dossier.sitting.members.add(jury)
    adm.decision_record(dossier=dossier, by=jury, outcome="admitted")
    return dossier


@pytest.fixture
def world(open_session: AdmissionSession, ready: Dossier, director_be: User, finance: User) -> dict[str, Any]:
    """A with a decided dossier; B with the same, all marked QZXW."""
    a = open_session.institution
    unscoped_office = make_user("office.central@example.org", group="Admissions office")
    jury_a = make_user("jury.a@example.org", group="Jury members", institution=a)
    dossier_a = _decide(ready, office=unscoped_office, finance=finance, director=director_be, jury=jury_a)

    b = Institution.objects.create(name="QZXW École voisine", short_name="QZXW-B", email="qzxw@example.org")
    campus_b = Campus.objects.create(institution=b, name="QZXW Campus", address="1 rue QZXW")
    for code in ("BE+", "QZXW1"):  # the same code as A's BE+ on purpose: nothing may rely on codes
        Program.objects.create(institution=b, code=code, title_fr=f"QZXW {code}", campus=campus_b)
    Program.objects.filter(institution=b, code="BE+").update(code="QZXWBE")
    session_b = demo_session(b, timezone.localdate())
    for t in DocumentType.objects.filter(session=session_b):
        t.label_fr = f"QZXW {t.code}"
        t.label_en = f"QZXW {t.code} (en)"
        t.save()
    for s in JurySitting.objects.filter(session=session_b):
        s.name = f"QZXW {s.name}"
        s.save()
    director_b = make_user(
        "qzxw.director@example.org",
        group="Program directors",
        institution=b,
        first_name="Qzxw",
        last_name="Dir",
    )
    jury_b = make_user(
        "qzxw.jury@example.org", group="Jury members", institution=b, first_name="Qzxw", last_name="Jury"
    )
    program_b = Program.objects.get(institution=b, code="QZXW1")
    program_b.directors.add(director_b)
    doc_b = DocumentType.objects.filter(session=session_b).first()
    assert doc_b is not None
    doc_b.programs.add(program_b)
    candidate_b = make_user("qzxw.candidate@example.org", first_name="Qzxwine", last_name="Qzxwcandidate")
    offering_b = Offering.objects.get(session=session_b, program=program_b)
    dossier_b = fill_dossier(
        services.dossier_open(candidate=candidate_b, offering=offering_b),
        identity={**IDENTITY_FR, "last_name": "Qzxwcandidate", "first_names": "Qzxwine"},
    )
    dossier_b = _decide(dossier_b, office=unscoped_office, finance=finance, director=director_b, jury=jury_b)
    email_b = email_send_rendered(
        to="qzxw.candidate@example.org", subject="QZXW subject", body_text="QZXW", kind="dossier_submitted"
    )
    email_a = email_send_rendered(
        to="alice@example.org", subject="A subject", body_text="A", kind="dossier_submitted"
    )
    # until email_send_rendered fills it from ``related``
    OutgoingEmail.objects.filter(pk=email_b.pk).update(institution=b)
    OutgoingEmail.objects.filter(pk=email_a.pk).update(institution=a)
    sitting_b = dossier_b.sitting
    assert sitting_b is not None
    sitting_b.president = jury_b
    sitting_b.save()

    office_a = make_user("office.a@example.org", group="Admissions office", institution=a)
    # every permission the office has, and every view/add/change of every registered model on top
    extra = Permission.objects.filter(
        content_type__in=[ContentType.objects.get_for_model(m) for m in admin.site._registry],
        codename__regex=r"^(view|add|change)_",
    )
    office_a.user_permissions.add(*extra)
    return {
        "a": a,
        "b": b,
        "office_a": office_a,
        "unscoped_office": unscoped_office,
        "jury_a": jury_a,
        "campus_b": campus_b,
        "session_b": session_b,
        "program_b": program_b,
        "offering_b": offering_b,
        "doc_b": doc_b,
        "sitting_b": sitting_b,
        "director_b": director_b,
        "jury_b": jury_b,
        "dossier_b": dossier_b,
        "payment_b": FeePayment.objects.get(dossier=dossier_b),
        "email_b": email_b,
        "dossier_a": dossier_a,
    }


_STORY_MODELS = [
    Institution,
    Campus,
    AdmissionSession,
    Program,
    Offering,
    DocumentType,
    JurySitting,
    Dossier,
    DocumentFile,
    FeePayment,
    Decision,
    Opinion,
    Interview,
    AuditEvent,
    OutgoingEmail,
]


def _admin_url(obj: models.Model, view: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[quote(obj.pk)])


def _b_rows(b: Institution) -> list[models.Model]:
    """Every row of B in a registered admin's model."""
    rows: list[models.Model] = []
    for model in admin.site._registry:
        if institution_path(model) is not None:
            qs = scope_queryset(model._default_manager.all(), b.pk)
            rows.extend(qs)
    return rows


def _leaks(page: str, b_urls: list[str]) -> list[str]:
    # random tokens (CSRF, CSP nonces of 22 characters on the admin's pages) could hold the marker by chance
    page = re.sub(r'(value|nonce)="[A-Za-z0-9+/=_-]{16,}"', "", page)
    found = [m.group(0) for m in re.finditer(rf".{{0,60}}{MARKER}.{{0,60}}", page, flags=re.IGNORECASE)]
    found += [url for url in b_urls if url in page]
    return found


def test_I17_the_walk_detects_b_for_an_unscoped_office(client: Any, world: dict[str, Any]) -> None:
    """The check below can fail: the same pages, seen by unscoped staff, show B."""
    client.force_login(world["unscoped_office"])
    b_urls = [_admin_url(o, "change") for o in _b_rows(world["b"])]
    page = client.get(reverse("admin:catalog_program_changelist")).content.decode()
    assert _leaks(page, b_urls)
    page = client.get(
        _admin_url(Program.objects.get(code="BE+", institution=world["a"]), "change")
    ).content.decode()
    assert "QZXW Campus" in page


def test_I17_scoped_office_walks_every_admin_and_sees_nothing_of_b(
    client: Any, world: dict[str, Any]
) -> None:
    a, b = world["a"], world["b"]
    b_rows = _b_rows(b)
    b_urls = [_admin_url(o, "change") for o in b_rows]
    assert {type(o) for o in b_rows} >= set(_STORY_MODELS) - {DocumentFile}
    client.force_login(world["office_a"])
    leaks: dict[str, list[str]] = {}
    seen_200 = []
    without_a_row: list[str] = []
    for model in admin.site._registry:
        opts = model._meta
        urls = [
            reverse("admin:index"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
        ]
        path = institution_path(model)
        a_obj = scope_queryset(model._default_manager.all(), a.pk).first() if path is not None else None
        if a_obj is not None:
            urls.append(_admin_url(a_obj, "change"))
            urls.append(_admin_url(a_obj, "history"))
        elif path is not None:
            without_a_row.append(opts.label)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302, 403), (url, response.status_code)
            if response.status_code == 200:
                seen_200.append(url)
                found = _leaks(response.content.decode(), b_urls)
                if found:
                    leaks[url] = found[:5]
        # another institution's object is "not found", whatever the view
        for b_obj in [o for o in b_rows if type(o) is model][:3]:
            for view in ("change", "history", "delete"):
                response = client.get(_admin_url(b_obj, view))
                assert response.status_code in (302, 403, 404), (view, b_obj, response.status_code)
    assert not leaks, leaks
    # models of this story all have a row of A whose page was walked (others' new models may not)
    assert not set(without_a_row) & {m._meta.label for m in _STORY_MODELS}, without_a_row
    # the walk went through the lists and object pages of every scoped admin
    for name in ("program", "offering", "documenttype", "admissionsession", "campus", "institution"):
        assert reverse(f"admin:catalog_{name}_changelist") in seen_200
    for label in (
        "applications_dossier",
        "applications_feepayment",
        "admission_jurysitting",
        "audit_auditevent",
    ):
        assert reverse(f"admin:{label}_changelist") in seen_200
    assert reverse("admin:notifications_outgoingemail_changelist") in seen_200
    assert any(u.endswith("/change/") and "/catalog/program/" in u for u in seen_200)


def test_I17_scoped_staff_get_redirected_from_b_change_page(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["office_a"])
    response = client.get(_admin_url(world["program_b"], "change"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    client.force_login(world["unscoped_office"])
    assert client.get(_admin_url(world["program_b"], "change")).status_code == 200


# -- crafted POSTs -----------------------------------------------------------------------------------


class _FormScraper(HTMLParser):
    """The values a browser would post from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and str(a.get("id", "")).endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                self.data[self._textarea][0] = self.data[self._textarea][0].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def _form_data(client: Any, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    scraper = _FormScraper()
    scraper.feed(response.content.decode())
    assert scraper.data, url
    return scraper.data


def _snapshot(obj: models.Model) -> dict[str, Any]:
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    data = {k: sorted(x.pk for x in v) if isinstance(v, list) else v for k, v in model_to_dict(fresh).items()}
    if isinstance(fresh, AdmissionSession):
        data["offerings"] = sorted(fresh.offerings.values_list("pk", "program_id"))
        data["document_programs"] = sorted(
            DocumentType.programs.through.objects.filter(documenttype__session=fresh).values_list(
                "documenttype_id", "program_id"
            )
        )
    return data


def _inline_key(data: dict[str, list[str]], suffix: str) -> str:
    keys = [k for k in data if re.fullmatch(rf"[\w]+-0-{suffix}", k)]
    assert keys, (suffix, sorted(data))
    return keys[0]


def _cases(world: dict[str, Any]) -> list[tuple[models.Model, str, list[str]]]:
    """(A object, field, B values): a foreign key or many-to-many of an A object set to B's rows."""
    a = world["a"]
    program_a = Program.objects.get(institution=a, code="BE+")
    sitting_a = world["dossier_a"].sitting
    doc_a = DocumentType.objects.filter(session__institution=a).first()
    offering_a = Offering.objects.filter(session__institution=a).first()
    campus_a = Campus.objects.filter(institution=a).first()
    session_a = world["dossier_a"].offering.session
    b = world
    return [
        (program_a, "institution", [str(b["b"].pk)]),
        (program_a, "campus", [str(b["campus_b"].pk)]),
        (program_a, "directors", [str(b["director_b"].pk)]),
        (sitting_a, "session", [str(b["session_b"].pk)]),
        (sitting_a, "members", [str(b["jury_b"].pk)]),
        (sitting_a, "president", [str(b["jury_b"].pk)]),
        (doc_a, "session", [str(b["session_b"].pk)]),
        (doc_a, "programs", [str(b["program_b"].pk)]),
        (offering_a, "program", [str(b["program_b"].pk)]),
        (offering_a, "session", [str(b["session_b"].pk)]),
        (campus_a, "institution", [str(b["b"].pk)]),
        (session_a, "institution", [str(b["b"].pk)]),
        (session_a, "<inline>program", [str(b["program_b"].pk)]),
        (session_a, "<inline>programs", [str(b["program_b"].pk)]),
    ]


def test_I17_a_crafted_post_naming_b_rows_is_refused(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["office_a"])
    for obj, field, values in _cases(world):
        assert obj is not None
        url = _admin_url(obj, "change")
        data = _form_data(client, url)
        key = _inline_key(data, field.removeprefix("<inline>")) if field.startswith("<inline>") else field
        assert key in data, (url, key, sorted(data))
        before = _snapshot(obj)
        response = client.post(url, {**data, key: values})
        assert response.status_code == 200, (obj, field, response.status_code)
        assert "errorlist" in response.content.decode() or "errornote" in response.content.decode(), (
            obj,
            field,
        )
        assert _snapshot(obj) == before, (obj, field)


def test_I17_the_same_form_posted_unchanged_is_saved(client: Any, world: dict[str, Any]) -> None:
    """The refusals above come from the B values, not from a form the scraper got wrong."""
    client.force_login(world["office_a"])
    for obj, _field, _values in _cases(world):
        url = _admin_url(obj, "change")
        response = client.post(url, _form_data(client, url))
        assert response.status_code == 302, (obj, response.content.decode()[:3000])


def test_I17_directors_and_jury_pickers_offer_only_staff_of_the_institution(
    client: Any, world: dict[str, Any]
) -> None:
    a = world["a"]
    client.force_login(world["office_a"])
    page = client.get(_admin_url(Program.objects.get(institution=a, code="BE+"), "change")).content.decode()
    assert "jury.a@example.org" in page  # staff of A
    assert "office.central@example.org" not in page  # unscoped staff: not the scoped office's to pick
    assert "alice@example.org" not in page  # candidates are never offered
    assert not _leaks(page, [])


def test_I17_links_out_of_scope_are_kept_when_a_scoped_office_saves(
    client: Any, world: dict[str, Any]
) -> None:
    """A director outside the scope (central staff) is neither shown as removable nor dropped."""
    a = world["a"]
    program = Program.objects.get(institution=a, code="BE+")
    program.directors.add(world["unscoped_office"])
    client.force_login(world["office_a"])
    url = _admin_url(program, "change")
    assert client.post(url, _form_data(client, url)).status_code == 302
    assert program.directors.filter(pk=world["unscoped_office"].pk).exists()


def test_I17_scoped_office_cannot_add_an_institution(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["office_a"])
    assert client.get(reverse("admin:catalog_institution_add")).status_code == 403
    client.force_login(world["unscoped_office"])
    assert client.get(reverse("admin:catalog_institution_changelist")).status_code == 200


# -- recorded emails --------------------------------------------------------------------------------


def test_issue6_outgoing_email_admin_is_for_the_office_and_superusers(
    client: Any, world: dict[str, Any], finance: User
) -> None:
    url = reverse("admin:notifications_outgoingemail_changelist")
    finance.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(finance)
    assert client.get(url).status_code == 403
    client.force_login(world["unscoped_office"])
    assert client.get(url).status_code == 200
    assert "notifications.view_outgoingemail" in ROLE_GROUPS["Admissions office"][1]


def test_issue6_send_again_refuses_emails_that_carried_a_secret(client: Any, world: dict[str, Any]) -> None:
    secret = email_send_rendered(
        to="someone@example.org",
        subject="Reset",
        body_text="https://example.org/reset/SECRET",
        kind="password_reset_key",
        carries_secret=True,
    )
    plain = email_send_rendered(
        to="alice@example.org", subject="Submitted", body_text="Your dossier", kind="dossier_submitted"
    )
    attempts = {e.pk: e.attempts for e in OutgoingEmail.objects.filter(pk__in=[secret.pk, plain.pk])}
    client.force_login(world["unscoped_office"])
    mail.outbox.clear()
    response = client.post(
        reverse("admin:notifications_outgoingemail_changelist"),
        {"action": "resend", "_selected_action": [secret.pk, plain.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert "SECRET" not in response.content.decode()
    secret.refresh_from_db()
    assert secret.attempts == attempts[secret.pk]
    plain.refresh_from_db()
    assert plain.attempts == attempts[plain.pk] + 1


def test_I17_send_again_cannot_reach_another_institution(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["office_a"])
    mail.outbox.clear()
    client.post(
        reverse("admin:notifications_outgoingemail_changelist"),
        {"action": "resend", "_selected_action": [world["email_b"].pk]},
    )
    assert mail.outbox == []


def test_I17_autocomplete_offers_only_the_institution_programs(client: Any, world: dict[str, Any]) -> None:
    """The offering inline of a session picks its program by autocomplete: B's never come back."""
    url = reverse("admin:autocomplete")
    params = {"app_label": "catalog", "model_name": "offering", "field_name": "program", "term": ""}
    client.force_login(world["office_a"])
    codes = {r["text"] for r in client.get(url, params).json()["results"]}
    assert "MS BE+" in codes and not any(MARKER in c.lower() for c in codes)
    client.force_login(world["unscoped_office"])
    codes = {r["text"] for r in client.get(url, params).json()["results"]}
    assert "MS QZXW1" in codes


def test_I17_unscoped_staff_still_reach_every_admin(client: Any, world: dict[str, Any]) -> None:
    superuser = make_user("root@example.org", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    for model in admin.site._registry:
        opts = model._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.label
        first = model._default_manager.first()
        if first is not None:
            assert client.get(_admin_url(first, "change")).status_code == 200, opts.label
