"""Benchmarks: pages and slow work measured on a throwaway database, figures printed.

    make bench            # or: .venv/bin/python bench/run.py [--dossiers 500]

Targets (medians on the 2-core reference machine): catalogue < 150 ms, director list and jury screen
< 300 ms with 500 dossiers, a decision < 50 ms, a decision letter PDF < 1 s. Figures are printed;
nothing fails here: speed is watched, not asserted in unit tests.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(label: str, fn: Callable[[], object], runs: int) -> None:
    first = fn()  # warm-up; a page must answer 200, or the figure would time a redirect
    status = getattr(first, "status_code", 200)
    if status != 200:
        raise SystemExit(f"{label}: answered {status}, not 200")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:48} median {statistics.median(samples):8.1f} ms   p90 {sorted(samples)[int(runs * 0.9) - 1]:8.1f} ms   ({runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="cursus-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursus.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from accounts.testing import SecondFactorClient

    setup_test_environment()  # emails to memory
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("seed_defaults", verbosity=0)

    from django.contrib.auth.models import Group

    from accounts.models import User
    from admission import services as adm
    from admission.documents import decision_letter_pdf
    from admission.models import Decision, JurySitting, Opinion
    from applications.demo import demo_session
    from applications.models import Dossier
    from catalog.models import Institution, Offering, Program

    session = demo_session(Institution.objects.get(), timezone.localdate())
    director = User.objects.create_user(email="d@bench")
    director.groups.add(Group.objects.get(name="Program directors"))
    jury = User.objects.create_user(email="j@bench")
    jury.groups.add(Group.objects.get(name="Jury members"))
    for p in Program.objects.all():
        p.directors.add(director)
    sitting = JurySitting.objects.filter(session=session).first()
    assert sitting is not None
    sitting.members.add(jury)
    offerings = list(Offering.objects.filter(session=session))
    Offering.objects.filter(session=session).update(capacity=args.dossiers)
    # update() sends no signal: the catalogue's cached offerings are told here (catalog/cache.py).
    from catalog.cache import bump_version

    bump_version()
    users = User.objects.bulk_create([User(email=f"c{i}@bench") for i in range(args.dossiers)])
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offerings[i % len(offerings)],
                status="at_jury",
                sitting=sitting,
                last_name=f"Nom{i}",
                first_names="Prénom",
                nationality="FR",
                eligibility_path="c",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    Opinion.objects.bulk_create([Opinion(dossier=d, favourable=True, given_by=director) for d in dossiers])
    print(f"Cursus benchmarks — {args.dossiers} dossiers at one sitting, SQLite, {os.cpu_count()} CPUs\n")

    anon = Client()
    timed("catalogue (home page)", lambda: anon.get("/"), args.runs)
    dc = SecondFactorClient()
    dc.force_login(director)
    timed("director list (first page)", lambda: dc.get("/gestion/programmes/"), args.runs)
    timed(
        "director CSV export (one program)",
        lambda: dc.get(f"/gestion/programmes/{offerings[0].program_id}/export.csv"),
        args.runs,
    )
    jc = SecondFactorClient()
    jc.force_login(jury)
    timed(
        "jury screen (whole sitting)", lambda: jc.get(f"/gestion/jurys/{sitting.pk}/"), max(5, args.runs // 4)
    )

    pending = iter(dossiers)
    timed(
        "decision under the capacity lock",
        lambda: adm.decision_record(dossier=next(pending), by=jury, outcome="admitted"),
        args.runs,
    )
    decision = Decision.objects.select_related(
        "sitting",
        "dossier__candidate",
        "dossier__offering__program",
        "dossier__offering__session__institution",
    ).first()
    assert decision is not None
    timed("decision letter PDF (WeasyPrint)", lambda: decision_letter_pdf(decision), 5)

    # Issue 8 and 9 screens: the registrations list and the ledger, over the same 500 dossiers.
    from billing.services.ledger import fee_due

    for d in dossiers:
        fee_due(d)
    finance = User.objects.create_user(email="f@bench")
    finance.groups.add(Group.objects.get(name="Finance"))
    fc = SecondFactorClient()
    fc.force_login(finance)
    timed("registrations (director, first page)", lambda: dc.get("/gestion/inscriptions/"), args.runs)
    timed(
        f"ledger (finance, first page of {len(dossiers)} dues)",
        lambda: fc.get("/gestion/finance/"),
        args.runs,
    )
    timed("ledger CSV export", lambda: fc.get("/gestion/finance/export/"), max(5, args.runs // 4))


if __name__ == "__main__":
    main()
