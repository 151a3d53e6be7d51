"""Review and admission: opinions, interviews, jury sittings and decisions (R2.2–R2.7, I3–I6)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import Dossier
from catalog.models import AdmissionSession, Offering


class Opinion(models.Model):
    """The program director's opinion (R2.3). One per dossier; it cannot be changed once the
    dossier is at a jury."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="opinion")
    favourable = models.BooleanField(_("favourable"))
    comment = models.TextField(_("comment"), blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {'+' if self.favourable else '-'}"


class InterviewMode(models.TextChoices):
    PHONE = "phone", pgettext_lazy("interview", "Phone")
    VIDEO = "video", pgettext_lazy("interview", "Video")


class InterviewStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("interview", "Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("interview", "Confirmed")
    OTHER_SLOT = "other_slot", pgettext_lazy("interview", "Another slot asked")
    HELD = "held", pgettext_lazy("interview", "Held")
    CANCELLED = "cancelled", pgettext_lazy("interview", "Cancelled")


class Interview(models.Model):
    """A phone or video interview (R2.4)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="interviews")
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    mode = models.CharField(_("mode"), max_length=8, choices=InterviewMode.choices)
    link = models.URLField(_("video link"), blank=True)
    phone = models.CharField(_("number to call"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=InterviewStatus.choices, default=InterviewStatus.PROPOSED
    )
    candidate_message = models.TextField(_("candidate's message"), blank=True)
    notes = models.TextField(_("outcome notes"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} @ {self.starts_at:%Y-%m-%d %H:%M}"


class SittingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("sitting", "Open")
    CLOSED = "closed", pgettext_lazy("sitting", "Closed")


class JurySitting(models.Model):
    """One of the admission jury's sittings (R2.5, I4)."""

    session = models.ForeignKey(AdmissionSession, on_delete=models.PROTECT, related_name="sittings")
    name = models.CharField(_("name"), max_length=100)
    sits_on = models.DateField(_("date"))
    cutoff = models.DateField(
        _("cut-off"), help_text=_("Dossiers reviewed up to this day (Paris time) go to this sitting.")
    )
    for_international = models.BooleanField(
        _("international candidates' sitting"), default=False, help_text=_("R2.7: the March sitting.")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="jury_sittings", verbose_name=_("members")
    )
    president = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("president"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SittingStatus.choices, default=SittingStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.TextField(
        _("reason for closing before the date"),
        blank=True,
        help_text=_("Required when the sitting is closed before its date (convention 26)."),
    )

    class Meta:
        verbose_name = _("jury sitting")
        verbose_name_plural = _("jury sittings")
        ordering = ["session", "sits_on"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sits_on:%d/%m/%Y})"

    @property
    def is_closed(self) -> bool:
        return self.status == SittingStatus.CLOSED

    @property
    def closed_on(self) -> dt.date | None:
        """The Paris day the sitting actually closed: the date its letters and minutes state."""
        return timezone.localdate(self.closed_at) if self.closed_at else None


class Outcome(models.TextChoices):
    ADMITTED = "admitted", pgettext_lazy("decision", "Admitted")
    CONDITIONAL = "conditional", pgettext_lazy("decision", "Admitted on condition")
    WAITING_LIST = "waiting_list", pgettext_lazy("decision", "Waiting list")
    REFUSED = "refused", pgettext_lazy("decision", "Refused")


HOLDS_A_PLACE = (Outcome.ADMITTED, Outcome.CONDITIONAL)


class FinalDecisionError(Exception):
    pass


class Decision(models.Model):
    """The jury's decision on a dossier (I5). Final once its sitting is closed: then nothing
    changes it, whatever the path (service, admin, crafted request)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="decision")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="decisions")
    sitting = models.ForeignKey(JurySitting, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("decision"), max_length=16, choices=Outcome.choices)
    waitlist_rank = models.PositiveSmallIntegerField(_("rank on the waiting list"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))
    notified_at = models.DateTimeField(
        _("decision email sent at"), null=True, blank=True, help_text=_("Starts the 15 days (R2.6).")
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["sitting", "offering", "outcome", "waitlist_rank"]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.outcome}"

    @property
    def is_final(self) -> bool:
        return self.sitting.is_closed

    @property
    def holds_place(self) -> bool:
        return self.outcome in HOLDS_A_PLACE

    # An invariant, not a business rule: the last line of defence for I5 (admin, shell, bugs).
    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk and Decision.objects.filter(pk=self.pk, sitting__status=SittingStatus.CLOSED).exists():
            allowed = set(kwargs.get("update_fields") or []) <= {"notified_at"} and kwargs.get(
                "update_fields"
            )
            if not allowed:
                raise FinalDecisionError("a decision of a closed sitting is final")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Decision.objects.filter(pk=self.pk, sitting__status=SittingStatus.CLOSED).exists():
            raise FinalDecisionError("a decision of a closed sitting is final")
        return super().delete(*args, **kwargs)
