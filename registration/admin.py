"""Registration in the back office: read only (places, registrations, instalments and visas change only
through their audited services), scoped to the staff member's institution (I17). A file's contents,
its stored path and its checksum are never shown: only what it is and how it was checked.

Every row reads as a person and a program ("Martin Paul — MS BE+"), never as ids ("24: open"), and
every column and field has a French label: the fields whose model gives none are shown through a
labelled display method (the models are left as they are)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

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

# The dossier's person and program, read in the same query as the rows.
DOSSIER = ["dossier__candidate", "dossier__offering__program", "dossier__offering__session"]


def _person(dossier: Any) -> str:
    return f"{dossier.full_name or dossier.candidate.email} — {dossier.offering.program}"


def _when(value: Any) -> Any:
    return value if value is not None else "—"


class RegistrationModelAdmin(ReadOnlyAdmin):
    """A readable title on the object's page (the person and the program), not the model's ids."""

    def object_label(self, obj: Any) -> str:
        return _person(obj.dossier)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id) if object_id else None
        if obj is not None:
            extra_context = {**(extra_context or {}), "subtitle": self.object_label(obj)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("candidate"), ordering="dossier__last_name")
    def candidate(self, obj: Any) -> str:
        return self.object_label(obj)


@admin.register(Offer)
class OfferAdmin(RegistrationModelAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = [
        "candidate",
        "session",
        "source",
        "status",
        "conditional",
        "sent_at",
        "ends_at",
        "lapsed_at",
    ]
    list_filter = ["status", "source", "offering__program"]
    list_select_related = [*DOSSIER, "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]
    fields = readonly_fields = (
        "candidate",
        "session",
        "source",
        "conditional",
        "status",
        "created_at",
        "sent_at",
        "ends_at",
        "extended_at",
        "extended_by_name",
        "extension_reason",
        "reminder_5",
        "reminder_1",
        "lapsed_at",
        "closed_at",
        "close_reason",
    )

    @admin.display(description=_("session"), ordering="offering__session__opens_on")
    def session(self, obj: Offer) -> str:
        return obj.offering.session.name

    @admin.display(description=_("extended by"))
    def extended_by_name(self, obj: Offer) -> Any:
        return _when(obj.extended_by)

    @admin.display(description=_("reminder sent 5 days before"))
    def reminder_5(self, obj: Offer) -> Any:
        return _when(obj.reminded_5_at)

    @admin.display(description=_("reminder sent 1 day before"))
    def reminder_1(self, obj: Offer) -> Any:
        return _when(obj.reminded_1_at)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(RegistrationModelAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = ["candidate", "session", "sort_key", "status", "entered_at"]
    list_filter = ["status", "offering__program"]
    list_select_related = [*DOSSIER, "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]
    fields = readonly_fields = ("candidate", "session", "sort_key", "status", "entered_at")

    @admin.display(description=_("session"), ordering="offering__session__opens_on")
    def session(self, obj: WaitlistEntry) -> str:
        return obj.offering.session.name

    @admin.display(description=_("on the list since"), ordering="created_at")
    def entered_at(self, obj: WaitlistEntry) -> Any:
        return obj.created_at


@admin.register(Registration)
class RegistrationAdmin(RegistrationModelAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["candidate", "status", "financing", "company_name", "completed_at", "bac5_validated_at"]
    list_filter = ["status", "financing", "dossier__offering__program"]
    list_select_related = DOSSIER
    search_fields = [
        "dossier__last_name",
        "dossier__first_names",
        "dossier__candidate__email",
        "company_name",
    ]
    fields = readonly_fields = (
        "candidate",
        "status",
        "financing",
        "cvec_number",
        "company_name",
        "company_siret",
        "company_address",
        "company_contact",
        "company_billing_email",
        "agreement_starts_on",
        "agreement_ends_on",
        "bac5_validated_at",
        "bac5_validated_by_name",
        "started_at",
        "completed_at",
        "cancelled_at",
        "cancel_reason",
    )

    @admin.display(description=_("BAC+5 proof validated by"))
    def bac5_validated_by_name(self, obj: Registration) -> Any:
        return _when(obj.bac5_validated_by)

    @admin.display(description=_("started at"), ordering="created_at")
    def started_at(self, obj: Registration) -> Any:
        return obj.created_at


@admin.register(Instalment)
class InstalmentAdmin(RegistrationModelAdmin):
    institution_lookup = "registration__dossier__offering__session__institution_id"
    list_display = ["candidate", "number", "amount", "due_on", "debtor", "status"]
    list_filter = ["status", "debtor", "due_on"]
    list_select_related = [
        "registration__dossier__candidate",
        "registration__dossier__offering__program",
    ]
    search_fields = ["registration__dossier__last_name", "registration__dossier__candidate__email"]
    fields = readonly_fields = ("candidate", "number", "amount", "due_on", "debtor", "status", "recorded_at")

    def object_label(self, obj: Any) -> str:
        return f"{_person(obj.registration.dossier)} · {_('instalment')} {obj.number}"

    @admin.display(description=_("candidate"), ordering="registration__dossier__last_name")
    def candidate(self, obj: Any) -> str:
        return _person(obj.registration.dossier)

    @admin.display(description=_("recorded at"), ordering="created_at")
    def recorded_at(self, obj: Instalment) -> Any:
        return obj.created_at


@admin.register(VisaCase)
class VisaCaseAdmin(RegistrationModelAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["candidate", "efe_number", "status", "reported_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = DOSSIER
    search_fields = ["dossier__last_name", "dossier__candidate__email", "efe_number"]
    fields = readonly_fields = (
        "candidate",
        "efe_number",
        "status",
        "reported_at",
        "decided_at",
        "decided_by_name",
        "decision_reason",
    )

    @admin.display(description=_("decided by"))
    def decided_by_name(self, obj: VisaCase) -> Any:
        return _when(obj.decided_by)


@admin.register(Student)
class StudentAdmin(RegistrationModelAdmin):
    institution_lookup = "offering__session__institution_id"
    list_display = ["student_number", "candidate", "academic_year", "status", "created_at"]
    list_filter = ["status", "academic_year", "offering__program"]
    list_select_related = [*DOSSIER, "offering__program", "offering__session"]
    search_fields = ["dossier__last_name", "dossier__first_names", "dossier__candidate__email"]
    # Not the user account: the person is reached through their dossier.
    fields = readonly_fields = ("student_number", "candidate", "academic_year", "status", "created_at")

    def object_label(self, obj: Any) -> str:
        return f"{obj.number} {_person(obj.dossier)}"

    @admin.display(description=_("student number"), ordering="pk")
    def student_number(self, obj: Student) -> str:
        return obj.number


# What the back office shows of a registration file: what it is and how it was checked. Never
# ``file`` (its stored path and a link to it) nor the checksum.
FILE_FIELDS: tuple[str, ...] = (
    "candidate",
    "kind",
    "original_name",
    "content_type",
    "size",
    "uploaded_at",
    "uploaded_by_name",
    "superseded_at",
    "verdict",
    "verdict_reason",
    "verdict_by_name",
    "checked_at",
)


@admin.register(RegistrationFile)
class RegistrationFileAdmin(RegistrationModelAdmin):
    institution_lookup = "dossier__offering__session__institution_id"
    list_display = ["candidate", "kind", "original_name", "size", "uploaded_at", "superseded_at", "verdict"]
    list_filter = ["kind", "verdict"]
    list_select_related = DOSSIER
    fields = readonly_fields = FILE_FIELDS

    @admin.display(description=_("uploaded by"))
    def uploaded_by_name(self, obj: RegistrationFile) -> Any:
        return _when(obj.uploaded_by)

    @admin.display(description=_("checked by"))
    def verdict_by_name(self, obj: RegistrationFile) -> Any:
        return _when(obj.verdict_by)

    @admin.display(description=_("checked at"), ordering="verdict_at")
    def checked_at(self, obj: RegistrationFile) -> Any:
        return _when(obj.verdict_at)
