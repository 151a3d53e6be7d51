"""One fee confirmed twice at the same moment, by hand at the finance desk and from a bank statement
(I3, R2.10): both take the fee's due before the candidate's declared payment, so they wait for each
other instead of deadlocking, and the ledger holds the payment once. PostgreSQL only: SQLite
serialises writers, so no two transactions ever hold a row each (CI runs both)."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from applications import services as app_services
from applications.models import Dossier, FeePayment, PaymentStatus
from billing.models import Due, LedgerLine, LineKind
from billing.services import ledger

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks only race on PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_I3_manual_confirmation_and_statement_line_at_once_do_not_deadlock(ready: Dossier) -> None:
    payment = FeePayment.objects.get(dossier=ready, status=PaymentStatus.DECLARED)
    due = ledger.fee_due(ready)
    booked_on = dt.date.today()
    due_locked = threading.Event()
    errors: list[str] = []

    def statement_line() -> None:
        # What matching a statement line does (billing.services.matching.apply_payment): the due
        # locked first, then the payment recorded, which confirms the declared fee payment. The
        # pause holds the due while the finance desk confirms by hand.
        try:
            with transaction.atomic():
                locked = Due.objects.select_for_update().get(pk=due.pk)
                due_locked.set()
                time.sleep(0.8)
                ledger.payment_record(
                    due=locked, amount=ready.offering.session.application_fee, booked_on=booked_on,
                    channel="transfer", by=None,
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 — a deadlock error fails the test below
            errors.append(f"statement: {exc!r}")
        finally:
            connections.close_all()

    def by_hand() -> None:
        try:
            assert due_locked.wait(10)
            app_services.fee_confirm(payment=payment, by=None, booked_on=booked_on)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"by hand: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=statement_line), threading.Thread(target=by_hand)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    paid = LedgerLine.objects.filter(due=due, kind=LineKind.PAYMENT)
    assert [line.amount for line in paid] == [-Decimal("60.00")]
    assert ledger.balance(due) == Decimal("0.00")
