"""Finance in the back office (issue 9), scoped to the staff member's institution (I17).

Amounts due, ledger lines, statement imports and bank lines are read only: they change through their
audited services (`billing.services`). Only the CSV mappings of the institution's banks are edited here.
"""

from django.contrib import admin

from billing.models import (
    BankLine,
    CsvMapping,
    DebitBatch,
    DebitItem,
    Due,
    FlywirePayment,
    LedgerLine,
    Mandate,
    Refund,
    StatementImport,
)
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


# Mandates, debit files, refunds and Flywire payments: read only, and never an IBAN (encrypted column,
# file content) in the back office (convention 22). Finance works on them in its own screens.


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    institution_lookup = "institution_id"
    list_display = ["reference", "debtor_name", "debtor_kind", "status", "signed_at", "last_collected_on"]
    list_filter = ["status", "debtor_kind"]
    search_fields = ["reference", "debtor_name"]
    exclude = ["iban_encrypted", "signed_ip", "signed_user_agent"]


@admin.register(DebitBatch)
class DebitBatchAdmin(ReadOnlyAdmin):
    institution_lookup = "institution_id"
    list_display = ["message_id", "collection_date", "status", "count", "total", "created_at"]
    list_filter = ["status"]
    exclude = ["xml"]


@admin.register(DebitItem)
class DebitItemAdmin(ReadOnlyAdmin):
    institution_lookup = "batch__institution_id"
    list_display = ["end_to_end_id", "batch", "sequence", "amount", "collection_date", "status"]
    list_filter = ["status", "sequence"]
    list_select_related = ["batch"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    institution_lookup = "due__dossier__offering__session__institution_id"
    list_display = ["due", "reason", "amount", "status", "paid_on"]
    list_filter = ["status", "reason"]
    list_select_related = ["due"]
    exclude = ["iban_encrypted"]


@admin.register(FlywirePayment)
class FlywirePaymentAdmin(ReadOnlyAdmin):
    institution_lookup = "due__dossier__offering__session__institution_id"
    list_display = ["payment_id", "due", "amount", "status", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["due"]
