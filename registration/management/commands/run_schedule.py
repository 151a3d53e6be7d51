from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run the periodic work of registration once: offers for decisions just sent, waiting-list "
        "offers, reminders 5 days and 1 day before the end of the 15 days, lapses and the waiting list "
        "(I7). Idempotent: run it from cron every few minutes, or --queue it for the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            action="store_true",
            help="queue a recurring task that the worker (db_worker) runs every 5 minutes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            from registration.tasks import schedule_queue

            if schedule_queue():
                self.stdout.write("The schedule runs every 5 minutes in the worker.")
            else:
                self.stderr.write("This task backend cannot defer tasks: run this command from cron.")
            return
        from registration.services.offers import schedule_run

        self.stdout.write(str(schedule_run()))
