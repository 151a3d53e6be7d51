"""Benchmark: closing a sitting of 500 decided dossiers (issue 11 item 5: "returns in under 1 s and its
letters follow").

    make bench-close      # or: .venv/bin/python bench/sitting_close.py [--dossiers 500] [--postgres URL]

Each run uses a fresh database (a throwaway SQLite file, or with --postgres a database of that URL that
is dropped and made again), seeded with the defaults, with a sitting whose dossiers are all decided
(tests/test_background_jobs.py `decided_sitting`). Tasks go to the database queue as in production, so the
time is the request's alone: the office's POST to the close page, signed in, through the whole stack.
Printed: the request's wall time and queries, then what the request left queued. Nothing fails here.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 1.0


def _django_on_postgres(url: str) -> None:
    """A fresh PostgreSQL database at ``url`` (dropped first), migrated and seeded."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # nosec B608 - a name given by the person running it
        conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursus.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_defaults", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--postgres", help="postgres://user@host:port/name of a database to drop and make")
    args = parser.parse_args()
    if args.postgres:
        _django_on_postgres(args.postgres)
    else:
        from bench.throwaway import django_on_a_throwaway_database

        django_on_a_throwaway_database("cursus-bench-close-")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from accounts.testing import SecondFactorClient
    from admission.models import Decision
    from applications.demo import demo_session
    from catalog.models import Institution
    from tests.conftest import make_user
    from tests.test_background_jobs import EARLY, decided_sitting

    session = demo_session(Institution.objects.get(), timezone.localdate())
    office = make_user("office.bench@example.org", group="Admissions office")
    sitting = decided_sitting(session, args.dossiers, decided_by=office)
    client = SecondFactorClient()
    client.force_login(office)
    client.get(reverse("sitting_close", kwargs={"pk": sitting.pk}))  # warm: templates, permissions
    url = reverse("sitting_close", kwargs={"pk": sitting.pk})
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.post(url, {"reason": EARLY})
            elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    decided = Decision.objects.filter(sitting=sitting).count()
    verdict = "under" if elapsed < TARGET_SECONDS else "OVER"
    print(
        f"close a sitting of {decided} dossiers ({connection.vendor}): {elapsed * 1000:.0f} ms, "
        f"{len(ctx.captured_queries)} queries — {verdict} the {TARGET_SECONDS:.0f} s target"
    )
    print(f"queued by the request: {DBTaskResult.objects.count()} task (the letters follow from the worker)")


if __name__ == "__main__":
    main()
