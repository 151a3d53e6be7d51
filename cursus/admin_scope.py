"""Staff tied to one institution see only its rows in the admin (I17)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class InstitutionScopedAdmin(admin.ModelAdmin):
    #: lookup from the model to its institution's id, e.g. "session__institution_id"
    institution_lookup = "institution_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        institution_id = getattr(request.user, "institution_id", None)
        if institution_id:
            qs = qs.filter(**{self.institution_lookup: institution_id})
        return qs
