"""Personal data (GDPR, issue 6 item 7): the privacy notice, erasure requests, what was erased."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from catalog.models import Institution

CNIL_COMPLAINT_URL = "https://www.cnil.fr/fr/plaintes"


class BilingualText:
    """Texts kept in French and English (``<name>_fr``, ``<name>_en``): the reader's language, else the
    other one (I15)."""

    def _text(self, name: str) -> str:
        french = getattr(self, f"{name}_fr")
        english = getattr(self, f"{name}_en")
        return (english or french) if get_language() == "en" else (french or english)


class PrivacyNotice(BilingualText, models.Model):
    """What an institution tells applicants about their personal data (GDPR art. 13). Edited in the
    admin by that institution's office; a default is shown until they save one."""

    institution = models.OneToOneField(
        Institution, on_delete=models.CASCADE, related_name="privacy_notice", verbose_name=_("institution")
    )
    controller = models.TextField(
        _("data controller"), help_text=_("Name and address of the institution responsible for the data.")
    )
    dpo_name = models.CharField(_("data protection officer"), max_length=200)
    dpo_email = models.EmailField(_("data protection officer's email"))
    dpo_address = models.TextField(_("data protection officer's postal address"), blank=True)
    purposes_fr = models.TextField(_("purposes (French)"))
    purposes_en = models.TextField(_("purposes (English)"))
    legal_basis_fr = models.TextField(_("legal basis (French)"))
    legal_basis_en = models.TextField(_("legal basis (English)"))
    recipients_fr = models.TextField(_("recipients (French)"))
    recipients_en = models.TextField(_("recipients (English)"))
    retention_fr = models.TextField(_("retention (French)"))
    retention_en = models.TextField(_("retention (English)"))
    rights_fr = models.TextField(_("your rights (French)"))
    rights_en = models.TextField(_("your rights (English)"))
    complaint_url = models.URLField(_("supervisory authority's complaint page"), default=CNIL_COMPLAINT_URL)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["institution__name"]

    def __str__(self) -> str:
        return str(self.institution)

    @property
    def purposes(self) -> str:
        return self._text("purposes")

    @property
    def legal_basis(self) -> str:
        return self._text("legal_basis")

    @property
    def recipients(self) -> str:
        return self._text("recipients")

    @property
    def retention(self) -> str:
        return self._text("retention")

    @property
    def rights(self) -> str:
        return self._text("rights")


class ErasureCause(models.TextChoices):
    REQUEST = "request", pgettext_lazy("erasure", "Asked by the person")
    RETENTION = "retention", pgettext_lazy("erasure", "End of the retention period")


class ErasureRequest(models.Model):
    """An account's erasure: asked by its owner (done at once for drafts only, else at the end of the
    retention period) or done by the purge. Holds no personal data once completed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="erasure_requests",
        verbose_name=_("account"),
    )
    cause = models.CharField(_("cause"), max_length=12, choices=ErasureCause.choices)
    requested_at = models.DateTimeField(_("asked at"))
    erase_on = models.DateField(_("to be erased after"), null=True, blank=True)
    completed_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.cause} {self.requested_at:%Y-%m-%d}"


class ErasedDossier(models.Model):
    """The minimal record kept of an erased dossier: no name, no email, no file (issue 6 item 7).
    ``dossier_id`` is a plain number: an erased draft's row is deleted."""

    dossier_id = models.PositiveBigIntegerField(_("dossier number"), unique=True)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="+", verbose_name=_("institution")
    )
    program_code = models.CharField(_("program"), max_length=20)
    session_name = models.CharField(_("session"), max_length=50)
    status = models.CharField(_("status when erased"), max_length=20)
    outcome = models.CharField(_("decision"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("decision email sent at"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=12, choices=ErasureCause.choices)
    erased_at = models.DateTimeField(_("erased at"))
    files_erased = models.PositiveIntegerField(_("files erased"), default=0)

    class Meta:
        verbose_name = _("erased dossier")
        verbose_name_plural = _("erased dossiers")
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"{self.dossier_id:06d} MS {self.program_code} {self.session_name}"


DEFENSEUR_DES_DROITS_URL = "https://formulaire.defenseurdesdroits.fr/"


class Conformance(models.TextChoices):
    """RGAA 4.1 conformance levels of an accessibility statement."""

    FULL = "full", pgettext_lazy("rgaa", "Fully compliant")
    PARTIAL = "partial", pgettext_lazy("rgaa", "Partially compliant")
    NONE = "none", pgettext_lazy("rgaa", "Not compliant")


class AccessibilityStatement(BilingualText, models.Model):
    """The accessibility statement a public school must publish (RGAA 4.1, law of 11 February 2005
    art. 47): conformance level, what is not accessible, a contact and the recourse. One per
    institution, edited in the admin; a default is shown until its office saves one."""

    institution = models.OneToOneField(
        Institution,
        on_delete=models.CASCADE,
        related_name="accessibility_statement",
        verbose_name=_("institution"),
    )
    conformance = models.CharField(
        _("conformance level"), max_length=8, choices=Conformance.choices, default=Conformance.NONE
    )
    audited_on = models.DateField(
        _("audit date"), null=True, blank=True, help_text=_("Leave empty while no RGAA audit has been made.")
    )
    audited_by = models.CharField(_("audited by"), max_length=200, blank=True)
    compliance_rate = models.PositiveSmallIntegerField(
        _("compliance rate (%)"), null=True, blank=True, help_text=_("Share of RGAA criteria met.")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_address = models.TextField(_("contact postal address"), blank=True)
    gaps_fr = models.TextField(_("known gaps (French)"))
    gaps_en = models.TextField(_("known gaps (English)"))
    environment_fr = models.TextField(_("technologies and test environment (French)"), blank=True)
    environment_en = models.TextField(_("technologies and test environment (English)"), blank=True)
    recourse_url = models.URLField(_("Défenseur des droits' contact page"), default=DEFENSEUR_DES_DROITS_URL)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("accessibility statement")
        verbose_name_plural = _("accessibility statements")
        ordering = ["institution__name"]

    def __str__(self) -> str:
        return str(self.institution)

    @property
    def gaps(self) -> str:
        return self._text("gaps")

    @property
    def environment(self) -> str:
        return self._text("environment")
