from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy.services import purge_expired
from privacy.tasks import purge_schedule


class Command(BaseCommand):
    help = (
        "Erase the files and personal data of candidates not admitted once their session's retention "
        "period has passed, the accounts left empty, and audit rows past their retention. Safe to run "
        "twice; run it daily from cron, or once with --schedule to let the worker run it every day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the daily purge task for the worker (durable database queue) instead of running now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            if purge_schedule():
                self.stdout.write("Daily purge queued for the worker.")
            else:
                self.stdout.write(
                    "This task backend cannot defer tasks: run `manage.py purge_expired` from cron."
                )
            return
        report = purge_expired()
        for number in report.dossiers:
            self.stdout.write(f"dossier {number:06d} erased")
        for pk in report.accounts:
            self.stdout.write(f"account {pk} erased")
        audit = "not purged (no audit_purge_expired)" if report.audit_rows is None else str(report.audit_rows)
        self.stdout.write(
            f"{len(report.dossiers)} dossier(s), {len(report.accounts)} account(s) erased; audit rows: {audit}."
        )
