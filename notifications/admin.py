from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import ADMISSIONS_OFFICE
from cursus.admin_scope import InstitutionScopedAdmin
from notifications.models import OutgoingEmail
from notifications.services import email_can_be_resent
from notifications.tasks import deliver_email


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(InstitutionScopedAdmin):
    """Recorded emails: for superusers and the admissions office, scoped by institution (I17).

    Emails that carried a secret are recorded without it and are never sent again from here.
    """

    list_display = ["created_at", "to", "subject", "kind", "language", "status", "attempts"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["resend"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_office(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_office(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_office(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send again"), permissions=["view"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        sent = refused = 0
        for email in queryset:
            if not email_can_be_resent(email):
                refused += 1
                continue
            OutgoingEmail.objects.filter(pk=email.pk).update(status="queued")
            deliver_email.enqueue(email.pk)
            sent += 1
        if sent:
            messages.success(
                request,
                ngettext("%(n)d email queued again.", "%(n)d emails queued again.", sent) % {"n": sent},
            )
        if refused:
            messages.error(
                request,
                ngettext(
                    "%(n)d email carried a secret link or code and cannot be sent again; "
                    "the person asks for a new one.",
                    "%(n)d emails carried a secret link or code and cannot be sent again; "
                    "the person asks for a new one.",
                    refused,
                )
                % {"n": refused},
            )


def _is_office(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_superuser or user.has_perm(ADMISSIONS_OFFICE))
