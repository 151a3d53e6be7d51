from django.contrib import admin

from audit.models import AuditEvent
from cursus.admin_scope import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The trail, scoped by the institution of the recorded object (I17); rows of no institution
    (accounts) are for unscoped staff only. Append-only: read-only here, and a trigger enforces it on
    PostgreSQL."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "from_state", "to_state"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "reason", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
