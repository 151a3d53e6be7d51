"""Issue 6 item 7 — personal data (GDPR): privacy notice, access and portability, erasure, retention purge."""

import datetime as dt
import io
import json
import logging
import re
import zipfile
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from admission import services as adm
from applications import services
from applications.models import DocumentFile, Dossier
from audit.models import AuditEvent
from catalog import rules as deadlines
from catalog.models import AdmissionSession, Institution
from notifications.models import OutgoingEmail
from privacy import rules, selectors
from privacy.admin import PrivacyNoticeAdmin
from privacy.models import ErasedDossier, ErasureRequest, PrivacyNotice
from privacy.services import erasure_request, privacy_notice_install_defaults, purge_expired
from privacy.tasks import purge_expired_daily, purge_schedule
from tests.conftest import PASSWORD, fill_dossier, make_complete, make_user, offering

# — helpers —


def _zip(response: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _files_on_disk(dossier: Dossier) -> list[str]:
    return [f.file.path for f in DocumentFile.objects.filter(dossier=dossier)]


def _decide(dossier: Dossier, jury: User, office: User, outcome: str) -> Dossier:
    from django.test import TestCase

    adm.decision_record(dossier=dossier, by=jury, outcome=outcome, comment="Profil trop junior")
    with TestCase.captureOnCommitCallbacks(execute=True):  # the decision email, which records notified_at
        adm.sitting_close(sitting=dossier.sitting, by=office, reason="closed before its date (test)")  # type: ignore[arg-type]
    dossier.refresh_from_db()
    return dossier


def _edges(session: AdmissionSession) -> tuple[dt.datetime, dt.datetime]:
    """The last instant the files are kept and the first instant they are not (I1 reading)."""
    last = selectors.session_last_day_kept(session)
    return deadlines.end_of_day(last), deadlines.start_of_day(last + dt.timedelta(days=1))


@pytest.fixture
def refused(at_jury: Dossier, sitting_member: User, office: User) -> Dossier:
    return _decide(at_jury, sitting_member, office, "refused")


@pytest.fixture
def admitted_bob(
    refused: Dossier, other_candidate: User, office: User, finance: User, director_be: User
) -> Dossier:
    """Bob applied to CSE in the same session and was admitted (a later sitting)."""
    dossier = services.dossier_open(
        candidate=other_candidate, offering=offering(refused.offering.session, "CSE")
    )
    fill_dossier(dossier)
    dossier = make_complete(dossier, office, finance)
    from catalog.models import Program

    Program.objects.get(code="CSE").directors.add(director_be)
    adm.opinion_give(dossier=dossier, by=director_be, favourable=True, comment="")
    dossier.refresh_from_db()
    jury = make_user("jury2@example.org", group="Jury members")
    assert dossier.sitting is not None
    dossier.sitting.members.add(jury)
    return _decide(dossier, jury, office, "admitted")


# — the privacy notice —


def test_item7_rules_campaign_end_is_the_later_of_deadline_and_last_sitting() -> None:
    assert rules.campaign_end(dt.date(2025, 6, 4), dt.date(2025, 6, 20)) == dt.date(2025, 6, 20)
    assert rules.campaign_end(dt.date(2025, 6, 4), dt.date(2025, 3, 20)) == dt.date(2025, 6, 4)
    assert rules.campaign_end(dt.date(2025, 6, 4), None) == dt.date(2025, 6, 4)
    end = dt.date(2025, 6, 20)
    assert rules.last_day_kept(end, 92) == dt.date(2025, 9, 20)
    assert not rules.is_expired(end, 92, deadlines.end_of_day(dt.date(2025, 9, 20)))
    assert rules.is_expired(end, 92, deadlines.start_of_day(dt.date(2025, 9, 21)))


def test_item7_notice_is_public_with_every_heading_in_french(client: Any, catalog: AdmissionSession) -> None:
    response = client.get(reverse("privacy_notice"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "IMT Nord Europe",
        "941 rue Charles Bourseul",
        "Délégué à la protection des données",
        "mission de service public",
        "trois mois après la fin de la campagne",
        "rectification",
        "portabilité",
        "https://www.cnil.fr/fr/plaintes",
    ):
        assert text in page, text


def test_item7_notice_in_english(client: Any, catalog: AdmissionSession) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("privacy_notice")).content.decode()
    assert "Data controller" in page
    assert "right of access" in page
    assert "Lodge a complaint with the CNIL" in page


def test_item7_notice_linked_from_every_page_footer_and_the_signup_page(
    client: Any, catalog: AdmissionSession
) -> None:
    url = reverse("privacy_notice")
    assert f'href="{url}"' in client.get(reverse("home")).content.decode()
    signup = client.get(reverse("account_signup")).content.decode()
    assert signup.count(f'href="{url}"') == 2  # the footer and the sentence above the form


def test_item7_notice_is_edited_per_institution(client: Any, catalog: AdmissionSession) -> None:
    notice = privacy_notice_install_defaults(catalog.institution)
    assert privacy_notice_install_defaults(catalog.institution) == notice  # safe twice
    notice.purposes_fr = "Nos finalités propres."
    notice.dpo_email = "dpo@ecole.example"
    notice.save()
    other = Institution.objects.create(name="École B", short_name="B", email="contact@b.example")
    page = client.get(reverse("privacy_notice")).content.decode()
    assert "Nos finalités propres." in page
    assert "dpo@ecole.example" in page
    assert "École B" in page and "contact@b.example" in page  # B's default until its office saves one
    assert not PrivacyNotice.objects.filter(institution=other).exists()  # a GET writes nothing


def test_item7_notice_admin_is_scoped_to_the_staff_members_institution(catalog: AdmissionSession) -> None:
    mine = privacy_notice_install_defaults(catalog.institution)
    other = privacy_notice_install_defaults(Institution.objects.create(name="École B", short_name="B"))
    staff = make_user("office.b@example.org", group="Admissions office", institution=other.institution)
    request = RequestFactory().get("/admin/privacy/privacynotice/")
    request.user = staff
    model_admin = PrivacyNoticeAdmin(PrivacyNotice, admin.site)
    assert list(model_admin.get_queryset(request)) == [other]
    field = model_admin.formfield_for_foreignkey(PrivacyNotice._meta.get_field("institution"), request)
    assert list(field.queryset) == [other.institution]
    assert mine.pk not in field.queryset.values_list("pk", flat=True)


# — access and portability —


def test_item7_export_holds_account_sections_files_and_is_not_cached(client: Any, ready: Dossier) -> None:
    client.login(email="alice@example.org", password=PASSWORD)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    archive = _zip(response)
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "alice@example.org"
    [dossier] = data["dossiers"]
    assert dossier["sections"]["identity"]["last_name"] == "Lefèvre"
    assert dossier["sections"]["identity"]["birth_date"] == "1996-02-29"
    assert dossier["sections"]["contact"]["city"] == "Douai"
    assert dossier["payments"][0]["status"] == "declared"
    files = DocumentFile.objects.filter(dossier=ready)
    assert len(dossier["documents"]) == files.count() > 0
    for f in files:
        name = selectors.export_file_name(ready, f)
        assert name.startswith("files/")
        with f.file.open("rb") as src:
            assert archive.read(name) == src.read()
    assert AuditEvent.objects.filter(action="privacy.export", object_id=str(ready.candidate_id)).count() == 1


def test_item7_export_is_only_the_signed_in_persons_data(
    client: Any, ready: Dossier, other_candidate: User
) -> None:
    client.login(email="bob@example.org", password=PASSWORD)
    archive = _zip(client.get(reverse("my_data_export")))
    assert archive.namelist() == ["data.json"]
    raw = archive.read("data.json").decode()
    assert json.loads(raw)["account"]["email"] == "bob@example.org"
    assert "alice" not in raw.lower() and "Lefèvre" not in raw


def test_item7_my_data_pages_need_a_login(client: Any, catalog: AdmissionSession) -> None:
    for name in ("my_data", "my_data_export", "my_data_erase"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_item7_assessments_are_exported_once_the_decision_is_final(
    client: Any, at_jury: Dossier, sitting_member: User, office: User
) -> None:
    client.login(email="alice@example.org", password=PASSWORD)
    before = json.loads(_zip(client.get(reverse("my_data_export"))).read("data.json"))["dossiers"][0]
    assert before["opinion"] is None and before["decision"] is None
    assert before["assessments_withheld_until_final_decision"] is True
    _decide(at_jury, sitting_member, office, "refused")
    after = json.loads(_zip(client.get(reverse("my_data_export"))).read("data.json"))["dossiers"][0]
    assert after["opinion"] == {
        "by": "program director",
        "favourable": True,
        "comment": "Très bon profil",
        "given_at": after["opinion"]["given_at"],
    }
    assert after["decision"]["outcome"] == "refused"
    assert after["decision"]["comment"] == "Profil trop junior"
    assert "director.be@example.org" not in json.dumps(after)  # staff names are theirs (art. 15(4))


# — erasure on request —


def test_item7_erasure_needs_the_confirmation_and_the_password(client: Any, draft: Dossier) -> None:
    client.login(email="alice@example.org", password=PASSWORD)
    assert client.get(reverse("my_data_erase")).status_code == 200
    response = client.post(reverse("my_data_erase"), {"password": PASSWORD})
    assert response.status_code == 200
    response = client.post(reverse("my_data_erase"), {"confirm": "on", "password": "wrong"})
    assert response.status_code == 200
    assert Dossier.objects.filter(pk=draft.pk).exists()
    assert not ErasureRequest.objects.exists()


def test_item7_draft_only_account_is_erased_at_once(
    client: Any, ready: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    alice = ready.candidate
    paths = _files_on_disk(ready)
    assert paths and all(open(p, "rb") for p in paths)  # noqa: SIM115
    OutgoingEmail.objects.create(kind="x", to="Alice@Example.org", subject="s", body_text="b")
    client.login(email="alice@example.org", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("my_data_erase"), {"confirm": "on", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not Dossier.objects.filter(pk=ready.pk).exists()
    assert not DocumentFile.objects.filter(dossier_id=ready.pk).exists()
    for path in paths:
        with pytest.raises(FileNotFoundError):
            open(path, "rb")  # noqa: SIM115
    alice.refresh_from_db()
    assert alice.email == f"erased-{alice.pk}@erased.invalid"
    assert (alice.first_name, alice.last_name, alice.is_active, alice.has_usable_password()) == (
        "",
        "",
        False,
        False,
    )
    assert not OutgoingEmail.objects.filter(to__iexact="alice@example.org").exists()
    record = ErasedDossier.objects.get(dossier_id=ready.pk)
    assert record.status == "draft" and record.files_erased == len(paths)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"privacy.erasure_request", "privacy.dossier_erase", "privacy.account_erase"} <= actions
    assert not client.login(email="alice@example.org", password=PASSWORD)
    assert client.get(reverse("my_data")).status_code == 302  # signed out


def test_item7_submitted_dossier_is_erased_at_the_end_of_its_retention_period(
    client: Any, ready: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    services.dossier_submit(dossier=ready, by=ready.candidate)
    session = ready.offering.session
    client.login(email="alice@example.org", password=PASSWORD)
    response = client.post(reverse("my_data_erase"), {"confirm": "on", "password": PASSWORD}, follow=True)
    last_day = selectors.session_last_day_kept(session)
    request = ErasureRequest.objects.get(user=ready.candidate)
    assert request.erase_on == last_day and request.completed_at is None
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("my_data")
    assert f"{last_day.day}" in page and str(last_day.year) in page
    told = OutgoingEmail.objects.get(kind="privacy_erasure_scheduled")
    assert told.to == "alice@example.org" and str(last_day.year) in told.body_text
    assert Dossier.objects.get(pk=ready.pk).last_name == "Lefèvre"  # kept until then
    erasure_request(user=ready.candidate)  # asking twice changes nothing
    assert ErasureRequest.objects.count() == 1
    assert OutgoingEmail.objects.filter(kind="privacy_erasure_scheduled").count() == 1

    kept_until, gone_from = _edges(session)
    with time_machine.travel(kept_until):
        assert purge_expired().dossiers == []
    with time_machine.travel(gone_from), django_capture_on_commit_callbacks(execute=True):
        report = purge_expired()
    assert report.dossiers == [ready.pk] and report.accounts == [ready.candidate_id]
    request.refresh_from_db()
    assert request.completed_at is not None


def test_item7_staff_cannot_erase_their_account_from_the_site(client: Any, office: User) -> None:
    from cursus.errors import DomainError

    with pytest.raises(DomainError):
        erasure_request(user=office)


# — retention purge —


def test_item7_purge_erases_a_refused_candidate_on_the_day_after_the_retention_period(
    refused: Dossier, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    alice = refused.candidate
    paths = _files_on_disk(refused)
    emails_before = OutgoingEmail.objects.filter(to="alice@example.org").count()
    assert emails_before > 0
    kept_until, gone_from = _edges(refused.offering.session)

    with time_machine.travel(kept_until):
        assert purge_expired().dossiers == []
    refused.refresh_from_db()
    assert refused.last_name == "Lefèvre" and all(open(p, "rb") for p in paths)  # noqa: SIM115

    caplog.set_level(logging.INFO, logger="privacy.services")
    with time_machine.travel(gone_from), django_capture_on_commit_callbacks(execute=True):
        report = purge_expired()
    assert report.dossiers == [refused.pk]
    assert report.accounts == [alice.pk]
    assert f"dossier {refused.pk} (MS BE+" in caplog.text and "Lefèvre" not in caplog.text

    # The minimal record: number, program, session, outcome, dates — no name, email or file.
    refused.refresh_from_db()
    assert (refused.last_name, refused.first_names, refused.birth_date, refused.phone, refused.city) == (
        "",
        "",
        None,
        "",
        "",
    )
    assert refused.status == "refused"
    assert refused.decision.outcome == "refused" and refused.decision.comment == ""
    assert refused.decision.notified_at is not None
    assert refused.opinion.comment == "" and refused.opinion.favourable is True
    assert not refused.files.exists() and not refused.interviews.exists()
    assert all("Lef" not in p.reference.upper() for p in refused.fee_payments.all())
    for path in paths:
        with pytest.raises(FileNotFoundError):
            open(path, "rb")  # noqa: SIM115
    record = ErasedDossier.objects.get(dossier_id=refused.pk)
    assert (record.program_code, record.outcome, record.cause) == ("BE+", "refused", "retention")
    assert record.decided_at is not None and record.submitted_at is not None
    alice.refresh_from_db()
    assert alice.email.endswith("@erased.invalid") and not alice.is_active
    assert not OutgoingEmail.objects.filter(to__iexact="alice@example.org").exists()
    assert not OutgoingEmail.objects.filter(related_object=f"applications.dossier:{refused.pk}").exists()


def test_item7_purge_run_twice_erases_once(refused: Dossier, django_capture_on_commit_callbacks: Any) -> None:
    _kept_until, gone_from = _edges(refused.offering.session)
    with time_machine.travel(gone_from), django_capture_on_commit_callbacks(execute=True):
        first = purge_expired()
    audit_rows = AuditEvent.objects.filter(action__startswith="privacy.").count()
    with (
        time_machine.travel(gone_from + dt.timedelta(days=30)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = purge_expired()
    assert first.dossiers == [refused.pk] and len(first.accounts) == 1
    assert second.dossiers == [] and second.accounts == []
    assert AuditEvent.objects.filter(action__startswith="privacy.").count() == audit_rows
    assert ErasedDossier.objects.count() == 1


def test_item7_admitted_candidates_are_not_purged(
    admitted_bob: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    bob = admitted_bob.candidate
    _kept_until, gone_from = _edges(admitted_bob.offering.session)
    with (
        time_machine.travel(gone_from + dt.timedelta(days=400)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = purge_expired()
    assert admitted_bob.pk not in report.dossiers and bob.pk not in report.accounts
    admitted_bob.refresh_from_db()
    bob.refresh_from_db()
    assert admitted_bob.last_name == "Lefèvre" and admitted_bob.files.exists()  # fill_dossier's identity
    assert bob.email == "bob@example.org" and bob.is_active


def test_item7_a_candidate_with_a_live_dossier_keeps_their_account(
    refused: Dossier, catalog: AdmissionSession, django_capture_on_commit_callbacks: Any
) -> None:
    alice = refused.candidate
    _kept_until, gone_from = _edges(refused.offering.session)
    # Alice also applies to another session, still running when the refused one expires.
    AdmissionSession.objects.filter(pk=catalog.pk).update(closes_on=gone_from.date() + dt.timedelta(days=365))
    newer = Dossier.objects.create(candidate=alice, offering=offering(catalog, "CSE"))
    with time_machine.travel(gone_from), django_capture_on_commit_callbacks(execute=True):
        report = purge_expired()
    assert report.dossiers == [refused.pk] and report.accounts == []
    alice.refresh_from_db()
    assert alice.is_active and alice.email == "alice@example.org"
    assert Dossier.objects.filter(pk=newer.pk).exists()


def test_item7_purge_command_logs_what_it_erased(
    refused: Dossier, django_capture_on_commit_callbacks: Any
) -> None:
    _kept_until, gone_from = _edges(refused.offering.session)
    out = io.StringIO()
    with time_machine.travel(gone_from), django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired", stdout=out)
    assert f"dossier {refused.pk:06d} erased" in out.getvalue()
    assert "1 dossier(s), 1 account(s) erased" in out.getvalue()


def test_item7_purge_task_runs_and_queues_itself_once(settings: Any, catalog: AdmissionSession) -> None:
    assert purge_schedule() is False  # the immediate backend cannot defer: cron runs the command
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    assert purge_schedule() is True
    assert purge_schedule() is True
    assert DBTaskResult.objects.filter(task_path=purge_expired_daily.module_path, status="READY").count() == 1


def test_item7_my_data_page_in_both_languages_links_from_the_dashboard(client: Any, draft: Dossier) -> None:
    client.login(email="alice@example.org", password=PASSWORD)
    assert reverse("my_data") in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("my_data"))
    assert "no-store" in page["Cache-Control"]
    assert reverse("my_data_export") in page.content.decode()
    User.objects.filter(pk=draft.candidate_id).update(language="en")
    assert "Download all my data" in client.get(reverse("my_data")).content.decode()


@pytest.mark.browser
def test_item7_privacy_pages_fit_a_390px_phone(page: Any, live_server: Any, draft: Dossier) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("account_login"))
    page.fill("input[name=login]", "alice@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/espace/$"))
    for name in ("privacy_notice", "my_data", "my_data_erase"):
        page.goto(live_server.url + reverse(name))
        assert page.url.endswith(reverse(name))  # signed in: not sent to the login page
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
