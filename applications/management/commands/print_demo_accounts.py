import os
from typing import Any

from django.core.management.base import BaseCommand

from applications.demo import CANDIDATE_EMAIL, DEMO_PASSWORD, STAFF


class Command(BaseCommand):
    help = "Print the demo accounts and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"\nCursus demo — http://127.0.0.1:{port}/  (emails are printed in this console)\n")
        self.stdout.write(f"  {'account':28} password     role")
        for email, _first, _last, group, _su in STAFF:
            self.stdout.write(f"  {email:28} {DEMO_PASSWORD}  {group or 'superuser (back office)'}")
        self.stdout.write(f"  {CANDIDATE_EMAIL:28} {DEMO_PASSWORD}  candidate")
        from registration.demo import ROLES

        for key, role in ROLES.items():
            self.stdout.write(f"  {key + '.inscription@exemple.demo':28} {DEMO_PASSWORD}  {role}")
        from studies.demo import ROLES as STUDIES_ROLES

        for key, role in STUDIES_ROLES.items():
            self.stdout.write(f"  {key + '.etudes@exemple.demo':28} {DEMO_PASSWORD}  {role}")
        self.stdout.write("")
        self.stdout.write(
            "  Staff accounts sign in with a second factor (authenticator app). For the demo, get the\n"
            "  current 6-digit code of an account with:  DEBUG=1 .venv/bin/python manage.py demo_code office@cursus.demo\n"
        )
