import datetime as dt

from django.tasks import task
from django.utils import timezone

# The purge runs once a day; the worker keeps the chain going (see `purge_expired --schedule`).
PURGE_EVERY = dt.timedelta(days=1)


@task()
def purge_expired_daily() -> None:
    """Run the retention purge, then queue the next run for tomorrow (with a durable queue)."""
    from privacy.services import purge_expired

    try:
        purge_expired()
    finally:
        purge_schedule(at=timezone.now() + PURGE_EVERY)


def purge_schedule(*, at: dt.datetime | None = None) -> bool:
    """Queue the next daily purge unless one is already waiting. False where the backend cannot
    defer a task (then cron runs `manage.py purge_expired`)."""
    backend = purge_expired_daily.get_backend()
    if not backend.supports_defer:
        return False
    if _already_queued():
        return True
    purge_expired_daily.using(run_after=at or timezone.now()).enqueue()
    return True


def _already_queued() -> bool:
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=purge_expired_daily.module_path,
        status="READY",
    ).exists()
