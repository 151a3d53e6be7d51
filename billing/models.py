"""Finance (issue 9): what each person owes and has paid, to the cent.

- `Due`: one amount due (an application fee, a tuition instalment…), with its structured payment
  reference (`billing.references`). Created by `billing.services.ledger` from the application's fee and
  registration's instalments.
- `LedgerLine`: every movement on a due: the amount due itself (+), a payment (−), a return (+), a
  refund (+). A balance is the sum of its lines, nothing else (no stored total to drift).
- `StatementImport` and `BankLine`: a bank statement imported (CFONB 120, camt.053, CSV) and its
  lines, immutable once imported, each with its own matching state.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import Dossier, FeePayment
from catalog.models import Institution
from registration.models import Instalment


class DueKind(models.TextChoices):
    APPLICATION_FEE = "application_fee", pgettext_lazy("due", "Application fee")
    INSTALMENT = "instalment", pgettext_lazy("due", "Tuition instalment")
    CVEC = "cvec", pgettext_lazy("due", "CVEC")
    RENEWAL = "renewal", pgettext_lazy("due", "Renewal")


class Due(models.Model):
    """An amount a person owes, with the reference they quote when paying (R2.10, I10)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="dues")
    kind = models.CharField(_("kind"), max_length=16, choices=DueKind.choices)
    label = models.CharField(_("label"), max_length=200)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    due_on = models.DateField(_("due on"))
    reference = models.CharField(_("payment reference"), max_length=16, unique=True)
    instalment = models.OneToOneField(
        Instalment, null=True, blank=True, on_delete=models.PROTECT, related_name="due"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("amount due")
        verbose_name_plural = _("amounts due")
        ordering = ["due_on", "pk"]
        constraints = [
            # One application fee per dossier; instalments are unique by their OneToOne.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(kind="application_fee"),
                name="uniq_fee_due_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} €"


class LineKind(models.TextChoices):
    DUE = "due", pgettext_lazy("ledger", "Amount due")
    PAYMENT = "payment", pgettext_lazy("ledger", "Payment")
    RETURN = "return", pgettext_lazy("ledger", "Return")
    REFUND = "refund", pgettext_lazy("ledger", "Refund")
    CANCELLATION = "cancellation", pgettext_lazy("ledger", "Cancellation")


class Channel(models.TextChoices):
    TRANSFER = "transfer", pgettext_lazy("payment", "Bank transfer")
    CARD = "card", pgettext_lazy("payment", "Bank card (on request)")
    FLYWIRE = "flywire", pgettext_lazy("payment", "Flywire (international candidates)")
    DIRECT_DEBIT = "direct_debit", pgettext_lazy("payment", "SEPA direct debit")
    MANUAL = "manual", pgettext_lazy("payment", "Recorded by finance")


class LedgerLine(models.Model):
    """One movement. Signed: what is owed is positive, what is paid negative; the balance of a due, a
    dossier or a person is the exact sum of its lines (I14)."""

    due = models.ForeignKey(Due, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(_("kind"), max_length=14, choices=LineKind.choices)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    occurred_on = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=14, choices=Channel.choices, blank=True)
    bank_line = models.ForeignKey(
        "BankLine", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_lines"
    )
    fee_payment = models.ForeignKey(
        FeePayment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_lines"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["occurred_on", "pk"]
        constraints = [
            # The amount due is written once per due.
            models.UniqueConstraint(fields=["due"], condition=models.Q(kind="due"), name="uniq_due_line"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} €"


class ImportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("import", "Pending")
    RUNNING = "running", pgettext_lazy("import", "Running")
    DONE = "done", pgettext_lazy("import", "Done")
    FAILED = "failed", pgettext_lazy("import", "Failed")


class StatementFormat(models.TextChoices):
    CFONB120 = "cfonb120", "CFONB 120"
    CAMT053 = "camt053", "camt.053"
    CSV = "csv", "CSV"


class StatementImport(models.Model):
    """A statement file given to the platform; its lines are imported by a task."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="statement_imports")
    file = models.FileField(_("file"), upload_to="statements/")
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(_("format"), max_length=10, choices=StatementFormat.choices, blank=True)
    csv_mapping = models.ForeignKey(
        "CsvMapping", null=True, blank=True, on_delete=models.PROTECT, related_name="imports"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("lines in the file"), default=0)
    done = models.PositiveIntegerField(_("lines processed"), default=0)
    created = models.PositiveIntegerField(_("new lines"), default=0)
    duplicates = models.PositiveIntegerField(_("lines already imported"), default=0)
    error = models.TextField(_("error"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


class LineState(models.TextChoices):
    MATCHED = "matched", pgettext_lazy("bank line", "Matched")
    PARTIAL = "partial", pgettext_lazy("bank line", "Partly paid")
    EXCESS = "excess", pgettext_lazy("bank line", "Paid more than due")
    ALREADY_PAID = "already_paid", pgettext_lazy("bank line", "Already paid")
    PROPOSED = "proposed", pgettext_lazy("bank line", "Match proposed")
    UNMATCHED = "unmatched", pgettext_lazy("bank line", "Not matched")
    DISCARDED = "discarded", pgettext_lazy("bank line", "Discarded")
    ASSIGNED = "assigned", pgettext_lazy("bank line", "Assigned by hand")


class BankLine(models.Model):
    """One credit or debit of a statement. What the bank said never changes; only the state and the
    link to a due do, each change audited. Importing the same line twice changes nothing: the bank's
    entry reference, else a hash of the normalised line, is unique per institution."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="bank_lines")
    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    dedup_key = models.CharField(max_length=80)
    booked_on = models.DateField(_("booked on"))
    value_on = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount (€)"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    entry_reference = models.CharField(_("bank's reference"), max_length=80, blank=True)
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    remittance = models.TextField(_("remittance information"), blank=True)
    account = models.CharField(_("account"), max_length=64, blank=True)
    raw = models.TextField(_("line as the bank gave it"), blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=LineState.choices, default=LineState.UNMATCHED
    )
    due = models.ForeignKey(Due, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines")
    proposed_due = models.ForeignKey(
        Due, null=True, blank=True, on_delete=models.PROTECT, related_name="proposed_bank_lines"
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["-booked_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "dedup_key"], name="uniq_bank_line"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.payer}"


class CsvMapping(models.Model):
    """How one bank's CSV export reads: which column holds what (saved per bank)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="csv_mappings")
    name = models.CharField(_("bank"), max_length=100)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=";")
    decimal_comma = models.BooleanField(_("decimal comma"), default=True)
    date_format = models.CharField(_("date format"), max_length=20, default="%d/%m/%Y")
    skip_rows = models.PositiveSmallIntegerField(_("rows before the header"), default=0)
    booked_on_column = models.CharField(_("booking date column"), max_length=60)
    value_on_column = models.CharField(_("value date column"), max_length=60, blank=True)
    amount_column = models.CharField(_("amount column"), max_length=60, blank=True)
    credit_column = models.CharField(_("credit column"), max_length=60, blank=True)
    debit_column = models.CharField(_("debit column"), max_length=60, blank=True)
    payer_column = models.CharField(_("payer column"), max_length=60, blank=True)
    remittance_columns = models.CharField(
        _("remittance columns"), max_length=200, help_text=_("Comma-separated; their texts are joined.")
    )
    reference_column = models.CharField(_("bank's reference column"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("CSV mapping")
        verbose_name_plural = _("CSV mappings")
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="uniq_csv_mapping")]

    def __str__(self) -> str:
        return self.name
