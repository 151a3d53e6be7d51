"""Staff tied to one institution see and accept only its rows in the admin (I17).

- Lists, object pages, actions, history and autocomplete go through ``get_queryset``: another
  institution's object is "not found" (Django redirects to the index with a message).
- Every foreign-key and many-to-many choice of a form, inlines included, offers only rows of the user's
  institution; a crafted POST naming another institution's id fails the form's validation ("select a
  valid choice") and nothing is saved. ``save_model`` checks the saved object once more.
- People offered as program directors, jury members or presidents are staff accounts; a scoped staff
  member is offered only staff of their own institution — not unscoped (central) staff, whom they
  cannot see. Links the object already has to people or rows outside the scope stay offered on its
  change page, so that saving it does not silently drop them.
- List filters on relations list only values present in the (scoped) list.
- Admins of models that belong to no institution and are not written for scoping (groups, email
  addresses, task results, authenticators: every third-party admin) are closed to scoped staff:
  ``ScopedAdminSite`` wraps them at registration.

Superusers and staff without an institution see everything.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from cursus.institutions import institution_id_of, institution_path, scope_queryset, user_scope


def _choices_queryset(qs: QuerySet[Any], scope: int | None) -> QuerySet[Any]:
    if qs.model._meta.label == settings.AUTH_USER_MODEL:
        qs = qs.filter(is_staff=True)
    return scope_queryset(qs, scope)


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the user's institution (admins and inlines)."""

    def _scoped_kwargs(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> dict[str, Any]:
        qs = kwargs.get("queryset")
        if qs is None:
            qs = self.get_field_queryset(kwargs.get("using"), db_field, request)  # type: ignore[attr-defined]
        if qs is None:
            qs = db_field.remote_field.model._default_manager.using(kwargs.get("using")).all()
        kwargs["queryset"] = _choices_queryset(qs, user_scope(request.user))
        return kwargs

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs = self._scoped_kwargs(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not db_field.remote_field.through._meta.auto_created:
            return None
        kwargs = self._scoped_kwargs(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


def _keep_current_choices(form: Any, obj: models.Model) -> None:
    """Offer the values ``obj`` already has, even outside the scope, so that a save keeps them."""
    for name, field in form.base_fields.items():  # a fresh form class from get_form: safe to change
        if not isinstance(field, forms.ModelChoiceField):
            continue
        try:
            db_field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if db_field.many_to_many:
            current = list(getattr(obj, name).values_list("pk", flat=True))
        elif db_field.many_to_one or db_field.one_to_one:
            value = getattr(obj, db_field.attname)  # type: ignore[union-attr]
            current = [value] if value is not None else []
        else:
            continue
        qs = field.queryset
        if current and qs is not None:
            field.queryset = qs.model._default_manager.filter(
                Q(pk__in=qs.values("pk")) | Q(pk__in=current)
            ).order_by(*(qs.query.order_by or qs.model._meta.ordering))


class InstitutionScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    #: lookup from the model to its institution's id, e.g. "session__institution_id"; found from the
    #: model's keys when left empty (cursus.institutions.institution_path)
    institution_lookup = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        scope = user_scope(request.user)
        if scope is None:
            return qs
        if self.institution_lookup:
            return qs.filter(**{self.institution_lookup: scope})
        if institution_path(self.model) is None:
            # a model of no institution in a scoped admin: shared reference data (CVEC rates)
            return qs
        return scope_queryset(qs, scope)

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Relation filters list only the values found in the (scoped) list, never all rows."""
        filters: list[Any] = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and self._is_relation(item):
                item = (item, RelatedOnlyFieldListFilter)
            filters.append(item)
        return filters

    def _is_relation(self, path: str) -> bool:
        model: Any = self.model
        field: Any = None
        for part in path.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False
            model = field.related_model
            if model is None:
                return False
        return field is not None and field.is_relation

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and user_scope(request.user) is not None:
            _keep_current_choices(form, obj)
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        scope = user_scope(request.user)
        if scope is not None and institution_path(type(obj)) is not None and institution_id_of(obj) != scope:
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        scope = user_scope(request.user)
        if scope is not None:
            for inline_form in formset.forms:
                obj = inline_form.instance
                if inline_form.has_changed() and institution_path(type(obj)) is not None:
                    if institution_id_of(obj) != scope:
                        raise PermissionDenied
        super().save_formset(request, form, formset, change)


class ReadOnlyMixin:
    """Rows that change only through their services (audited) or never: shown, never added, changed or
    deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, InstitutionScopedAdmin):
    pass


class InstitutionScopedInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline whose choices are limited like its parent's (its rows are the parent's)."""


class UnscopedStaffOnly:
    """Closes an admin to scoped staff: for admins not written for the institution scope."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_scope(request.user) is None and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user) is None and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_scope(request.user) is None and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user) is None and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user) is None and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ScopedAdminSite(admin.AdminSite):
    """The default admin site: any admin that is not an ``InstitutionScopedAdmin`` is for unscoped staff."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, InstitutionScopedAdmin):
            admin_class = type(
                admin_class.__name__,
                (UnscopedStaffOnly, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
