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
from registration.models import Debtor, Instalment


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


# ---- SEPA direct debits (issue 9 item 7, R3.4, I10) --------------------------------------------


class MandateStatus(models.TextChoices):
    AWAITING = "awaiting", pgettext_lazy("mandate", "Awaiting the debtor's signature")
    ACTIVE = "active", pgettext_lazy("mandate", "Signed")
    LAPSED = "lapsed", pgettext_lazy("mandate", "Lapsed (36 months unused)")
    REVOKED = "revoked", pgettext_lazy("mandate", "Revoked")


class Mandate(models.Model):
    """A SEPA Core mandate: one per registration (its debtor: the student, or the company) and academic
    year, reused for the three instalments. The IBAN is stored encrypted (``billing.crypto``); only its
    country and last four characters are kept in clear, for the masked display. A company's mandate is
    signed by its signatory through a link sent to the billing email (``AWAITING`` until then)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="mandates")
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="mandates"
    )
    academic_year = models.CharField(_("academic year"), max_length=9)
    debtor_kind = models.CharField(_("debtor"), max_length=8, choices=Debtor.choices)
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    creditor_id = models.CharField(_("SEPA creditor identifier"), max_length=35)
    status = models.CharField(
        _("status"), max_length=10, choices=MandateStatus.choices, default=MandateStatus.AWAITING
    )
    debtor_name = models.CharField(_("account holder"), max_length=70)
    debtor_email = models.EmailField(_("debtor's email"))
    street = models.CharField(_("street and number"), max_length=70, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    town = models.CharField(_("town"), max_length=35)
    country = models.CharField(_("country"), max_length=2)
    iban_encrypted = models.TextField(blank=True)
    iban_country = models.CharField(max_length=2, blank=True)
    iban_last4 = models.CharField(max_length=4, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signatory_name = models.CharField(_("signed by"), max_length=140, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_ip = models.GenericIPAddressField(_("signed from address"), null=True, blank=True)
    signed_user_agent = models.CharField(max_length=300, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prenotified_at = models.DateTimeField(_("pre-notification sent at"), null=True, blank=True)
    last_collected_on = models.DateField(_("last collection"), null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-created_at"]
        constraints = [
            # One live mandate per registration and year (a revoked or lapsed one may be replaced).
            models.UniqueConstraint(
                fields=["registration", "academic_year"],
                condition=models.Q(status__in=["awaiting", "active"]),
                name="uniq_live_mandate",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BatchStatus(models.TextChoices):
    EXPORTED = "exported", pgettext_lazy("debit batch", "Exported, not yet sent")
    SENT = "sent", pgettext_lazy("debit batch", "Sent to the bank")
    REVERTED = "reverted", pgettext_lazy("debit batch", "Reverted")


class DebitBatch(models.Model):
    """One pain.008 file: the debits of one collection date, FRST then RCUR. Validated against its
    XSD before it is saved. Revertible (its instalments go back to the pool) until marked sent."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="debit_batches")
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    schema = models.CharField(_("schema"), max_length=20)
    collection_date = models.DateField(_("collection date"))
    due_by = models.DateField(_("instalments due by"))
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.EXPORTED
    )
    count = models.PositiveIntegerField(_("debits"), default=0)
    total = models.DecimalField(_("total (€)"), max_digits=12, decimal_places=2, default=0)
    xml = models.TextField(_("file"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_bank_line = models.ForeignKey(
        BankLine, null=True, blank=True, on_delete=models.PROTECT, related_name="debit_batches"
    )

    class Meta:
        verbose_name = _("direct debit file")
        verbose_name_plural = _("direct debit files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message_id


class Sequence(models.TextChoices):
    FRST = "FRST", pgettext_lazy("sepa", "First debit of the mandate")
    RCUR = "RCUR", pgettext_lazy("sepa", "Recurring debit")


class DebitStatus(models.TextChoices):
    EXPORTED = "exported", pgettext_lazy("debit", "In a file")
    SENT = "sent", pgettext_lazy("debit", "Sent")
    RETURNED = "returned", pgettext_lazy("debit", "Returned")
    REVERTED = "reverted", pgettext_lazy("debit", "Reverted")


class DebitItem(models.Model):
    """One instalment in one file. ``active`` marks the item that currently claims its instalment: the
    partial unique constraint is what makes an instalment never exported twice, also when two
    exports run at once; reverting or a return releases the claim (a re-presentation is a new item)."""

    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="items")
    instalment = models.ForeignKey(
        "registration.Instalment", on_delete=models.PROTECT, related_name="debit_items"
    )
    due = models.ForeignKey(Due, on_delete=models.PROTECT, related_name="debit_items")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debit_items")
    sequence = models.CharField(_("sequence"), max_length=4, choices=Sequence.choices)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    collection_date = models.DateField(_("collection date"))
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DebitStatus.choices, default=DebitStatus.EXPORTED
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["instalment"], condition=models.Q(active=True), name="uniq_active_debit"
            ),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


class ReturnSource(models.TextChoices):
    PAIN002 = "pain002", "pain.002"
    CAMT054 = "camt054", "camt.054"
    CFONB = "cfonb", "CFONB"
    MANUAL = "manual", pgettext_lazy("return", "Entered by finance")


class ReturnKind(models.TextChoices):
    REJECT = "reject", pgettext_lazy("return", "Rejected before settlement")
    RETURN = "return", pgettext_lazy("return", "Returned after settlement")
    REFUND_REQUEST = "refund_request", pgettext_lazy("return", "Refund requested by the debtor")


class ReturnOutcome(models.TextChoices):
    PENDING = "pending", pgettext_lazy("return", "To decide")
    REPRESENT = "represent", pgettext_lazy("return", "Presented once more")
    OTHERWISE = "otherwise", pgettext_lazy("return", "Debtor asked to pay otherwise")


class DebitReturn(models.Model):
    """A debit that came back, with its ISO reason code (AC04, AM04, MD01, MD06, MS02…). Importing the
    same return twice changes nothing (``dedup_key``)."""

    item = models.ForeignKey(DebitItem, on_delete=models.PROTECT, related_name="returns")
    kind = models.CharField(_("kind"), max_length=16, choices=ReturnKind.choices)
    source = models.CharField(_("source"), max_length=8, choices=ReturnSource.choices)
    reason_code = models.CharField(_("reason code"), max_length=4)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    received_on = models.DateField(_("received on"))
    dedup_key = models.CharField(max_length=80, unique=True)
    outcome = models.CharField(
        _("decision"), max_length=10, choices=ReturnOutcome.choices, default=ReturnOutcome.PENDING
    )
    raw = models.TextField(blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("direct debit return")
        verbose_name_plural = _("direct debit returns")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.reason_code}"


class RefundReason(models.TextChoices):
    VISA_REFUSAL = "visa_refusal", pgettext_lazy("refund", "Visa refused (first instalment)")
    OVERPAYMENT = "overpayment", pgettext_lazy("refund", "Paid more than due")


class RefundStatus(models.TextChoices):
    TO_PAY = "to_pay", pgettext_lazy("refund", "To pay")
    PAID = "paid", pgettext_lazy("refund", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("refund", "Cancelled")


class Refund(models.Model):
    """Money the school pays back (I11): the first instalment on a visa refusal, an overpayment. The
    application fee itself is never refunded (R2.11): only what was paid beyond it."""

    due = models.ForeignKey(Due, on_delete=models.PROTECT, related_name="refunds")
    reason = models.CharField(_("reason"), max_length=14, choices=RefundReason.choices)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.TO_PAY
    )
    beneficiary = models.CharField(_("beneficiary"), max_length=140, blank=True)
    iban_encrypted = models.TextField(blank=True)
    iban_last4 = models.CharField(max_length=4, blank=True)
    bank_line = models.ForeignKey(
        BankLine, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.due_id} {self.amount} €"


# ---- Flywire (issue 9 item 5) ------------------------------------------------------------------


class FlywireStatus(models.TextChoices):
    INITIATED = "initiated", pgettext_lazy("flywire", "Initiated")
    PROCESSED = "processed", pgettext_lazy("flywire", "Processed")
    GUARANTEED = "guaranteed", pgettext_lazy("flywire", "Guaranteed")
    DELIVERED = "delivered", pgettext_lazy("flywire", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("flywire", "Cancelled")
    FAILED = "failed", pgettext_lazy("flywire", "Failed")
    REVERSED = "reversed", pgettext_lazy("flywire", "Reversed")


class FlywireEvent(models.Model):
    """A notification as Flywire sent it (raw body kept), processed by a task."""

    body = models.TextField()
    payment_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("Flywire notification")
        verbose_name_plural = _("Flywire notifications")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.status}"


class FlywirePayment(models.Model):
    """One Flywire payment and the furthest status it reached (a status never goes backwards)."""

    payment_id = models.CharField(_("Flywire payment id"), max_length=64, unique=True)
    due = models.ForeignKey(
        Due, null=True, blank=True, on_delete=models.PROTECT, related_name="flywire_payments"
    )
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=12, choices=FlywireStatus.choices)
    ledger_line = models.ForeignKey(
        LedgerLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payout_bank_line = models.ForeignKey(
        BankLine, null=True, blank=True, on_delete=models.PROTECT, related_name="flywire_payments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Flywire payment")
        verbose_name_plural = _("Flywire payments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.payment_id
