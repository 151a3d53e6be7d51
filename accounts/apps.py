from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import signals  # noqa: F401
        from accounts.backends import forget_permission_names

        # Permissions are made and renamed by migrations: their names are read again after one.
        post_migrate.connect(forget_permission_names, dispatch_uid="cursus_forget_permission_names")
