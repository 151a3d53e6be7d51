"""Registration: the place an admitted candidate holds (an offer with its 15 days), the waiting list,
the registration itself (financing, CVEC, company, agreement, conditional proof), the instalments it
sets, visas and the students it makes (R1.2, R2.6, R2.8, R3.1–R3.4, I6–I11)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import Dossier
from applications.rules import Financing
from catalog.models import Offering


class OfferStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("offer", "Open")
    REGISTERED = "registered", pgettext_lazy("offer", "Registered")
    LAPSED = "lapsed", pgettext_lazy("offer", "Lapsed")
    DECLINED = "declined", pgettext_lazy("offer", "Declined")
    RELEASED = "released", pgettext_lazy("offer", "Released")


# I6: the offers that hold a place.
HOLDING = (OfferStatus.OPEN, OfferStatus.REGISTERED)


class OfferSource(models.TextChoices):
    DECISION = "decision", pgettext_lazy("offer", "Jury decision")
    WAITING_LIST = "waiting_list", pgettext_lazy("offer", "Waiting list")


class Offer(models.Model):
    """The place an admitted candidate holds, with its own life (issue 8 item 1). A jury decision is
    final and never changes (I5); the offer moves: open → registered | lapsed | declined | released."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="offer")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="offers")
    source = models.CharField(_("source"), max_length=16, choices=OfferSource.choices)
    conditional = models.BooleanField(_("on condition (BAC+5 proof pending, R1.2)"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The window starts when the email is sent (I7); until then the place is held, nothing runs.
    sent_at = models.DateTimeField(_("offer email sent at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("window ends at"), null=True, blank=True)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = models.CharField(_("reason for the extension"), max_length=300, blank=True)
    reminded_5_at = models.DateTimeField(null=True, blank=True)
    reminded_1_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("place offered")
        verbose_name_plural = _("places offered")
        ordering = ["offering", "-created_at"]
        indexes = [models.Index(fields=["status", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.status}"

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("waitlist", "Waiting")
    OFFERED = "offered", pgettext_lazy("waitlist", "Offered a place")
    LEFT = "left", pgettext_lazy("waitlist", "Left the list")


class WaitlistEntry(models.Model):
    """A candidate on a program's waiting list. The order merges the sittings of the session: an
    earlier sitting's list comes first, then the jury's rank within the sitting; the office may
    reorder with a reason (the decision itself never changes)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="waitlist_entry")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="waitlist")
    sort_key = models.BigIntegerField(_("order"))
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        ordering = ["offering", "sort_key", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.sort_key}"


class RegistrationStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("registration", "In progress")
    COMPLETED = "completed", pgettext_lazy("registration", "Registered")
    CANCELLED = "cancelled", pgettext_lazy("registration", "Cancelled")


class Registration(models.Model):
    """The administrative registration (R2.6): financing and what it needs (I8, I9), the training
    agreement, the BAC+5 proof of a conditional admission (R1.2)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="registration")
    status = models.CharField(
        _("status"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    financing = models.CharField(_("financing"), max_length=12, choices=Financing.choices, blank=True)
    cvec_number = models.CharField(_("CVEC attestation number"), max_length=40, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company_siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    company_address = models.TextField(_("company address"), blank=True)
    company_contact = models.CharField(_("contact person"), max_length=200, blank=True)
    company_billing_email = models.EmailField(_("billing email"), blank=True)
    agreement_starts_on = models.DateField(_("training agreement starts on"), null=True, blank=True)
    agreement_ends_on = models.DateField(_("training agreement ends on"), null=True, blank=True)
    bac5_validated_at = models.DateTimeField(_("BAC+5 proof validated at"), null=True, blank=True)
    bac5_validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for the cancellation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.status}"


class FileKind(models.TextChoices):
    CVEC = "cvec", _("CVEC attestation")
    AGREEMENT = "agreement", _("Signed training agreement")
    FRANCE_TRAVAIL = "france_travail", _("Proof of registration with France Travail")
    BAC5_PROOF = "bac5_proof", _("Proof that the BAC+5 is validated")
    VISA_REFUSAL = "visa_refusal", _("Proof of the visa refusal")


def _registration_path(instance: "RegistrationFile", filename: str) -> str:
    # Never the candidate's file name: a generated one, with the extension of the checked type.
    return f"registration/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class FileVerdict(models.TextChoices):
    PENDING = "pending", pgettext_lazy("verdict", "To check")
    ACCEPTED = "accepted", pgettext_lazy("verdict", "Accepted")
    REFUSED = "refused", pgettext_lazy("verdict", "Refused")


class RegistrationFile(models.Model):
    """A file given at registration or for a visa, checked by content like the dossier's documents.
    Replacing keeps the earlier one, marked superseded."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="registration_files")
    kind = models.CharField(_("document"), max_length=16, choices=FileKind.choices)
    file = models.FileField(_("file"), upload_to=_registration_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    verdict = models.CharField(
        _("check"), max_length=10, choices=FileVerdict.choices, default=FileVerdict.PENDING
    )
    verdict_reason = models.CharField(_("reason"), max_length=300, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration file")
        verbose_name_plural = _("registration files")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class InstalmentStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("instalment", "Due")
    TO_REFUND = "to_refund", pgettext_lazy("instalment", "To be refunded")
    CANCELLED = "cancelled", pgettext_lazy("instalment", "Cancelled")
    # Issue 9 item 8: a direct debit came back (rejected or returned by the debtor's bank); finance
    # presents it once more (back to DUE) or asks the debtor to pay otherwise.
    RETURNED = "returned", pgettext_lazy("instalment", "Direct debit returned")
    PAY_OTHERWISE = "otherwise", pgettext_lazy("instalment", "To be paid otherwise")


class Debtor(models.TextChoices):
    STUDENT = "student", pgettext_lazy("debtor", "Student")
    COMPANY = "company", pgettext_lazy("debtor", "Company")


class Instalment(models.Model):
    """One of the three tuition instalments (R3.4, I10), recorded as due at registration; the
    finance issue collects them by SEPA direct debit."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment"))
    amount = models.DecimalField(_("amount (€)"), max_digits=9, decimal_places=2)
    due_on = models.DateField(_("due on"))
    debtor = models.CharField(_("debtor"), max_length=8, choices=Debtor.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=InstalmentStatus.choices, default=InstalmentStatus.DUE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tuition instalment")
        verbose_name_plural = _("tuition instalments")
        ordering = ["registration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "number"], name="uniq_instalment_number"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} #{self.number}: {self.amount} €"


class VisaStatus(models.TextChoices):
    NONE = "none", pgettext_lazy("visa", "No refusal reported")
    REPORTED = "reported", pgettext_lazy("visa", "Refusal reported")
    APPROVED = "approved", pgettext_lazy("visa", "Refusal approved")
    REJECTED = "rejected", pgettext_lazy("visa", "Proof not accepted")


class VisaCase(models.Model):
    """An international admitted candidate's visa (R2.8, I11): the *Études en France* file number and
    a reported refusal, which the office or finance approves or refuses with a reason."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="visa")
    efe_number = models.CharField(_("'Études en France' file number"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=VisaStatus.choices, default=VisaStatus.NONE)
    reported_at = models.DateTimeField(_("refusal reported at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visa")
        verbose_name_plural = _("visas")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.status}"


class StudentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("student", "Active")
    CANCELLED = "cancelled", pgettext_lazy("student", "Registration cancelled")


class Student(models.Model):
    """A completed registration makes the candidate a student of the program for the academic year."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="studentships")
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="student")
    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="student")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="students")
    academic_year = models.CharField(_("academic year"), max_length=9)
    status = models.CharField(
        _("status"), max_length=10, choices=StudentStatus.choices, default=StudentStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("student since"), auto_now_add=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["offering", "dossier__last_name", "dossier__first_names"]

    def __str__(self) -> str:
        return f"{self.number} {self.dossier.full_name}"

    @property
    def number(self) -> str:
        return f"{self.academic_year[:4]}{self.pk:05d}" if self.pk else "—"
