from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from billing.models import CsvMapping, LineState
from billing.services.statements import statement_process, statement_upload
from catalog.models import Institution
from cursus.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import a bank statement (CFONB 120, camt.053, or CSV with --mapping), the format detected from "
        "the content, and match its credits to the amounts due. The same file twice imports nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--institution", type=int, help="Institution id (needed when there are several).")
        parser.add_argument("--mapping", help="Name of the saved CSV column mapping (CSV statements only).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        institution = self._institution(options["institution"])
        mapping = None
        if options["mapping"]:
            mapping = CsvMapping.objects.filter(institution=institution, name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(f"No CSV mapping named {options['mapping']!r} for {institution}.")
        with path.open("rb") as fh:
            try:
                imp = statement_upload(
                    institution=institution,
                    by=None,
                    fileobj=fh,
                    name=path.name,
                    size=path.stat().st_size,
                    mapping=mapping,
                    enqueue=False,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        imp = statement_process(import_id=imp.pk)
        if imp.status != "done":
            raise CommandError(f"Import {imp.pk} failed: {imp.error}")
        self.stdout.write(
            f"Import {imp.pk} ({imp.get_format_display()}): {imp.total} lines, {imp.created} new, "
            f"{imp.duplicates} already imported."
        )
        counts = dict(imp.lines.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        for state, label in LineState.choices:
            if counts.get(state):
                self.stdout.write(f"  {state:<13} {counts[state]:>6}  {label}")

    def _institution(self, pk: int | None) -> Institution:
        if pk is not None:
            institution = Institution.objects.filter(pk=pk).first()
            if institution is None:
                raise CommandError(f"No institution {pk}.")
            return institution
        institutions = list(Institution.objects.all()[:2])
        if len(institutions) != 1:
            raise CommandError("Say which institution the statement belongs to: --institution ID.")
        return institutions[0]
