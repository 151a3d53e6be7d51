"""Sign-in backends whose user, read once a request from the session, carries its permissions.

Django reads a signed-in person's permissions in two more queries (their own, their groups') the first
time anything asks (``user.has_perm``); every page asks, for the navigation and the staff checks. Here
the user's one query brings both sets along as two subqueries, and fills the caches the permission
checks read (``_user_perm_cache``, ``_group_perm_cache``, ``_perm_cache``): a page costs the session and
the user, and nothing more for roles (issue 11 item 2). The second factor's authenticator is read in
the same query, for the staff check on every staff screen. The permissions come as ids, named from a
table read once per process (again when an id is new to it, or after a migration). Everything else is
read afresh on every request: a role or an authenticator removed takes effect on the person's next
request, with no cache to clear.
"""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import router
from django.db.models import CharField, Exists, OuterRef, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Cast

from accounts.models import User

_SEPARATOR = " "
HAS_TOTP_ATTR = "_cursus_has_totp"


def _perm_ids(through: QuerySet[Any], outer: str) -> Subquery:
    """One text of permission ids (or NULL), grouped by the outer user. Ids, not names: the names
    would join the permission and content type tables, which PostgreSQL took longer to plan (about
    1.5 ms on every request) than to run the whole query; ids map to names in this process."""
    ids = (
        through.order_by()
        .values(outer)
        .annotate(ids=StringAgg(Cast("permission_id", CharField()), Value(_SEPARATOR)))
        .values("ids")
    )
    return Subquery(ids, output_field=CharField())


def users_with_permissions() -> QuerySet[User]:
    """Users with their own and their groups' permission ids and whether they have an authenticator."""
    from allauth.mfa.models import Authenticator

    own = User.user_permissions.through._default_manager.filter(user_id=OuterRef("pk"))
    of_groups = Group.permissions.through._default_manager.filter(group__user=OuterRef("pk"))
    return User._default_manager.annotate(
        _cursus_user_perms=_perm_ids(own, "user_id"),
        _cursus_group_perms=_perm_ids(of_groups, "group__user"),
        _cursus_has_totp=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
    )


# Permission id -> "app_label.codename", read once per process: permissions change only with
# migrations (which clear it, see accounts.apps), and an id not known yet reads the table again.
_names: dict[int, str] = {}


def forget_permission_names(**_kwargs: Any) -> None:
    _names.clear()


def _permission_names(ids: set[int]) -> set[str]:
    if not ids <= _names.keys():
        fresh = Permission._default_manager.values_list("pk", "content_type__app_label", "codename")
        _names.clear()
        _names.update({pk: f"{app}.{codename}" for pk, app, codename in fresh})
    return {_names[i] for i in ids if i in _names}


# A primary key no user has: it marks the parameter that ``_user_query`` swaps for the one asked.
_SENTINEL_PK = -7_654_321
# (database alias, vendor) -> the compiled query and its parameters. The query is the same on every
# request: Django building it (three subqueries, joins) cost about as much as the rest of the shared
# work of an empty page, so it is compiled once per process and database (issue 11 item 2).
_compiled: dict[tuple[str, str], tuple[str, tuple[Any, ...], int]] = {}


def _user_by_pk(user_id: Any) -> User | None:
    """``users_with_permissions().get(pk=user_id)``, from its SQL compiled once."""
    from django.db import connections

    alias = router.db_for_read(User)
    key = (alias, connections[alias].vendor)
    if key not in _compiled:
        query = users_with_permissions().filter(pk=_SENTINEL_PK).query
        sql, params = query.get_compiler(alias).as_sql()
        _compiled[key] = (sql, tuple(params), list(params).index(_SENTINEL_PK))
    sql, params, at = _compiled[key]
    try:
        pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
    except Exception:  # a session holding something that is not an id: nobody
        return None
    found = list(User._default_manager.raw(sql, (*params[:at], pk, *params[at + 1 :]), using=alias))
    return found[0] if found else None


def _split(ids: str | None) -> set[str]:
    return _permission_names({int(i) for i in ids.split(_SEPARATOR)}) if ids else set()


class PermissionsInOneQueryMixin:
    """``get_user`` (the session's user, on every request) reads the permissions in the same query."""

    def get_user(self, user_id: Any) -> User | None:
        user = _user_by_pk(user_id)
        if user is None:
            return None
        if not user.is_active:  # as ModelBackend.user_can_authenticate
            return None
        if not user.is_superuser:  # a superuser's checks never read these caches
            own = _split(user._cursus_user_perms)  # type: ignore[attr-defined]
            groups = _split(user._cursus_group_perms)  # type: ignore[attr-defined]
            user._user_perm_cache = own  # type: ignore[attr-defined]
            user._group_perm_cache = groups  # type: ignore[attr-defined]
            user._perm_cache = own | groups  # type: ignore[attr-defined]
        return user


class CursusModelBackend(PermissionsInOneQueryMixin, ModelBackend):
    """Django's email-and-password backend (the admin, ``client.login``)."""


class CursusAccountBackend(PermissionsInOneQueryMixin, AuthenticationBackend):
    """allauth's backend (the sign-in pages)."""
