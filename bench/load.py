"""Benchmark: Cursus's pages under load, beside a bare Django view measured in the same run (issue 11 item 2).

    make bench-load      # or: .venv/bin/python bench/load.py [--duration 10] [--write] [--strict]

What it does, from nothing to the table:

1. a throwaway PostgreSQL database (``cursus_bench_load_<pid>`` on postgres://postgres@127.0.0.1:5432, or
   ``--postgres``), dropped at the end, also on failure or Ctrl-C; migrated, ``seed_defaults``, an open
   demo session (the catalogue), a candidate with 3 dossiers, 500 dossiers at one open admission jury
   sitting with opinions, interviews and some decisions (as tests/test_queries.py ``add_dossiers``), an
   admissions office member, a director of every program and a jury member of that sitting;
2. Cursus under gunicorn (deploy/gunicorn.conf.py, 2 workers) with the environment of ``make serve``:
   DEBUG off, a secret key, file emails, static files collected to a temporary STATIC_ROOT and served by
   WhiteNoise; the settings are bench.load_settings (Cursus's, plus one empty page). Beside it, a second
   gunicorn (same configuration) serving bench/bare.py: the reference, "100 %";
3. each role signed in by a real session in the database, as the sign-in leaves it (staff: after the
   second factor; accounts.testing.SecondFactorClient, the suite's own); the browser's cookies are sent;
4. each page fetched once: it must answer 200 with the page itself (not a sign-in redirect), and its HTML
   size is noted; then ``wrk`` for ``--warmup`` seconds (not counted) and ``--duration`` seconds (counted),
   20 connections (the jury screen: 4), with bench/wrk_report.lua giving p50/p95/p99 and the errors
   (answers other than 2xx, socket errors); after each wrk run, the server is left to finish what wrk left
   queued before the next one starts.

Printed: for each page its connections, req/s, p50, p95, its share of the bare view's req/s, its HTML size
(kB = 1,000 bytes), its errors and its target with PASS or FAIL. ``--write`` keeps the figures, with the
date, the machine and the commit, in bench/README.md. The exit status is 1 on an error (a page that does
not answer 200 or answers other than 2xx under load, a server that does not start), 0 otherwise even when
a target is missed, unless ``--strict``.

Ports: two free ones among 8801-8809; everything on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
README = ROOT / "bench" / "README.md"
LUA = ROOT / "bench" / "wrk_report.lua"
HOST = "127.0.0.1"
PORTS = range(8801, 8810)
WORKERS = 2
FEW_REQUESTS = 100
FIGURES_BEGIN = "<!-- bench-load figures: begin (written by `make bench-load`) -->"
FIGURES_END = "<!-- bench-load figures: end -->"
# A Redis database of its own (emptied before and after the run), as CACHE_URL would name in production.
BENCH_REDIS_URL = "redis://127.0.0.1:6379/11"


# ---- targets, results, the table (no server needed: tests/test_bench_load.py) ---------------------------


@dataclass(frozen=True)
class Target:
    """Issue 11 item 2's target for a page: a least share of the bare view's req/s, a greatest p95 and a
    greatest HTML size; none set: the page is shown, not judged."""

    text: str = ""
    min_share: float | None = None  # percent of the bare view's req/s
    max_p95_ms: float | None = None
    max_html_kb: float | None = None

    @property
    def judged(self) -> bool:
        return any(v is not None for v in (self.min_share, self.max_p95_ms, self.max_html_kb))

    def met(self, *, share: float, p95_ms: float, html_kb: float) -> bool:
        return (
            (self.min_share is None or share >= self.min_share)
            and (self.max_p95_ms is None or p95_ms <= self.max_p95_ms)
            and (self.max_html_kb is None or html_kb <= self.max_html_kb)
        )


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


WRK_LINE = re.compile(r"^CURSUS-WRK (?P<fields>.+)$", re.MULTILINE)


def parse_wrk(output: str) -> WrkResult:
    """The figures bench/wrk_report.lua prints on its one line; ValueError when the line is missing."""
    match = WRK_LINE.search(output)
    if match is None:
        raise ValueError(f"no CURSUS-WRK line in wrk's output:\n{output.strip()}")
    values = {k: int(v) for k, v in (pair.split("=", 1) for pair in match["fields"].split())}
    return WrkResult(
        requests=values["requests"],
        duration_s=values["duration_us"] / 1e6,
        p50_ms=values["p50_us"] / 1000,
        p95_ms=values["p95_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        non2xx=values["non2xx"],
        socket_errors=values["connect"] + values["read"] + values["write"] + values["timeout"],
    )


@dataclass
class Row:
    label: str
    path: str
    connections: int
    target: Target
    html_bytes: int = 0
    result: WrkResult | None = None
    share: float = 0.0  # percent of the bare view's req/s
    error: str = ""

    @property
    def html_kb(self) -> float:
        return self.html_bytes / 1000

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.result is None or not self.target.judged:
            return ""
        ok = self.target.met(share=self.share, p95_ms=self.result.p95_ms, html_kb=self.html_kb)
        return "PASS" if ok else "FAIL"


def shares(rows: list[Row], reference: Row) -> None:
    """Each row's req/s as a percentage of the reference's (the bare view, measured in the same run)."""
    base = reference.result.rps if reference.result else 0.0
    for row in rows:
        row.share = 100 * row.result.rps / base if (row.result and base) else 0.0


COLUMNS = (
    ("page", "<", 28),
    ("conns", ">", 5),
    ("req/s", ">", 8),
    ("p50 ms", ">", 8),
    ("p95 ms", ">", 8),
    ("p99 ms", ">", 8),
    ("of bare", ">", 8),
    ("HTML kB", ">", 8),
    ("errors", ">", 6),
    ("target", "<", 28),
    ("result", "<", 6),
)


def format_table(rows: list[Row]) -> str:
    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:{align}{width}}" for c, (_n, align, width) in zip(cells, COLUMNS, strict=True))

    out = [line([name for name, _a, _w in COLUMNS]), line(["-" * w for _n, _a, w in COLUMNS])]
    for row in rows:
        r = row.result
        if r is None:
            figures = ["—"] * 5
            errors = "—"
        else:
            figures = [
                f"{r.rps:.1f}",
                f"{r.p50_ms:.1f}",
                f"{r.p95_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{row.share:.1f} %",
            ]
            errors = str(r.non2xx + r.socket_errors)
        html = f"{row.html_kb:.1f}" if row.html_bytes else "—"
        out.append(
            line([row.label, str(row.connections), *figures, html, errors, row.target.text, row.verdict])
        )
    return "\n".join(line.rstrip() for line in out)


def replace_figures(readme: str, figures: str) -> str:
    """bench/README.md with the text between the bench-load markers replaced by ``figures``."""
    start, end = readme.find(FIGURES_BEGIN), readme.find(FIGURES_END)
    if start < 0 or end < start:
        raise ValueError(f"bench/README.md has no {FIGURES_BEGIN!r} … {FIGURES_END!r} section")
    return readme[: start + len(FIGURES_BEGIN)] + "\n" + figures.strip("\n") + "\n" + readme[end:]


def figures_text(*, table: str, when: dt.datetime, machine: str, commit: str, setup: str) -> str:
    return "\n".join(
        [
            f"Last run: {when:%Y-%m-%d %H:%M} UTC, commit {commit}.",
            f"Machine: {machine}.",
            f"Set-up: {setup}.",
            "",
            "```",
            table,
            "```",
        ]
    )


def machine_description() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu or platform.processor() or 'unknown CPU'}), {system}"


def commit_description() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return commit


# ---- the run ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    server: str  # "bare" or "cursus"
    role: str | None  # whose session; None: anonymous
    marker: str  # a regular expression the real page matches (a sign-in page or an error page does not)
    target: Target = field(default_factory=Target)
    heavy: bool = False  # measured at --jury-connections


@dataclass
class Seeded:
    sitting_pk: int
    dossiers: int
    emails: dict[str, str]
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session key


def free_ports(count: int) -> list[int]:
    import socket

    found: list[int] = []
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise SystemExit(f"bench-load: fewer than {count} free ports among {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def throwaway_postgres(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database for this run, dropped at the end whatever happens."""
    import psycopg
    from psycopg import sql

    name = f"cursus_bench_load_{os.getpid()}"
    admin = base_url.rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield base_url.rstrip("/") + "/" + name
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 — Django may not have started; the drop below is what matters
            pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Server:
    """One gunicorn (deploy/gunicorn.conf.py) in its own process group, its log in a file."""

    def __init__(
        self, name: str, app: str, port: int, env: dict[str, str], log: Path, workers: int = WORKERS
    ) -> None:
        self.name, self.port, self.log = name, port, log
        gunicorn = Path(sys.executable).parent / "gunicorn"
        env = {**env, "PORT": str(port), "BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers)}
        with log.open("wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 — our own gunicorn, fixed arguments
                [str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped with its workers, by its id
            )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} gunicorn stopped (exit {self.proc.returncode}):\n{self.tail()}"
                )
            try:
                status, _body, _cookies = fetch(self.port, path, {})
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} gunicorn did not answer in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            # SIGINT: gunicorn's quick stop (SIGTERM would let the workers finish what wrk left queued).
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def fetch(port: int, path: str, cookies: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    """One GET, redirects not followed; the cookies the answer sets."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Cookie": cookie_header(cookies)} if cookies else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        jar: SimpleCookie = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return response.status, body, {k: m.value for k, m in jar.items()}
    finally:
        conn.close()


# A cheap page of each server, to know when it is idle again.
IDLE_PATHS = {"cursus": "/sante/", "bare": "/"}


def drain(port: int, path: str, workers: int) -> None:
    """Wait until the server has answered what wrk left behind. When wrk stops, the requests its
    connections had sent are still queued (gunicorn's sync workers finish them for nobody): one request
    per worker, made after them, returns only when they are done, so that they do not slow the next run."""
    for _ in range(workers):
        fetch(port, path, {})


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted(cookies.items()))


def run_wrk(port: int, path: str, *, connections: int, seconds: float, cookies: dict[str, str]) -> WrkResult:
    command = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
    ]
    if cookies:
        command += ["-H", f"Cookie: {cookie_header(cookies)}"]
    command.append(f"http://{HOST}:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def cache_url(choice: str) -> str:
    """CACHE_URL for the run: Redis when asked for (or, with 'auto', when it answers), else the database's."""
    if choice == "db":
        return "db://cursus_cache"
    url = BENCH_REDIS_URL if choice == "auto" else choice
    if not url.startswith("redis://"):
        raise SystemExit(f"--cache is auto, db or a redis:// URL, not {choice!r}")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if choice == "auto":
            return "db://cursus_cache"
        raise SystemExit(f"--cache {url}: Redis does not answer ({exc})") from exc
    return url


def flush_redis(url: str) -> None:
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()


def environment(
    tmp: Path, database_url: str, site_port: int, cache: str = "db://cursus_cache"
) -> dict[str, str]:
    """`make serve`'s environment (manage.py serve_env and the Makefile): DEBUG off, made-up keys."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),
        IBAN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS=f"{HOST},localhost",
        SITE_URL=f"http://{HOST}:{site_port}",
        SECURE_COOKIES="0",
        EMAIL_MODE="file",
        EMAIL_FILE_PATH=str(tmp / "mail"),
        DATABASE_URL=database_url,
        CACHE_URL=cache,
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        DJANGO_SETTINGS_MODULE="bench.load_settings",
    )
    return env


def seed(dossiers: int) -> Seeded:
    """The data of the run, in this process (Django started on the throwaway database)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from admission.models import Decision, Interview, JurySitting, Opinion, SittingStatus
    from applications import services
    from applications.demo import PEOPLE, _fill, demo_session
    from applications.models import Dossier, DossierStatus
    from catalog.models import Institution, Offering, Program
    from cursus.errors import DomainError

    call_command("migrate", verbosity=0)
    call_command("seed_defaults", verbosity=0, stdout=io.StringIO())
    session = demo_session(Institution.objects.get(), timezone.localdate())

    def person(email: str, group: str | None, first: str, last: str) -> User:
        user = User.objects.create_user(email=email, first_name=first, last_name=last, language="fr")
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if group:
            user.groups.add(Group.objects.get(name=group))
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        return user

    office = person("office@bench.cursus", "Admissions office", "Odile", "Bureau")
    director = person("director@bench.cursus", "Program directors", "Denis", "Directeur")
    jury = person("jury@bench.cursus", "Jury members", "Judith", "Juré")
    candidate = person("candidate@bench.cursus", None, "Élodie", "Lefèvre")
    for program in Program.objects.filter(institution=session.institution):
        program.directors.add(director)
    sitting = (
        JurySitting.objects.filter(session=session, status=SittingStatus.OPEN, for_international=False)
        .order_by("sits_on")
        .first()
    )
    assert sitting is not None, "the demo session has no open sitting"
    sitting.members.add(jury)

    # The candidate's 3 dossiers: one submitted, one filled with its documents, one just opened.
    offerings = list(Offering.objects.filter(session=session).select_related("session", "program")[:3])
    now = timezone.now()
    for i, off in enumerate(offerings):
        d = services.dossier_open(candidate=candidate, offering=off)
        if i < 2:
            d = _fill(d, PEOPLE[0], at=now, documents=True, fee=i == 0)
        if i == 0:
            try:
                services.dossier_submit(dossier=d, by=candidate)
            except DomainError:
                pass  # still a dossier on the dashboard; the page is measured all the same

    # The sitting's dossiers, as tests/test_queries.py add_dossiers makes them.
    by_code = {o.program.code: o for o in Offering.objects.filter(session=session).select_related("program")}
    two = [by_code[c] for c in ("BE+", "CSE") if c in by_code] or list(by_code.values())[:2]
    users = User.objects.bulk_create(
        [User(email=f"bulk{i}@bench.cursus", last_name=f"Nom{i}", language="fr") for i in range(dossiers)]
    )
    made = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=two[i % len(two)],
                status=DossierStatus.AT_JURY,
                sitting=sitting,
                last_name=f"Nom{i}",
                first_names="Prénom",
                nationality="FR" if i % 3 else "SN",
                eligibility_path="c",
                submitted_at=now,
            )
            for i, u in enumerate(users)
        ]
    )
    Opinion.objects.bulk_create(
        [
            Opinion(dossier=d, favourable=bool(i % 2), comment="ok", given_by=director)
            for i, d in enumerate(made)
        ]
    )
    Interview.objects.bulk_create(
        [
            Interview(
                dossier=d, starts_at=now, mode="phone", status="held", notes="n", proposed_by=director
            )
            for d in made[::2]
        ]
    )  # fmt: skip
    Decision.objects.bulk_create(
        [
            Decision(
                dossier=d, offering=d.offering, sitting=sitting, outcome="refused", decided_by=jury,
                decided_at=now,
            )
            for d in made[::3]
        ]
    )  # fmt: skip
    return Seeded(
        sitting_pk=sitting.pk,
        dossiers=dossiers,
        emails={r: u.email for r, u in (("candidate", candidate), ("office", office), ("director", director),
                                        ("jury", jury))},
    )  # fmt: skip


def sign_in(seeded: Seeded) -> None:
    """A real session in the database for each role, as the sign-in leaves it (staff: second factor passed)."""
    from django.conf import settings

    from accounts.models import User
    from accounts.testing import SecondFactorClient

    for role, email in seeded.emails.items():
        client = SecondFactorClient()
        client.force_login(User.objects.get(email=email))
        seeded.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value


def pages(seeded: Seeded, empty_path: str) -> list[Page]:
    share10 = Target("≥ 10 % of bare", min_share=10)
    return [
        Page("bare Django view", "/", "bare", None, "^bare Django view$", Target("reference (100 %)")),
        Page("empty page (candidate)", empty_path, "cursus", "candidate", 'id="bench-empty"', Target("none: shared cost")),
        Page("empty page (office)", empty_path, "cursus", "office", 'id="bench-empty"', Target("none: a staff page's")),
        Page("catalogue (anonymous, fr)", "/", "cursus", None, '<html lang="fr"', Target("≥ 30 % of bare", min_share=30)),
        Page("candidate dashboard (3)", "/espace/", "cursus", "candidate", r'href="/dossiers/\d+/"', share10),
        Page("office queue (all)", "/gestion/dossiers/?status=all", "cursus", "office", r"Nom\d+", share10),
        Page("director's list (all)", "/gestion/programmes/?status=", "cursus", "director", r"Nom\d+", share10),
        Page(
            f"jury screen ({seeded.dossiers})",
            f"/gestion/jurys/{seeded.sitting_pk}/",
            "cursus",
            "jury",
            r"Nom\d+",
            Target("p95 ≤ 150 ms, HTML ≤ 250 kB", max_p95_ms=150, max_html_kb=250),
            heavy=True,
        ),
    ]  # fmt: skip


def check_page(page: Page, status: int, body: bytes, email: str | None) -> str:
    """Why this answer is not the page to measure ('' when it is)."""
    if status != 200:
        return f"answered {status}, not 200"
    text = body.decode("utf-8", errors="replace")
    if not re.search(page.marker, text):
        return f"answered 200 without {page.marker!r}: not the page itself"
    if email is not None and email not in text:
        return f"answered 200 without {email} in the navigation: not signed in"
    if page.role is None and page.server == "cursus" and 'name="login"' in text:
        return "a sign-in form"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per page (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load per page before (default 2)")
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--jury-connections", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"gunicorn workers of each server (default {WORKERS}, as issue 11 measured; `make serve` runs "
        "2 per core + 1)",
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--cache",
        default="auto",
        help="the shared cache (sessions and cache): 'auto' (the default) uses Redis at "
        f"{BENCH_REDIS_URL} when it answers, as a production set-up with Redis does (README, Scaling out), "
        "else the database cache; 'db' the database cache; or a redis:// URL (its database is emptied)",
    )
    parser.add_argument("--write", action="store_true", help="keep the figures in bench/README.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.cache_url = cache_url(args.cache)
    if not 1 <= args.duration <= 60 or not 0 <= args.warmup <= 10:
        parser.error("--duration is 1 to 60 s, --warmup 0 to 10 s (the whole run stays within minutes)")
    if not 1 <= args.workers <= 32:
        parser.error("--workers is 1 to 32")
    if shutil.which("wrk") is None:
        print("bench-load needs wrk: apt-get install wrk (`make bench-load` installs it as root).")
        return 1

    # The signals that end a run end it through the `finally`s: servers stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="cursus-bench-load-"))
    try:
        rows = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        flush_redis(args.cache_url)

    shares(rows, rows[0])
    table = format_table(rows)
    print(
        f"\nCursus under load — gunicorn {args.workers} workers on PostgreSQL, cache {args.cache_url}, wrk {args.duration:.0f} s a page "
        f"(after {args.warmup:.0f} s of warm-up), {machine_description()}\n"
    )
    print(table)
    errors = [f"{r.label}: {r.error}" for r in rows if r.error]
    for e in errors:
        print(f"ERROR {e}")
    few = [r.label for r in rows if r.result is not None and r.result.requests < FEW_REQUESTS]
    if few:
        print(
            f"Fewer than {FEW_REQUESTS} requests in the window (percentiles of few samples): {', '.join(few)}; "
            "a longer --duration or a quieter machine."
        )
    missed = [r.label for r in rows if r.verdict == "FAIL"]
    if missed:
        print(f"Targets missed: {', '.join(missed)}.")
    if args.write:
        if errors:
            print("bench/README.md not updated: the run had errors.")
        else:
            setup = (
                f"{args.dossiers} dossiers at one sitting, PostgreSQL, gunicorn {args.workers} workers (DEBUG off), "
                f"wrk {args.duration:.0f} s a page after {args.warmup:.0f} s of warm-up, "
                f"{args.connections} connections (jury screen {args.jury_connections}), "
                f"cache {'Redis' if args.cache_url.startswith('redis') else 'in the database'}"
            )
            README.write_text(
                replace_figures(
                    README.read_text(),
                    figures_text(
                        table=table,
                        when=dt.datetime.now(dt.UTC),
                        machine=machine_description(),
                        commit=commit_description(),
                        setup=setup,
                    ),
                )
            )
            print(f"Figures written to {README.relative_to(ROOT)}.")
    if errors:
        return 1
    return 1 if (args.strict and missed) else 0


def run(args: Any, tmp: Path) -> list[Row]:
    """Set up, serve, measure; the servers stopped before their database is dropped, whatever happens."""
    servers: list[Server] = []
    with throwaway_postgres(args.postgres) as database_url:
        try:
            cursus_port, bare_port = free_ports(2)
            env = environment(tmp, database_url, cursus_port, args.cache_url)
            flush_redis(args.cache_url)
            os.environ.update(env)
            os.environ["TASKS_BACKEND"] = "immediate"  # this process only: emails of the set-up sent at once
            os.environ["LOG_LEVEL"] = "WARNING"  # this process only: not a line per task of the set-up
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command
            from django.db import connections

            from bench.load_urls import EMPTY_PATH

            started = time.perf_counter()
            seeded = seed(args.dossiers)
            sign_in(seeded)
            with connections["default"].cursor() as cursor:  # the statistics autovacuum keeps in production
                cursor.execute("ANALYZE")
            call_command("collectstatic", interactive=False, verbosity=0)
            connections.close_all()
            cache = str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
            conn_age = settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
            print(
                f"Set up in {time.perf_counter() - started:.0f} s: {args.dossiers} dossiers at one sitting, "
                f"PostgreSQL; cache {cache}, DB_CONN_MAX_AGE={conn_age}."
            )
            servers.append(
                Server("cursus", "cursus.wsgi", cursus_port, env, tmp / "gunicorn-cursus.log", args.workers)
            )
            bare_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
            servers.append(
                Server(
                    "bare",
                    "bench.bare:application",
                    bare_port,
                    bare_env,
                    tmp / "gunicorn-bare.log",
                    args.workers,
                )
            )
            servers[0].wait_ready("/sante/")
            servers[1].wait_ready("/")
            ports = {"cursus": cursus_port, "bare": bare_port}
            rows = measure(pages(seeded, EMPTY_PATH), seeded, ports, settings.SESSION_COOKIE_NAME, args=args)
            for server in servers:
                if server.proc.poll() is not None:
                    rows[0].error = rows[0].error or f"{server.name} gunicorn stopped during the run"
                    print(server.tail())
            return rows
        finally:
            for server in servers:
                server.stop()


def measure(
    page_list: list[Page], seeded: Seeded, ports: dict[str, int], session_cookie: str, *, args: Any
) -> list[Row]:
    rows: list[Row] = []
    for page in page_list:
        connections = args.jury_connections if page.heavy else args.connections
        row = Row(page.label, page.path, connections, page.target)
        rows.append(row)
        port = ports[page.server]
        cookies = {session_cookie: seeded.sessions[page.role]} if page.role else {}
        email = seeded.emails[page.role] if page.role else None
        try:
            # Twice, as a browser: the second time with the cookies the first answer set (csrftoken…).
            _status, _body, set_cookies = fetch(port, page.path, cookies)
            cookies.update(set_cookies)
            # The fastest of three (each worker warm), the page checked on the last.
            alone_ms = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                status, body, _set = fetch(port, page.path, cookies)
                alone_ms = min(alone_ms, (time.perf_counter() - started) * 1000)
        except OSError as exc:
            row.error = f"no answer ({exc})"
            continue
        row.html_bytes = len(body)
        row.error = check_page(page, status, body, email)
        if row.error:
            continue
        print(
            f"{page.label}: {page.path} answers 200, {row.html_kb:.1f} kB in {alone_ms:.0f} ms alone; "
            f"{connections} connections …",
            flush=True,
        )
        try:
            if args.warmup:
                run_wrk(port, page.path, connections=connections, seconds=args.warmup, cookies=cookies)
                drain(port, IDLE_PATHS[page.server], args.workers)
            row.result = run_wrk(
                port, page.path, connections=connections, seconds=args.duration, cookies=cookies
            )
            drain(port, IDLE_PATHS[page.server], args.workers)
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            row.error = str(exc)
            continue
        if row.result.non2xx:
            row.error = f"{row.result.non2xx} answers other than 2xx under load"
        elif not row.result.requests:
            row.error = "no request answered in the window: a longer --duration or a quieter machine"
    return rows


if __name__ == "__main__":
    sys.exit(main())
