"""Two web nodes and two workers share everything a node keeps (issue 11 item 4).

One test, on PostgreSQL: two gunicorn web processes and two ``db_worker`` processes run with the
production settings (DEBUG off) against the suite's test database, the machine's Redis (sessions and
cache, db 5) and a local S3 server (moto's server mode) for the uploaded files. Candidates sign in on
one node and go on on the other; staff decide on both, two of them racing for the last place; a
sitting is closed and the workers send the letters. Then: nothing lost, nothing done twice.
"""

import datetime as dt
import email
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from accounts.testing import SecondFactorClient
from admission import services as adm
from admission.models import Decision, Outcome
from applications import services
from applications.demo import tiny_pdf
from applications.models import DocumentFile, Dossier, DossierStatus, FeePayment
from applications.selectors import required_document_types
from catalog.models import Offering
from notifications.models import OutgoingEmail
from registration.selectors import places_held
from tests.conftest import CONTACT, ELIGIBLE, IDENTITY_FR, PASSWORD, make_user, offering

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/5"
BUCKET = "cursus-two-nodes"
CANDIDATES = 4
CAPACITY = 3  # two admitted one by one, then two race for the last place


def _free_port(candidates: range | None = None) -> int:
    for port in candidates or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in {candidates}")


def _database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _wait_until(check: Any, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/sante/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Cluster:
    """The processes of the test; ``stop`` kills every one of them, whatever happened."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.mail_dir = tmp / "mail"
        self.mail_dir.mkdir()
        self.moto: Any = None

    def start(self) -> None:
        import redis
        from moto.server import ThreadedMotoServer

        redis.Redis.from_url(REDIS_URL).flushdb()
        moto_port = _free_port()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        self.s3_endpoint = f"http://127.0.0.1:{moto_port}"
        self.s3().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        ports = [_free_port(range(8821, 8830))]
        ports.append(_free_port(range(ports[0] + 1, 8830)))
        self.nodes = [f"http://127.0.0.1:{p}" for p in ports]
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # the test process makes the staff's sessions
            "IBAN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",
            "SITE_URL": self.nodes[0],
            "DATABASE_URL": _database_url(),
            "DB_CONN_MAX_AGE": "0",
            "CACHE_URL": REDIS_URL,
            "STORAGE_URL": f"s3://{BUCKET}/media?endpoint_url={self.s3_endpoint}&region=eu-west-3",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105 — moto takes any key
            "TASKS_BACKEND": "database",
            "EMAIL_MODE": "file",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "STATIC_ROOT": str(self.tmp / "static"),
            # One gunicorn process of four threads per node: cheap to start on a busy CI machine.
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "LOG_LEVEL": "WARNING",
            "ACCESS_LOG_LEVEL": "WARNING",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
        log = (self.tmp / "processes.log").open("ab")
        for port in ports:
            self.procs.append(
                subprocess.Popen(
                    [str(Path(python).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "cursus.wsgi"],
                    cwd=ROOT,
                    env={**env, "PORT": str(port)},
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        for n in range(2):
            self.procs.append(
                subprocess.Popen(
                    [python, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
                    cwd=ROOT,
                    env={**env, "WORKER_NAME": f"worker-{n}"},
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        for base in self.nodes:
            _wait_until(lambda b=base: _healthy(b), seconds=60, what=f"{base}/sante/")

    def s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="eu-west-3",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self.moto is not None:
            self.moto.stop()

    def log_tail(self) -> str:
        path = self.tmp / "processes.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: several processes share the test database (SQLite's in-memory test "
            "database is private to the test process); CI runs this on PostgreSQL"
        )
    c = Cluster(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        # The nodes' and workers' own log: pytest shows it when the test fails.
        print(c.log_tail())  # noqa: T201


def _csrf(s: requests.Session) -> str:
    return next(c.value for c in s.cookies if c.name == "csrftoken" and c.value)


def _post(s: requests.Session, url: str, data: dict[str, Any], **kw: Any) -> requests.Response:
    return s.post(
        url, data={**data, "csrfmiddlewaretoken": _csrf(s)}, allow_redirects=False, timeout=30, **kw
    )


def _sign_in(node: str, address: str) -> requests.Session:
    s = requests.Session()
    assert s.get(f"{node}/accounts/login/", timeout=30).status_code == 200
    r = _post(s, f"{node}/accounts/login/", {"login": address, "password": PASSWORD})
    assert r.status_code == 302, r.text[:500]
    return s


def _staff_session(user: Any, node: str) -> requests.Session:
    """A staff session made by the test process in the shared session store, second factor passed
    (accounts.testing): the MFA form itself is proven in tests/test_security.py."""
    client = SecondFactorClient()
    client.force_login(user)
    s = requests.Session()
    s.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert s.get(f"{node}/gestion/jurys/", timeout=30).status_code == 200
    return s


def _mails(mail_dir: Path) -> list[email.message.Message]:
    """Every message the nodes and workers sent (Django's file backend: several per file, each
    followed by a line of 79 dashes)."""
    out = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                out.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return out


@pytest.mark.django_db(transaction=True)
def test_two_web_nodes_and_two_workers_lose_nothing_and_do_nothing_twice(
    cluster: Cluster, settings: Any, open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any
) -> None:
    a, b = cluster.nodes
    # The nodes check passwords with the project's hashers (the suite's fast MD5 is not among them).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    be = offering(open_session, "BE+")
    Offering.objects.filter(pk=be.pk).update(capacity=CAPACITY)

    # Candidates: signed in on one node, the dossier opened, documents uploaded and submitted on the
    # other (or alternately): the session and the files are shared.
    dossiers: list[Dossier] = []
    for i in range(CANDIDATES):
        user = make_user(f"candidate{i}@example.org", first_name=f"C{i}", last_name="Deuxnoeuds")
        first, other = (a, b) if i % 2 == 0 else (b, a)
        s = _sign_in(first, user.email)
        r = _post(s, f"{other}/dossiers/new/", {"offering": be.pk})
        assert r.status_code == 302 and "/dossiers/" in r.headers["Location"], r.status_code
        dossier = Dossier.objects.get(candidate=user, offering=be)
        by = dossier.candidate
        for section, data in (
            ("identity", IDENTITY_FR),
            ("contact", CONTACT),
            ("eligibility", ELIGIBLE),
            ("financing", {"financing_intention": "personal"}),
        ):
            services.dossier_save_section(dossier=dossier, by=by, section=section, data=data)
        dossier.refresh_from_db()
        for n, t in enumerate(required_document_types(dossier)):
            node, back = (first, other) if n % 2 == 0 else (other, first)
            pdf = tiny_pdf(f"{t.code} {i}")
            r = _post(
                s,
                f"{node}/dossiers/{dossier.pk}/documents/",
                {"document_type": t.pk, "role": "original", "language": "fr"},
                files={"file": (f"{t.code}.pdf", pdf, "application/pdf")},
            )
            assert r.status_code == 302, (t.code, r.status_code)
            # Uploaded on one node, read back through the checked view of the other.
            stored = DocumentFile.objects.get(dossier=dossier, document_type=t, superseded_at__isnull=True)
            r = s.get(f"{back}/dossiers/{dossier.pk}/documents/{stored.pk}/", timeout=30)
            assert r.status_code == 200 and r.content == pdf
        services.fee_declare(
            dossier=dossier, by=by, channel="transfer", paid_on=dt.date.today() - dt.timedelta(days=1)
        )
        r = _post(s, f"{first}/dossiers/{dossier.pk}/submit/", {"confirm": "yes"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/espace/"), r.headers.get("Location")
        dossiers.append(dossier)

    # The office and the director bring the dossiers to the jury (the services, as the staff screens do).
    for d in dossiers:
        d.refresh_from_db()
        assert d.status == DossierStatus.SUBMITTED
        for f in d.files.filter(superseded_at__isnull=True):
            adm.document_verdict(file=f, by=office, verdict="accepted")
        payment = FeePayment.objects.get(dossier=d)
        services.fee_confirm(payment=payment, by=finance, booked_on=payment.paid_on)
        adm.dossier_mark_complete(dossier=d, by=office)
        adm.opinion_give(dossier=d, by=director_be, favourable=True)
        d.refresh_from_db()
        assert d.status == DossierStatus.AT_JURY and d.sitting is not None
        d.sitting.members.add(jury)
    sitting = dossiers[0].sitting
    assert sitting is not None and all(d.sitting_id == sitting.pk for d in dossiers)

    # The jury decides on both nodes; then two admissions race, one per node, for the last place.
    juries = {node: _staff_session(jury, node) for node in (a, b)}

    def decide(node: str, d: Dossier, outcome: str) -> requests.Response:
        return _post(
            juries[node], f"{node}/gestion/jurys/{sitting.pk}/dossiers/{d.pk}/decision/", {"outcome": outcome}
        )

    assert decide(a, dossiers[0], Outcome.ADMITTED).status_code == 302
    assert decide(b, dossiers[1], Outcome.ADMITTED).status_code == 302
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def race(node: str, d: Dossier) -> None:
        barrier.wait()
        statuses.append(decide(node, d, Outcome.ADMITTED).status_code)

    racers = [threading.Thread(target=race, args=(n, d)) for n, d in ((a, dossiers[2]), (b, dossiers[3]))]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    assert statuses == [302, 302]
    admitted = set(
        Decision.objects.filter(offering=be, outcome=Outcome.ADMITTED).values_list("dossier_id", flat=True)
    )
    racing = {dossiers[2].pk, dossiers[3].pk}
    assert len(admitted & racing) == 1, "exactly one of the two racing admissions takes the last place"
    loser = next(d for d in dossiers[2:] if d.pk not in admitted)
    assert decide(b, loser, Outcome.WAITING_LIST).status_code == 302

    # The office closes the sitting on node A (early, with the reason written): the workers send the letters.
    office_s = _staff_session(office, a)
    r = _post(office_s, f"{a}/gestion/jurys/{sitting.pk}/cloture/", {"reason": "Test à deux nœuds"})
    assert r.status_code == 302
    sitting.refresh_from_db()
    assert sitting.is_closed

    from django_tasks_db.models import DBTaskResult

    def drained() -> bool:
        return (
            not DBTaskResult.objects.ready().exists()
            and not DBTaskResult.objects.filter(status="RUNNING").exists()
            and not Decision.objects.filter(sitting=sitting, notified_at__isnull=True).exists()
        )

    _wait_until(drained, seconds=90, what="the workers to send every letter")

    # Every dossier submitted, decided and final; places counted once.
    assert Dossier.objects.filter(pk__in=[d.pk for d in dossiers], submitted_at__isnull=False).count() == 4
    outcomes = Counter(Decision.objects.filter(offering=be).values_list("outcome", flat=True))
    assert outcomes == {Outcome.ADMITTED: CAPACITY, Outcome.WAITING_LIST: 1}
    assert places_held(be.pk) == CAPACITY

    # Each uploaded file is in the bucket exactly once, and nothing else is (no orphan, no health probe).
    listed = cluster.s3().list_objects_v2(Bucket=BUCKET).get("Contents", [])
    keys = Counter(o["Key"] for o in listed)
    names = list(DocumentFile.objects.filter(dossier__in=dossiers).values_list("file", flat=True))
    assert len(names) == len(set(names)) >= CANDIDATES
    assert keys == Counter(f"media/{n}" for n in names)

    # Each email sent exactly once: the files the nodes and workers wrote, and the platform's records.
    sent = Counter((m["To"], m["Subject"]) for m in _mails(cluster.mail_dir))
    assert sent and max(sent.values()) == 1, sent.most_common(3)
    for d in dossiers:
        to_candidate = [subject for (to, subject) in sent if to == d.candidate.email]
        assert len(to_candidate) == 2, to_candidate  # the receipt of the submission, the decision letter
    records = Counter(
        OutgoingEmail.objects.filter(to__in=[d.candidate.email for d in dossiers]).values_list(
            "to", "kind", "related_object"
        )
    )
    assert max(records.values()) == 1, records.most_common(3)
    assert not OutgoingEmail.objects.exclude(status="sent").filter(to__endswith="@example.org").exists()

    # No task ran twice, none failed: each was taken by one worker, once.
    results = list(DBTaskResult.objects.exclude(status="READY"))
    assert results and all(r.status == "SUCCESSFUL" for r in results), [
        (r.task_path, r.status) for r in results if r.status != "SUCCESSFUL"
    ]
    assert all(len(r.worker_ids) == 1 for r in results)
    letters = Counter(r.args_kwargs["args"][0] for r in results if r.task_path.endswith("notify_decision"))
    assert letters == Counter(Decision.objects.filter(sitting=sitting).values_list("pk", flat=True))

    # Sessions and the cache live in the shared Redis (the candidates' logins went through it).
    import redis

    assert any(b"sessions.cached_db" in k for k in redis.Redis.from_url(REDIS_URL).keys("*"))
    # Both nodes still report healthy, storage (S3) included.
    for node in (a, b):
        assert requests.get(f"{node}/sante/", timeout=10).json()["storage"] == "ok"
