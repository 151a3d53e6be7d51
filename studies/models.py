"""Studies (issue 10): the curriculum of a program for an academic year, the thesis, the grades, the
studies jury and its outcomes, the renewals. The rules themselves are pure functions in
``studies.deliberation``; ``studies.selectors.curriculum_values`` turns these rows into its values.

- ``Curriculum``: a program's teaching units (UV, 45 ECTS in all) and its professional part (30 ECTS:
  mission, thesis, defence), the resit policy and thresholds (I12, R1.4).
- ``Unit`` / ``Subject``: a UV (or the professional part, ``professional=True``) and its subjects with
  coefficients; a subject's ``component`` names the professional part's mission/thesis/defence.
- ``Grade``: one student's grade in one subject at one session (first or resit), on 20 with two
  decimals, or an absence (R1.5, I12). Every change audited with old and new value.
- ``Thesis``: topic, host company and tutors, the director's approval, the defence date (R1.7).
- ``StudiesJury`` / ``JuryOutcome``: the sitting that ends the curriculum (R1.10) and rules on each
  student (R1.9); outcomes final once the sitting is closed, as admission decisions are.
- ``Renewal``: a new training agreement and a new tuition due when the training outlasts it (R1.11).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Program
from registration.models import Student


class ResitPolicy(models.TextChoices):
    REPLACE = "replace", pgettext_lazy("resit policy", "The resit grade replaces the first")
    BEST = "best", pgettext_lazy("resit policy", "The better of the two grades")
    CAP = "cap", pgettext_lazy("resit policy", "The resit grade, counting at most 10")


class Curriculum(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="curricula")
    academic_year = models.CharField(_("academic year"), max_length=9)
    resit_policy = models.CharField(
        _("resit policy"), max_length=8, choices=ResitPolicy.choices, default=ResitPolicy.REPLACE
    )
    uv_pass = models.DecimalField(_("UV pass mark"), max_digits=4, decimal_places=2, default=10)
    overall_pass = models.DecimalField(_("overall pass mark"), max_digits=4, decimal_places=2, default=10)
    resit_at_or_below = models.DecimalField(_("resit at or below"), max_digits=4, decimal_places=2, default=5)
    resit_session_on = models.DateField(_("resit session"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("curriculum")
        verbose_name_plural = _("curricula")
        ordering = ["program__code", "-academic_year"]
        constraints = [
            models.UniqueConstraint(fields=["program", "academic_year"], name="uniq_curriculum"),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.academic_year}"


class Unit(models.Model):
    curriculum = models.ForeignKey(Curriculum, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    ects = models.DecimalField(_("ECTS"), max_digits=4, decimal_places=1)
    professional = models.BooleanField(_("professional part"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("teaching unit")
        verbose_name_plural = _("teaching units")
        ordering = ["curriculum", "professional", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["curriculum", "code"], name="uniq_unit_code"),
            models.UniqueConstraint(
                fields=["curriculum"], condition=models.Q(professional=True), name="one_professional_part"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Component(models.TextChoices):
    MISSION = "mission", pgettext_lazy("component", "Company mission")
    THESIS = "thesis", pgettext_lazy("component", "Professional thesis")
    DEFENCE = "defence", pgettext_lazy("component", "Defence")


class Subject(models.Model):
    curriculum = models.ForeignKey(Curriculum, on_delete=models.CASCADE, related_name="subjects")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="subjects")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    coefficient = models.DecimalField(_("coefficient"), max_digits=5, decimal_places=2)
    component = models.CharField(_("component"), max_length=8, choices=Component.choices, blank=True)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="taught_subjects", verbose_name=_("teachers")
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Grades are published to students by the program director, per session (issue 10 item 3).
    published_at = models.DateTimeField(_("grades published at"), null=True, blank=True)
    resits_published_at = models.DateTimeField(_("resit grades published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["unit__professional", "unit__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["curriculum", "code"], name="uniq_subject_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Session(models.TextChoices):
    FIRST = "first", pgettext_lazy("grade session", "First session")
    RESIT = "resit", pgettext_lazy("grade session", "Resit")


class Grade(models.Model):
    """A grade on 20 with two decimals, or an absence (``value`` empty, ``absent`` set)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="grades")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="grades")
    session = models.CharField(_("session"), max_length=5, choices=Session.choices, default=Session.FIRST)
    value = models.DecimalField(_("grade"), max_digits=4, decimal_places=2, null=True, blank=True)
    absent = models.BooleanField(_("absent"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["subject", "student"]
        constraints = [
            models.UniqueConstraint(fields=["student", "subject", "session"], name="uniq_grade"),
            models.CheckConstraint(
                condition=(models.Q(absent=True, value__isnull=True))
                | (models.Q(absent=False, value__gte=0, value__lte=20)),
                name="grade_on_20_or_absent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.subject_id} {self.session}: {'ABS' if self.absent else self.value}"


class Thesis(models.Model):
    student = models.OneToOneField(Student, on_delete=models.PROTECT, related_name="thesis")
    topic = models.CharField(_("topic"), max_length=300)
    host_company = models.CharField(_("host company"), max_length=200)
    company_tutor = models.CharField(_("company tutor"), max_length=200)
    academic_tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tutored_theses",
        verbose_name=_("academic tutor"),
    )
    topic_approved_at = models.DateTimeField(_("topic approved at"), null=True, blank=True)
    topic_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    defence_on = models.DateField(_("defence date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("professional thesis")
        verbose_name_plural = _("professional theses")

    def __str__(self) -> str:
        return self.topic


class StudiesJury(models.Model):
    """A studies jury sitting for one curriculum; its date ends the curriculum (R1.10)."""

    curriculum = models.ForeignKey(Curriculum, on_delete=models.PROTECT, related_name="juries")
    sits_on = models.DateField(_("date"))
    after_resits = models.BooleanField(_("after the resits"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="studies_juries", verbose_name=_("members")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("studies jury")
        verbose_name_plural = _("studies juries")
        ordering = ["-sits_on"]

    def __str__(self) -> str:
        return f"{self.curriculum} {self.sits_on}"


class OutcomeKind(models.TextChoices):
    DEGREE = "degree", pgettext_lazy("studies outcome", "Degree awarded")
    FEES_OWED = "fees_owed", pgettext_lazy("studies outcome", "Fees outstanding")
    RESITS = "resits", pgettext_lazy("studies outcome", "Resits to sit")
    REFUSED = "refused", pgettext_lazy("studies outcome", "Refused")
    INCOMPLETE = "incomplete", pgettext_lazy("studies outcome", "Grades missing")
    REPEAT = "repeat", pgettext_lazy("studies outcome", "Repeat under a renewed agreement")


class FinalOutcomeError(Exception):
    """An outcome of a closed studies jury was about to change (R1.9, R1.10)."""


class JuryOutcome(models.Model):
    """What the jury rules for one student: the proposed outcome (computed, with its reasoning) and the
    final one (confirmed, or overridden with a written reason). Final once the sitting is closed:
    the model refuses any change then, as admission decisions do."""

    jury = models.ForeignKey(StudiesJury, on_delete=models.PROTECT, related_name="outcomes")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="jury_outcomes")
    proposed = models.CharField(_("proposed outcome"), max_length=12, choices=OutcomeKind.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=OutcomeKind.choices, blank=True)
    reasoning = models.JSONField(_("reasoning"), default=dict)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    ects = models.DecimalField(_("ECTS obtained"), max_digits=4, decimal_places=1, default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("studies jury outcome")
        verbose_name_plural = _("studies jury outcomes")
        ordering = ["jury", "student"]
        constraints = [models.UniqueConstraint(fields=["jury", "student"], name="uniq_jury_outcome")]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.outcome or self.proposed}"

    # An invariant, not a business rule: the last line of defence once the jury is closed (admin, shell,
    # bugs), as admission decisions have (admission.models.Decision).
    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if StudiesJury.objects.filter(pk=self.jury_id, closed_at__isnull=False).exists():
            raise FinalOutcomeError("an outcome of a closed studies jury is final")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if StudiesJury.objects.filter(pk=self.jury_id, closed_at__isnull=False).exists():
            raise FinalOutcomeError("an outcome of a closed studies jury is final")
        return super().delete(*args, **kwargs)


class Renewal(models.Model):
    """R1.11: the training outlasts its agreement; a new agreement and a new tuition due."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="renewals")
    agreement_starts_on = models.DateField(_("new agreement starts on"))
    agreement_ends_on = models.DateField(_("new agreement ends on"))
    amount = models.DecimalField(_("tuition (€)"), max_digits=10, decimal_places=2)
    due = models.OneToOneField(
        "billing.Due", null=True, blank=True, on_delete=models.PROTECT, related_name="renewal"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.student_id} {self.agreement_ends_on}"
