"""Staff screens of registration (issue 8 items 2, 3, 6): registrations by program and state, one
candidate's page with the office's actions (extend a window, reorder the waiting list), students,
exports, navigation, access (convention 9) and query counts (convention 16)."""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import User
from admission.models import Decision, JurySitting
from applications.models import Dossier, DossierStatus
from applications.selectors import search_key
from audit.labels import action_label
from audit.models import AuditEvent
from catalog.models import AdmissionSession, Institution, Program
from notifications.models import OutgoingEmail
from registration import rules, selectors
from registration.models import (
    Offer,
    OfferSource,
    OfferStatus,
    Registration,
    RegistrationFile,
    RegistrationStatus,
    Student,
    WaitlistEntry,
)
from tests.conftest import IDENTITY_FR, PASSWORD, make_user, offering
from tests.registration_helpers import (
    ADMITTED,
    WAITING,
    at_jury_dossier,
    close_and_notify,
    decide,
    entry_of,
    offer_of,
    set_capacity,
)


def _identity(last: str, first: str) -> dict[str, Any]:
    return {**IDENTITY_FR, "last_name": last, "first_names": first}


def make_student(dossier: Dossier, *, financing: str = "company", company: str = "ACME") -> Student:
    """A completed registration and its student, as the enrolment service leaves them."""
    Offer.objects.filter(dossier=dossier).update(status=OfferStatus.REGISTERED, closed_at=timezone.now())
    reg = Registration.objects.create(
        dossier=dossier,
        status=RegistrationStatus.COMPLETED,
        financing=financing,
        company_name=company if financing == "company" else "",
        completed_at=timezone.now(),
    )
    return Student.objects.create(
        user=dossier.candidate,
        dossier=dossier,
        registration=reg,
        offering=dossier.offering,
        academic_year="2026-2027",
    )


def registered_rows(dossiers: Iterable[Dossier], *, decided_by: Any) -> list[Student]:
    """Decided, offered and registered in bulk (for exports and query counts): every dossier becomes
    a student of its program."""
    dossiers = list(dossiers)
    now = timezone.now()
    sittings: dict[int, JurySitting] = {}
    for d in dossiers:
        session_id = d.offering.session_id
        if session_id not in sittings:
            found = JurySitting.objects.filter(session_id=session_id).first()
            assert found is not None
            sittings[session_id] = found
    Decision.objects.bulk_create(
        [
            Decision(
                dossier=d,
                offering=d.offering,
                sitting=sittings[d.offering.session_id],
                outcome=ADMITTED,
                decided_by=decided_by,
                decided_at=now,
                notified_at=now,
            )
            for d in dossiers
        ]
    )
    Offer.objects.bulk_create(
        [
            Offer(
                dossier=d,
                offering=d.offering,
                source=OfferSource.DECISION,
                status=OfferStatus.REGISTERED,
                sent_at=now,
                ends_at=rules.window_end(now),
                closed_at=now,
            )
            for d in dossiers
        ]
    )
    regs = Registration.objects.bulk_create(
        [
            Registration(
                dossier=d, status=RegistrationStatus.COMPLETED, financing="personal", completed_at=now
            )
            for d in dossiers
        ]
    )
    return Student.objects.bulk_create(
        [
            Student(
                user=d.candidate, dossier=d, registration=r, offering=d.offering, academic_year="2026-2027"
            )
            for d, r in zip(dossiers, regs, strict=True)
        ]
    )


@pytest.fixture
def story(
    open_session: AdmissionSession, office: User, finance: User, director_be: User, jury: User
) -> dict[str, Any]:
    """BE+ with 2 places: A (Lefèvre) admitted with an open window, B admitted and registered (a
    company-financed student), W1 and W2 on the waiting list; letters sent."""
    be = set_capacity(open_session, "BE+", 2)
    kw: dict[str, Any] = {"office": office, "finance": finance, "director": director_be}
    a = at_jury_dossier(open_session, email="a@example.org", identity=_identity("Lefèvre", "Alice"), **kw)
    b = at_jury_dossier(open_session, email="b@example.org", identity=_identity("Martin", "Bruno"), **kw)
    w1 = at_jury_dossier(open_session, email="w1@example.org", identity=_identity("Durand", "Wanda"), **kw)
    w2 = at_jury_dossier(open_session, email="w2@example.org", identity=_identity("Petit", "Walid"), **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(b, jury=jury, outcome=ADMITTED)
    decide(w1, jury=jury, outcome=WAITING, rank=1)
    decide(w2, jury=jury, outcome=WAITING, rank=2)
    assert a.sitting is not None
    close_and_notify(a.sitting, office=office)
    student = make_student(b)
    return {"offering": be, "a": a, "b": b, "w1": w1, "w2": w2, "student": student}


def login(client: Any, user: User) -> Any:
    client.login(email=user.email, password=PASSWORD)
    return client


def page(client: Any, name: str, *args: Any, **params: Any) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


# ---- the screens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "finance", "director_be"])
def test_issue8_6_registrations_by_program_and_state_render_for_office_finance_and_director(
    client: Any, story: dict[str, Any], request: Any, who: str
) -> None:
    login(client, request.getfixturevalue(who))
    html = page(client, "registrations")
    for key in ("a", "b", "w1", "w2"):
        assert f'id="row-{story[key].pk}"' in html, key
    # the program's header: capacity 2, both places held (A open, B registered), none left
    be = story["offering"]
    assert f'id="places-{be.pk}"' in html and 'data-capacity="2" data-held="2"' in html
    # the waiting list with its current ranks
    waitlist = html.split(f'id="program-{be.pk}"')[1].split("</ol>")[0]
    assert waitlist.index("Durand") < waitlist.index("Petit")
    assert 'value="1"' in waitlist and 'value="2"' in waitlist
    # the open window: its end and the days left
    offer = offer_of(story["a"])
    assert offer.ends_at is not None
    assert "15 jours restants" in html or "15 days left" in html
    assert timezone.localtime(offer.ends_at).strftime("%H:%M:%S") == "23:59:59"
    # by state
    html = page(client, "registrations", status="waiting")
    assert f'id="row-{story["w1"].pk}"' in html and f'id="row-{story["a"].pk}"' not in html
    html = page(client, "registrations", status="registered")
    assert f'id="row-{story["b"].pk}"' in html and f'id="row-{story["a"].pk}"' not in html
    html = page(client, "registrations", status="open")
    assert f'id="row-{story["a"].pk}"' in html and f'id="row-{story["b"].pk}"' not in html
    # the candidate's page
    for key in ("a", "b", "w1"):
        assert client.get(reverse("staff_registration", args=[story[key].pk])).status_code == 200
    html = page(client, "students")
    assert f'id="row-{story["student"].pk}"' in html and "ACME" in html


def test_issue8_6_lapsed_offers_show_their_date(client: Any, story: dict[str, Any], office: User) -> None:
    offer = offer_of(story["a"])
    lapsed_at = timezone.now()
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.LAPSED, lapsed_at=lapsed_at)
    login(client, office)
    html = page(client, "registrations", status="lapsed")
    row = html.split(f'id="row-{story["a"].pk}"')[1].split("</tr>")[0]
    assert timezone.localtime(lapsed_at).strftime("%H:%M") in row


def test_issue8_6_candidate_page_shows_offer_registration_instalments_and_history(
    client: Any, story: dict[str, Any], office: User
) -> None:
    from registration.models import Instalment

    student = story["student"]
    reg = student.registration
    Registration.objects.filter(pk=reg.pk).update(
        cvec_number="CVEC-123", agreement_starts_on=dt.date(2026, 10, 1)
    )
    Instalment.objects.create(
        registration=reg, number=1, amount="4166.66", due_on=dt.date(2026, 10, 1), debtor="company"
    )
    login(client, office)
    html = page(client, "staff_registration", story["b"].pk)
    assert "ACME" in html and "CVEC-123" in html and "01/10/2026" in html
    assert "4\u202f166,66\xa0€" in html  # French money format
    assert student.number in html
    html = page(client, "staff_registration", story["a"].pk)
    # history in words (audit.labels), never the codes
    assert "offer.open" not in html
    with translation.override("fr"):
        assert escape(action_label("offer.open")) in html


# ---- access (convention 9) -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["jury", "candidate"])
def test_issue8_6_jury_and_candidates_get_404_everywhere(
    client: Any, story: dict[str, Any], request: Any, who: str
) -> None:
    login(client, request.getfixturevalue(who))
    for name in ("registrations", "registrations_export", "students", "students_export"):
        assert client.get(reverse(name)).status_code == 404, name
    for key in ("a", "w1"):
        assert client.get(reverse("staff_registration", args=[story[key].pk])).status_code == 404
    extend = client.post(
        reverse("offer_extend", args=[story["a"].pk]), {"until": "2099-01-01", "reason": "x"}
    )
    assert extend.status_code == 404


def test_issue8_6_the_candidate_gets_404_on_their_own_staff_page(client: Any, story: dict[str, Any]) -> None:
    client.force_login(story["a"].candidate)
    assert client.get(reverse("staff_registration", args=[story["a"].pk])).status_code == 404


def test_issue8_6_a_director_of_another_program_sees_none_of_these_students(
    client: Any, story: dict[str, Any], director_other: User
) -> None:
    login(client, director_other)
    names = ("Lefèvre", "Martin", "Durand", "Petit")
    for html in (page(client, "registrations"), page(client, "students")):
        assert not any(n in html for n in names)
        assert "row-" not in html
    for key in ("a", "b", "w1"):
        assert client.get(reverse("staff_registration", args=[story[key].pk])).status_code == 404
    for name in ("registrations_export", "students_export"):
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(name), {"format": fmt})
            assert response.status_code == 200
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
                assert len(rows) == 1, rows  # the header only
            assert b"Lef" not in response.content and b"Martin" not in response.content
    # asking for BE+ by its id is a 404, not an empty list that says it exists
    be = Program.objects.get(code="BE+")
    assert client.get(reverse("registrations"), {"program": be.pk}).status_code == 404
    assert client.get(reverse("students_export"), {"program": be.pk}).status_code == 404


def test_issue8_6_director_be_exports_their_students_in_both_formats(
    client: Any, story: dict[str, Any], director_be: User
) -> None:
    from openpyxl import load_workbook

    login(client, director_be)
    response = client.get(reverse("students_export"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[4] for r in rows[1:]] == ["Martin"]
    response = client.get(reverse("registrations_export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    surnames = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert surnames == {"Lefèvre", "Martin", "Durand", "Petit"}


def test_issue8_6_only_the_office_extends_or_reorders(
    client: Any, story: dict[str, Any], finance: User, director_be: User
) -> None:
    offer = offer_of(story["a"])
    for user in (finance, director_be):
        login(client, user)
        html = page(client, "staff_registration", story["a"].pk)
        assert reverse("offer_extend", args=[story["a"].pk]) not in html
        response = client.post(
            reverse("offer_extend", args=[story["a"].pk]), {"until": "2099-01-01", "reason": "because"}
        )
        assert response.status_code == 404
        response = client.post(
            reverse("waitlist_move", args=[story["w2"].pk]), {"rank": 1, "reason": "because"}
        )
        assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.extended_at is None
    assert [e.dossier_id for e in selectors.waiting(story["offering"].pk)] == [story["w1"].pk, story["w2"].pk]


# ---- extending a window (issue 8 item 2) ---------------------------------------------------------


def test_I7_office_extends_an_open_window_with_a_reason(
    client: Any, story: dict[str, Any], office: User, django_capture_on_commit_callbacks: Any
) -> None:
    offer = offer_of(story["a"])
    assert offer.ends_at is not None
    until = timezone.localtime(offer.ends_at).date() + dt.timedelta(days=7)
    login(client, office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("offer_extend", args=[story["a"].pk]),
            {"until": until.isoformat(), "reason": "Hospitalisation"},
        )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.ends_at is not None and timezone.localtime(offer.ends_at).date() == until
    assert timezone.localtime(offer.ends_at).strftime("%H:%M:%S") == "23:59:59"
    assert offer.extension_reason == "Hospitalisation" and offer.extended_by == office
    event = AuditEvent.objects.get(action="offer.extend", object_id=str(story["a"].pk))
    assert event.actor == office and event.reason == "Hospitalisation"
    assert OutgoingEmail.objects.filter(kind="offer_extended", to=story["a"].candidate.email).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Hospitalisation" in html


def test_I7_extension_needs_a_reason_and_keeps_what_was_typed(
    client: Any, story: dict[str, Any], office: User
) -> None:
    offer = offer_of(story["a"])
    before = offer.ends_at
    assert before is not None
    until = (timezone.localtime(before).date() + dt.timedelta(days=3)).isoformat()
    login(client, office)
    response = client.post(reverse("offer_extend", args=[story["a"].pk]), {"until": until, "reason": "  "})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{until}"' in html  # nothing lost
    assert "raison" in html or "reason" in html
    offer.refresh_from_db()
    assert offer.ends_at == before
    assert not AuditEvent.objects.filter(action="offer.extend").exists()


def test_I7_the_new_end_must_be_after_the_current_one(
    client: Any, story: dict[str, Any], office: User
) -> None:
    offer = offer_of(story["a"])
    assert offer.ends_at is not None
    same_day = timezone.localtime(offer.ends_at).date().isoformat()
    login(client, office)
    response = client.post(
        reverse("offer_extend", args=[story["a"].pk]), {"until": same_day, "reason": "Pourquoi pas"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pourquoi pas" in html and f'value="{same_day}"' in html
    assert 'class="error-summary"' in html
    offer.refresh_from_db()
    assert offer.extended_at is None


def test_I7_only_an_open_window_is_extended(client: Any, story: dict[str, Any], office: User) -> None:
    offer = offer_of(story["a"])
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.LAPSED, lapsed_at=timezone.now())
    login(client, office)
    html = page(client, "staff_registration", story["a"].pk)
    assert reverse("offer_extend", args=[story["a"].pk]) not in html  # no form for a lapsed offer
    response = client.post(
        reverse("offer_extend", args=[story["a"].pk]), {"until": "2099-01-01", "reason": "Trop tard"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # the error is shown once: in the page's error summary, not again in a banner or a second box
    assert html.count('class="error-summary"') == 1 and 'class="msg error"' not in html
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED and offer.extended_at is None
    # a dossier with no offer at all (a waiting candidate): 404
    response = client.post(
        reverse("offer_extend", args=[story["w1"].pk]), {"until": "2099-01-01", "reason": "x"}
    )
    assert response.status_code == 404


# ---- reordering the waiting list (issue 8 item 3) ------------------------------------------------


def test_issue8_3_office_moves_a_candidate_on_the_waiting_list(
    client: Any, story: dict[str, Any], office: User
) -> None:
    login(client, office)
    response = client.post(
        reverse("waitlist_move", args=[story["w2"].pk]), {"rank": 1, "reason": "Erreur de saisie du jury"}
    )
    assert response.status_code == 302
    assert [e.dossier_id for e in selectors.waiting(story["offering"].pk)] == [story["w2"].pk, story["w1"].pk]
    event = AuditEvent.objects.get(action="waitlist.move")
    assert (event.from_state, event.to_state, event.reason) == ("2", "1", "Erreur de saisie du jury")
    assert event.actor == office
    html = page(client, "registrations", status="waiting")
    assert html.index(f'id="row-{story["w2"].pk}"') and ("rang 1" in html or "rank 1" in html)
    assert selectors.waitlist_rank(entry_of(story["w1"])) == 2


def test_issue8_3_a_move_needs_a_reason_and_a_rank_in_the_list(
    client: Any, story: dict[str, Any], office: User
) -> None:
    login(client, office)
    url = reverse("waitlist_move", args=[story["w2"].pk])
    response = client.post(url, {"rank": 1, "reason": ""})
    assert response.status_code == 200 and 'name="rank"' in response.content.decode()
    response = client.post(url, {"rank": 9, "reason": "Plus loin"})
    html = response.content.decode()
    assert response.status_code == 200 and "Plus loin" in html and 'class="error-summary"' in html
    assert not AuditEvent.objects.filter(action="waitlist.move").exists()
    assert [e.dossier_id for e in selectors.waiting(story["offering"].pk)] == [story["w1"].pk, story["w2"].pk]
    # someone with a place is not on the list
    assert (
        client.post(reverse("waitlist_move", args=[story["a"].pk]), {"rank": 1, "reason": "x"}).status_code
        == 404
    )


# ---- search --------------------------------------------------------------------------------------


def test_issue8_6_search_ignores_accents(client: Any, story: dict[str, Any], office: User) -> None:
    login(client, office)
    html = page(client, "registrations", q="lefevre")
    assert f'id="row-{story["a"].pk}"' in html and f'id="row-{story["b"].pk}"' not in html
    html = page(client, "students", q="MARTÎN")
    assert f'id="row-{story["student"].pk}"' in html
    html = page(client, "students", q="lefevre")
    assert "row-" not in html


def test_issue8_6_students_filter_by_status_financing_and_year(
    client: Any, story: dict[str, Any], office: User
) -> None:
    login(client, office)
    sid = f'id="row-{story["student"].pk}"'
    assert sid in page(client, "students", financing="company", year="2026-2027", status="active")
    assert sid not in page(client, "students", financing="personal")
    assert sid not in page(client, "students", status="cancelled")
    assert sid not in page(client, "students", year="2025-2026")


# ---- navigation ----------------------------------------------------------------------------------


def test_issue8_6_nav_counts_windows_ending_soon(
    client: Any, story: dict[str, Any], office: User, finance: User, director_be: User, jury: User
) -> None:
    url = reverse("registrations")
    offer = offer_of(story["a"])
    assert offer.ends_at is not None
    for user in (office, finance, director_be):
        html = login(client, user).get(reverse("dashboard"), follow=True).content.decode()
        assert f'href="{url}"' in html, user
    assert f'href="{url}"' not in login(client, jury).get(reverse("sittings")).content.decode()
    # 3 days before the end, the office and the director see it waiting
    Offer.objects.filter(pk=offer.pk).update(ends_at=timezone.now() + dt.timedelta(days=3))
    for user in (office, director_be):
        html = login(client, user).get(url).content.decode()
        assert 'id="waiting"' in html
        nav = (
            html.split('aria-label="Menu principal"')[1].split("</nav>")[0]
            if "Menu principal" in html
            else html
        )
        assert f'href="{url}"' in nav and 'class="badge count">1' in nav


# ---- query counts (convention 16) ----------------------------------------------------------------


def _bulk(n: int, session: AdmissionSession, *, jury: User, start: int) -> None:
    """n decided dossiers across BE+ and CSE: open offers, waiting candidates and students."""
    users = [make_user(f"bulk{start + i}@example.org") for i in range(n)]
    codes = ["BE+", "CSE"]
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offering(session, codes[i % 2]),
                status=DossierStatus.ADMITTED,
                last_name=f"Nom{start + i}",
                first_names="Prénom",
                search_name=search_key(f"Nom{start + i}", "Prénom"),
                nationality="FR",
                eligibility_path="a",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    dossiers = list(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).select_related("offering"))
    students, rest = dossiers[::3], [d for i, d in enumerate(dossiers) if i % 3]
    registered_rows(students, decided_by=jury)
    sitting = JurySitting.objects.filter(session=session).first()
    assert sitting is not None
    now = timezone.now()
    Decision.objects.bulk_create(
        [
            Decision(
                dossier=d,
                offering=d.offering,
                sitting=sitting,
                outcome=ADMITTED if i % 2 else WAITING,
                waitlist_rank=None if i % 2 else i,
                decided_by=jury,
                decided_at=now,
                notified_at=now,
            )
            for i, d in enumerate(rest)
        ]
    )
    Offer.objects.bulk_create(
        [
            Offer(
                dossier=d,
                offering=d.offering,
                source=OfferSource.DECISION,
                sent_at=now,
                ends_at=now + dt.timedelta(days=i % 7),
            )
            for i, d in enumerate(rest)
            if i % 2
        ]
    )
    WaitlistEntry.objects.bulk_create(
        [
            WaitlistEntry(dossier=d, offering=d.offering, sort_key=start + i)
            for i, d in enumerate(rest)
            if not i % 2
        ]
    )


def _count(client: Any, name: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(ctx)


def test_issue8_6_lists_make_a_constant_number_of_queries(
    client: Any, open_session: AdmissionSession, office: User, finance: User, director_be: User, jury: User
) -> None:
    Program.objects.get(code="CSE").directors.add(director_be)
    lists: list[tuple[User, str, dict[str, Any]]] = [
        (office, "registrations", {}),
        (office, "registrations", {"status": "waiting", "q": "nom"}),
        (director_be, "registrations", {"status": "open"}),
        (finance, "students", {"q": "prenom"}),
        (director_be, "students", {}),
    ]
    _bulk(3, open_session, jury=jury, start=0)
    small = {}
    for i, (user, name, params) in enumerate(lists):
        login(client, user)
        client.get(reverse(name))  # the first page after signing in may write the session
        small[i] = _count(client, name, params)
    _bulk(30, open_session, jury=jury, start=3)
    for i, (user, name, params) in enumerate(lists):
        login(client, user)
        client.get(reverse(name))
        assert _count(client, name, params) == small[i], (name, params)
    # the places: one annotation for every program, whatever their number
    login(client, office)
    html = page(client, "registrations")
    for code in ("BE+", "CSE"):
        be = offering(open_session, code)
        assert f'id="places-{be.pk}"' in html


# ---- the back office (I17) -----------------------------------------------------------------------


def test_I17_registration_admin_is_read_only_scoped_and_shows_no_file(
    client: Any, story: dict[str, Any], catalog: AdmissionSession
) -> None:
    from django.core.files.base import ContentFile

    from registration import admin as registration_admin  # noqa: F401  (registered)

    f = RegistrationFile(
        dossier=story["b"],
        kind="cvec",
        original_name="attestation.pdf",
        content_type="application/pdf",
        size=4,
        sha256="deadbeef" * 8,
        uploaded_by=story["b"].candidate,
    )
    f.file.save("upload.pdf", ContentFile(b"%PDF"), save=False)
    f.save()
    other = Institution.objects.create(name="Autre école", short_name="AUTRE", email="autre@example.org")
    office_b = make_user("office.b@example.org", group="Admissions office", institution=other)
    office_a = make_user("office.a@example.org", group="Admissions office", institution=catalog.institution)
    models = [Offer, WaitlistEntry, Registration, RegistrationFile, Student]
    for model in models:
        assert model in admin.site._registry
    client.force_login(office_a)
    for model in models:
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, model
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    html = client.get(reverse("admin:registration_registrationfile_change", args=[f.pk])).content.decode()
    assert "attestation.pdf" in html and f.file.name not in html and "deadbeef" not in html
    client.force_login(office_b)
    for model in models:
        opts = model._meta
        html = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).content.decode()
        assert "Martin" not in html and "Lefèvre" not in html and "attestation.pdf" not in html, model
    response = client.get(reverse("admin:registration_student_change", args=[story["student"].pk]))
    assert response.status_code == 302


# ---- every page fits a phone and passes axe (convention 24) --------------------------------------


@pytest.mark.browser
def test_issue8_6_staff_registration_pages_fit_a_phone_and_pass_axe(
    browser: Any, live_server: Any, story: dict[str, Any], office: User, finance: User, director_be: User
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from registration.models import Instalment, VisaCase
    from tests.test_walk import walk

    reg = story["student"].registration
    for n in (1, 2, 3):
        Instalment.objects.create(
            registration=reg, number=n, amount="4166.67", due_on=dt.date(2027, n * 3, 15), debtor="company"
        )
    VisaCase.objects.create(
        dossier=story["a"], efe_number="SN24-012345", status="reported", reported_at=timezone.now()
    )
    _file(story["b"], "cvec", "attestation-cvec.pdf")  # the office's check form on the page
    pages = [
        reverse("registrations"),
        reverse("registrations") + "?status=waiting",
        reverse("students"),
        *(reverse("staff_registration", args=[story[k].pk]) for k in ("a", "b", "w1")),
    ]
    axe = Axe()
    problems = []
    for role, person in (("office", office), ("finance", finance), ("director", director_be)):
        problems += list(walk(browser, live_server.url, role, person, pages, axe))
    assert not problems, "\n" + "\n".join(map(str, problems))


# ---- what the tester found (the staff side after the walk) -----------------------------------------


def _file(dossier: Dossier, kind: str, name: str = "piece.pdf") -> RegistrationFile:
    from django.core.files.base import ContentFile

    f = RegistrationFile(
        dossier=dossier,
        kind=kind,
        original_name=name,
        content_type="application/pdf",
        size=4,
        sha256="ab" * 32,
        uploaded_by=dossier.candidate,
    )
    f.file.save("upload.pdf", ContentFile(b"%PDF"), save=False)
    f.save()
    return f


def test_issue8_6_the_registrations_page_links_to_what_waits(
    client: Any, story: dict[str, Any], office: User, finance: User, director_be: User
) -> None:
    from registration.models import VisaCase, VisaStatus

    a = story["a"]
    Offer.objects.filter(dossier=a).update(conditional=True, ends_at=timezone.now() + dt.timedelta(days=2))
    _file(a, "bac5_proof", "diplome.pdf")
    VisaCase.objects.create(dossier=a, status=VisaStatus.REPORTED, reported_at=timezone.now())
    visas = reverse("visa_cases")
    html = page(login(client, office), "registrations")
    todo = html.split('id="todo"')[1].split("</section>")[0]
    assert f'href="{visas}"' in todo and "?todo=proofs" in todo and "?todo=ending" in todo
    # the proofs filter lists the dossier whose BAC+5 proof waits, and only it
    html = page(client, "registrations", todo="proofs")
    assert f'id="row-{a.pk}"' in html and f'id="row-{story["b"].pk}"' not in html
    html = page(client, "registrations", todo="ending")
    assert f'id="row-{a.pk}"' in html and f'id="row-{story["w1"].pk}"' not in html
    # the navigation has the visa refusals for the office and finance, never for a director
    for user in (office, finance):
        html = page(login(client, user), "registrations")
        nav = html.split("</nav>")[0]
        assert f'href="{visas}"' in nav, user
        assert f'href="{visas}"' in html.split('id="todo"')[1].split("</section>")[0]
    html = page(login(client, director_be), "registrations")
    assert f'href="{visas}"' not in html and "?todo=proofs" not in html


def test_issue8_6_the_nav_counts_stay_one_query(client: Any, story: dict[str, Any], office: User) -> None:
    from django.test import RequestFactory

    from cursus.context_processors import StaffNav

    request = RequestFactory().get("/")
    request.user = office
    office.has_perm("x")  # the permission cache, filled by the staff-session check in a real request
    nav = StaffNav(request)
    _roles = nav.roles
    with CaptureQueriesContext(connection) as ctx:
        names = [i.url_name for i in nav.items]
    registration_queries = [q for q in ctx.captured_queries if "registration_" in q["sql"]]
    assert len(registration_queries) == 1 and "registrations" in names


def test_R1_2_the_condition_shows_lifted_once_the_proof_is_validated(
    client: Any, story: dict[str, Any], office: User
) -> None:
    a = story["a"]
    Offer.objects.filter(dossier=a).update(conditional=True)
    login(client, office)
    assert "condition pending" in page(client, "registrations")
    assert 'class="badge warn" id="condition"' in page(client, "staff_registration", a.pk)
    # validated before registering: a draft registration carries the validation
    Registration.objects.create(dossier=a, bac5_validated_at=timezone.now(), bac5_validated_by=office)
    html = page(client, "registrations")
    row = html.split(f'id="row-{a.pk}"')[1].split("</tr>")[0]
    assert "condition lifted" in row and "condition pending" not in row
    html = page(client, "staff_registration", a.pk)
    assert 'class="badge ok" id="condition"' in html
    assert "((" not in html and "))" not in html


def test_issue8_6_students_are_found_by_number_and_company(
    client: Any, story: dict[str, Any], office: User
) -> None:
    student = story["student"]
    login(client, office)
    row = f'id="row-{student.pk}"'
    assert row in page(client, "students", q=student.number)
    assert row in page(client, "students", q="acme")
    assert row not in page(client, "students", q=f"{student.academic_year[:4]}{student.pk + 1:05d}")
    # the registrations list finds them too
    html = page(client, "registrations", q=student.number)
    assert f'id="row-{story["b"].pk}"' in html and f'id="row-{story["a"].pk}"' not in html
    assert f'id="row-{story["b"].pk}"' in page(client, "registrations", q="Acme")


def test_issue8_6_sorting_by_window_puts_the_soonest_open_windows_first(
    client: Any,
    story: dict[str, Any],
    office: User,
    finance: User,
    director_be: User,
    open_session: AdmissionSession,
    jury: User,
) -> None:
    # A second open window, in another program (CSE comes after BE+ by code), ending sooner.
    kw: dict[str, Any] = {"office": office, "finance": finance, "director": director_be}
    c = at_jury_dossier(
        open_session, email="c@example.org", code="CSE", identity=_identity("Zola", "Cé"), **kw
    )
    decide(c, jury=jury, outcome=ADMITTED)
    assert c.sitting is not None
    close_and_notify(c.sitting, office=office)
    now = timezone.now()
    Offer.objects.filter(dossier=story["a"]).update(ends_at=now + dt.timedelta(days=9))
    Offer.objects.filter(dossier=c).update(ends_at=now + dt.timedelta(days=2))
    html = page(login(client, office), "registrations", sort="ends")
    order = [html.index(f'id="row-{d.pk}"') for d in (c, story["a"], story["b"], story["w1"])]
    assert order == sorted(order)


def test_issue8_6_office_checks_the_other_registration_documents(
    client: Any, story: dict[str, Any], office: User, finance: User, director_be: User
) -> None:
    b = story["b"]
    cvec = _file(b, "cvec", "cvec.pdf")
    agreement = _file(b, "agreement", "convention.pdf")
    proof = _file(b, "bac5_proof", "diplome.pdf")
    other = _file(story["a"], "cvec", "autre.pdf")
    url = reverse("registration_file_verdict", args=[b.pk, cvec.pk])
    login(client, office)
    html = page(client, "staff_registration", b.pk)
    assert url in html and reverse("registration_file_verdict", args=[b.pk, proof.pk]) not in html
    # refused without a reason: the page again, the error once, nothing recorded
    response = client.post(url, {"verdict": "refused", "reason": " "})
    assert response.status_code == 200
    assert response.content.decode().count('class="error-summary"') == 1
    cvec.refresh_from_db()
    assert cvec.verdict == "pending"
    assert client.post(url, {"verdict": "accepted"}).status_code == 302
    cvec.refresh_from_db()
    assert cvec.verdict == "accepted" and cvec.verdict_by == office
    url2 = reverse("registration_file_verdict", args=[b.pk, agreement.pk])
    assert client.post(url2, {"verdict": "refused", "reason": "Non signée"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.verdict == "refused" and agreement.verdict_reason == "Non signée"
    event = AuditEvent.objects.filter(action="registration.file.verdict").latest("pk")
    assert event.actor == office and event.reason == "Non signée"
    # another dossier's file, the BAC+5 proof (its own decision), a GET: 404 or 405
    for pk, file_pk in ((b.pk, other.pk), (b.pk, proof.pk), (story["a"].pk, agreement.pk)):
        response = client.post(
            reverse("registration_file_verdict", args=[pk, file_pk]), {"verdict": "accepted"}
        )
        assert response.status_code == 404, (pk, file_pk)
    assert client.get(url).status_code == 405
    # finance and a director read the page but do not check documents
    for user in (finance, director_be):
        login(client, user)
        assert url not in page(client, "staff_registration", b.pk)
        assert client.post(url, {"verdict": "accepted"}).status_code == 404


def test_issue8_6_labels_read_once_and_without_rule_codes(
    client: Any, story: dict[str, Any], office: User
) -> None:
    import re

    login(client, office)
    for name, args in (("registrations", ()), ("students", ()), ("staff_registration", (story["b"].pk,))):
        html = page(client, name, *args)
        assert "MS BE+ — MS BE+" not in html and "MS BE+ MS BE+" not in html, name
        text = re.sub(r"<[^>]+>", " ", html.split("<main")[1])
        assert not re.search(r"\((?:R|I)\d+(?:\.\d+)?\)", text), name
    # the waiting candidate's card: no double parenthesis
    assert "((" not in page(client, "staff_registration", story["w1"].pk)


def test_I17_registration_admin_lists_read_as_people(client: Any, story: dict[str, Any]) -> None:
    from registration.models import Instalment

    reg = story["student"].registration
    Instalment.objects.create(
        registration=reg, number=1, amount="2500.00", due_on=dt.date(2026, 10, 15), debtor="company"
    )
    admin_user = make_user("root@example.org")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    for model in ("offer", "instalment", "registration", "student", "waitlistentry"):
        html = client.get(reverse(f"admin:registration_{model}_changelist")).content.decode()
        assert "Martin" in html or "Durand" in html or "Lefèvre" in html, model
        assert ": open" not in html and " #1: " not in html and ": completed" not in html, model
    offer = offer_of(story["a"])
    html = client.get(reverse("admin:registration_offer_change", args=[offer.pk])).content.decode()
    assert "reminded_5_at" not in html and "Reminded 5 at" not in html
