"""Which institution a row belongs to (I17): one path per model, found once, used by every scope.

A row belongs to the institution its path leads to: a program through ``institution``, a dossier through
``offering__session__institution``, an audit event or a recorded email through their own ``institution``.
The path is found from the model's foreign keys (a direct ``institution`` first, then the first key
leading to a model that has a path), so a new model that hangs from a dossier or a session is scoped
without being listed here. Keys to users never give a path: a user is who did something (``decided_by``),
not whose it is. Models without a path (CVEC rates, groups, permissions) are shared by every institution.
"""

from typing import Any

from django.conf import settings
from django.db import models

from catalog.models import Institution

_PATHS: dict[type[models.Model], str | None] = {}


def institution_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its institution ('' for Institution itself), or None if it has none."""
    if model not in _PATHS:
        _PATHS[model] = _path(model, frozenset())
    return _PATHS[model]


def _path(model: type[models.Model], seen: frozenset[type[models.Model]]) -> str | None:
    if model is Institution:
        return ""
    forward = [
        f
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.one_to_one) and f.related_model is not None
    ]
    for field in forward:
        if field.related_model is Institution:
            return field.name
    if model._meta.label == settings.AUTH_USER_MODEL:
        return None
    for field in forward:
        related = field.related_model
        if (
            not isinstance(related, type)
            or related._meta.label == settings.AUTH_USER_MODEL
            or related in seen
        ):
            continue
        rest = _path(related, seen | {model})
        if rest is not None:
            return f"{field.name}__{rest}" if rest else field.name
    return None


def scope_queryset(qs: models.QuerySet[Any], institution_id: int | None) -> models.QuerySet[Any]:
    """Rows of ``institution_id`` only (all rows when it is None; shared models are left whole)."""
    if institution_id is None:
        return qs
    path = institution_path(qs.model)
    if path is None:
        return qs
    return qs.filter(**{f"{path}__pk" if path else "pk": institution_id})


def institution_id_of(obj: models.Model | None) -> int | None:
    """The id of the institution ``obj`` belongs to, or None (a candidate's account, a CVEC rate).

    Follows relations already loaded without a query; one query at most for the rest of the way.
    """
    if obj is None:
        return None
    path = institution_path(type(obj))
    if path is None:
        return None
    if path == "":
        return obj.pk
    parts = path.split("__")
    current: models.Model = obj
    for i, name in enumerate(parts):
        field = current._meta.get_field(name)
        key = getattr(current, field.attname)  # type: ignore[union-attr]
        if key is None or i == len(parts) - 1:
            return key
        if not field.is_cached(current):  # type: ignore[union-attr]
            rest = "__".join(parts[i:])
            return type(current)._default_manager.filter(pk=current.pk).values_list(rest, flat=True).first()
        current = getattr(current, name)
    return None  # pragma: no cover - the loop always returns


def institution_of(obj: models.Model | None) -> Institution | None:
    """The institution ``obj`` belongs to (for ``institution=`` arguments), or None."""
    if isinstance(obj, Institution):
        return obj
    pk = institution_id_of(obj)
    return Institution.objects.filter(pk=pk).first() if pk is not None else None


def user_scope(user: Any) -> int | None:
    """The institution a staff member is limited to; None for superusers and unscoped staff (I17)."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    return getattr(user, "institution_id", None)
