import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from studies.casefiles import CaseFileError, load_curriculum, load_grades, parse_amount
from studies.deliberation import DeliberationError, ResitPolicy, deliberate, outcome_to_dict, outcome_to_text

NOT_YET = (
    "The database mode (--program CODE --year YYYY-YYYY) is not available yet: it comes with the studies "
    "models. Check a case from files instead: --curriculum FILE.json --grades FILE.csv."
)


class Command(BaseCommand):
    help = (
        "Deliberate under the MS rules (SPEC I12, I13) on a case given in files, without the database: "
        "one outcome per student of the grades file, with its reasoning. Formats: README, "
        '"Deliberation (studies)".'
    )
    # Pure file work: no system checks, which would touch the database with some backends.
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
        parser.add_argument("--program", help="Not available yet (database mode).")
        parser.add_argument("--year", help="Not available yet (database mode).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["program"] or options["year"]:
            raise CommandError(NOT_YET)
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
