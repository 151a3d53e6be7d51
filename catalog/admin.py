from django.contrib import admin

from catalog.models import AdmissionSession, Campus, CvecRate, DocumentType, Institution, Offering, Program
from cursus.admin_scope import InstitutionScopedAdmin


class CampusInline(admin.TabularInline):
    model = Campus
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(InstitutionScopedAdmin):
    institution_lookup = "pk"
    list_display = ["name", "short_name", "email", "bank_iban"]
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
    list_display = ["academic_year", "amount"]


class OfferingInline(admin.TabularInline):
    model = Offering
    extra = 0
    autocomplete_fields = ["program"]


class DocumentTypeInline(admin.TabularInline):
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
