"""Flywire (issue 9 item 5; R2.10, I3, I14): the notification endpoint with the real HMAC, the status
machine, the ledger and the fee, and the reconciliation of Flywire's payout on a real statement."""

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from applications import services as app_services
from applications.models import FeePayment, PaymentStatus
from audit.models import AuditEvent
from billing import flywire as fw
from billing import references
from billing.models import (
    BankLine,
    Due,
    FlywireEvent,
    FlywirePayment,
    LedgerLine,
    LineState,
    StatementImport,
)
from billing.services import ledger
from billing.services.flywire import flywire_event_process
from billing.services.statements import statement_process, statement_upload
from billing.statements import writers
from catalog.models import AdmissionSession
from tests.conftest import PASSWORD, make_user, offering

SECRET = "s3cr3t-shared-with-flywire"
URL = "/paiements/flywire/notifications/"


def today() -> dt.date:
    """Paris's date when asked: read after the notifications, so a run across midnight stays right."""
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.FLYWIRE_SHARED_SECRET = SECRET


def fee_of(session: AdmissionSession, email: str, *, last: str = "Okafor") -> Due:
    user = make_user(email, first_name="Ngozi", last_name=last)
    dossier = app_services.dossier_open(candidate=user, offering=offering(session, "CSE"))
    return ledger.fee_due(dossier)


@pytest.fixture
def fee(open_session: AdmissionSession) -> Due:
    return fee_of(open_session, "ngozi@example.org")


def body(
    payment_id: str,
    status: str,
    *,
    ref: str = "",
    cents: Any = 6000,
    currency: str = "EUR",
    event_date: str | None = None,
) -> bytes:
    """A v2 payment status notification as Flywire documents it."""
    doc = {
        "event_type": status,
        "event_date": event_date or timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event_resource": "payments",
        "data": {
            "payment_id": payment_id,
            "amount_from": "9650",
            "currency_from": "NGN",
            "amount_to": cents,
            "currency_to": currency,
            "status": status,
            "expiration_date": None,
            "external_reference": references.display(ref) if ref else "",
            "country": "NG",
            "payment_method": {"type": "bank_transfer"},
            "fields": {"student_id": "X"},
            "payer": {"first_name": "Ngozi", "last_name": "Okafor", "email": "ngozi@example.org"},
        },
    }
    return json.dumps(doc).encode()


def notify(client: Any, raw: bytes, capture: Any, *, digest: str | None = None) -> Any:
    headers = {fw.DIGEST_HEADER: fw.digest(raw, SECRET).decode() if digest is None else digest}
    with capture(execute=True):  # the task runs at commit (immediate backend in the tests)
        return client.post(URL, data=raw, content_type="application/json", headers=headers)


def payment_lines(due: Due) -> list[LedgerLine]:
    return list(LedgerLine.objects.filter(due=due, kind="payment"))


# ---- the endpoint -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("digest", ["", "bm90IHRoZSBkaWdlc3Q=", "wrong-secret"])
def test_R2_10_bad_digest_is_refused_and_changes_nothing(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any, digest: str
) -> None:
    raw = body("FWU100000001", "guaranteed", ref=fee.reference)
    if digest == "wrong-secret":
        digest = fw.digest(raw, "another secret").decode()
    headers = {fw.DIGEST_HEADER: digest} if digest else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not FlywireEvent.objects.exists() and not FlywirePayment.objects.exists()
    assert payment_lines(fee) == [] and ledger.balance(fee) == Decimal("60.00")
    # The digest of a body altered by one byte does not pass either.
    tampered = raw.replace(b"6000", b"6001")
    assert (
        notify(
            client, tampered, django_capture_on_commit_callbacks, digest=fw.digest(raw, SECRET).decode()
        ).status_code
        == 401
    )
    assert not FlywireEvent.objects.exists()


@pytest.mark.django_db
def test_R2_10_no_secret_configured_refuses_everything(
    client: Any, fee: Due, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FLYWIRE_SHARED_SECRET = ""
    raw = body("FWU100000001", "guaranteed", ref=fee.reference)
    response = notify(client, raw, django_capture_on_commit_callbacks, digest=fw.digest(raw, "").decode())
    assert response.status_code == 401
    assert not FlywireEvent.objects.exists() and payment_lines(fee) == []


@pytest.mark.django_db
def test_endpoint_is_post_only_and_refuses_a_body_over_64_kb(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    assert client.get(URL).status_code == 405
    assert client.put(URL, data=b"{}", content_type="application/json").status_code == 405
    raw = b'{"data": {"payment_id": "FWU1", "status": "initiated"}, "pad": "' + b"x" * fw.MAX_BODY + b'"}'
    assert notify(client, raw, django_capture_on_commit_callbacks).status_code == 413
    assert not FlywireEvent.objects.exists()


@pytest.mark.django_db
def test_R2_10_I3_guaranteed_records_the_payment_and_confirms_the_fee(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    # 23:30 UTC on 1 March is 00:30 on 2 March in Paris: the payment counts from the 2nd (I1, I3).
    raw = body("FWU100000001", "guaranteed", ref=fee.reference, event_date="2026-03-01T23:30:00Z")
    response = notify(client, raw, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    event = FlywireEvent.objects.get()
    assert (event.payment_id, event.status, event.outcome) == ("FWU100000001", "guaranteed", "recorded")
    assert event.body == raw.decode()
    payment = FlywirePayment.objects.get()
    assert (payment.status, payment.due_id, payment.amount, payment.currency) == (
        "guaranteed",
        fee.pk,
        Decimal("60.00"),
        "EUR",
    )
    (line,) = payment_lines(fee)
    assert (line.amount, line.channel, line.occurred_on) == (
        Decimal("-60.00"),
        "flywire",
        dt.date(2026, 3, 2),
    )
    assert payment.ledger_line == line and ledger.balance(fee) == Decimal("0.00")
    fee_payment = FeePayment.objects.get(dossier=fee.dossier)
    assert (fee_payment.status, fee_payment.channel, fee_payment.booked_on) == (
        PaymentStatus.CONFIRMED,
        "flywire",
        dt.date(2026, 3, 2),
    )
    assert AuditEvent.objects.filter(action="flywire.status", to_state="guaranteed").count() == 1
    assert AuditEvent.objects.filter(action="fee.confirm").count() == 1


@pytest.mark.django_db
def test_R2_10_the_same_notification_twice_changes_nothing(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    raw = body("FWU100000002", "guaranteed", ref=fee.reference)
    assert notify(client, raw, django_capture_on_commit_callbacks).status_code == 200
    audits = AuditEvent.objects.count()
    assert notify(client, raw, django_capture_on_commit_callbacks).status_code == 200  # Flywire's retry
    first, second = FlywireEvent.objects.order_by("pk")
    assert (first.outcome, second.outcome) == ("recorded", "duplicate")
    assert len(payment_lines(fee)) == 1 and ledger.balance(fee) == Decimal("0.00")
    assert AuditEvent.objects.count() == audits
    # The task run twice on one event changes nothing either.
    processed_at = second.processed_at
    flywire_event_process(second.pk)
    second.refresh_from_db()
    assert second.processed_at == processed_at and len(payment_lines(fee)) == 1


@pytest.mark.django_db
def test_R2_10_I3_delivered_before_guaranteed_ends_delivered_paid_once(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    notify(client, body("FWU100000003", "delivered", ref=fee.reference), django_capture_on_commit_callbacks)
    notify(client, body("FWU100000003", "guaranteed", ref=fee.reference), django_capture_on_commit_callbacks)
    payment = FlywirePayment.objects.get()
    assert payment.status == "delivered"
    assert len(payment_lines(fee)) == 1 and ledger.balance(fee) == Decimal("0.00")
    assert FeePayment.objects.get(dossier=fee.dossier).status == PaymentStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="fee.confirm").count() == 1
    assert list(FlywireEvent.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "recorded",
        "backwards",
    ]


@pytest.mark.django_db
def test_R2_10_guaranteed_then_delivered_records_once(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    for status in ("initiated", "processed", "guaranteed", "delivered"):
        notify(client, body("FWU100000004", status, ref=fee.reference), django_capture_on_commit_callbacks)
    assert FlywirePayment.objects.get().status == "delivered"
    assert len(payment_lines(fee)) == 1
    assert list(FlywireEvent.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "status",
        "status",
        "recorded",
        "status",
    ]


@pytest.mark.django_db
def test_R2_10_cancelled_after_guaranteed_is_ignored_failed_before_fails(
    client: Any, fee: Due, open_session: AdmissionSession, django_capture_on_commit_callbacks: Any
) -> None:
    notify(client, body("FWU100000005", "guaranteed", ref=fee.reference), django_capture_on_commit_callbacks)
    notify(client, body("FWU100000005", "cancelled", ref=fee.reference), django_capture_on_commit_callbacks)
    assert FlywirePayment.objects.get().status == "guaranteed"
    assert FlywireEvent.objects.order_by("pk").last().outcome == "backwards"  # type: ignore[union-attr]
    assert len(payment_lines(fee)) == 1 and ledger.balance(fee) == Decimal("0.00")

    other = fee_of(open_session, "emeka@example.org", last="Eze")
    notify(client, body("FWU100000006", "initiated", ref=other.reference), django_capture_on_commit_callbacks)
    notify(client, body("FWU100000006", "failed", ref=other.reference), django_capture_on_commit_callbacks)
    failed = FlywirePayment.objects.get(payment_id="FWU100000006")
    assert failed.status == "failed" and payment_lines(other) == []
    # Flywire re-initiates a cancelled transfer whose funds came late (its docs): it moves on.
    notify(
        client, body("FWU100000006", "guaranteed", ref=other.reference), django_capture_on_commit_callbacks
    )
    failed.refresh_from_db()
    assert failed.status == "guaranteed" and len(payment_lines(other)) == 1


@pytest.mark.django_db
def test_R2_10_R2_11_reversed_reopens_the_due_and_flags_it(
    client: Any, fee: Due, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    for status in ("guaranteed", "delivered", "reversed"):
        notify(client, body("FWU100000007", status, ref=fee.reference), django_capture_on_commit_callbacks)
    payment = FlywirePayment.objects.get()
    assert payment.status == "reversed"
    ret = LedgerLine.objects.get(due=fee, kind="return")
    assert (ret.amount, ret.channel) == (Decimal("60.00"), "flywire")
    assert ledger.balance(fee) == Decimal("60.00")  # the ledger shows it open again
    # The fee's confirmation is not undone (the dossier may have moved on); finance sees the flag.
    assert FeePayment.objects.get(dossier=fee.dossier).status == PaymentStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="flywire.reverse").count() == 1
    # Nothing after reversed changes anything.
    notify(client, body("FWU100000007", "delivered", ref=fee.reference), django_capture_on_commit_callbacks)
    assert FlywireEvent.objects.order_by("pk").last().outcome == "final"  # type: ignore[union-attr]
    assert ledger.balance(fee) == Decimal("60.00")
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("flywire_payments"), {"status": "reversed"}).content.decode()
    assert f'id="flywire-{payment.pk}"' in page


@pytest.mark.django_db
def test_R2_10_no_matching_due_is_kept_unassigned(
    client: Any, fee: Due, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    notify(client, body("FWU100000008", "guaranteed", ref=""), django_capture_on_commit_callbacks)
    payment = FlywirePayment.objects.get()
    assert (payment.due_id, payment.status, payment.ledger_line_id) == (None, "guaranteed", None)
    assert FlywireEvent.objects.get().outcome == "no_due"
    assert payment_lines(fee) == []
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("flywire_payments"), {"unassigned": "1"}).content.decode()
    assert f'id="flywire-{payment.pk}"' in page
    # A later notification that quotes our reference (hyphens and spaces as typed) assigns it.
    ref = references.display(fee.reference).replace("-", " ")
    raw = body("FWU100000008", "delivered")
    raw = raw.replace(b'"external_reference": ""', f'"external_reference": "{ref.lower()}"'.encode())
    notify(client, raw, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert (payment.due_id, payment.status) == (fee.pk, "delivered") and len(payment_lines(fee)) == 1
    page = client.get(reverse("flywire_payments"), {"unassigned": "1"}).content.decode()
    assert f'id="flywire-{payment.pk}"' not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [b"not json at all", b"[1, 2]", b'{"data": {"status": "guaranteed"}}'],
    ids=["text", "list", "no_id"],
)
def test_unreadable_notification_under_a_valid_digest_is_kept_and_answered_200(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any, raw: bytes
) -> None:
    assert notify(client, raw, django_capture_on_commit_callbacks).status_code == 200
    event = FlywireEvent.objects.get()
    assert event.outcome.startswith("unreadable") and event.processed_at is not None
    assert not FlywirePayment.objects.exists() and payment_lines(fee) == []


@pytest.mark.django_db
def test_I14_amount_is_whole_cents_never_a_float(
    client: Any, fee: Due, django_capture_on_commit_callbacks: Any
) -> None:
    notify(
        client,
        body("FWU100000009", "guaranteed", ref=fee.reference, cents=60.0),
        django_capture_on_commit_callbacks,
    )
    assert FlywireEvent.objects.get().outcome.startswith("unreadable")
    notify(
        client,
        body("FWU100000010", "guaranteed", ref=fee.reference, cents="3001", currency="EUR"),
        django_capture_on_commit_callbacks,
    )
    assert LedgerLine.objects.get(due=fee, kind="payment").amount == Decimal("-30.01")
    assert ledger.balance(fee) == Decimal("29.99")  # partly paid: the fee is not confirmed yet
    assert not FeePayment.objects.filter(dossier=fee.dossier, status=PaymentStatus.CONFIRMED).exists()


def test_R2_10_transition_table() -> None:
    s = fw.step
    assert s(None, "guaranteed", recorded=False) == fw.Step("guaranteed", "recorded", record=True)
    assert s(None, "delivered", recorded=False).record
    assert s("delivered", "guaranteed", recorded=True) == fw.Step(None, "backwards")
    assert s("guaranteed", "delivered", recorded=True) == fw.Step("delivered", "status")
    assert s("guaranteed", "delivered", recorded=False) == fw.Step("delivered", "recorded", record=True)
    for late in ("initiated", "processed", "cancelled", "failed"):
        assert s("guaranteed", late, recorded=True).to is None
        assert s("delivered", late, recorded=True).to is None
    assert s("processed", "cancelled", recorded=False) == fw.Step("cancelled", "failed")
    assert s("cancelled", "processed", recorded=False) == fw.Step("processed", "reinitiated")
    assert s("delivered", "reversed", recorded=True) == fw.Step("reversed", "reversed", reverse=True)
    assert s("processed", "reversed", recorded=False) == fw.Step("reversed", "reversed_unrecorded")
    assert s("reversed", "delivered", recorded=True) == fw.Step(None, "final")
    assert s("guaranteed", "guaranteed", recorded=True) == fw.Step(None, "duplicate")
    assert s(None, "authorized", recorded=False) == fw.Step(None, "unknown_status")
    assert fw.cents(6000) == fw.cents("6000") == Decimal("60.00")
    assert fw.cents(None) is None
    for bad in (60.0, "60.00", "-6000", True):
        with pytest.raises(fw.NotificationError):
            fw.cents(bad)


def test_digest_is_base64_hmac_sha256_compared_in_constant_time() -> None:
    import base64
    import hashlib
    import hmac

    raw = b'{"a": 1}'
    expected = base64.b64encode(hmac.new(b"k", raw, hashlib.sha256).digest())
    assert fw.digest(raw, "k") == expected
    assert fw.digest_ok(raw, expected.decode(), "k")
    assert fw.digest_ok(raw, f" {expected.decode()}\n", "k")
    assert not fw.digest_ok(raw, expected.decode(), "")
    assert not fw.digest_ok(raw, "", "k")
    assert not fw.digest_ok(raw, "é" + expected.decode()[1:], "k")


# ---- the payout -------------------------------------------------------------------------------


def run_import(session: AdmissionSession, data: bytes, *, name: str) -> StatementImport:
    imp = statement_upload(
        institution=session.institution,
        by=None,
        fileobj=io.BytesIO(data),
        name=name,
        size=len(data),
        enqueue=False,
    )
    return statement_process(import_id=imp.pk)


def two_delivered(client: Any, session: AdmissionSession, capture: Any) -> tuple[Due, Due]:
    a = fee_of(session, "ngozi@example.org")
    b = fee_of(session, "emeka@example.org", last="Eze")
    for pid, due in (("FWU200000001", a), ("FWU200000002", b)):
        for status in ("guaranteed", "delivered"):
            notify(client, body(pid, status, ref=due.reference), capture)
    return a, b


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["cfonb120", "camt053"])
@pytest.mark.parametrize("quoted", [False, True], ids=["by_sum", "by_ids"])
def test_R2_10_I14_one_payout_reconciles_two_payments(
    client: Any,
    open_session: AdmissionSession,
    django_capture_on_commit_callbacks: Any,
    fmt: str,
    quoted: bool,
) -> None:
    a, b = two_delivered(client, open_session, django_capture_on_commit_callbacks)
    lines_before = LedgerLine.objects.count()
    remittance = "FLYWIRE PAYOUT " + ("FWU200000001 FWU200000002" if quoted else today().strftime("%Y%m%d"))
    entry = writers.StatementEntry(
        booked_on=today(), amount=Decimal("120.00"), remittance=remittance, payer="FLYWIRE"
    )
    write = writers.cfonb120 if fmt == "cfonb120" else writers.camt053
    imp = run_import(open_session, write([entry]), name="payout")
    line = BankLine.objects.get(statement=imp)
    assert (line.state, line.due_id) == (LineState.MATCHED, None)
    assert set(line.flywire_payments.values_list("payment_id", flat=True)) == {"FWU200000001", "FWU200000002"}
    assert LedgerLine.objects.count() == lines_before  # no second payment: recorded at guaranteed
    assert ledger.balance(a) == ledger.balance(b) == Decimal("0.00")
    assert AuditEvent.objects.filter(action="bank_line.flywire_payout", to_state="matched").count() == 1
    # The same statement again changes nothing.
    again = run_import(open_session, write([entry]), name="payout again")
    assert (again.created, again.duplicates) == (0, 1)


@pytest.mark.django_db
def test_R2_10_payout_that_does_not_add_up_waits_in_triage_with_what_was_expected(
    client: Any, open_session: AdmissionSession, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    a, _b = two_delivered(client, open_session, django_capture_on_commit_callbacks)
    lines_before = LedgerLine.objects.count()
    # The remittance quotes a's reference too: it is still not matched as a transfer (counted once).
    entry = (today(), Decimal("119.00"), f"FLYWIRE PAYOUT {a.reference}", "FLYWIRE")
    imp = run_import(open_session, writers.camt053([entry]), name="short payout")
    line = BankLine.objects.get(statement=imp)
    assert line.state == LineState.UNMATCHED and line.due_id is None
    assert "120.00" in line.comment and "119.00" in line.comment
    assert not FlywirePayment.objects.filter(payout_bank_line__isnull=False).exists()
    assert LedgerLine.objects.count() == lines_before
    client.login(email=finance.email, password=PASSWORD)
    assert "120.00" in client.get(reverse("triage")).content.decode()


@pytest.mark.django_db
def test_R2_10_payout_quoting_ids_over_two_cfonb_lines_takes_only_those(
    client: Any, open_session: AdmissionSession, django_capture_on_commit_callbacks: Any
) -> None:
    two_delivered(client, open_session, django_capture_on_commit_callbacks)
    # A third delivered payment that this payout does not carry: only the quoted ids count.
    c = fee_of(open_session, "chidi@example.org", last="Obi")
    for status in ("guaranteed", "delivered"):
        notify(client, body("FWU200000003", status, ref=c.reference), django_capture_on_commit_callbacks)
    prefix = ("FLYWIRE PAYOUT DISBURSEMENT " * 3)[:64]  # the bank cuts an id over two LIB records
    entry = (today(), Decimal("120.00"), f"{prefix}FWU200000001 FWU200000002", "FLYWIRE")
    imp = run_import(open_session, writers.cfonb120([entry]), name="cut")
    line = BankLine.objects.get(statement=imp)
    assert line.state == LineState.MATCHED
    assert set(line.flywire_payments.values_list("payment_id", flat=True)) == {"FWU200000001", "FWU200000002"}
    assert FlywirePayment.objects.get(payment_id="FWU200000003").payout_bank_line is None


@pytest.mark.django_db
def test_R2_10_payout_counts_only_payments_delivered_by_its_booking_date(
    client: Any, open_session: AdmissionSession, django_capture_on_commit_callbacks: Any
) -> None:
    two_delivered(client, open_session, django_capture_on_commit_callbacks)
    entry = (today() - dt.timedelta(days=1), Decimal("120.00"), "FLYWIRE PAYOUT", "FLYWIRE")
    line = BankLine.objects.get(statement=run_import(open_session, writers.camt053([entry]), name="early"))
    assert line.state == LineState.UNMATCHED
    assert "0.00" in line.comment and not FlywirePayment.objects.filter(payout_bank_line=line).exists()


@pytest.mark.django_db
def test_a_transfer_not_from_flywire_is_matched_as_before(open_session: AdmissionSession, fee: Due) -> None:
    entry = (today(), Decimal("60.00"), f"FRAIS {fee.reference}", "M NGOZI OKAFOR")
    line = BankLine.objects.get(statement=run_import(open_session, writers.camt053([entry]), name="t"))
    assert (line.state, line.due_id) == (LineState.MATCHED, fee.pk)


# ---- the finance screen -----------------------------------------------------------------------


@pytest.mark.django_db
def test_R2_10_flywire_list_is_finance_only(
    client: Any,
    fee: Due,
    finance: User,
    office: User,
    candidate: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    notify(client, body("FWU300000001", "guaranteed", ref=fee.reference), django_capture_on_commit_callbacks)
    url = reverse("flywire_payments")
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    for person in (office, candidate):
        client.login(email=person.email, password=PASSWORD)
        assert client.get(url).status_code == 404
        client.logout()
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(url).content.decode()
    assert "FWU300000001" in page and references.display(fee.reference) in page
    assert "Payment recorded in the ledger" in page or "Paiement enregistré" in page
    row = f'id="flywire-{FlywirePayment.objects.get().pk}"'
    assert row in page
    assert row not in client.get(url, {"status": "delivered"}).content.decode()
    assert row not in client.get(url, {"unreconciled": "1"}).content.decode()
    assert row in client.get(url, {"status": "guaranteed"}).content.decode()


@pytest.mark.django_db
def test_flywire_list_runs_a_constant_number_of_queries(
    client: Any, open_session: AdmissionSession, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    def add(n: int, start: int) -> None:
        for i in range(n):
            due = fee_of(open_session, f"p{start + i}@example.org", last=f"Nom{start + i}")
            notify(
                client,
                body(f"FWU4{start + i:08d}", "guaranteed", ref=due.reference),
                django_capture_on_commit_callbacks,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("flywire_payments")).status_code == 200
        return len(ctx.captured_queries)

    add(1, 0)
    client.force_login(finance)
    small = count()
    add(4, 10)
    assert count() == small
