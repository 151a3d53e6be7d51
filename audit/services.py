import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from audit.models import AuditEvent
from cursus.institutions import institution_id_of


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row, tagged with the institution of ``obj`` (I17). Call inside the change's transaction."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        institution_id=institution_id_of(obj),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def audit_history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


def audit_purge_expired(*, now: dt.datetime) -> int:
    """Delete the audit rows older than ``AUDIT_RETENTION_DAYS`` before ``now``; return how many.

    The only way rows leave the trail: on PostgreSQL the append-only trigger lets a DELETE through only
    inside this transaction, and only for rows older than the limit set here. Safe to run twice.
    """
    before = now - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # set_config(..., true) is SET LOCAL: it ends with this transaction
                cursor.execute(
                    "SELECT set_config('cursus.audit_purge', 'on', true), "
                    "set_config('cursus.audit_purge_before', %s, true)",
                    [before.isoformat()],
                )
        deleted, _ = AuditEvent.objects.filter(at__lt=before).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('cursus.audit_purge', 'off', true)")
    return deleted
