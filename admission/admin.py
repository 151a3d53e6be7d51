from django.contrib import admin
from django.http import HttpRequest

from admission.models import Decision, Interview, JurySitting, Opinion
from cursus.admin_scope import InstitutionScopedAdmin, ReadOnlyAdmin


@admin.register(JurySitting)
class JurySittingAdmin(InstitutionScopedAdmin):
    """Dates, cut-offs and members are set here; opening and closing only through the jury screen."""

    institution_lookup = "session__institution_id"
    list_display = ["name", "session", "sits_on", "cutoff", "for_international", "status"]
    list_filter = ["session", "status"]
    filter_horizontal = ["members"]
    readonly_fields = ["status", "closed_at", "closed_by", "close_reason"]

    def has_change_permission(self, request: HttpRequest, obj: JurySitting | None = None) -> bool:
        if obj is not None and obj.is_closed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: JurySitting | None = None) -> bool:
        return False


# Decisions, opinions and interviews change only through their services (audited): ReadOnlyAdmin.


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "dossier",
        "offering",
        "sitting",
        "outcome",
        "waitlist_rank",
        "decided_by",
        "decided_at",
        "notified_at",
    ]
    list_filter = ["sitting", "outcome"]
    list_select_related = ["dossier", "offering__program", "offering__session", "sitting", "decided_by"]


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "favourable", "given_by", "given_at"]


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "starts_at", "mode", "status"]
    list_filter = ["status", "mode"]
