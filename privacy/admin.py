from django.contrib import admin

from cursus.admin_scope import InstitutionScopedAdmin, ReadOnlyAdmin, ReadOnlyMixin
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


@admin.register(ErasedDossier)
class ErasedDossierAdmin(ReadOnlyAdmin):
    list_display = ["dossier_id", "program_code", "session_name", "status", "outcome", "cause", "erased_at"]
    list_filter = ["cause", "outcome", "session_name"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Accounts belong to no institution: for superusers and unscoped staff (cursus.admin_scope)."""

    list_display = ["user", "cause", "requested_at", "erase_on", "completed_at"]
    list_filter = ["cause"]
