"""Benchmark: the last hour before a deadline (issue 11 item 3, "Done when": 0 errors, 0 lost or orphaned
files, p99 of the submission at most 1 s).

    make bench-rush     # or: .venv/bin/python bench/rush.py [--candidates 2000] [--concurrency 50] [--write]

Set-up, all thrown away at the end (even on failure or Ctrl-C):

- a PostgreSQL database ``cursus_bench_rush_<pid>`` on postgres://postgres@127.0.0.1:5432 (BENCH_PG_URL
  to use another server), migrated and seeded with the defaults, a session open today shaped like the
  notice's, and the candidates' accounts (bulk_create with ONE precomputed argon2 hash: hashing per user
  would take minutes) with their email verified, as allauth requires to log in;
- in the session the three documents uploaded here are the required ones (CV, highest diploma, identity
  document); the cover letter and transcripts are made optional, as the office may do in the admin;
- a temporary folder: MEDIA_ROOT, STATIC_ROOT (collectstatic), the emails (EMAIL_MODE=file), logs;
- gunicorn as `make serve` runs it (deploy/gunicorn.conf.py, DEBUG=0, WhiteNoise) on a free port of
  127.0.0.1:8811-8819, with ``--workers`` processes of ``--threads`` threads (default 4 × 4, gthread:
  2 processes per core on this 2-core machine; more processes only queue for the CPU). Threads because
  a login's argon2 check takes a sync worker for its whole duration (about 0.2 s of CPU here, over a second
  on a busy machine) and the requests behind it wait; argon2-cffi releases the GIL, so in a gthread
  worker the other threads go on. Measured with 100 candidates, 50 at a time, on the busy machine:
  submission p50 670 ms and p99 4.2 s with 4 sync workers, 86 ms and 2.1 s with 4 × 4 threads. Each
  argon2 check takes 100 MiB while it runs: 16 at once is 1.6 GiB. Beside gunicorn runs the task
  queue's ``db_worker`` (the database queue, as in production: the submission only records its
  receipt email and queues it; the worker writes it to a file). TRUSTED_PROXY_COUNT=1 and a distinct
  X-Forwarded-For per candidate, as behind the TLS proxy: the login limits count each candidate, not
  the proxy.

The rush: ``--concurrency`` candidates at a time (threads with a ``requests`` session each), each logs in
(real password, real argon2 check), opens a dossier, fills its four sections (each page fetched, the
form posted with its CSRF token, the redirect followed), uploads three PDFs of 1 MiB, declares the
application fee it paid (R2.10: a declared payment is required before submission, I3) and submits:
29 requests, 11 of them forms. The first ``--concurrency`` candidates arrive over ``--ramp`` seconds
(default 30: a rush builds up, it does not start with 50 logins in the same second); then as soon as
one candidate is done the next one starts.

Pacing (``--think``, default 5 s): a person spends a while on a page before posting its form; each form
waits 0.5 to 1.5 times the mean first. With 50 candidates at a time that offers about 25 requests a
second, some 1.5 times the average rate of 2,000 candidates in an hour (16 a second), and 2,000
candidates take about 40 minutes. ``--think 0`` is the stress variant: 50 browsers that never pause
keep every worker busy, and a request's time is then mostly its wait in the queue (Little's law:
50 clients / the throughput); the "server" columns (the time inside Django, from the access lines) show
the requests' own cost either way.

Afterwards, from the database and the disk: every dossier submitted, with its three files, each file on
storage with its size and SHA-256, and no file on storage that no row references (MEDIA_ROOT walked).
Printed: errors by kind, p50/p99 of each kind of request (submission, upload, login, section save…),
lost and orphaned files, the receipts delivered by the worker, PASS/FAIL. Exit status 1 on any error,
lost or orphaned file; the p99 target fails the run only with ``--strict``. ``--write`` writes the
figures to bench/rush-figures.md.
"""

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.rush_client import PASSWORD, Outcome, Plan, email_of, pdf_of_size, run_candidate  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PORTS = range(8811, 8820)
FILE_SIZE = 1_048_576
REQUIRED_DOCUMENTS = ("cv", "diploma", "identity")
TARGET_SUBMIT_P99 = 1.0
KINDS = [
    "submit",
    "upload",
    "login",
    "section_save",
    "fee_declare",
    "dossier_new",
    "login_page",
    "dashboard",
    "dossier_page",
    "section_page",
    "documents_page",
    "fee_page",
]


_ACCESS = re.compile(r"cursus\.access \[[^]]*\] (GET|POST) (\S+) (\d{3}) ([\d.]+)ms")
_ROUTES = [
    ("GET", r"/accounts/login/", "login_page"),
    ("POST", r"/accounts/login/", "login"),
    ("GET", r"/espace/", "dashboard"),
    ("POST", r"/dossiers/new/", "dossier_new"),
    ("GET", r"/dossiers/\d+/", "dossier_page"),
    ("GET", r"/dossiers/\d+/section/[a-z]+/", "section_page"),
    ("POST", r"/dossiers/\d+/section/[a-z]+/", "section_save"),
    ("GET", r"/dossiers/\d+/documents/", "documents_page"),
    ("POST", r"/dossiers/\d+/documents/", "upload"),
    ("GET", r"/dossiers/\d+/fee/", "fee_page"),
    ("POST", r"/dossiers/\d+/fee/", "fee_declare"),
    ("POST", r"/dossiers/\d+/submit/", "submit"),
]


def server_times(log: Path, offset: int) -> dict[str, list[float]]:
    """Seconds spent inside Django per kind of request, from the access lines (cursus.requestlog)
    written after ``offset``: the client's time minus this is the wait for a free worker."""
    out: dict[str, list[float]] = defaultdict(list)
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    for method, path, _status, ms in _ACCESS.findall(text):
        for m, pattern, kind in _ROUTES:
            if m == method and re.fullmatch(pattern, path):
                out[kind].append(float(ms) / 1000)
                break
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value at or above which q % of the values lie."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"No free port in {PORTS.start}-{PORTS.stop - 1} on 127.0.0.1.")


@contextlib.contextmanager
def throwaway_postgres(name: str) -> Iterator[str]:
    import psycopg

    admin = f"{PG_URL}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(tmp: Path, db_url: str, port: int, workers: int, threads: int) -> dict[str, str]:
    """The production-like environment of `make serve` (manage.py serve_env), in the temporary folder."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "CACHE_URL"):
        env.pop(name, None)
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "IBAN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SECURE_COOKIES": "0",
            "EMAIL_MODE": "file",
            "EMAIL_FILE_PATH": str(tmp / "mail"),
            "DATABASE_URL": db_url,
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "TASKS_BACKEND": "database",
            "TRUSTED_PROXY_COUNT": "1",
            "PORT": str(port),
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "WEB_THREADS": str(threads),
            "WEB_MAX_REQUESTS": "0",  # no worker restart in the middle of the measure
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def seed(candidates: int) -> Plan:
    """Catalogue, an open session with three required documents, and the candidates' accounts."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from applications.demo import demo_session
    from catalog.models import DocumentRequirement, DocumentType, Institution, Offering

    call_command("migrate", verbosity=0)
    call_command("seed_defaults", verbosity=0)
    today = timezone.localdate()
    session = demo_session(Institution.objects.get(), today)
    types = {t.code: t for t in DocumentType.objects.filter(session=session)}
    for code, t in types.items():
        if t.requirement == DocumentRequirement.ALWAYS and code not in REQUIRED_DOCUMENTS:
            t.requirement = DocumentRequirement.OPTIONAL
            t.save(update_fields=["requirement"])
    offering = Offering.objects.get(session=session, program__code="BE+")
    hashed = make_password(PASSWORD)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=email_of(i), password=hashed, first_name="Camille", last_name=f"Candidat{i}")
                for i in range(candidates)
            ],
            batch_size=1000,
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=1000
        )
    files = tuple(pdf_of_size(f"Rush {code}", FILE_SIZE) for code in REQUIRED_DOCUMENTS)
    return Plan(
        base="",
        offering=offering.pk,
        document_types=tuple(types[code].pk for code in REQUIRED_DOCUMENTS),
        files=files,
        today=today,
    )


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn, fixed arguments
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group this bench started (by its own id), gently then firmly."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 60) -> None:
    import requests

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/accounts/login/", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer within {limit:.0f} s:\n{log.read_text()[-3000:]}")


def warm_up(base: str, n: int) -> None:
    """Every worker imports and compiles on its first requests: not part of the measure."""
    import requests

    def one(_i: int) -> None:
        with requests.Session() as http:
            for path in ("/accounts/login/", "/", "/espace/"):
                http.get(f"{base}{path}", timeout=60)

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(one, range(n)))


def rush(
    plan: Plan, candidates: int, concurrency: int, time_limit: float, ramp: float
) -> tuple[list[Outcome], float]:
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    stop_at = time.monotonic() + time_limit
    done = 0
    pool = ThreadPoolExecutor(max_workers=concurrency)
    pending = iter(range(candidates))
    try:
        running = {
            pool.submit(run_candidate, plan, i, ramp * i / concurrency) for i in _take(pending, concurrency)
        }
        while running:
            future = next(as_completed(running))
            running.discard(future)
            outcomes.append(future.result())
            done += 1
            if done % max(candidates // 20, 1) == 0:
                print(f"  {done}/{candidates} candidates, {time.perf_counter() - started:.0f} s", flush=True)
            if time.monotonic() < stop_at:
                running |= {pool.submit(run_candidate, plan, i) for i in _take(pending, 1)}
    except BaseException:
        plan.stop.set()  # Ctrl-C: the browsers stop at their next request, the set-up is undone
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for i in pending:  # not started within the time limit: counted as errors
        outcomes.append(Outcome(i, error="time limit: not started"))
    return outcomes, time.perf_counter() - started


def _take(it: Iterator[int], n: int) -> list[int]:
    return [x for _, x in zip(range(n), it, strict=False)]


def check_storage(plan: Plan, outcomes: list[Outcome], media: Path) -> dict[str, object]:
    """From the database and the disk: submitted dossiers, their files, lost and orphaned files."""
    from applications.models import DocumentFile, Dossier, DossierStatus
    from billing.models import StatementImport
    from catalog.models import Institution
    from registration.models import RegistrationFile

    expected = {hashlib.sha256(f).hexdigest() for f in plan.files}
    submitted = Dossier.objects.filter(status=DossierStatus.SUBMITTED).count()
    dossiers = Dossier.objects.count()
    rows = list(DocumentFile.objects.values_list("dossier_id", "file", "size", "sha256", "superseded_at"))
    per_dossier = Counter(d for d, _f, _s, _h, gone in rows if gone is None)
    not_three = [
        pk
        for pk in Dossier.objects.filter(status=DossierStatus.SUBMITTED).values_list("pk", flat=True)
        if per_dossier[pk] != len(plan.files)
    ]
    lost: list[str] = []
    for _d, name, size, digest, _gone in rows:
        path = media / name
        if not path.is_file() or path.stat().st_size != size:
            lost.append(f"{name} (missing or wrong size)")
        elif digest not in expected or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            lost.append(f"{name} (content differs from what was sent)")
    referenced = {name for _d, name, *_ in rows}
    for model, column in ((RegistrationFile, "file"), (StatementImport, "file"), (Institution, "logo")):
        referenced |= {str(n) for n in model.objects.values_list(column, flat=True) if n}
    on_disk = (
        {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    )
    orphans = sorted(on_disk - referenced)
    claimed = {o.dossier for o in outcomes if o.submitted}
    return {
        "dossiers": dossiers,
        "submitted": submitted,
        "submitted_but_not_in_db": len(
            claimed - set(Dossier.objects.filter(status=DossierStatus.SUBMITTED).values_list("pk", flat=True))
        ),
        "files": len(rows),
        "not_three": not_three,
        "lost": lost,
        "orphans": orphans,
        "bytes_on_disk": sum((media / n).stat().st_size for n in on_disk),
    }


def wait_for_receipts(expected: int, limit: float) -> tuple[int, int]:
    """The receipts the submissions queued, delivered by the worker (sent, total), waited for a while."""
    from notifications.models import EmailStatus, OutgoingEmail

    deadline = time.monotonic() + limit
    while True:
        qs = OutgoingEmail.objects.filter(kind="dossier_submitted")
        sent, total = qs.filter(status=EmailStatus.SENT).count(), qs.count()
        if sent >= max(expected, total) or time.monotonic() > deadline:
            return sent, total
        time.sleep(1)


def report(
    args: argparse.Namespace,
    outcomes: list[Outcome],
    elapsed: float,
    storage: dict[str, object],
    receipts: tuple[int, int],
    setup: dict[str, float],
    server: dict[str, list[float]],
) -> tuple[bool, bool, list[str]]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        for s in o.samples:
            by_kind[s.kind].append(s.seconds)
    errors = Counter(o.error.split(":", 1)[0] for o in outcomes if o.error)
    examples: dict[str, str] = {}
    for o in outcomes:
        if o.error:
            examples.setdefault(o.error.split(":", 1)[0], o.error)
    submit_p99 = percentile(by_kind["submit"], 99)
    lost = storage["lost"]
    orphans = storage["orphans"]
    not_three = storage["not_three"]
    assert isinstance(lost, list) and isinstance(orphans, list) and isinstance(not_three, list)
    all_submitted = storage["submitted"] == args.candidates and storage["submitted_but_not_in_db"] == 0
    correct = not errors and not lost and not orphans and not not_three and all_submitted
    fast = submit_p99 <= TARGET_SUBMIT_P99
    requests_done = sum(len(v) for v in by_kind.values())
    lines = [
        f"Candidates: {args.candidates}, {args.concurrency} at a time (arriving over {args.ramp:g} s),"
        f" {args.think:g} s mean think time before each form; gunicorn {args.workers} {'gthread' if args.threads > 1 else 'sync'} worker(s)"
        f" × {args.threads} thread(s) + db_worker, PostgreSQL; 3 PDFs of {FILE_SIZE // 1024} KiB each.",
        f"Set-up: database and accounts {setup['seed']:.1f} s, static files {setup['static']:.1f} s;"
        f" rush {elapsed:.1f} s ({requests_done} requests, {requests_done / elapsed:.1f}/s,"
        f" {args.candidates / elapsed * 3600:.0f} candidates an hour). Load average (1 min) at the end:"
        f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s) (above the CPU count: other work competed).",
        "",
        "Client: the time a browser waits (queueing for a free worker included); server: the time inside"
        " Django (the access line).",
        "",
        "| request | count | p50 | p99 | max | server p50 | server p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        values = by_kind.get(kind, [])
        if values:
            lines.append(
                f"| {kind} | {len(values)} | {percentile(values, 50) * 1000:.0f} ms"
                f" | {percentile(values, 99) * 1000:.0f} ms | {max(values) * 1000:.0f} ms"
                f" | {percentile(server.get(kind, []), 50) * 1000:.0f} ms"
                f" | {percentile(server.get(kind, []), 99) * 1000:.0f} ms |"
            )
    lines += [
        "",
        f"Errors: {sum(errors.values())}"
        + (" (" + ", ".join(f"{k}: {n}" for k, n in errors.most_common()) + ")" if errors else ""),
        *(f"  e.g. {e}" for e in examples.values()),
        f"Dossiers submitted: {storage['submitted']} of {args.candidates}"
        f" ({storage['dossiers']} opened); submitted without their {len(REQUIRED_DOCUMENTS)} files:"
        f" {len(not_three)}",
        f"Files: {storage['files']} rows, {storage['bytes_on_disk']} bytes on storage;"
        f" lost {len(lost)}, orphaned {len(orphans)}",
        *(f"  lost: {x}" for x in lost[:5]),
        *(f"  orphaned: {x}" for x in orphans[:5]),
        f"Receipts delivered by the worker: {receipts[0]} of {receipts[1]} queued",
        f"Target: 0 errors, 0 lost or orphaned files: {'PASS' if correct else 'FAIL'};"
        f" p99 submission {submit_p99 * 1000:.0f} ms ≤ {TARGET_SUBMIT_P99 * 1000:.0f} ms:"
        f" {'PASS' if fast else 'FAIL'} (inside Django: {percentile(server.get('submit', []), 99) * 1000:.0f} ms)",
    ]
    return correct, fast, lines


def commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    dirty = subprocess.run([git, "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if head.returncode:
        return "unknown"
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (1: sync workers)")
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean seconds on a page before posting its form (0: none)"
    )
    parser.add_argument(
        "--ramp", type=float, default=30.0, help="the first candidates arrive over this many seconds"
    )
    parser.add_argument("--time-limit", type=float, default=3600, help="no new candidate after this (s)")
    parser.add_argument("--write", action="store_true", help="write the figures to bench/rush-figures.md")
    parser.add_argument("--strict", action="store_true", help="also fail when the p99 target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, media)")
    args = parser.parse_args()
    # Ctrl-C or a kill: the browsers stop, gunicorn and the worker are stopped, the database dropped and
    # the folder removed (a background job starts with SIGINT ignored, hence both set here).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)

    tmp = Path(tempfile.mkdtemp(prefix="cursus-bench-rush-"))
    db_name = f"cursus_bench_rush_{os.getpid()}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    print(
        f"Rush bench: {args.candidates} candidates, {args.concurrency} at a time, on {base} ({db_name}, {tmp})"
    )
    try:
        with throwaway_postgres(db_name) as db_url:
            env = environment(tmp, db_url, port, args.workers, args.threads)
            os.environ.update(env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "cursus.settings"
            import django

            django.setup()
            try:
                t0 = time.perf_counter()
                plan = seed(args.candidates)
                t1 = time.perf_counter()
                subprocess.run(  # noqa: S603
                    [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                t2 = time.perf_counter()
                setup = {"seed": t1 - t0, "static": t2 - t1}
                procs.append(
                    start(
                        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "1"],
                        env,
                        tmp / "worker.log",
                    )
                )
                gunicorn = start(
                    [
                        str(Path(sys.executable).parent / "gunicorn"),
                        "-c",
                        "deploy/gunicorn.conf.py",
                        "cursus.wsgi",
                    ],
                    env,
                    tmp / "gunicorn.log",
                )
                procs.append(gunicorn)
                wait_until_up(base, gunicorn, tmp / "gunicorn.log")
                plan = dataclasses.replace(plan, base=base, think=args.think)
                warm_up(base, args.workers * args.threads * 3)
                log_offset = (tmp / "gunicorn.log").stat().st_size
                print(f"Set-up done in {t2 - t0:.0f} s; the rush starts.", flush=True)
                outcomes, elapsed = rush(plan, args.candidates, args.concurrency, args.time_limit, args.ramp)
                server = server_times(tmp / "gunicorn.log", log_offset)
                receipts = wait_for_receipts(sum(o.submitted for o in outcomes), limit=120)
                for proc in reversed(procs):
                    stop(proc)
                storage = check_storage(plan, outcomes, tmp / "media")
                correct, fast, lines = report(args, outcomes, elapsed, storage, receipts, setup, server)
            finally:
                from django.db import connections

                connections.close_all()
    finally:
        for proc in reversed(procs):
            stop(proc)
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(lines))
    if args.write:
        machine = f"{platform.node()}, {os.cpu_count()} CPU(s), {platform.python_implementation()} {platform.python_version()}"
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            "# Deadline-rush bench (issue 11 item 3)\n\n"
            f"`make bench-rush` ({' '.join(sys.argv[1:]) or 'defaults'}), {stamp}, {machine}, commit {commit()}.\n\n"
            + "\n".join(lines)
            + "\n"
        )
        (ROOT / "bench" / "rush-figures.md").write_text(text)
        print("Written to bench/rush-figures.md")
    return 0 if correct and (fast or not args.strict) else 1


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("Interrupted: gunicorn and the worker stopped, the database and the folder removed.")
        raise SystemExit(130) from None
