from django.core.management.base import BaseCommand

from accounts.services import roles_ensure_groups
from admission.services import sittings_install_defaults
from catalog.services import catalog_install_defaults
from privacy.services import accessibility_statement_install_defaults, privacy_notice_install_defaults


class Command(BaseCommand):
    help = "Install the 2025-2026 defaults (I16) and the staff role groups. Safe to run twice."

    def handle(self, *args: object, **options: object) -> None:
        session = catalog_install_defaults()
        roles_ensure_groups()
        sittings_install_defaults(session)
        privacy_notice_install_defaults(session.institution)
        accessibility_statement_install_defaults(session.institution)
        self.stdout.write(self.style.SUCCESS(f"Defaults ready: {session}"))
