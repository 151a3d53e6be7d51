"""Studies in the admin (issue 10), one block per part."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from cursus.admin_scope import InstitutionScopedAdmin, InstitutionScopedInline, ReadOnlyAdmin
from studies.models import Curriculum, Grade, JuryOutcome, Renewal, StudiesJury, Subject, Thesis, Unit

# ---- jury (studies/services/jury.py) ----


@admin.register(StudiesJury)
class StudiesJuryAdmin(InstitutionScopedAdmin):
    """Members are set here; opening, proposing, ruling and closing only through the jury screens."""

    institution_lookup = "curriculum__program__institution_id"
    list_display = ["curriculum", "sits_on", "after_resits", "closed_at"]
    list_filter = ["after_resits"]
    filter_horizontal = ["members"]
    readonly_fields = ["curriculum", "sits_on", "after_resits", "closed_at", "closed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StudiesJury | None = None) -> bool:
        if obj is not None and obj.closed_at:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: StudiesJury | None = None) -> bool:
        return False


# Outcomes change only through their services (audited), and never once the jury is closed.
@admin.register(JuryOutcome)
class JuryOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["student", "jury", "proposed", "outcome", "ects", "decided_by", "decided_at"]
    list_filter = ["proposed", "outcome"]
    list_select_related = ["student__dossier", "jury__curriculum__program", "decided_by"]


# ---- curriculum (studies/services/curriculum.py) ----


class UnitInline(InstitutionScopedInline):
    model = Unit
    extra = 0
    fields = ["code", "name", "ects", "professional", "position"]


@admin.register(Curriculum)
class CurriculumAdmin(InstitutionScopedAdmin):
    """Editable here as on the studies screens (units inline, subjects below); refused once a closed
    studies jury has ruled on it. The screen's check (45 + 30 ECTS, R1.4) is shown on the page."""

    institution_lookup = "program__institution_id"
    list_display = ["__str__", "resit_policy", "resit_session_on", "updated_at"]
    list_filter = ["program", "academic_year"]
    list_select_related = ["program"]
    fields = [
        "program",
        "academic_year",
        "resit_policy",
        "resit_session_on",
        "uv_pass",
        "overall_pass",
        "resit_at_or_below",
        "ects_check",
    ]
    readonly_fields = ["ects_check"]
    inlines = [UnitInline]

    @admin.display(description=_("check (R1.4)"))
    def ects_check(self, obj: Curriculum) -> str:
        from studies.services.curriculum import curriculum_check

        if obj is None or obj.pk is None:
            return "—"
        return " ".join(curriculum_check(obj)) or str(_("The curriculum adds up: 45 + 30 ECTS."))

    def has_change_permission(self, request: HttpRequest, obj: Curriculum | None = None) -> bool:
        from studies.services.curriculum import curriculum_locked

        if obj is not None and curriculum_locked(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Curriculum | None = None) -> bool:
        return False  # its grades and juries hang from it

    def save_model(self, request: HttpRequest, obj: Curriculum, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="curriculum.admin",
            obj=obj,
            data={"changed": sorted(form.changed_data)},
        )


@admin.register(Subject)
class SubjectAdmin(InstitutionScopedAdmin):
    institution_lookup = "curriculum__program__institution_id"
    list_display = ["code", "name", "curriculum", "unit", "coefficient", "component"]
    list_filter = ["curriculum__program", "curriculum__academic_year", "component"]
    list_select_related = ["curriculum__program", "unit"]
    search_fields = ["code", "name"]
    fields = ["curriculum", "unit", "code", "name", "coefficient", "component", "teachers", "position"]
    filter_horizontal = ["teachers"]

    def has_change_permission(self, request: HttpRequest, obj: Subject | None = None) -> bool:
        from studies.services.curriculum import curriculum_locked

        if obj is not None and curriculum_locked(obj.curriculum):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Subject | None = None) -> bool:
        return False  # removed on the curriculum screen, which refuses a subject with grades

    def save_model(self, request: HttpRequest, obj: Subject, form: Any, change: bool) -> None:
        if obj.unit.curriculum_id != obj.curriculum_id:
            raise PermissionDenied
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="curriculum.admin",
            obj=obj.curriculum,
            data={"subject": obj.pk, "changed": sorted(form.changed_data)},
        )


# Grades change only through the grade screens and their services (every change audited with the old and
# new value); theses and renewals through the studies screens.
@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ["student", "subject", "session", "value", "absent", "updated_at"]
    list_filter = ["session", "absent", "subject__curriculum__program"]
    list_select_related = ["student__dossier", "subject"]
    search_fields = ["student__dossier__last_name", "subject__code"]


@admin.register(Thesis)
class ThesisAdmin(ReadOnlyAdmin):
    list_display = ["student", "topic", "host_company", "topic_approved_at", "defence_on"]
    list_select_related = ["student__dossier"]
    search_fields = ["topic", "host_company", "student__dossier__last_name"]


@admin.register(Renewal)
class RenewalAdmin(ReadOnlyAdmin):
    list_display = ["student", "agreement_starts_on", "agreement_ends_on", "amount", "due", "created_at"]
    list_select_related = ["student__dossier", "due"]
