from django.contrib import admin
from django.http import HttpRequest

from catalog.models import AdmissionSession, Campus, CvecRate, DocumentType, Institution, Offering, Program
from cursus.admin_scope import InstitutionScopedAdmin, InstitutionScopedInline
from cursus.institutions import user_scope


class CampusInline(InstitutionScopedInline):
    model = Campus
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(InstitutionScopedAdmin):
    institution_lookup = "pk"
    list_display = ["name", "short_name", "email", "bank_iban"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # a new institution would be outside the scope of whoever creates it (I17)
        return user_scope(request.user) is None and super().has_add_permission(request)

    inlines = [CampusInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "address", "phone", "email", "logo"]}),
        (
            "Pages",
            {
                "fields": [
                    "website",
                    "programs_url",
                    "housing_url",
                    "meals_url",
                    "studies_in_france_url",
                    "flywire_url",
                ]
            },
        ),
        (
            "Bank",
            {
                "fields": [
                    "bank_rib",
                    "bank_iban",
                    "bank_bic",
                    "bank_beneficiary",
                    "bank_beneficiary_address",
                    "bank_phone",
                    "bank_name",
                    "bank_address",
                    "sepa_creditor_id",
                ]
            },
        ),
    ]


@admin.register(Campus)
class CampusAdmin(InstitutionScopedAdmin):
    list_display = ["name", "institution", "address"]
    list_filter = ["institution"]


@admin.register(CvecRate)
class CvecRateAdmin(admin.ModelAdmin):
    """National rates shared by every institution: for unscoped staff only (ScopedAdminSite)."""

    list_display = ["academic_year", "amount"]


class OfferingInline(InstitutionScopedInline):
    model = Offering
    extra = 0
    autocomplete_fields = ["program"]


class DocumentTypeInline(InstitutionScopedInline):
    model = DocumentType
    extra = 0
    fields = ["position", "code", "label_fr", "label_en", "requirement", "programs"]


@admin.register(AdmissionSession)
class AdmissionSessionAdmin(InstitutionScopedAdmin):
    list_display = [
        "name",
        "institution",
        "opens_on",
        "closes_on",
        "international_closes_on",
        "application_fee",
        "is_published",
    ]
    list_filter = ["institution", "is_published"]
    inlines = [OfferingInline, DocumentTypeInline]


@admin.register(Program)
class ProgramAdmin(InstitutionScopedAdmin):
    list_display = ["code", "title_fr", "title_en", "campus", "institution"]
    list_filter = ["institution", "campus"]
    search_fields = ["code", "title_fr", "title_en"]
    filter_horizontal = ["directors"]


@admin.register(Offering)
class OfferingAdmin(InstitutionScopedAdmin):
    institution_lookup = "session__institution_id"
    list_display = ["program", "session", "capacity", "tuition_personal", "tuition_company", "is_open"]
    list_filter = ["session", "is_open"]


@admin.register(DocumentType)
class DocumentTypeAdmin(InstitutionScopedAdmin):
    institution_lookup = "session__institution_id"
    list_display = ["code", "label_fr", "label_en", "requirement", "session", "position"]
    list_filter = ["session", "requirement"]
    filter_horizontal = ["programs"]
