"""Long work runs in the background with its progress on the page that started it (issue 11 item 5):
closing a sitting moves every dossier in a fixed number of queries and its letters follow as tasks;
large exports are written by a task to a file only the person who asked can download."""

import datetime as dt
import itertools
import os
from typing import Any

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import User
from admission import services as adm
from admission.models import Decision, JurySitting, Outcome
from applications.models import Dossier, DossierStatus
from audit.models import AuditEvent
from catalog.models import AdmissionSession, Offering
from cursus.errors import DomainError
from jobs.models import Job, JobStatus
from jobs.services import export_job_run
from notifications.models import EmailStatus, OutgoingEmail
from registration.services.offers import schedule_run
from tests.conftest import PASSWORD, make_user
from tests.test_exports import SCENARIOS, read_csv, read_xlsx

OUTCOMES = (Outcome.ADMITTED, Outcome.REFUSED, Outcome.WAITING_LIST, Outcome.CONDITIONAL)
EARLY = "closed before its date (test)"


def decided_sitting(session: AdmissionSession, n: int, *, decided_by: User, tag: str = "") -> JurySitting:
    """A sitting of ``session`` with ``n`` dossiers at the jury, each decided (the four outcomes in
    turn), made in a handful of queries (shared with bench/sitting_close.py)."""
    sitting = JurySitting.objects.create(
        session=session,
        name=f"Jury {tag or n}",
        sits_on=timezone.localdate() + dt.timedelta(days=7),
        cutoff=timezone.localdate(),
    )
    offerings = list(Offering.objects.filter(session=session).select_related("program").order_by("pk"))
    users = User.objects.bulk_create(
        [User(email=f"c{tag}{i}@example.org", last_name=f"Nom{i}", first_name="Prénom") for i in range(n)]
    )
    now = timezone.now()
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offerings[i % len(offerings)],
                status=DossierStatus.AT_JURY,
                sitting=sitting,
                last_name=f"Nom{i}",
                first_names="Prénom",
                nationality="FR",
                eligibility_path="c",
                submitted_at=now,
            )
            for i, u in enumerate(users)
        ]
    )
    rank = itertools.count(1)
    Decision.objects.bulk_create(
        [
            Decision(
                dossier=d,
                offering=d.offering,
                sitting=sitting,
                outcome=OUTCOMES[i % len(OUTCOMES)],
                waitlist_rank=next(rank) if OUTCOMES[i % len(OUTCOMES)] == Outcome.WAITING_LIST else None,
                decided_by=decided_by,
                decided_at=now,
            )
            for i, d in enumerate(dossiers)
        ]
    )
    return sitting


def _close_queries(session: AdmissionSession, n: int, office: User) -> int:
    sitting = decided_sitting(session, n, decided_by=office, tag=f"q{n}-")
    with CaptureQueriesContext(connection) as ctx:
        adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    return len(ctx.captured_queries)


# ---- closing a sitting ---------------------------------------------------------------------------


def test_I5_closing_a_sitting_costs_the_same_queries_for_10_or_30_dossiers(
    catalog: AdmissionSession, office: User
) -> None:
    _close_queries(catalog, 1, office)  # the office's permissions are read once, then cached
    assert _close_queries(catalog, 10, office) == _close_queries(catalog, 30, office)


def test_I5_closing_gives_every_dossier_its_status_and_its_audit_row(
    catalog: AdmissionSession, office: User
) -> None:
    sitting = decided_sitting(catalog, 30, decided_by=office)
    before = {d.pk: d.updated_at for d in Dossier.objects.filter(sitting=sitting)}
    adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    expected = {d.dossier_id: adm.DECISION_STATUS[Outcome(d.outcome)] for d in sitting.decisions.all()}
    assert dict(Dossier.objects.filter(sitting=sitting).values_list("pk", "status")) == expected
    assert set(expected.values()) == {
        DossierStatus.ADMITTED,
        DossierStatus.REFUSED,
        DossierStatus.WAITING_LIST,
        DossierStatus.CONDITIONAL,
    }
    assert all(d.updated_at > before[d.pk] for d in Dossier.objects.filter(sitting=sitting))
    events = AuditEvent.objects.filter(action="decision.final", object_type="applications.dossier")
    # The same row dossier_transition writes for each dossier, once each.
    assert sorted(
        (e.object_id, e.from_state, e.to_state, e.actor_id, e.institution_id, e.reason, e.data)
        for e in events
    ) == sorted(
        (str(pk), "at_jury", status, office.pk, catalog.institution_id, "", {"sitting": sitting.pk})
        for pk, status in expected.items()
    )


def test_I5_closing_twice_changes_nothing_the_second_time(catalog: AdmissionSession, office: User) -> None:
    sitting = decided_sitting(catalog, 8, decided_by=office)
    adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    statuses = dict(Dossier.objects.filter(sitting=sitting).values_list("pk", "status"))
    events = AuditEvent.objects.count()
    again = adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    assert again.is_closed
    assert dict(Dossier.objects.filter(sitting=sitting).values_list("pk", "status")) == statuses
    assert AuditEvent.objects.count() == events


def test_I5_closing_keeps_its_guards(catalog: AdmissionSession, office: User, jury: User) -> None:
    sitting = decided_sitting(catalog, 3, decided_by=office)
    undecided = Dossier.objects.filter(sitting=sitting).first()
    assert undecided is not None
    Decision.objects.filter(dossier=undecided).delete()
    with pytest.raises(DomainError) as err:
        adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    assert err.value.code == "undecided"
    Dossier.objects.filter(pk=undecided.pk).update(status=DossierStatus.WITHDRAWN)
    with pytest.raises(DomainError) as err:
        adm.sitting_close(sitting=sitting, by=office)  # before its date, without a reason
    assert err.value.code == "early"
    with pytest.raises(DomainError) as err:
        adm.sitting_close(sitting=sitting, by=jury, reason=EARLY)  # not the president
    assert err.value.code == "forbidden"
    assert not AuditEvent.objects.filter(action="decision.final").exists()
    assert set(Dossier.objects.filter(sitting=sitting).values_list("status", flat=True)) == {
        DossierStatus.AT_JURY,
        DossierStatus.WITHDRAWN,
    }


@pytest.fixture
def db_tasks(settings: Any) -> None:
    """Tasks go to the database queue, as in production, so that the test sees what is queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _queued(task_path: str) -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=task_path).values_list("args_kwargs", flat=True))


def _letters_text(client: Any, sitting: JurySitting) -> str:
    page = client.get(reverse("sitting_detail", kwargs={"pk": sitting.pk}))
    assert page.status_code == 200
    return page.content.decode()


def test_I5_letters_follow_the_close_one_task_each_and_the_page_shows_their_progress(
    client: Any,
    catalog: AdmissionSession,
    office: User,
    db_tasks: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sitting = decided_sitting(catalog, 4, decided_by=office)
    client.login(email=office.email, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sitting_close", kwargs={"pk": sitting.pk}), {"reason": EARLY})
    assert response.status_code == 302
    # The request queued one task; the letters are not sent yet.
    assert _queued("admission.tasks.notify_sitting") == [{"args": [sitting.pk], "kwargs": {}}]
    html = _letters_text(client, sitting)
    assert "0 lettre envoyée sur 4" in html and "<progress" in html and 'hx-trigger="every 2s"' in html
    mail.outbox.clear()
    # The worker drops "old" connections between tasks: here that would be the test's own transaction
    # (PostgreSQL), so it keeps it. The worker itself, its queue and the tasks are the real ones.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    letters = _queued("admission.tasks.notify_decision")
    assert sorted(a["args"][0] for a in letters) == sorted(sitting.decisions.values_list("pk", flat=True))
    assert len(mail.outbox) == 4
    html = _letters_text(client, sitting)
    assert "4 lettres envoyées sur 4" in html and 'hx-trigger="every 2s"' not in html
    # The poll answers with the part alone; without htmx it is the page.
    part = client.get(reverse("sitting_letters", kwargs={"pk": sitting.pk}), headers={"HX-Request": "true"})
    assert "4 lettres envoyées sur 4" in part.content.decode() and "<html" not in part.content.decode()


def test_I5_a_failed_letter_is_named_and_sent_again(
    client: Any,
    catalog: AdmissionSession,
    office: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sitting = decided_sitting(catalog, 2, decided_by=office)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens there
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    assert OutgoingEmail.objects.filter(kind="decision", status=EmailStatus.FAILED).count() == 2
    client.login(email=office.email, password=PASSWORD)
    html = _letters_text(client, sitting)
    assert "0 lettre envoyée sur 2" in html and "2 lettres n'ont pas pu être envoyées" in html
    # Nothing is on its way any more: the box stops polling and no longer says the letters are leaving.
    assert 'hx-trigger="every 2s"' not in html and "arrière-plan" not in html
    assert "Nom0 Prénom" in html and "Nom1 Prénom" in html
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sitting_letters", kwargs={"pk": sitting.pk}))
    assert response.status_code == 302
    html = _letters_text(client, sitting)
    assert "2 lettres envoyées sur 2" in html and "pas pu être envoyée" not in html
    assert sitting.decisions.filter(notified_at__isnull=True).count() == 0


def test_I5_only_the_office_or_the_president_sends_letters_again(
    client: Any, catalog: AdmissionSession, office: User, jury: User
) -> None:
    sitting = decided_sitting(catalog, 1, decided_by=office)
    adm.sitting_close(sitting=sitting, by=office, reason=EARLY)
    sitting.members.add(jury)
    client.login(email=jury.email, password=PASSWORD)
    assert client.post(reverse("sitting_letters", kwargs={"pk": sitting.pk})).status_code == 404


# ---- exports as jobs ----------------------------------------------------------------------------


def _job_of(response: Any) -> Job:
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.url_name == "job_detail"
    return Job.objects.get(pk=match.kwargs["pk"])


def _file_rows(response: Any, fmt: str) -> list[list[Any]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return read_csv(body) if fmt == "csv" else read_xlsx(body)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_issue11_5_a_large_export_is_written_by_the_worker_with_the_same_rows(
    client: Any, request: Any, settings: Any, name: str, django_capture_on_commit_callbacks: Any
) -> None:
    url, query = SCENARIOS[name](client, request)
    fmt = "xlsx" if name == "ledger_export" else "csv"
    direct = _file_rows(client.get(url, {**query, "format": fmt}), fmt)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        job = _job_of(client.get(url, {**query, "format": fmt}))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.done == job.total == len(direct) - 1  # the header is not a row
    page = client.get(reverse("job_detail", kwargs={"pk": job.pk})).content.decode()
    assert reverse("job_download", kwargs={"pk": job.pk}) in page and "<progress" not in page
    download = client.get(reverse("job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"].rstrip('"').endswith(f".{fmt}")
    assert _file_rows(download, fmt) == direct


def test_issue11_5_the_job_page_shows_progress_until_the_file_is_ready(
    client: Any, request: Any, settings: Any
) -> None:
    url, query = SCENARIOS["ledger_export"](client, request)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    job = _job_of(client.get(url, query))  # the worker has not run: its callbacks were not executed
    assert job.status == JobStatus.PENDING and job.total > 2
    page = client.get(reverse("job_detail", kwargs={"pk": job.pk})).content.decode()
    assert f"0 lignes écrites sur {job.total}" in page
    assert "<progress" in page and 'hx-trigger="every 2s"' in page
    assert reverse("job_download", kwargs={"pk": job.pk}) not in page
    assert client.get(reverse("job_download", kwargs={"pk": job.pk})).status_code == 404
    export_job_run(job_id=str(job.pk))
    page = client.get(reverse("job_detail", kwargs={"pk": job.pk})).content.decode()
    assert f"{job.total} lignes écrites." in page and 'hx-trigger="every 2s"' not in page
    assert export_job_run(job_id=str(job.pk)).status == JobStatus.DONE  # run twice: nothing more


def test_issue11_5_only_the_person_who_asked_reaches_the_job_and_its_file(
    client: Any, request: Any, settings: Any, office: User, django_capture_on_commit_callbacks: Any
) -> None:
    url, query = SCENARIOS["ledger_export"](client, request)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        job = _job_of(client.get(url, query))
    urls = [reverse("job_detail", kwargs={"pk": job.pk}), reverse("job_download", kwargs={"pk": job.pk})]
    assert [client.get(u).status_code for u in urls] == [200, 200]
    other = make_user("finance.other@example.org", group="Finance")
    for person in (office, other):  # the office reads the ledger too: not this file
        client.logout()
        client.login(email=person.email, password=PASSWORD)
        assert [client.get(u).status_code for u in urls] == [404, 404]
    client.logout()
    assert all(client.get(u)["Location"].startswith(reverse("account_login")) for u in urls)
    job.refresh_from_db()
    assert job.file == f"exports/{job.owner_id}/{job.pk}.csv"


def test_issue11_5_a_job_whose_rights_are_gone_fails_with_a_message(
    client: Any, request: Any, settings: Any, finance: User
) -> None:
    url, query = SCENARIOS["ledger_export"](client, request)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    job = _job_of(client.get(url, query))
    finance.groups.clear()  # no longer in finance when the worker runs
    job = export_job_run(job_id=str(job.pk))
    assert job.status == JobStatus.FAILED and not job.file
    page = client.get(reverse("job_detail", kwargs={"pk": job.pk})).content.decode()
    assert "pas pu être écrit" in page


def test_issue11_5_small_exports_stay_immediate(client: Any, request: Any) -> None:
    url, query = SCENARIOS["director_export"](client, request)
    response = client.get(url, query)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert not Job.objects.exists()


def test_issue11_5_the_schedule_deletes_exports_older_than_7_days_with_their_files(
    client: Any, request: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url, query = SCENARIOS["ledger_export"](client, request)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        old = _job_of(client.get(url, query))
        new = _job_of(client.get(url, query))
    old.refresh_from_db()
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=7, minutes=1))
    Job.objects.filter(pk=new.pk).update(created_at=timezone.now() - dt.timedelta(days=6, hours=23))
    assert default_storage.exists(old.file)
    report = schedule_run()
    assert report.exports_purged == 1 and "old exports deleted 1" in str(report)
    assert not default_storage.exists(old.file)
    assert list(Job.objects.values_list("pk", flat=True)) == [new.pk]
    assert schedule_run().exports_purged == 0
    # A file whose job went with its owner's account goes too, once as old.
    new.refresh_from_db()
    orphan = default_storage.save(f"exports/{new.owner_id}/orphan.csv", ContentFile(b"x"))
    old_time = (timezone.now() - dt.timedelta(days=8)).timestamp()
    os.utime(default_storage.path(orphan), (old_time, old_time))
    schedule_run()
    assert not default_storage.exists(orphan) and default_storage.exists(new.file)


def test_issue11_5_the_job_page_leads_back_to_the_list_it_was_asked_from(
    client: Any, request: Any, settings: Any
) -> None:
    url, query = SCENARIOS["ledger_export"](client, request)
    settings.EXPORT_SYNC_MAX_ROWS = 2
    listed = "http://testserver/gestion/finance/?state=open&q=Dupont"
    job = _job_of(client.get(url, query, HTTP_REFERER=listed))
    page = client.get(reverse("job_detail", kwargs={"pk": job.pk})).content.decode()
    assert 'href="/gestion/finance/?state=open&amp;q=Dupont"' in page and "Retour à la liste" in page
    # Another site's page is no way back.
    other = _job_of(client.get(url, query, HTTP_REFERER="https://evil.example/gestion/"))
    page = client.get(reverse("job_detail", kwargs={"pk": other.pk})).content.decode()
    assert "evil.example" not in page and "Retour à la liste" not in page
    # Nor a path of this site that reads as another site's address.
    tricky = _job_of(client.get(url, query, HTTP_REFERER="http://testserver//evil.example/x"))
    page = client.get(reverse("job_detail", kwargs={"pk": tricky.pk})).content.decode()
    assert 'href="//evil.example' not in page and 'href="/evil.example/x"' in page
