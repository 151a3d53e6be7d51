"""Catalogue data: institutions, campuses, sessions, programs and what each costs (I16, I17)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from catalog import rules


class Institution(models.Model):
    """A school. Nothing in code or templates names one (I17)."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    programs_url = models.URLField(_("programs page"), blank=True)
    housing_url = models.URLField(_("housing page"), blank=True)
    meals_url = models.URLField(_("meals page"), blank=True)
    studies_in_france_url = models.URLField(_("'Études en France' page"), blank=True)
    flywire_url = models.URLField(_("Flywire payment page"), blank=True)
    # Bank details for the application fee, shown verbatim (R2.10).
    bank_rib = models.CharField(_("RIB"), max_length=200, blank=True)
    bank_iban = models.CharField(_("IBAN"), max_length=64, blank=True)
    bank_bic = models.CharField(_("BIC/Swift code"), max_length=20, blank=True)
    bank_beneficiary = models.CharField(_("beneficiary"), max_length=200, blank=True)
    bank_beneficiary_address = models.CharField(_("beneficiary's address"), max_length=300, blank=True)
    bank_phone = models.CharField(_("beneficiary's phone"), max_length=40, blank=True)
    bank_name = models.CharField(_("bank name"), max_length=200, blank=True)
    bank_address = models.CharField(_("bank address"), max_length=300, blank=True)
    sepa_creditor_id = models.CharField(_("SEPA creditor identifier"), max_length=35, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Campus(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="campuses", verbose_name=_("institution")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CvecRate(models.Model):
    """Student-life contribution, set by the ministry each academic year (R3.2)."""

    academic_year = models.CharField(_("academic year"), max_length=9, unique=True)
    amount = models.DecimalField(
        _("amount (€)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("CVEC amount")
        verbose_name_plural = _("CVEC amounts")
        ordering = ["-academic_year"]

    def __str__(self) -> str:
        return f"CVEC {self.academic_year}: {self.amount} €"


class AdmissionSession(models.Model):
    """One intake (e.g. 2025-2026) with its application window and fee (R2.1, R2.7, R2.10)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("institution")
    )
    name = models.CharField(_("name"), max_length=50)
    opens_on = models.DateField(_("applications open on"))
    closes_on = models.DateField(_("deadline"), help_text=_("Last day, until 23:59:59 Paris time (I1)."))
    international_closes_on = models.DateField(
        _("deadline for international candidates"),
        help_text=_("Last day, until 23:59:59 Paris time (R2.7)."),
    )
    application_fee = models.DecimalField(
        _("application fee (€)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("60.00"),
        validators=[MinValueValidator(0)],
    )
    fee_grace_days = models.PositiveSmallIntegerField(
        _("grace period for fee transfers (days)"),
        default=10,
        help_text=_("A transfer booked by the bank up to this many days after the deadline counts (I3)."),
    )
    cvec = models.ForeignKey(
        CvecRate, on_delete=models.PROTECT, verbose_name=_("CVEC amount"), related_name="+"
    )
    is_published = models.BooleanField(_("published"), default=True)
    note = models.TextField(_("note to candidates"), blank=True)
    # The teaching year and the instalment dates (I10): not in the notice, editable placeholders (I16);
    # empty means the defaults of `teaching_calendar()`.
    training_starts_on = models.DateField(_("training starts on"), null=True, blank=True)
    training_ends_on = models.DateField(_("training ends on"), null=True, blank=True)
    second_instalment_on = models.DateField(_("second instalment due on"), null=True, blank=True)
    third_instalment_on = models.DateField(_("third instalment due on"), null=True, blank=True)

    class Meta:
        verbose_name = _("admission session")
        verbose_name_plural = _("admission sessions")
        ordering = ["-opens_on"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="uniq_session_name"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.name}"

    def deadline_for(self, *, international: bool) -> dt.date:
        return self.international_closes_on if international else self.closes_on

    def opens_at(self) -> dt.datetime:
        return rules.start_of_day(self.opens_on)

    def deadline_end(self, *, international: bool) -> dt.datetime:
        return rules.end_of_day(self.deadline_for(international=international))

    def is_open(self, at: dt.datetime, *, international: bool) -> bool:
        return rules.window_is_open(self.opens_on, self.deadline_for(international=international), at)

    def teaching_calendar(self) -> "TeachingCalendar":
        """The teaching year after the session's deadline: 1 October to 30 September, instalments on
        15 January and 15 April, unless the session sets its own dates."""
        year = self.closes_on.year
        return TeachingCalendar(
            starts_on=self.training_starts_on or dt.date(year, 10, 1),
            ends_on=self.training_ends_on or dt.date(year + 1, 9, 30),
            second_instalment_on=self.second_instalment_on or dt.date(year + 1, 1, 15),
            third_instalment_on=self.third_instalment_on or dt.date(year + 1, 4, 15),
        )


@dataclass(frozen=True)
class TeachingCalendar:
    starts_on: dt.date
    ends_on: dt.date
    second_instalment_on: dt.date
    third_instalment_on: dt.date

    @property
    def academic_year(self) -> str:
        return f"{self.starts_on.year}-{self.starts_on.year + 1}"


class Program(models.Model):
    """A Mastère Spécialisé. Titles may stay empty: the code is shown then (I16)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="programs", verbose_name=_("institution")
    )
    code = models.CharField(_("code"), max_length=20)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="programs", verbose_name=_("campus")
    )
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="directed_programs",
        verbose_name=_("program directors"),
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="uniq_program_code"),
        ]

    def __str__(self) -> str:
        return f"MS {self.code}"

    @property
    def title(self) -> str:
        localized = self.title_en if get_language() == "en" else self.title_fr
        return localized or self.title_fr or self.title_en or f"MS {self.code}"


class Offering(models.Model):
    """A program in a session: its places and its tuition per financing mode (R3.1, I6)."""

    session = models.ForeignKey(
        AdmissionSession, on_delete=models.PROTECT, related_name="offerings", verbose_name=_("session")
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="offerings", verbose_name=_("program")
    )
    capacity = models.PositiveIntegerField(
        _("places"), default=25, help_text=_("Not in the notice: an editable placeholder (I16).")
    )
    tuition_personal = models.DecimalField(
        _("tuition, personal financing or job seeker (€)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    tuition_company = models.DecimalField(
        _("tuition, company financing (€)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    is_open = models.BooleanField(_("open to applications"), default=True)

    class Meta:
        verbose_name = _("program offering")
        verbose_name_plural = _("program offerings")
        ordering = ["session", "program__code"]
        constraints = [
            models.UniqueConstraint(fields=["session", "program"], name="uniq_offering"),
        ]

    def __str__(self) -> str:
        return f"{self.program} — {self.session.name}"


class DocumentRequirement(models.TextChoices):
    ALWAYS = "always", _("Always required")
    PATH_D = "path_d", _("Required for path (d): M1 + 3 years' experience")
    BAC5_IN_PROGRESS = "bac5_in_progress", _("Required when BAC+5 is in progress")
    OPTIONAL = "optional", pgettext_lazy("document", "Optional")
    # A document outside the list, asked for by the admissions office when it returns a dossier as
    # incomplete: the slot appears, required, only in the dossiers it asked it of.
    ON_REQUEST = "on_request", _("When the admissions office asks for it")


class DocumentType(models.Model):
    """A supporting document asked for in a session (I16), possibly only for some programs."""

    session = models.ForeignKey(
        AdmissionSession,
        on_delete=models.CASCADE,
        related_name="document_types",
        verbose_name=_("session"),
    )
    code = models.SlugField(_("code"), max_length=40)
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    help_fr = models.CharField(_("help (French)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    requirement = models.CharField(
        _("requirement"),
        max_length=20,
        choices=DocumentRequirement.choices,
        default=DocumentRequirement.ALWAYS,
    )
    programs = models.ManyToManyField(
        Program,
        blank=True,
        verbose_name=_("only for programs"),
        help_text=_("Leave empty for every program of the session."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["session", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="uniq_document_code"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if get_language() == "en" and self.label_en else self.label_fr

    @property
    def help(self) -> str:
        return self.help_en if get_language() == "en" and self.help_en else self.help_fr
