"""Refunds (issue 9 item 9, I11, R2.11): the first instalment after an approved visa refusal, the
excess of an overpayment, never the application fee; the ledger adds up to exactly 0."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import TestCase
from django.urls import reverse

from applications.models import Dossier
from billing.models import Channel, Due, LedgerLine, LineKind, Refund, RefundReason, RefundStatus
from billing.services import ledger
from billing.services import refunds as svc
from cursus.errors import DomainError
from registration.models import Instalment
from tests.conftest import PASSWORD
from tests.test_registration_visa import _register, _report, story  # noqa: F401  (story is a fixture)


def _after_commit() -> Any:
    return TestCase.captureOnCommitCallbacks(execute=True)


def _approve(client: Any, dossier: Dossier, finance: Any) -> None:
    from registration.services import visa

    _report(client, dossier)
    with _after_commit():
        visa.visa_decide(dossier=dossier, by=finance, approve=True, reason="Refus consulaire vérifié")


def test_I11_visa_refusal_refunds_what_was_paid_and_the_ledger_ends_at_exactly_0(
    story: dict[str, Any],  # noqa: F811
    client: Any,
    finance: Any,
) -> None:
    a = story["a"]
    reg = _register(a)
    dues = ledger.instalment_dues(reg)
    first = dues[0]
    ledger.payment_record(
        due=first, amount=first.amount, booked_on=dt.date(2026, 1, 15), channel=Channel.DIRECT_DEBIT, by=None
    )
    fee_before = (
        ledger.balance(Due.objects.get(dossier=a, kind="application_fee"))
        if Due.objects.filter(dossier=a, kind="application_fee").exists()
        else None
    )
    _approve(client, a, finance)
    refund = Refund.objects.get(due=first)
    assert (refund.reason, refund.amount, refund.status) == (
        RefundReason.VISA_REFUSAL,
        first.amount,
        RefundStatus.TO_PAY,
    )
    # Nothing owed any more; what was paid is a credit waiting to be refunded.
    assert ledger.balance(first) == -first.amount
    registration_dues = Due.objects.filter(instalment__registration=reg)
    svc.refund_mark_paid(refund=refund, paid_on=dt.date(2026, 3, 2), by=finance)
    assert ledger.balance_of(registration_dues) == Decimal("0.00")
    kinds = sorted((line.kind, line.amount) for line in LedgerLine.objects.filter(due=first))
    assert kinds == sorted(
        [
            (LineKind.DUE, first.amount),
            (LineKind.PAYMENT, -first.amount),
            (LineKind.CANCELLATION, -first.amount),
            (LineKind.REFUND, first.amount),
        ]
    )
    # Safe twice; and a paid refund cannot be cancelled.
    svc.refund_mark_paid(refund=refund, paid_on=dt.date(2026, 3, 2), by=finance)
    assert LedgerLine.objects.filter(due=first, kind=LineKind.REFUND).count() == 1
    with pytest.raises(DomainError):
        svc.refund_cancel(refund=refund, by=finance, reason="x")
    # R2.11: the application fee is untouched.
    if fee_before is not None:
        assert ledger.balance(Due.objects.get(dossier=a, kind="application_fee")) == fee_before
    assert not Refund.objects.filter(due__kind="application_fee").exists()


def test_I11_nothing_paid_nothing_refunded(story: dict[str, Any], client: Any, finance: Any) -> None:  # noqa: F811
    a = story["a"]
    reg = _register(a)
    ledger.instalment_dues(reg)
    _approve(client, a, finance)
    assert not Refund.objects.exists()
    assert ledger.balance_of(Due.objects.filter(instalment__registration=reg)) == Decimal("0.00")
    assert Instalment.objects.get(registration=reg, number=1).status == "to_refund"


def _fee_paid(dossier: Dossier, amount: str) -> Due:
    due = ledger.fee_due(dossier)
    ledger.payment_record(
        due=due, amount=Decimal(amount), booked_on=dt.date(2026, 1, 5), channel=Channel.TRANSFER, by=None
    )
    return due


def test_R2_11_the_application_fee_is_never_refunded(ready: Dossier, finance: Any) -> None:
    due = _fee_paid(ready, "60.00")
    assert svc.refundable(due) == Decimal("0.00")
    with pytest.raises(DomainError) as exc:
        svc.refund_create(due=due, reason=RefundReason.OVERPAYMENT, amount=Decimal("60.00"), by=finance)
    assert "never refunded" in exc.value.message or "jamais remboursés" in exc.value.message
    with pytest.raises(DomainError):
        svc.refund_create(due=due, reason=RefundReason.VISA_REFUSAL, amount=Decimal("60.00"), by=finance)
    with pytest.raises(DomainError):
        svc.overpayment_refund(due=due, by=finance)
    assert not Refund.objects.exists()


def test_R2_11_an_overpaid_fee_refunds_exactly_the_excess_never_more(
    client: Any, ready: Dossier, finance: Any
) -> None:
    due = _fee_paid(ready, "75.00")
    assert svc.refundable(due) == Decimal("15.00")
    with pytest.raises(DomainError):
        svc.refund_create(due=due, reason=RefundReason.OVERPAYMENT, amount=Decimal("15.01"), by=finance)
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("refunds")).content.decode()
    assert f'id="overpaid-{due.pk}"' in page
    response = client.post(reverse("refunds"), {"action": "excess", "due": due.pk})
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (Decimal("15.00"), RefundReason.OVERPAYMENT)
    # Nothing more to refund while it waits; a second click makes no second refund.
    client.post(reverse("refunds"), {"action": "excess", "due": due.pk})
    assert Refund.objects.count() == 1
    client.post(reverse("refund_action", args=[refund.pk]), {"action": "paid", "paid_on": "2026-02-01"})
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PAID and ledger.balance(due) == Decimal("0.00")
    export = client.get(reverse("refunds_export"), {"status": "all"}).content.decode("utf-8-sig")
    assert ready.last_name in export and "15,00" in export


def test_R2_11_a_refund_is_cancelled_with_a_reason(ready: Dossier, finance: Any) -> None:
    due = _fee_paid(ready, "80.00")
    refund = svc.overpayment_refund(due=due, by=finance, iban="FR76 3000 6000 0112 3456 7890 189")
    assert refund.amount == Decimal("20.00") and refund.iban_last4 == "0189"
    assert "FR7630006000011234567890189" not in refund.iban_encrypted
    with pytest.raises(DomainError):
        svc.refund_cancel(refund=refund, by=finance, reason=" ")
    svc.refund_cancel(refund=refund, by=finance, reason="Remboursé par Flywire")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.CANCELLED and svc.refundable(due) == Decimal("20.00")


@pytest.mark.parametrize("who", ["candidate", "director_be", "jury", "office"])
def test_I11_everybody_but_finance_gets_404_on_refunds(
    client: Any, ready: Dossier, request: Any, who: str
) -> None:
    due = _fee_paid(ready, "75.00")
    refund = svc.overpayment_refund(due=due, by=None)
    user = request.getfixturevalue(who)
    client.login(email=user.email, password=PASSWORD)
    assert client.get(reverse("refunds")).status_code == 404
    assert client.get(reverse("refunds_export")).status_code == 404
    assert client.post(reverse("refunds"), {"action": "excess", "due": due.pk}).status_code == 404
    assert (
        client.post(
            reverse("refund_action", args=[refund.pk]), {"action": "paid", "paid_on": "2026-02-01"}
        ).status_code
        == 404
    )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.TO_PAY
