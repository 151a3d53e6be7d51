"""The admin app with Cursus's site, so that every registered admin, third-party ones included, is scoped."""

from django.contrib.admin.apps import AdminConfig


class CursusAdminConfig(AdminConfig):
    default_site = "cursus.admin_scope.ScopedAdminSite"
