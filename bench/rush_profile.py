"""Where a submission's time goes (bench/rush.py's slowest request): one process, no load, on a throwaway
PostgreSQL database set up as the rush's. For ``--dossiers`` ready dossiers (sections, the three files
of the rush's slots, the fee declared), the submit request through Django's test client, timed, its
queries counted, and profiled (cProfile, the heaviest functions printed); then the dashboard it
redirects to and the dossier page, for comparison.

    .venv/bin/python bench/rush_profile.py [--dossiers 30] [--top 25]
"""

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.rush import environment, percentile, seed, throwaway_postgres  # noqa: E402
from bench.rush_client import email_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--sql", action="store_true", help="print the queries of the first request of each kind"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cursus-bench-rush-profile-"))
    with throwaway_postgres(f"cursus_bench_rush_profile_{os.getpid()}") as db_url:
        os.environ.update(environment(tmp, db_url, 8811, 1, 1))
        os.environ["DJANGO_SETTINGS_MODULE"] = "cursus.settings"
        import django

        django.setup()
        from django.db import connection, connections
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment

        setup_test_environment()  # emails to memory, the test client's host allowed
        from django.conf import settings
        from django.test.utils import override_settings

        # The pages' static URLs without a collectstatic manifest: static files are not measured here.
        static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}).enable()
        try:
            plan = seed(args.dossiers)
            from accounts.models import User
            from applications import services
            from applications.models import Dossier
            from catalog.models import DocumentType, Offering

            offering = Offering.objects.select_related("session", "program").get(pk=plan.offering)
            types = {t.pk: t for t in DocumentType.objects.filter(pk__in=plan.document_types)}
            clients: list[tuple[Client, Dossier]] = []
            for i in range(args.dossiers):
                user = User.objects.get(email=email_of(i))
                dossier = services.dossier_open(candidate=user, offering=offering)
                for section, data in _sections(i).items():
                    services.dossier_save_section(dossier=dossier, by=user, section=section, data=data)
                dossier.refresh_from_db()
                for type_pk, content in zip(plan.document_types, plan.files, strict=True):
                    services.document_upload(
                        dossier=dossier,
                        by=user,
                        document_type=types[type_pk],
                        fileobj=io.BytesIO(content),
                        name="piece.pdf",
                        size=len(content),
                    )
                services.fee_declare(dossier=dossier, by=user, channel="transfer", paid_on=plan.today)
                client = Client()
                client.force_login(user)
                clients.append((client, dossier))
            for label, method, path in (
                ("dossier page", "get", "/dossiers/{pk}/"),
                ("submit", "post", "/dossiers/{pk}/submit/"),
                ("dashboard", "get", "/espace/"),
            ):
                times: list[float] = []
                queries: list[int] = []
                profile = cProfile.Profile()
                for client, dossier in clients:
                    url = path.format(pk=dossier.pk)
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        profile.enable()
                        if method == "post":
                            response = client.post(url, {"confirm": "yes"})
                        else:
                            response = client.get(url)
                        profile.disable()
                        times.append(time.perf_counter() - started)
                    queries.append(len(captured))
                    if args.sql and len(queries) == 1:
                        for q in captured.captured_queries:
                            print(f"  {q['time']} s  {q['sql'][:300]}")
                    assert response.status_code in (200, 302), (url, response.status_code)
                    if method == "post":
                        assert response["Location"] == "/espace/", response["Location"]
                print(
                    f"\n{label}: p50 {percentile(times, 50) * 1000:.1f} ms, p99 {percentile(times, 99) * 1000:.1f} ms,"
                    f" queries {min(queries)}-{max(queries)}"
                )
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
                print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
        finally:
            connections.close_all()
            shutil.rmtree(tmp, ignore_errors=True)


def _sections(i: int) -> dict[str, dict[str, object]]:
    import datetime as dt
    from decimal import Decimal

    return {
        "identity": {
            "last_name": f"Candidat{i}",
            "first_names": "Camille",
            "birth_date": dt.date(1997, 3, 14),
            "birth_place": "Douai",
            "nationality": "FR",
            "second_nationality": "",
        },
        "contact": {
            "phone": "+33611223344",
            "address": "3 rue Lahure",
            "postal_code": "59500",
            "city": "Douai",
            "country": "FR",
        },
        "eligibility": {
            "eligibility_path": "a",
            "diploma_title": "Diplôme d'ingénieur",
            "diploma_institution": "Centrale Lille",
            "diploma_year": 2020,
            "experience_years": Decimal(2),
            "bac5_in_progress": False,
        },
        "financing": {"financing_intention": "personal"},
    }


if __name__ == "__main__":
    main()
