from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cursus.admin_scope import InstitutionScopedAdmin
from privacy.models import AccessibilityStatement, ErasedDossier, ErasureRequest, PrivacyNotice


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(InstitutionScopedAdmin):
    list_display = ["institution", "dpo_email", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "institution",
                    "controller",
                    "dpo_name",
                    "dpo_email",
                    "dpo_address",
                    "complaint_url",
                ]
            },
        ),
        (
            "Français",
            {"fields": ["purposes_fr", "legal_basis_fr", "recipients_fr", "retention_fr", "rights_fr"]},
        ),
        (
            "English",
            {"fields": ["purposes_en", "legal_basis_en", "recipients_en", "retention_en", "rights_en"]},
        ),
    ]


@admin.register(AccessibilityStatement)
class AccessibilityStatementAdmin(InstitutionScopedAdmin):
    list_display = ["institution", "conformance", "audited_on", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "institution",
                    "conformance",
                    "audited_on",
                    "audited_by",
                    "compliance_rate",
                    "contact_email",
                    "contact_address",
                    "recourse_url",
                ]
            },
        ),
        ("Français", {"fields": ["gaps_fr", "environment_fr"]}),
        ("English", {"fields": ["gaps_en", "environment_en"]}),
    ]


class ReadOnlyAdmin(InstitutionScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ErasedDossier)
class ErasedDossierAdmin(ReadOnlyAdmin):
    list_display = ["dossier_id", "program_code", "session_name", "status", "outcome", "cause", "erased_at"]
    list_filter = ["cause", "outcome", "session_name"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    """Accounts belong to no institution: for superusers and unscoped staff (cursus.admin_scope)."""

    list_display = ["user", "cause", "requested_at", "erase_on", "completed_at"]
    list_filter = ["cause"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
