from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent
from cursus.admin_scope import InstitutionScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(InstitutionScopedAdmin):
    """The trail, scoped by the institution of the recorded object (I17); rows of no institution
    (accounts) are for unscoped staff only."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "from_state", "to_state"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "reason", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    # The trail is append-only (a trigger enforces it on PostgreSQL).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
