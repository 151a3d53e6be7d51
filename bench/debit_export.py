"""Benchmark: exporting 5,000 SEPA direct debits (issue 9, "Done when": under 5 s).

    make bench-export     # or: .venv/bin/python bench/debit_export.py [--debits 5000] [--schema pain.008.001.02]

On a fresh SQLite database, registrations with active mandates (IBAN encrypted, signed, pre-notified)
are made in bulk, two instalments of each due (first and second: FRST and RCUR debits of the same
mandates, and two collection dates). Then `debits_export` runs end to end: the candidates read and
locked, the sequence types, the IBANs decrypted, the pain.008 files built and validated against their
XSD, the batches and items saved. Printed: the wall time of the export (untraced, compared with the
target), the growth of the process's peak resident memory, then the export once more (the files
reverted first) under tracemalloc for the peak of Python allocations. Nothing fails here.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 5.0
IBANS = ("FR7630006000011234567890189", "DE89370400440532013000", "FR1420041010050500013M02606")


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debits", type=int, default=5_000)
    parser.add_argument("--schema", default="pain.008.001.08", choices=("pain.008.001.08", "pain.008.001.02"))
    parser.add_argument("--profile", action="store_true", help="profile the export (cProfile), print the top")
    args = parser.parse_args()

    from bench.throwaway import django_on_a_throwaway_database

    django_on_a_throwaway_database("cursus-bench-debits-")
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from applications.demo import demo_session
    from applications.models import Dossier
    from billing import crypto, references
    from billing.models import Due, DueKind, LedgerLine, LineKind, Mandate, MandateStatus
    from billing.services.debits import batch_revert, debits_export
    from catalog.models import Institution, Offering
    from registration.models import Instalment, Registration, RegistrationStatus

    institution = Institution.objects.get()
    session = demo_session(institution, timezone.localdate())
    year = session.teaching_calendar().academic_year
    offerings = list(Offering.objects.filter(session=session))
    people = (args.debits + 1) // 2
    today = timezone.localdate()
    first_due, second_due = today + dt.timedelta(days=20), today + dt.timedelta(days=35)
    signed = timezone.now() - dt.timedelta(days=30)

    started = time.perf_counter()
    users = User.objects.bulk_create([User(email=f"s{i}@bench", last_name=f"Nom{i}") for i in range(people)])
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offerings[i % len(offerings)],
                status="registered",
                last_name=f"Nom{i}",
                first_names="Prénom Élodie",
                nationality="FR",
                eligibility_path="a",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    regs = Registration.objects.bulk_create(
        [Registration(dossier=d, status=RegistrationStatus.COMPLETED, financing="personal") for d in dossiers]
    )
    instalments = Instalment.objects.bulk_create(
        [
            Instalment(registration=r, number=n, amount=amount, due_on=due_on, debtor="student")
            for r in regs
            for n, amount, due_on in (
                (1, Decimal("2333.33"), first_due),
                (2, Decimal("2333.33"), second_due),
                (3, Decimal("2333.34"), today + dt.timedelta(days=200)),
            )
        ]
    )
    drawn: set[str] = set()
    while len(drawn) < len(instalments):
        drawn.add(references.new_reference())
    dossier_of = {r.pk: r.dossier_id for r in regs}
    dues = Due.objects.bulk_create(
        [
            Due(
                dossier_id=dossier_of[i.registration_id],
                kind=DueKind.INSTALMENT,
                label=f"Tuition, instalment {i.number} of 3",
                amount=i.amount,
                due_on=i.due_on,
                reference=ref,
                instalment=i,
            )
            for i, ref in zip(instalments, sorted(drawn), strict=True)
        ]
    )
    LedgerLine.objects.bulk_create(
        [LedgerLine(due=d, kind=LineKind.DUE, amount=d.amount, occurred_on=d.due_on) for d in dues],
        batch_size=2000,
    )
    tokens = {iban: crypto.encrypt(iban) for iban in IBANS}
    Mandate.objects.bulk_create(
        [
            Mandate(
                institution=institution,
                registration=r,
                academic_year=year,
                debtor_kind="student",
                reference=f"CURSUS-BENCH-{r.pk:06d}-1",
                creditor_id="FR72ZZZ123456",
                status=MandateStatus.ACTIVE,
                debtor_name=f"Prénom Élodie Nom{i}",
                debtor_email=f"s{i}@bench",
                street=f"{i % 200 + 1} rue Lahure",
                postcode="59500",
                town="Douai",
                country="FR",
                iban_encrypted=tokens[IBANS[i % len(IBANS)]],
                iban_country=IBANS[i % len(IBANS)][:2],
                iban_last4=IBANS[i % len(IBANS)][-4:],
                signed_at=signed,
                prenotified_at=signed,
            )
            for i, r in enumerate(regs)
        ],
        batch_size=2000,
    )
    fill = time.perf_counter() - started
    finance = User.objects.create_user(email="f@bench")
    print(
        f"Direct debit export — {people * 2} instalments due ({people} mandates), {args.schema}, SQLite, "
        f"{os.cpu_count()} CPUs, target {TARGET_SECONDS:.0f} s (filled in {fill:.1f} s)\n"
    )

    due_by = second_due + dt.timedelta(days=1)
    rss_before = _rss_mb()
    start = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            batches = debits_export(institution=institution, due_by=due_by, by=finance, schema=args.schema)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
    else:
        batches = debits_export(institution=institution, due_by=due_by, by=finance, schema=args.schema)
    seconds = time.perf_counter() - start
    rss_growth = _rss_mb() - rss_before
    count = sum(b.count for b in batches)
    total = sum((b.total for b in batches), Decimal("0.00"))
    verdict = "under" if seconds < TARGET_SECONDS else "OVER"
    print(
        f"export    {len(batches)} files, {count} debits, {total} EUR: {seconds:6.2f} s "
        f"({verdict} the {TARGET_SECONDS:.0f} s target)   peak RSS +{rss_growth:6.1f} MB "
        f"(process {_rss_mb():6.1f} MB)"
    )
    for b in batches:
        frst = b.items.filter(sequence="FRST").count()
        print(
            f"          {b.collection_date}: {b.count} debits ({frst} FRST), {b.total} EUR, {len(b.xml) / 1e6:.1f} MB"
        )

    for b in batches:
        batch_revert(batch=b, by=finance)
    tracemalloc.start()
    start = time.perf_counter()
    again = debits_export(institution=institution, due_by=due_by, by=finance, schema=args.schema)
    traced_seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"traced    {sum(b.count for b in again)} debits again after revert: {traced_seconds:6.2f} s "
        f"(tracing slows it: not compared)   Python peak (tracemalloc) {peak / 1_048_576:6.1f} MB"
    )


if __name__ == "__main__":
    main()
