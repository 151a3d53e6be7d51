import datetime as dt

from django.tasks import task
from django.utils import timezone

# The schedule runs every few minutes; the worker keeps the chain going (`run_schedule --queue`).
SCHEDULE_EVERY = dt.timedelta(minutes=5)


@task()
def send_offer(offer_id: int) -> None:
    from registration.services.offers import offer_send

    offer_send(offer_id=offer_id)


@task()
def run_schedule_recurring() -> None:
    """Run the schedule, then queue the next run (with a durable queue)."""
    from registration.services.offers import schedule_run

    try:
        schedule_run()
    finally:
        schedule_queue(at=timezone.now() + SCHEDULE_EVERY)


def schedule_queue(*, at: dt.datetime | None = None) -> bool:
    """Queue the next run unless one is already waiting. False where the backend cannot defer a
    task (then cron runs `manage.py run_schedule`)."""
    backend = run_schedule_recurring.get_backend()
    if not backend.supports_defer:
        return False
    from django.apps import apps

    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=run_schedule_recurring.module_path, status="READY").exists():
            return True
    run_schedule_recurring.using(run_after=at or timezone.now()).enqueue()
    return True
