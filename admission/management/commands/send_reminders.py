from typing import Any

from django.core.management.base import BaseCommand

from admission.services import interview_send_reminders


class Command(BaseCommand):
    help = "Send the day-before interview reminders that are due (run it every 15 minutes from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = interview_send_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
