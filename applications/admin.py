from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from applications.models import DocumentFile, Dossier, FeePayment, PaymentStatus
from applications.selectors import never_submitted
from applications.services import fee_confirm, fee_reject
from cursus.admin_scope import InstitutionScopedAdmin, InstitutionScopedInline, ReadOnlyAdmin
from cursus.errors import DomainError


class DocumentFileInline(InstitutionScopedInline):
    model = DocumentFile
    extra = 0
    fields = readonly_fields = (
        "document_type",
        "role",
        "language",
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
        "superseded_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class FeePaymentInline(InstitutionScopedInline):
    model = FeePayment
    extra = 0
    fields = readonly_fields = (
        "channel",
        "status",
        "amount",
        "reference",
        "paid_on",
        "booked_on",
        "confirmed_by",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    """Read access: dossiers change only through services."""

    institution_lookup = "offering__session__institution_id"

    list_display = ["id", "last_name", "first_names", "offering", "status", "submitted_at"]
    list_filter = ["status", "offering__session", "offering__program"]
    search_fields = ["last_name", "first_names", "candidate__email", "id"]
    list_select_related = ["offering__program", "offering__session"]
    inlines = [DocumentFileInline, FeePaymentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dossier]:
        # Least privilege (issue 6 §4): staff never open a candidate's draft, here as on the staff screens.
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.exclude(never_submitted())

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in Dossier._meta.fields]


@admin.register(FeePayment)
class FeePaymentAdmin(InstitutionScopedAdmin):
    """Finance confirms declared fee payments (the bank statement import comes later)."""

    institution_lookup = "dossier__offering__session__institution_id"

    list_display = ["reference", "dossier", "channel", "amount", "paid_on", "status", "booked_on"]
    list_filter = ["status", "channel", "dossier__offering__session"]
    search_fields = ["reference", "dossier__last_name", "dossier__candidate__email"]
    list_select_related = ["dossier__offering__program", "dossier__candidate"]
    actions = ["confirm_booked_today", "mark_not_found"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in FeePayment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Confirm: received (booked today)"), permissions=["change"])
    def confirm_booked_today(self, request: HttpRequest, queryset: QuerySet[FeePayment]) -> None:
        n = 0
        for payment in queryset.exclude(status=PaymentStatus.CONFIRMED):
            fee_confirm(payment=payment, by=request.user, booked_on=timezone.localdate())
            n += 1
        self.message_user(
            request,
            ngettext("%(n)d payment confirmed.", "%(n)d payments confirmed.", n) % {"n": n},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as not found"), permissions=["change"])
    def mark_not_found(self, request: HttpRequest, queryset: QuerySet[FeePayment]) -> None:
        for payment in queryset:
            try:
                fee_reject(payment=payment, by=request.user, note=str(_("Not found on the bank statement.")))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
