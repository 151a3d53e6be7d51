from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import mfa_current_code

DEMO_DOMAIN = "@cursus.demo"


class Command(BaseCommand):
    help = (
        "Print the current second-factor code of a demo staff account (demo only: accounts of "
        f"{DEMO_DOMAIN}, with DEBUG on). Real accounts use their own authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", nargs="?", default="office@cursus.demo")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        # The demo's codes are given away; a real account's never are (issue 6 §2).
        if not settings.DEBUG or not email.endswith(DEMO_DOMAIN):
            raise CommandError(f"Only demo accounts ({DEMO_DOMAIN}) with DEBUG on have their code printed.")
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No account {email}; run `manage.py seed_demo` first.")
        try:
            code = mfa_current_code(user=user)
        except Authenticator.DoesNotExist:
            raise CommandError(f"{email} has no authenticator; run `manage.py seed_demo` again.") from None
        self.stdout.write(code)
