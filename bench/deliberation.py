"""Benchmark: the studies jury's deliberation of 5,000 students × 25 grades (issue 10, "Done when": at most
3× a raw SQL read of the same grades).

    make bench-deliberate     # or: .venv/bin/python bench/deliberation.py [--students 5000] [--write]

On a fresh SQLite database: one curriculum (three teaching UVs of 8, 7 and 7 subjects, the professional part's
mission, thesis and defence: 25 subjects), 5,000 registered students, each with a grade in every subject
and a tuition due (some paid, some not), all made with bulk_create. Then, timed:

- the raw read: ``SELECT student_id, subject_id, session, value, absent FROM studies_grade`` of those
  students, every row fetched (sqlite3 cursor, no ORM);
- the deliberation end to end from the database, as ``jury_propose`` does it without writing the outcomes
  (``studies.services.jury.compute_outcomes``: the curriculum, the students, their grades in one query,
  the amounts owed in one query, the deliberation of each student). With ``--write``, ``jury_open`` itself
  (the same, plus the 5,000 outcomes and their reasoning written) is timed too: "Jury open (writes
  outcomes)".

Each read is timed ``--repeat`` times (3), the best kept, both sides alike: the machine's noise does not
decide the ratio. Printed: both times and their ratio against the 3× target. Nothing fails here.
"""

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_RATIO = 3.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=5_000)
    parser.add_argument("--write", action="store_true", help="also time jury_open (outcomes written)")
    parser.add_argument("--profile", action="store_true", help="profile the deliberation (cProfile)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each read timed; the best is kept")
    args = parser.parse_args()

    from bench.throwaway import django_on_a_throwaway_database

    django_on_a_throwaway_database("cursus-bench-deliberation-")
    import datetime as dt
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from applications.demo import demo_session
    from applications.models import Dossier
    from billing import references
    from billing.models import Due, DueKind, LedgerLine, LineKind
    from catalog.models import Institution, Offering
    from registration.models import Registration, RegistrationStatus, Student
    from studies.models import Component, Curriculum, Grade, StudiesJury, Subject, Unit
    from studies.services.jury import compute_outcomes, jury_open

    institution = Institution.objects.get()
    session = demo_session(institution, timezone.localdate())
    off = Offering.objects.filter(session=session).select_related("program").first()
    assert off is not None
    year = "2026-2027"
    rng = random.Random(10)

    started = time.perf_counter()
    cur = Curriculum.objects.create(program=off.program, academic_year=year)
    subjects: list[Subject] = []
    for i, (code, ects, n) in enumerate((("UV1", 15, 8), ("UV2", 15, 7), ("UV3", 15, 7))):
        unit = Unit.objects.create(curriculum=cur, code=code, name=code, ects=Decimal(ects), position=i)
        for j in range(n):
            subjects.append(
                Subject.objects.create(
                    curriculum=cur, unit=unit, code=f"{code}-{j}", name=f"{code} {j}",
                    coefficient=Decimal(1 + j % 3), position=j,
                )
            )  # fmt: skip
    pro = Unit.objects.create(
        curriculum=cur, code="PRO", name="PRO", ects=Decimal(30), professional=True, position=9
    )
    for j, comp in enumerate(Component):
        subjects.append(
            Subject.objects.create(
                curriculum=cur, unit=pro, code=comp.value.upper(), name=str(comp.label),
                coefficient=Decimal(1 + j % 2), component=comp.value, position=j,
            )
        )  # fmt: skip
    assert len(subjects) == 25

    n = args.students
    users = User.objects.bulk_create([User(email=f"e{i}@bench", last_name=f"Nom{i}") for i in range(n)])
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u, offering=off, status="registered", last_name=f"Nom{i}", first_names="Élodie",
                nationality="FR", eligibility_path="a", submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )  # fmt: skip
    regs = Registration.objects.bulk_create(
        [Registration(dossier=d, status=RegistrationStatus.COMPLETED, financing="personal") for d in dossiers]
    )
    students = Student.objects.bulk_create(
        [
            Student(user=d.candidate, dossier=d, registration=r, offering=off, academic_year=year)
            for d, r in zip(dossiers, regs, strict=True)
        ]
    )
    Grade.objects.bulk_create(
        [
            Grade(student=s, subject=subj, value=Decimal(rng.randint(300, 2000)) / 100)
            for s in students
            for subj in subjects
        ],
        batch_size=5_000,
    )
    drawn: set[str] = set()
    while len(drawn) < n:
        drawn.add(references.new_reference())
    dues = Due.objects.bulk_create(
        [
            Due(dossier=d, kind=DueKind.INSTALMENT, label="Tuition", amount=Decimal("7500.00"),
                due_on=dt.date(2027, 1, 15), reference=ref)
            for d, ref in zip(dossiers, sorted(drawn), strict=True)
        ]
    )  # fmt: skip
    LedgerLine.objects.bulk_create(
        [LedgerLine(due=due, kind=LineKind.DUE, amount=due.amount, occurred_on=due.due_on) for due in dues]
        + [
            LedgerLine(due=due, kind=LineKind.PAYMENT, amount=-due.amount, occurred_on=due.due_on)
            for i, due in enumerate(dues)
            if i % 10
        ],
        batch_size=5_000,
    )
    print(f"Made {n:,} students × 25 grades in {time.perf_counter() - started:.1f} s.")

    jury = StudiesJury(curriculum=cur, sits_on=dt.date(2027, 6, 30))

    def raw_read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT g.student_id, g.subject_id, g.session, g.value, g.absent FROM studies_grade g "
                "JOIN studies_subject s ON s.id = g.subject_id WHERE s.curriculum_id = %s",
                [cur.pk],
            )
            return len(cursor.fetchall())

    def best(measure: Any) -> float:
        """The best of ``--repeat`` runs, both sides alike."""
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            measure()
            times.append(time.perf_counter() - t0)
        return min(times)

    raw_read()  # warm the page cache for both
    rows = raw_read()
    assert rows == n * 25, rows
    raw = best(raw_read)

    if args.profile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            compute_outcomes(jury)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    outcomes = compute_outcomes(jury)
    assert len(outcomes) == n
    full = best(lambda: compute_outcomes(jury))
    kinds: dict[str, int] = {}
    for _pk, o in outcomes:
        kinds[str(o.kind)] = kinds.get(str(o.kind), 0) + 1

    print(f"Raw SQL read of {rows:,} grades:                       {raw:7.3f} s")
    print(f"Deliberation end to end from the database (no write): {full:7.3f} s")
    ratio = full / raw
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"Ratio: {ratio:.1f}× ({verdict} the {TARGET_RATIO:.0f}× target). Outcomes: {kinds}")
    if args.write:
        office = User.objects.create(email="office@bench", is_superuser=True)
        t0 = time.perf_counter()
        saved = jury_open(curriculum=cur, sits_on=dt.date(2027, 6, 30), by=office)
        written = time.perf_counter() - t0
        print(
            f"Jury open (writes outcomes): {saved.outcomes.count():,} outcomes and their reasoning: "
            f"{written:7.3f} s ({written / raw:.1f}× the raw read)"
        )


if __name__ == "__main__":
    main()
