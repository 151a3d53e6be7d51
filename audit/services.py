from typing import Any

from django.db import models

from audit.models import AuditEvent


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
    """Write one audit row. Call inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
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
