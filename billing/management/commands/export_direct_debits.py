import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing import sepa
from billing.models import DebitBatch
from billing.services.debits import batch_xml, debit_candidates, debits_export
from catalog.models import Institution
from cursus.errors import DomainError
from cursus.money import format_eur


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--due-by takes a date as YYYY-MM-DD, not {text!r}.") from None


def output_paths(output: Path, batches: list[DebitBatch]) -> list[Path]:
    """FILE itself for one file; FILE with -YYYY-MM-DD before the suffix for several (and -2, -3… when
    two files share a collection date)."""
    if len(batches) == 1:
        return [output]
    paths, seen = [], set()
    for batch in batches:
        stem = f"{output.stem}-{batch.collection_date.isoformat()}"
        path, n = output.with_name(f"{stem}{output.suffix}"), 1
        while path in seen:
            n += 1
            path = output.with_name(f"{stem}-{n}{output.suffix}")
        seen.add(path)
        paths.append(path)
    return paths


class Command(BaseCommand):
    help = (
        "Export the SEPA direct debits of the instalments due by a date (R3.4, I10): one pain.008 per "
        "collection date, validated against its XSD. An instalment exported is never exported again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--due-by", required=True, help="Instalments due on or before YYYY-MM-DD.")
        parser.add_argument("--output", required=True, type=Path, help="The file to write (pain.008 XML).")
        parser.add_argument("--schema", choices=sepa.SCHEMAS, help="Default: settings.SEPA_SCHEMA.")
        parser.add_argument("--institution", type=int, help="Institution id (needed when there are several).")

    def handle(self, *args: Any, **options: Any) -> None:
        due_by = _date(options["due_by"])
        output: Path = options["output"]
        if not output.parent.is_dir():
            raise CommandError(f"No directory {output.parent}.")
        institution = self._institution(options["institution"])
        try:
            batches = debits_export(institution=institution, due_by=due_by, by=None, schema=options["schema"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        blocked = [c for c in debit_candidates(institution_id=institution.pk, due_by=due_by) if not c.ready]
        if not batches:
            self.stdout.write(f"Nothing to export: no instalment ready and due by {due_by.isoformat()}.")
        for batch, path in zip(batches, output_paths(output, batches), strict=True):
            path.write_bytes(batch_xml(batch))
            self.stdout.write(
                f"{path}: {batch.message_id} ({batch.schema}), collection {batch.collection_date.isoformat()}, "
                f"{batch.count} debits, {format_eur(batch.total)}"
            )
        if len(batches) > 1:
            total = sum((b.total for b in batches), start=batches[0].total * 0)
            self.stdout.write(
                f"{len(batches)} files, {sum(b.count for b in batches)} debits, {format_eur(total)}"
            )
        if blocked:
            self.stdout.write(f"{len(blocked)} instalments due were not exported:")
            for cand in blocked:
                inst = cand.instalment
                self.stdout.write(
                    f"  dossier {cand.dossier_id} instalment {inst.number} "
                    f"due {inst.due_on.isoformat()}: {cand.reason}"
                )

    def _institution(self, pk: int | None) -> Institution:
        if pk is not None:
            institution = Institution.objects.filter(pk=pk).first()
            if institution is None:
                raise CommandError(f"No institution {pk}.")
            return institution
        institutions = list(Institution.objects.all()[:2])
        if len(institutions) != 1:
            raise CommandError("Say which institution's debits to export: --institution ID.")
        return institutions[0]
