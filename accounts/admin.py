"""People in the back office: the superuser creates staff accounts and gives them their roles (issue 7 item 4).

A role is a group of permissions (``accounts.roles``); a staff member may be limited to one institution
(I17) and direct programs (``Program.directors``). This admin is not an ``InstitutionScopedAdmin``:
``ScopedAdminSite`` keeps it for unscoped staff with the user permissions, the superuser in practice.
Changes of roles are audited (convention 4). Passwords are never shown: Django keeps only their hash.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from catalog.models import Program


def _programs_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Program.objects.select_related("institution").order_by("institution__name", "code"),
        required=False,
        widget=FilteredSelectMultiple(_("programs"), is_stacked=False),
        label=_("programs directed"),
        help_text=_("Give the person the “Program directors” role too, so that they see these dossiers."),
    )


class ProgramsDirectedForm(forms.ModelForm):
    """Adds the programs a person directs (the other side of ``Program.directors``) to a user form."""

    programs_directed = _programs_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["programs_directed"].initial = list(
                self.instance.directed_programs.values_list("pk", flat=True)
            )


class StaffCreationForm(ProgramsDirectedForm, BaseUserCreationForm):  # type: ignore[misc]
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "language", "is_staff", "groups", "institution")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Accounts made here are staff accounts (candidates sign up themselves).
        self.fields["is_staff"].initial = True


class StaffChangeForm(ProgramsDirectedForm, UserChangeForm):  # type: ignore[misc]
    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "first_name",
            "last_name",
            "language",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "institution",
        ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    add_form_template = None  # the ordinary change form: every field is on the page at once
    list_display = [
        "email",
        "first_name",
        "last_name",
        "roles",
        "institution",
        "is_staff",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "institution"]
    list_select_related = ["institution"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "language"]}),
        (
            _("Roles"),
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "institution",
                    "programs_directed",
                ],
                "description": _(
                    "A role is a group: Admissions office, Program directors, Jury members, Finance. "
                    "Staff need the staff status to be picked as directors, jury members or presidents."
                ),
            },
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": ["email", "password1", "password2"],
                "description": _(
                    "The person confirms this address when they first sign in, then sets up their "
                    "authenticator app (every staff screen asks for it)."
                ),
            },
        ),
        (_("Person"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Roles"), {"fields": ["is_staff", "groups", "institution", "programs_directed"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        names = [g.name for g in obj.groups.all()]
        if obj.is_superuser:
            names.insert(0, str(_("superuser")))
        return ", ".join(names) or "—"

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # What the person could do before this save, for the audit row written once groups are saved.
        form.roles_before = _roles_of(obj.pk) if change else None
        super().save_model(request, obj, form, change)

    @transaction.atomic
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user = form.instance
        super().save_related(request, form, formsets, change)
        if "programs_directed" in form.cleaned_data:
            user.directed_programs.set(form.cleaned_data["programs_directed"])
        before, after = getattr(form, "roles_before", None), _roles_of(user.pk)
        if after != before:
            audit_record(
                actor=request.user, action="user.roles", obj=user, data={"from": before, "to": after}
            )


def _roles_of(pk: Any) -> dict[str, Any]:
    """A person's roles as stored: staff and superuser flags, groups, institution, programs directed."""
    user = User.objects.get(pk=pk)
    return {
        "active": user.is_active,
        "staff": user.is_staff,
        "superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "institution": user.institution_id,
        "programs": sorted(user.directed_programs.values_list("code", flat=True)),
    }


# allauth's own admin shows and edits an authenticator's secret. Ours shows that one exists and lets the
# superuser delete it (after a lost device: the person sets up a new one at their next staff page), never
# the secret (convention 22).
from allauth.mfa.models import Authenticator  # noqa: E402

if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = ("user", "type", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
