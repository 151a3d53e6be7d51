from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from applications.demo import seed_demo


class Command(BaseCommand):
    help = "Fill the site with demo accounts (one per staff role) and candidates in every state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--candidates", type=int, default=12)

    def handle(self, *args: Any, **options: Any) -> None:
        from applications.models import Dossier

        if Dossier.objects.filter(candidate__email__endswith="@exemple.demo").exists():
            self.stdout.write(
                "Demo candidates already exist: none added. For another number, start from an empty "
                "database: `make clean` then `make run DEMO_CANDIDATES=40`."
            )
        lines = seed_demo(candidates=options["candidates"], today=timezone.localdate())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({len(lines)} demo accounts)."))
