"""The health endpoint (issue 11 item 1) that a load balancer or a supervisor polls.

It checks what a web node needs: the database answers, the task queue's table is reachable (and how
long the oldest waiting task has waited: ``late`` past ``HEALTH_QUEUE_LATE_SECONDS``, which says the
workers are behind or down without taking the web node out of the pool), and the file storage takes a
write and a delete. 200 when the database, queue table and storage work; 503 otherwise. The body
names no path, host or error text: only each check's state."""

import logging
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger("cursus.health")


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _queue() -> tuple[str, int | None]:
    from django_tasks_db.models import DBTaskResult

    oldest = (
        DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    )
    if oldest is None:
        return "ok", 0
    waited = int((timezone.now() - oldest).total_seconds())
    return ("late" if waited > settings.HEALTH_QUEUE_LATE_SECONDS else "ok"), waited


def _storage() -> str:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return "ok"


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks: dict[str, object] = {}
    healthy = True
    for name, probe in (("database", _database), ("storage", _storage)):
        try:
            checks[name] = probe()
        except Exception:  # noqa: BLE001 — any failure is "down"; the log has the details
            log.exception("health check %s failed", name)
            checks[name], healthy = "down", False
    try:
        checks["queue"], checks["queue_oldest_seconds"] = _queue()
    except Exception:  # noqa: BLE001
        log.exception("health check queue failed")
        checks["queue"], healthy = "down", False
    checks["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503)
