"""The set-up every benchmark shares: Django on a throwaway SQLite database in a temporary folder,
migrated and seeded with the defaults, emails to memory, tasks run at once."""

import os
import tempfile


def django_on_a_throwaway_database(prefix: str, **env: str) -> str:
    """Set the environment, start Django, migrate and seed; returns the temporary folder."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DEBUG", "1")  # a throwaway database, development settings (as `make`)
    for name, value in env.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursus.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # emails to memory
    call_command("migrate", verbosity=0)
    call_command("seed_defaults", verbosity=0)
    return tmp
