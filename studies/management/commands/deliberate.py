import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from studies.casefiles import CaseFileError, load_curriculum, load_grades, parse_amount
from studies.deliberation import DeliberationError, ResitPolicy, deliberate, outcome_to_dict, outcome_to_text

DB_OR_FILES = (
    "Give either --program CODE --year YYYY-YYYY (the database) or --curriculum FILE.json --grades FILE.csv "
    "(a case in files), not both."
)


class Command(BaseCommand):
    help = (
        "Deliberate under the MS rules (SPEC I12, I13): every student of a program's curriculum from the "
        "database (--program CODE --year YYYY-YYYY: all grades, published or not, and what each student "
        "owes, R1.8), or a case given in files without the database (--curriculum, --grades). One outcome "
        'per student, with its reasoning. Formats: README, "Deliberation (studies)".'
    )
    # File work needs no database: no system checks, which would touch it with some backends.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--curriculum", type=Path, help="The curriculum, JSON.")
        parser.add_argument("--grades", type=Path, help="First-session grades, CSV: student,subject,grade.")
        parser.add_argument(
            "--resits", type=Path, help="Resit grades, same CSV format: deliberate after resits."
        )
        parser.add_argument("--owed", default="0", help="Amount each student still owes, in euros (120.50).")
        parser.add_argument(
            "--policy",
            choices=[p.value for p in ResitPolicy],
            help="Resit policy (default: the curriculum file's resit_policy, else replace).",
        )
        parser.add_argument("--format", choices=["json", "text"], default="text")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES])
        parser.add_argument("--program", help="Program code (database mode), with --year.")
        parser.add_argument("--year", help="Academic year YYYY-YYYY (database mode), with --program.")
        parser.add_argument(
            "--after-resits", action="store_true", help="Database mode: deliberate with the resit grades."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["program"] or options["year"]:
            if options["curriculum"] or options["grades"] or options["resits"]:
                raise CommandError(DB_OR_FILES)
            self._from_database(options)
            return
        if not options["curriculum"] or not options["grades"]:
            raise CommandError("Give --curriculum FILE.json and --grades FILE.csv.")
        language = options["language"] or settings.LANGUAGE_CODE
        try:
            owed = parse_amount(options["owed"])
        except ValueError as exc:
            raise CommandError(f"--owed: {exc}") from exc
        try:
            case = load_curriculum(options["curriculum"])
            grades = load_grades(options["grades"], case.curriculum)
            resits = load_grades(options["resits"], case.curriculum) if options["resits"] else None
        except CaseFileError as exc:
            raise CommandError(str(exc)) from exc
        if resits is not None:
            strangers = sorted(set(resits) - set(grades))
            if strangers:
                raise CommandError(
                    f"{options['resits']}: students not in the grades file: {', '.join(strangers)}; nothing deliberated."
                )
        policy = ResitPolicy(options["policy"]) if options["policy"] else case.policy or ResitPolicy.REPLACE
        outcomes = []
        for student in sorted(grades):
            try:
                outcome = deliberate(
                    case.curriculum,
                    grades[student],
                    resits=None if resits is None else resits.get(student, {}),
                    owed=owed,
                    thresholds=case.thresholds,
                    policy=policy,
                )
            except DeliberationError as exc:  # pragma: no cover — the files were checked line by line
                raise CommandError(f"{student}: {exc}") from exc
            outcomes.append((student, outcome))
        if options["format"] == "json":
            th = case.thresholds
            payload = {
                "program": case.program,
                "year": case.year,
                "policy": str(policy),
                "thresholds": {
                    "uv_pass": str(th.uv_pass),
                    "overall_pass": str(th.overall_pass),
                    "resit_at_or_below": str(th.resit_at_or_below),
                },
                "after_resits": resits is not None,
                "outcomes": [outcome_to_dict(o, language, student=s) for s, o in outcomes],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n\n".join(outcome_to_text(o, language, student=s) for s, o in outcomes))

    def _from_database(self, options: dict[str, Any]) -> None:
        import re

        from studies import selectors
        from studies.models import Curriculum, StudiesJury
        from studies.services.jury import compute_outcomes, jury_students

        code, year = options["program"], options["year"]
        if not code or not year:
            raise CommandError("Give both --program CODE and --year YYYY-YYYY.")
        if not re.fullmatch(r"\d{4}-\d{4}", year) or int(year[5:]) != int(year[:4]) + 1:
            raise CommandError(f"--year: {year!r} is not an academic year like 2025-2026.")
        curricula = list(
            Curriculum.objects.select_related("program").filter(program__code=code, academic_year=year)
        )
        if not curricula:
            raise CommandError(f"No curriculum of program {code} for {year}.")
        if len(curricula) > 1:
            raise CommandError(f"Program code {code} names programs of several institutions for {year}.")
        curriculum = curricula[0]
        language = options["language"] or settings.LANGUAGE_CODE
        # An unsaved sitting: the same computation as the studies jury's proposals, nothing written.
        jury = StudiesJury(
            curriculum=curriculum, sits_on=timezone.localdate(), after_resits=options["after_resits"]
        )
        try:
            outcomes = compute_outcomes(jury)
        except DeliberationError as exc:
            raise CommandError(f"{curriculum}: {exc}") from exc
        students = jury_students(jury).in_bulk()
        rows = [(f"{students[pk].number} {students[pk].dossier.full_name}", o) for pk, o in outcomes]
        if options["format"] == "json":
            th = selectors.thresholds_of(curriculum)
            payload = {
                "program": curriculum.program.code,
                "year": curriculum.academic_year,
                "policy": str(selectors.policy_of(curriculum)),
                "thresholds": {
                    "uv_pass": str(th.uv_pass),
                    "overall_pass": str(th.overall_pass),
                    "resit_at_or_below": str(th.resit_at_or_below),
                },
                "after_resits": bool(options["after_resits"]),
                "outcomes": [outcome_to_dict(o, language, student=s) for s, o in rows],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n\n".join(outcome_to_text(o, language, student=s) for s, o in rows))
