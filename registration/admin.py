"""Registration in the back office: read only (places, registrations, instalments and visas change only
through their audited services), scoped to the staff member's institution (I17). A file's contents,
its stored path and its checksum are never shown: only what it is and how it was checked."""

from django.contrib import admin

from cursus.admin_scope import ReadOnlyAdmin
from registration.models import (
    Instalment,
    Offer,
    Registration,
    RegistrationFile,
    Student,
    VisaCase,
    WaitlistEntry,
)

# What the back office shows of a registration file: what it is and how it was checked.
FILE_FIELDS = (
    "dossier",
    "kind",
    "original_name",
    "content_type",
    "size",
    "uploaded_at",
    "uploaded_by",
    "superseded_at",
    "verdict",
    "verdict_reason",
    "verdict_by",
    "verdict_at",
)


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = [
        "dossier",
        "offering",
        "source",
        "status",
        "conditional",
        "sent_at",
        "ends_at",
        "lapsed_at",
    ]
    list_filter = ["status", "source", "offering__program"]
    list_select_related = ["dossier", "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = ["dossier", "offering", "sort_key", "status", "created_at"]
    list_filter = ["status", "offering__program"]
    list_select_related = ["dossier", "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["dossier", "status", "financing", "company_name", "completed_at", "bac5_validated_at"]
    list_filter = ["status", "financing", "dossier__offering__program"]
    list_select_related = ["dossier"]
    search_fields = [
        "dossier__last_name",
        "dossier__first_names",
        "dossier__candidate__email",
        "company_name",
    ]


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    institution_lookup = "registration__dossier__offering__session__institution_id"
    list_display = ["registration", "number", "amount", "due_on", "debtor", "status"]
    list_filter = ["status", "debtor", "due_on"]
    list_select_related = ["registration"]
    search_fields = ["registration__dossier__last_name", "registration__dossier__candidate__email"]


@admin.register(VisaCase)
class VisaCaseAdmin(ReadOnlyAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["dossier", "efe_number", "status", "reported_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__last_name", "dossier__candidate__email", "efe_number"]


@admin.register(Student)
class StudentAdmin(ReadOnlyAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = ["__str__", "offering", "academic_year", "status", "created_at"]
    list_filter = ["status", "academic_year", "offering__program"]
    list_select_related = ["dossier", "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]
    # Not the user account: the person is reached through their dossier.
    exclude = ["user"]


@admin.register(RegistrationFile)
class RegistrationFileAdmin(ReadOnlyAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["dossier", "kind", "original_name", "size", "uploaded_at", "superseded_at", "verdict"]
    list_filter = ["kind", "verdict"]
    list_select_related = ["dossier"]
    # Never ``file`` (its stored path and a link to it) nor the checksum.
    fields = FILE_FIELDS
    readonly_fields = FILE_FIELDS
