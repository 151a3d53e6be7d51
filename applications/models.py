"""A dossier is one candidate × one program × one session (SPEC §5)."""

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications import rules
from applications.rules import EligibilityPath, Financing, PaymentChannel
from catalog.models import DocumentType, Offering


class DossierStatus(models.TextChoices):
    """SPEC §5. Moved only by services in `applications` and `admission`."""

    DRAFT = "draft", pgettext_lazy("dossier", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("dossier", "Submitted")
    INCOMPLETE = "incomplete", pgettext_lazy("dossier", "Incomplete")
    COMPLETE = "complete", pgettext_lazy("dossier", "Complete")
    REVIEWED = "reviewed", pgettext_lazy("dossier", "Reviewed")
    AT_JURY = "at_jury", pgettext_lazy("dossier", "At the jury")
    ADMITTED = "admitted", pgettext_lazy("dossier", "Admitted")
    CONDITIONAL = "conditional", pgettext_lazy("dossier", "Admitted on condition")
    WAITING_LIST = "waiting_list", pgettext_lazy("dossier", "Waiting list")
    REFUSED = "refused", pgettext_lazy("dossier", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("dossier", "Withdrawn")
    # After the decision (issue 8): the registration's side of the life cycle.
    REGISTERED = "registered", pgettext_lazy("dossier", "Registered")
    DECLINED = "declined", pgettext_lazy("dossier", "Place declined")
    CANCELLED = "cancelled", pgettext_lazy("dossier", "Registration cancelled")


EDITABLE_STATUSES = (DossierStatus.DRAFT, DossierStatus.INCOMPLETE)
# Before a decision the candidate may withdraw (SPEC §5).
WITHDRAWABLE_STATUSES = (
    DossierStatus.DRAFT,
    DossierStatus.SUBMITTED,
    DossierStatus.INCOMPLETE,
    DossierStatus.COMPLETE,
    DossierStatus.REVIEWED,
    DossierStatus.AT_JURY,
)


class Dossier(models.Model):
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("candidate"),
    )
    offering = models.ForeignKey(
        Offering, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("program")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DossierStatus.choices, default=DossierStatus.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    missing = models.JSONField(_("what is missing (set by the office)"), default=list, blank=True)
    # The office asked, with what it wrote in ``missing``, for a document outside the session's list: the
    # session's "on request" slot is then required in this dossier (the latest return decides).
    other_document_asked = models.BooleanField(_("another document asked for"), default=False)
    sitting = models.ForeignKey(
        "admission.JurySitting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("jury sitting"),
    )

    # Identity
    last_name = models.CharField(_("surname"), max_length=100, blank=True)
    first_names = models.CharField(_("first names"), max_length=150, blank=True)
    # Issue 7 item 5: the name as lower-case ASCII words ("Nguyễn Văn" → "nguyen van"), written with the
    # name by the services, so that staff search ignores accents and case on SQLite and PostgreSQL alike.
    search_name = models.CharField(_("name for search"), max_length=260, blank=True, editable=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_place = models.CharField(_("place of birth"), max_length=150, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    second_nationality = models.CharField(_("second nationality"), max_length=2, blank=True)
    international_override = models.BooleanField(
        _("international (set by the office)"), null=True, blank=True
    )
    international_override_reason = models.CharField(_("reason for the override"), max_length=300, blank=True)
    # Issue 6 item 9: set when the office's change of the international flag makes the submission
    # late for the deadline that now applies (R2.7, I2); the office decides what follows.
    late_after_flag_change = models.BooleanField(
        _("submitted after the deadline that applies since the international flag changed"), default=False
    )

    # Contact
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    # Eligibility (R1.2, R1.3)
    eligibility_path = models.CharField(
        _("eligibility path"), max_length=4, choices=EligibilityPath.choices, blank=True
    )
    diploma_title = models.CharField(_("highest diploma"), max_length=200, blank=True)
    diploma_institution = models.CharField(_("awarded by"), max_length=200, blank=True)
    diploma_year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1950), MaxValueValidator(2100)],
    )
    experience_years = models.DecimalField(
        _("years of professional experience related to the program"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    bac5_in_progress = models.BooleanField(
        _("my BAC+5 is in progress (final year of initial training)"), default=False
    )

    # Financing intention (I8): shows the cost early.
    financing_intention = models.CharField(
        _("financing"), max_length=12, choices=Financing.choices, blank=True
    )

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "offering"], name="uniq_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.full_name or self.candidate.email} — {self.offering.program}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else "—"

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}".strip()

    @property
    def nationalities(self) -> list[str]:
        return [n for n in (self.nationality, self.second_nationality) if n]

    @property
    def is_international(self) -> bool | None:
        """I2: follows from the nationalities unless the office overrode it."""
        if self.international_override is not None:
            return self.international_override
        return rules.is_international(self.nationalities)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def can_withdraw(self) -> bool:
        return self.status in WITHDRAWABLE_STATUSES

    def deadline(self) -> dt.date:
        """The deadline that applies; unknown nationality counts as the earlier one."""
        return self.offering.session.deadline_for(international=self.is_international is not False)

    def eligibility(self) -> rules.Eligibility:
        return rules.eligibility(
            self.eligibility_path,
            experience_years=self.experience_years,
            bac5_in_progress=self.bac5_in_progress,
        )

    def quote(self) -> rules.Quote | None:
        if not self.financing_intention:
            return None
        return rules.cost_quote(
            self.financing_intention,
            tuition_personal=self.offering.tuition_personal,
            tuition_company=self.offering.tuition_company,
            cvec=self.offering.session.cvec.amount,
        )

    @property
    def payment_reference(self) -> str:
        return rules.payment_reference(
            surname=self.last_name or self.candidate.last_name,
            program_code=self.offering.program.code,
            dossier_number=self.number,
        )


def _document_path(instance: "DocumentFile", filename: str) -> str:
    # Never the candidate's file name: a generated one, with the extension of the checked type.
    return f"documents/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class DocumentRole(models.TextChoices):
    ORIGINAL = "original", pgettext_lazy("document", "Document")
    TRANSLATION = "translation", pgettext_lazy("document", "Translation")


class DocumentLanguage(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")
    OTHER = "other", _("Another language")


class Verdict(models.TextChoices):
    PENDING = "pending", pgettext_lazy("verdict", "To check")
    ACCEPTED = "accepted", pgettext_lazy("verdict", "Accepted")
    REFUSED = "refused", pgettext_lazy("verdict", "Refused")


class DocumentFile(models.Model):
    """One uploaded file. Replacing keeps the earlier one, marked superseded."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="files", verbose_name=_("dossier")
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("document")
    )
    role = models.CharField(
        _("role"), max_length=12, choices=DocumentRole.choices, default=DocumentRole.ORIGINAL
    )
    language = models.CharField(
        _("language of the document"),
        max_length=8,
        choices=DocumentLanguage.choices,
        default=DocumentLanguage.FR,
    )
    file = models.FileField(_("file"), upload_to=_document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    verdict = models.CharField(_("check"), max_length=10, choices=Verdict.choices, default=Verdict.PENDING)
    verdict_reason = models.CharField(_("reason"), max_length=300, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class PaymentStatus(models.TextChoices):
    DECLARED = "declared", pgettext_lazy("payment", "Declared")
    CONFIRMED = "confirmed", pgettext_lazy("payment", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("payment", "Not found")


class FeePayment(models.Model):
    """A payment attempt for the application fee (R2.10). Never refunded (R2.11)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="fee_payments", verbose_name=_("dossier")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=PaymentChannel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.DECLARED
    )
    amount = models.DecimalField(_("amount (€)"), max_digits=8, decimal_places=2)
    reference = models.CharField(_("payment reference"), max_length=140)
    paid_on = models.DateField(_("paid on (declared)"))
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)
    booked_on = models.DateField(_("booked by the bank on"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("application fee payment")
        verbose_name_plural = _("application fee payments")
        ordering = ["-declared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} € ({self.get_status_display()})"

    @property
    def amount_decimal(self) -> Decimal:
        return Decimal(self.amount)
