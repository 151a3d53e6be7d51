from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from studies.services.grades import grades_import


class Command(BaseCommand):
    help = (
        "Import grades from a CSV (UTF-8, ; or ,) or XLSX file with the columns student (student number, "
        "e.g. 202500042), subject (code), grade (12.5 with a dot, or ABS) and optionally session "
        "(first|resit). All or nothing: one bad line and nothing is imported; every bad line is listed. "
        "README, “Grades”."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The grades file (.csv or .xlsx).")
        parser.add_argument(
            "--by",
            metavar="EMAIL",
            help="Import as this staff member (audited as theirs; only their subjects). "
            "Without it: as the server's operator, every subject.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(email__iexact=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active account with the email {options['by']}.")
        report = grades_import(data=data, filename=path.name, by=by)
        if not report.ok:
            raise CommandError(report.text())
        self.stdout.write(report.text())
