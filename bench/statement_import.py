"""Benchmark: importing a bank statement of 10,000 lines (issue 9, "Done when": under 10 s).

    make bench-import     # or: .venv/bin/python bench/statement_import.py [--lines 10000] [--matching 300]

The same statement is written with `billing.statements.writers` as a camt.053 and as a CFONB 120: a few
hundred credits pay the open application fees of generated dossiers (two thirds quoting the due's
reference, one third only "SURNAME MS CODE"), the rest come from unknown payers. Each format is imported
in its own process on its own fresh SQLite database, through `statement_upload(enqueue=False)` and
`statement_process` (what the task runs). Printed: wall time of the import (upload + process), the
growth of the process's peak resident memory during it, and with --tracemalloc the peak of Python
allocations (tracing slows the run: its time is not the one to compare with the target). Nothing fails
here.
"""

import argparse
import os
import resource
import subprocess  # nosec B404
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 10.0
FORMATS = ("camt053", "cfonb120")


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def one_format(fmt: str, lines: int, matching: int, trace: bool) -> None:
    from bench.throwaway import django_on_a_throwaway_database

    django_on_a_throwaway_database("cursus-bench-import-", UPLOAD_MAX_BYTES=str(50 * 1024 * 1024))
    import datetime as dt
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import User
    from applications.demo import demo_session
    from applications.models import Dossier
    from billing.models import BankLine, LineState
    from billing.references import display
    from billing.services.ledger import fee_due
    from billing.services.statements import statement_process, statement_upload
    from billing.statements.writers import StatementEntry, camt053, cfonb120
    from catalog.models import Institution, Offering

    institution = Institution.objects.get()
    session = demo_session(institution, timezone.localdate())
    offerings = list(Offering.objects.filter(session=session).select_related("program"))
    users = User.objects.bulk_create(
        [User(email=f"c{i}@bench", last_name=f"Nom{i}") for i in range(matching)]
    )
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offerings[i % len(offerings)],
                status="submitted",
                last_name=f"Nom{i}",
                first_names="Prénom",
                nationality="FR",
                eligibility_path="c",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    today = timezone.localdate()
    entries = []
    for i, dossier in enumerate(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).order_by("pk")):
        due = fee_due(dossier)
        if i % 3 == 2:
            remittance = f"{dossier.last_name} MS {dossier.offering.program.code}"
        else:
            remittance = f"FRAIS CANDIDATURE {display(due.reference)}"
        entries.append(
            StatementEntry(
                booked_on=today - dt.timedelta(days=i % 5),
                amount=due.amount,
                remittance=remittance,
                payer=f"PRENOM {dossier.last_name}",
                reference=f"M{i:06d}",
            )
        )
    for i in range(lines - len(entries)):
        entries.append(
            StatementEntry(
                booked_on=today - dt.timedelta(days=i % 20),
                amount=Decimal(10 + i % 990) + Decimal(i % 100) / 100,
                remittance=f"FACTURE {i:06d} REGLEMENT CLIENT",
                payer=f"SOCIETE CLIENTE {i:05d}",
                reference=f"U{i:06d}",
            )
        )
    data = camt053(entries, statement_id="BENCH") if fmt == "camt053" else cfonb120(entries)
    finance = User.objects.create_user(email="f@bench")

    rss_before = _rss_mb()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    imp = statement_upload(
        institution=institution,
        by=finance,
        fileobj=ContentFile(data),
        name=f"bench.{fmt}",
        size=len(data),
        enqueue=False,
    )
    imp = statement_process(import_id=imp.pk)
    seconds = time.perf_counter() - start
    traced = ""
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = f"   Python peak (tracemalloc) {peak / 1_048_576:6.1f} MB"
    rss_growth = _rss_mb() - rss_before
    counts = {s: BankLine.objects.filter(statement=imp, state=s).count() for s in LineState.values}
    verdict = "under" if seconds < TARGET_SECONDS else "OVER"
    verdict = f"{verdict} the {TARGET_SECONDS:.0f} s target" if not trace else "traced: slower, not compared"
    print(
        f"{fmt:9} {len(data) / 1_048_576:5.1f} MB, {imp.total} lines ({imp.status}): {seconds:6.2f} s "
        f"({verdict})   peak RSS +{rss_growth:6.1f} MB "
        f"(process {_rss_mb():6.1f} MB){traced}"
    )
    print(f"          {', '.join(f'{k} {v}' for k, v in counts.items() if v)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--matching", type=int, default=300, help="credits paying an open fee")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--format", choices=FORMATS, help="one format, in this process")
    args = parser.parse_args()
    if args.format:
        one_format(args.format, args.lines, args.matching, args.tracemalloc)
        return
    print(
        f"Statement import — {args.lines} lines ({args.matching} paying open fees), SQLite, "
        f"{os.cpu_count()} CPUs, target {TARGET_SECONDS:.0f} s\n"
    )
    for fmt in FORMATS:  # each in a fresh process and database: peak memory is then its own
        command = [sys.executable, __file__, "--format", fmt, "--lines", str(args.lines)]
        command += ["--matching", str(args.matching)] + (["--tracemalloc"] if args.tracemalloc else [])
        subprocess.run(command, check=True)  # noqa: S603  # nosec B603


if __name__ == "__main__":
    main()
