"""Finance in the back office (issue 9), scoped to the staff member's institution (I17).

Amounts due, ledger lines, statement imports and bank lines are read only: they change through their
audited services (`billing.services`). Only the CSV mappings of the institution's banks are edited here.
"""

from django.contrib import admin

from billing.models import BankLine, CsvMapping, Due, LedgerLine, StatementImport
from cursus.admin_scope import InstitutionScopedAdmin, ReadOnlyAdmin


@admin.register(Due)
class DueAdmin(ReadOnlyAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["reference", "dossier", "kind", "label", "amount", "due_on", "cancelled_at"]
    list_filter = ["kind", "dossier__offering__program"]
    list_select_related = ["dossier__offering__program"]
    search_fields = ["reference", "dossier__last_name", "dossier__first_names", "dossier__candidate__email"]
    date_hierarchy = "due_on"


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    institution_lookup = "due__dossier__offering__session__institution_id"
    list_display = ["occurred_on", "due", "kind", "channel", "amount", "note"]
    list_filter = ["kind", "channel"]
    list_select_related = ["due"]
    search_fields = ["due__reference", "due__dossier__last_name", "note"]


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyAdmin):
    institution_lookup = "institution_id"
    list_display = ["original_name", "format", "status", "total", "created", "duplicates", "created_at"]
    list_filter = ["status", "format"]
    # The stored file's path is not the admin's business: the finance screen shows the import.
    exclude = ["file", "sha256"]


@admin.register(BankLine)
class BankLineAdmin(ReadOnlyAdmin):
    institution_lookup = "institution_id"
    list_display = ["booked_on", "amount", "currency", "payer", "state", "due"]
    list_filter = ["state"]
    list_select_related = ["due"]
    search_fields = ["payer", "remittance", "entry_reference"]
    exclude = ["dedup_key"]


@admin.register(CsvMapping)
class CsvMappingAdmin(InstitutionScopedAdmin):
    institution_lookup = "institution_id"
    list_display = ["name", "institution", "delimiter", "decimal_comma", "date_format"]
    list_select_related = ["institution"]
