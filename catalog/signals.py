"""Any change to the catalogue sets a new version of the cached catalogue pages (catalog/cache.py).

Every model of the catalog app, on save, delete and change of its many-to-many links (a document type's
programs): the pages show sessions, offerings, programs, campuses, the institution, the CVEC rate and the
documents asked. A queryset ``update()`` sends no signal: code that changes the catalogue that way must
call ``catalog.cache.bump_version()`` itself (none does today; the admin saves each object)."""

from typing import Any

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save


def _changed(sender: Any, **kwargs: Any) -> None:
    from catalog.cache import bump_version

    bump_version()


def connect() -> None:
    for model in apps.get_app_config("catalog").get_models():
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalog-cache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalog-cache-delete-{model.__name__}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is None:  # resolved once the apps are ready, which they are here
                continue
            m2m_changed.connect(
                _changed, sender=through, dispatch_uid=f"catalog-cache-m2m-{through.__name__}"
            )
