from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications.models import OutgoingEmail
from notifications.tasks import deliver_email


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "kind", "language", "status", "attempts"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        for email in queryset:
            OutgoingEmail.objects.filter(pk=email.pk).update(status="queued")
            deliver_email.enqueue(email.pk)
        messages.success(request, _("Emails queued again."))
