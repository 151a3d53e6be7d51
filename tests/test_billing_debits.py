"""SEPA direct debits (issue 9 item 7; R3.4, I10, I14): TARGET2 collection dates, the 14-day notice,
the pain.008 validated against its XSD in both versions with FRST before RCUR, never one instalment in
two files (also two exports at once, on PostgreSQL), revert until sent, mark sent paying the ledger to
the cent, the command and the finance screens.

Mandates are made here with the ORM (ACTIVE, encrypted IBAN, signed and pre-notified), not through the
mandate services: only their shape matters to the export."""

import datetime as dt
import logging
import re
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from applications.models import Dossier
from audit.models import AuditEvent
from billing import crypto, sepa
from billing.models import (
    BatchStatus,
    DebitBatch,
    DebitItem,
    DebitReturn,
    DebitStatus,
    Due,
    LedgerLine,
    LineKind,
    Mandate,
    MandateStatus,
    ReturnKind,
    ReturnSource,
)
from billing.services import debits as svc
from billing.services.ledger import balance, instalment_dues, payment_record
from catalog.models import AdmissionSession
from cursus.errors import DomainError
from registration.models import Instalment, InstalmentStatus, Registration, RegistrationStatus
from tests.conftest import PASSWORD, make_user, offering

CREDITOR_ID = "FR72ZZZ123456"
IBANS = (
    "FR7630006000011234567890189",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "BE68539007547034",
)
TODAY = dt.date(2026, 1, 5)  # a Monday
JAN15, APR15 = dt.date(2026, 1, 15), dt.date(2026, 4, 15)
PRENOTIFIED = dt.date(2025, 12, 1)


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Services' messages are read in English here; pages follow each person's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


_people = iter(range(1, 10_000))


def registered(
    session: AdmissionSession,
    *,
    amounts: tuple[str, ...] = ("2500.00", "2500.00", "2500.00"),
    dates: tuple[dt.date, ...] = (JAN15, APR15, dt.date(2026, 6, 15)),
    last_name: str = "Lefèvre",
    code: str = "BE+",
) -> Registration:
    """A completed registration with its instalments and their dues (made with the ORM)."""
    n = next(_people)
    user = make_user(f"student{n}@example.org", first_name="Élodie", last_name=last_name)
    dossier = Dossier.objects.create(
        candidate=user,
        offering=offering(session, code),
        status="registered",
        last_name=last_name,
        first_names="Élodie",
        nationality="FR",
        eligibility_path="a",
        submitted_at=timezone.now(),
    )
    reg = Registration.objects.create(
        dossier=dossier, status=RegistrationStatus.COMPLETED, financing="personal"
    )
    for number, (amount, due_on) in enumerate(zip(amounts, dates, strict=True), start=1):
        Instalment.objects.create(
            registration=reg, number=number, amount=Decimal(amount), due_on=due_on, debtor="student"
        )
    instalment_dues(reg)
    return reg


def mandate_for(
    reg: Registration,
    *,
    iban: str = IBANS[0],
    bic: str = "",
    prenotified_on: dt.date | None = PRENOTIFIED,
    status: str = MandateStatus.ACTIVE,
    debtor_name: str = "",
    town: str = "Villeneuve-d'Ascq",
) -> Mandate:
    """The registration's mandate, as ``mandate_sign`` leaves it (ACTIVE, IBAN encrypted)."""
    dossier = reg.dossier
    session = dossier.offering.session
    return Mandate.objects.create(
        institution=session.institution,
        registration=reg,
        academic_year=session.teaching_calendar().academic_year,
        debtor_kind="student",
        reference=f"CURSUS-TEST-{reg.pk:06d}-1",
        creditor_id=CREDITOR_ID,
        status=status,
        debtor_name=debtor_name or dossier.full_name,
        debtor_email=dossier.candidate.email,
        street="3 rue Lahure",
        postcode="59500",
        town=town,
        country="FR",
        iban_encrypted=crypto.encrypt(iban) if status == MandateStatus.ACTIVE else "",
        iban_country=iban[:2],
        iban_last4=iban[-4:],
        bic=bic,
        signed_at=_aware(dt.date(2025, 11, 20)) if status == MandateStatus.ACTIVE else None,
        prenotified_at=_aware(prenotified_on) if prenotified_on else None,
    )


def export(
    session: AdmissionSession, due_by: dt.date, *, today: dt.date = TODAY, **kw: Any
) -> list[DebitBatch]:
    return svc.debits_export(institution=session.institution, due_by=due_by, by=None, today=today, **kw)


def _xml(batch: DebitBatch) -> Any:
    return etree.fromstring(svc.batch_xml(batch))  # noqa: S320 - our own file


def _all(tree: Any, tag: str) -> list[Any]:
    return tree.xpath(f"//*[local-name()='{tag}']")


def _texts(tree: Any, tag: str) -> list[str]:
    return [e.text for e in _all(tree, tag)]


# ---- the calendar (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 4, 30), dt.date(2026, 4, 30)),  # Thursday before 1 May: open
        (dt.date(2026, 5, 1), dt.date(2026, 5, 4)),  # 1 May (Friday): Monday
        (dt.date(2026, 4, 2), dt.date(2026, 4, 2)),  # Thursday before Good Friday: open
        (dt.date(2026, 4, 3), dt.date(2026, 4, 7)),  # Good Friday, the weekend, Easter Monday: Tuesday
        (dt.date(2026, 4, 6), dt.date(2026, 4, 7)),  # Easter Monday
        (dt.date(2026, 4, 7), dt.date(2026, 4, 7)),
        (dt.date(2026, 12, 24), dt.date(2026, 12, 24)),  # Christmas Eve is open
        (dt.date(2026, 12, 25), dt.date(2026, 12, 28)),  # 25 Dec (Friday), 26 Dec, Sunday: Monday
        (dt.date(2027, 12, 24), dt.date(2027, 12, 24)),
        (dt.date(2027, 12, 25), dt.date(2027, 12, 27)),  # Saturday 25, Sunday 26
        (dt.date(2026, 1, 1), dt.date(2026, 1, 2)),  # New Year's Day
        (dt.date(2026, 11, 27), dt.date(2026, 11, 27)),  # a Friday
        (dt.date(2026, 11, 28), dt.date(2026, 11, 30)),  # Saturday: Monday
        (dt.date(2026, 11, 29), dt.date(2026, 11, 30)),  # Sunday: Monday
    ],
)
def test_R3_4_I10_collection_dates_are_target2_business_days(day: dt.date, expected: dt.date) -> None:
    assert sepa.target2_next_business_day(day) == expected
    assert sepa.collection_date(day, day - dt.timedelta(days=30), day - dt.timedelta(days=20), 14) == expected


def test_I10_the_14_day_notice_edge() -> None:
    """Told 14 days before: collected on the due date; told 13 days before: one business day later."""
    due = dt.date(2026, 1, 15)  # Thursday
    today = dt.date(2025, 12, 20)
    assert sepa.collection_date(due, due - dt.timedelta(days=14), today, 14) == due
    assert sepa.collection_date(due, due - dt.timedelta(days=13), today, 14) == dt.date(2026, 1, 16)
    # 14 days after a pre-notification may land on a weekend: the Monday after
    assert sepa.collection_date(due, dt.date(2026, 1, 3), today, 14) == dt.date(2026, 1, 19)


def test_I10_never_collected_today_nor_in_the_past() -> None:
    """A file made today asks for tomorrow at the earliest (a business day)."""
    due = dt.date(2026, 1, 2)
    assert sepa.collection_date(due, dt.date(2025, 11, 1), dt.date(2026, 1, 8), 14) == dt.date(2026, 1, 9)
    assert sepa.collection_date(due, dt.date(2025, 11, 1), dt.date(2026, 1, 9), 14) == dt.date(2026, 1, 12)


def test_I14_amounts_go_to_the_file_in_exact_cents() -> None:
    assert sepa.cents(Decimal("2333.33")) == 233333
    assert sepa.cents(Decimal("0.01")) == 1
    for bad in (Decimal("10.001"), Decimal("0"), Decimal("-1.00")):
        with pytest.raises(ValueError, match="cent"):
            sepa.cents(bad)
    assert (
        sepa.sepa_text("Éléonore Dupont-Lévêque & Fils – “SARL”", 70)
        == "Eleonore Dupont-Leveque + Fils - SARL"
    )


# ---- the export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", sepa.SCHEMAS)
def test_R3_4_I10_pain008_validates_for_both_versions_with_frst_before_rcur(
    catalog: AdmissionSession, schema: str
) -> None:
    """A's first instalment was collected (sent): its second is RCUR; B's first is FRST. Both fall on
    the same collection date: one file, the FRST block first; it follows its XSD."""
    a = registered(catalog, last_name="Dupont-Lévêque")
    b = registered(catalog, last_name="Martin", dates=(APR15, dt.date(2026, 6, 15), dt.date(2026, 7, 15)))
    ma = mandate_for(a, iban=IBANS[0], bic="" if schema.endswith("08") else "BNPAFRPPXXX")
    mandate_for(b, iban=IBANS[1], bic="COBADEFFXXX")
    [first] = export(catalog, dt.date(2026, 1, 31), schema=schema)
    assert [i.sequence for i in first.items.all()] == ["FRST"]
    svc.batch_mark_sent(batch=first, by=None)
    assert Mandate.objects.get(pk=ma.pk).last_collected_on == JAN15

    [batch] = export(catalog, dt.date(2026, 4, 30), today=dt.date(2026, 4, 1), schema=schema)
    assert batch.schema == schema and batch.collection_date == APR15 and batch.count == 2
    data = svc.batch_xml(batch)
    sepa.validate_pain008(data, schema)
    other = sepa.SCHEMAS[1 - sepa.SCHEMAS.index(schema)]
    with pytest.raises(sepa.Pain008Invalid):
        sepa.validate_pain008(data, other)
    tree = etree.fromstring(data)  # noqa: S320
    assert tree.nsmap[None] == f"urn:iso:std:iso:20022:tech:xsd:{schema}"
    assert _texts(tree, "SeqTp") == ["FRST", "RCUR"]
    assert _texts(tree, "MsgId") == [batch.message_id]
    assert _texts(tree, "ReqdColltnDt") == ["2026-04-15", "2026-04-15"]
    by_e2e = {i.end_to_end_id: i for i in batch.items.select_related("due", "instalment__registration")}
    blocks = _all(tree, "PmtInf")
    frst_ids = [e.text for e in blocks[0].xpath(".//*[local-name()='EndToEndId']")]
    rcur_ids = [e.text for e in blocks[1].xpath(".//*[local-name()='EndToEndId']")]
    assert [by_e2e[i].instalment.registration_id for i in frst_ids] == [b.pk]
    assert [by_e2e[i].instalment.registration_id for i in rcur_ids] == [a.pk]
    for e2e, item in by_e2e.items():
        assert item.due.reference in e2e and len(e2e) <= 35 and sepa.SEPA_ID.match(e2e)
    assert len(batch.message_id) <= 35 and sepa.SEPA_ID.match(batch.message_id)
    # The debtor's address is structured: street, postcode, town, country.
    assert _texts(tree, "TwnNm") == ["Villeneuve-d'Ascq", "Villeneuve-d'Ascq"]
    assert _texts(tree, "Ctry") == ["FR", "FR"]
    assert _texts(tree, "PstCd") == ["59500", "59500"]
    assert "Dupont-Leveque" in " ".join(_texts(tree, "Nm"))
    # Creditor: the institution's account and the mandate's creditor identifier.
    institution = catalog.institution
    assert _texts(tree, "IBAN")[0] == crypto.compact(institution.bank_iban)
    assert set(_texts(tree, "IBAN")) == {crypto.compact(institution.bank_iban), IBANS[0], IBANS[1]}
    assert CREDITOR_ID in _texts(tree, "Id")
    assert _texts(tree, "InstdAmt") == ["2500.00", "2500.00"]
    assert _texts(tree, "CtrlSum") == ["5000.00", "2500.00", "2500.00"]
    # The stored file is not readable without the key (it carries the IBANs).
    assert IBANS[0] not in batch.xml and IBANS[1] not in batch.xml


def test_I14_cents_exact_three_instalments_in_one_file(catalog: AdmissionSession) -> None:
    """2 333,33 + 2 333,33 + 2 333,34 = 7 000,00, to the cent, in the file and the batch; the first
    debit of the mandate is FRST, the others RCUR."""
    reg = registered(
        catalog,
        amounts=("2333.33", "2333.33", "2333.34"),
        dates=(dt.date(2026, 1, 15), dt.date(2026, 1, 15), dt.date(2026, 1, 15)),
    )
    mandate_for(reg)
    [batch] = export(catalog, dt.date(2026, 1, 31))
    assert batch.total == Decimal("7000.00") and batch.count == 3
    tree = _xml(batch)
    assert sorted(_texts(tree, "InstdAmt")) == ["2333.33", "2333.33", "2333.34"]
    assert _texts(tree, "CtrlSum")[0] == "7000.00"
    assert sorted(batch.items.values_list("sequence", flat=True)) == ["FRST", "RCUR", "RCUR"]
    assert _texts(tree, "SeqTp") == ["FRST", "RCUR"]


def test_I10_an_instalment_is_never_exported_twice(catalog: AdmissionSession) -> None:
    reg = registered(catalog)
    mandate_for(reg)
    [batch] = export(catalog, dt.date(2026, 1, 31))
    assert export(catalog, dt.date(2026, 1, 31)) == []
    # sent: still never again, even much later
    svc.batch_mark_sent(batch=batch, by=None)
    later = export(catalog, dt.date(2026, 4, 30), today=dt.date(2026, 4, 1))
    assert [i.instalment.number for b in later for i in b.items.all()] == [2]
    assert DebitItem.objects.filter(instalment__registration=reg, instalment__number=1).count() == 1


def test_R3_4_revert_puts_instalments_back_and_a_sent_file_cannot_be_reverted(
    catalog: AdmissionSession,
) -> None:
    reg = registered(catalog)
    mandate_for(reg)
    [batch] = export(catalog, dt.date(2026, 1, 31))
    item = batch.items.get()
    reverted = svc.batch_revert(batch=batch, by=None)
    assert reverted.status == BatchStatus.REVERTED and reverted.reverted_at is not None
    item.refresh_from_db()
    assert (item.active, item.status) == (False, DebitStatus.REVERTED)
    assert svc.batch_revert(batch=batch, by=None).status == BatchStatus.REVERTED  # safe twice
    with pytest.raises(DomainError):
        svc.batch_mark_sent(batch=batch, by=None)
    # back in the pool; the first debit of the mandate is still FRST (the reverted one never went)
    [again] = export(catalog, dt.date(2026, 1, 31))
    new = again.items.get()
    assert new.instalment_id == item.instalment_id and new.sequence == "FRST"
    assert new.end_to_end_id != item.end_to_end_id and new.end_to_end_id.startswith(
        f"{item.due.reference}-2-"
    )
    svc.batch_mark_sent(batch=again, by=None)
    with pytest.raises(DomainError, match="sent"):
        svc.batch_revert(batch=again, by=None)
    assert DebitBatch.objects.get(pk=again.pk).status == BatchStatus.SENT
    actions = list(
        AuditEvent.objects.filter(object_type="billing.debitbatch").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["debit_batch.export", "debit_batch.revert", "debit_batch.export", "debit_batch.sent"]
    )


def test_I14_mark_sent_writes_ledger_payments_to_the_cent(catalog: AdmissionSession) -> None:
    reg = registered(catalog, amounts=("2333.33", "2333.33", "2333.34"))
    mandate_for(reg)
    due = Due.objects.get(instalment__registration=reg, instalment__number=1)
    before = balance(due)
    assert before == Decimal("2333.33")
    [batch] = export(catalog, dt.date(2026, 1, 31))
    svc.batch_mark_sent(batch=batch, by=None)
    assert balance(due) == Decimal("0.00")
    line = LedgerLine.objects.get(due=due, kind=LineKind.PAYMENT)
    assert (line.amount, line.occurred_on, line.channel) == (Decimal("-2333.33"), JAN15, "direct_debit")
    assert batch.items.get().status == DebitStatus.SENT
    svc.batch_mark_sent(batch=batch, by=None)  # safe twice: no second payment
    assert LedgerLine.objects.filter(due=due, kind=LineKind.PAYMENT).count() == 1


def test_I14_a_partly_paid_instalment_is_collected_for_what_it_still_owes(catalog: AdmissionSession) -> None:
    reg = registered(catalog)
    mandate_for(reg)
    due = Due.objects.get(instalment__registration=reg, instalment__number=1)
    payment_record(due=due, amount=Decimal("1000.01"), booked_on=TODAY, channel="transfer", by=None)
    [batch] = export(catalog, dt.date(2026, 1, 31))
    assert batch.items.get().amount == Decimal("1499.99") == batch.total


def test_I10_sequence_after_a_reject_is_frst_again_after_a_return_rcur(catalog: AdmissionSession) -> None:
    """Rejected before settlement: the mandate was never used, FRST again. Returned after settlement:
    the mandate was used, RCUR."""
    for kind, expected in ((ReturnKind.REJECT, "FRST"), (ReturnKind.RETURN, "RCUR")):
        reg = registered(catalog)
        mandate_for(reg)
        [batch] = export(catalog, dt.date(2026, 1, 31))
        item = batch.items.get()
        svc.batch_mark_sent(batch=batch, by=None)
        # what the returns service does: the item released, the instalment presented again
        DebitItem.objects.filter(pk=item.pk).update(status=DebitStatus.RETURNED, active=False)
        DebitReturn.objects.create(
            item=item,
            kind=kind,
            source=ReturnSource.MANUAL,
            reason_code="AM04",
            amount=item.amount,
            received_on=dt.date(2026, 1, 20),
            dedup_key=f"test-{item.pk}",
        )
        LedgerLine.objects.create(due=item.due, kind=LineKind.RETURN, amount=item.amount, occurred_on=JAN15)
        [again] = export(catalog, dt.date(2026, 1, 31), today=dt.date(2026, 1, 21))
        assert again.items.get().sequence == expected, kind
        assert again.collection_date == dt.date(2026, 1, 22)


def test_R3_4_I10_collection_date_moved_off_holidays_and_by_the_notice(catalog: AdmissionSession) -> None:
    """Due on 1 May (Friday): collected Monday 4 May. Pre-notified 13 days before a due date: a day
    later; 14 days: on the due date. Two dates: two files."""
    may = registered(catalog, dates=(dt.date(2026, 5, 1), dt.date(2027, 1, 15), dt.date(2027, 4, 15)))
    mandate_for(may)
    on_time = registered(catalog, dates=(dt.date(2026, 5, 12), dt.date(2026, 12, 10), dt.date(2027, 4, 15)))
    mandate_for(on_time, prenotified_on=dt.date(2026, 4, 28))  # 14 days before 12 May
    late = registered(catalog, dates=(dt.date(2026, 5, 12), dt.date(2026, 12, 10), dt.date(2027, 4, 15)))
    mandate_for(late, prenotified_on=dt.date(2026, 4, 29))  # 13 days before
    batches = export(catalog, dt.date(2026, 5, 31), today=dt.date(2026, 4, 29))
    dates = {b.collection_date: {i.instalment.registration_id for i in b.items.all()} for b in batches}
    assert dates == {
        dt.date(2026, 5, 4): {may.pk},
        dt.date(2026, 5, 12): {on_time.pk},
        dt.date(2026, 5, 13): {late.pk},
    }


def test_R3_4_christmas_due_date_collected_the_next_business_day(catalog: AdmissionSession) -> None:
    reg = registered(catalog, dates=(dt.date(2026, 12, 25), dt.date(2027, 1, 15), dt.date(2027, 4, 15)))
    mandate_for(reg)
    [batch] = export(catalog, dt.date(2026, 12, 31), today=dt.date(2026, 12, 1))
    assert batch.collection_date == dt.date(2026, 12, 28)


def test_R3_4_instalments_without_a_usable_mandate_are_skipped_and_reported(
    catalog: AdmissionSession,
) -> None:
    ready = registered(catalog)
    mandate_for(ready)
    none = registered(catalog)
    awaiting = registered(catalog)
    mandate_for(awaiting, status=MandateStatus.AWAITING, prenotified_on=None)
    unnotified = registered(catalog)
    mandate_for(unnotified, prenotified_on=None)
    paid = registered(catalog)
    mandate_for(paid)
    paid_due = Due.objects.get(instalment__registration=paid, instalment__number=1)
    payment_record(due=paid_due, amount=paid_due.amount, booked_on=TODAY, channel="transfer", by=None)
    cancelled = registered(catalog)
    mandate_for(cancelled)
    Instalment.objects.filter(registration=cancelled, number=1).update(status=InstalmentStatus.CANCELLED)

    cands = svc.debit_candidates(
        institution_id=catalog.institution_id, due_by=dt.date(2026, 1, 31), today=TODAY
    )
    reasons = {c.instalment.registration_id: str(c.reason) for c in cands}
    assert reasons == {
        ready.pk: "",
        none.pk: str(svc.Blocked.NO_MANDATE),
        awaiting.pk: str(svc.Blocked.AWAITING),
        unnotified.pk: str(svc.Blocked.NOT_PRENOTIFIED),
        paid.pk: str(svc.Blocked.PAID),
    }
    assert sum(1 for c in cands if c.mandate_missing) == 3
    [batch] = export(catalog, dt.date(2026, 1, 31))
    assert [i.instalment.registration_id for i in batch.items.all()] == [ready.pk]


def test_R3_4_a_file_that_breaks_its_schema_is_not_saved(catalog: AdmissionSession) -> None:
    """A debtor name with nothing left in the SEPA character set makes an empty <Nm>: the XSD refuses
    it, the export says so and saves nothing."""
    reg = registered(catalog)
    mandate_for(reg, debtor_name="€€€")
    with pytest.raises(DomainError, match="schema") as exc:
        export(catalog, dt.date(2026, 1, 31))
    assert exc.value.code == "xsd"
    assert not DebitBatch.objects.exists() and not DebitItem.objects.exists()


def test_R3_4_pain_008_001_02_needs_the_creditor_bic(catalog: AdmissionSession) -> None:
    reg = registered(catalog)
    mandate_for(reg)
    type(catalog.institution).objects.filter(pk=catalog.institution_id).update(bank_bic="")
    catalog.institution.refresh_from_db()
    with pytest.raises(DomainError, match="BIC"):
        export(catalog, dt.date(2026, 1, 31), schema="pain.008.001.02")
    [batch] = export(catalog, dt.date(2026, 1, 31), schema="pain.008.001.08")
    sepa.validate_pain008(svc.batch_xml(batch), "pain.008.001.08")


def test_R3_4_no_iban_in_the_audit_trail_or_the_logs(catalog: AdmissionSession, caplog: Any) -> None:
    reg = registered(catalog)
    mandate_for(reg, iban=IBANS[2])
    with caplog.at_level(logging.DEBUG):
        [batch] = export(catalog, dt.date(2026, 1, 31))
        svc.batch_mark_sent(batch=batch, by=None)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert batch.message_id in text  # the export is logged…
    assert IBANS[2] not in text and IBANS[2][-10:] not in text  # …without the IBAN
    for event in AuditEvent.objects.all():
        assert IBANS[2] not in str(event.data) + event.reason


# ---- the command -----------------------------------------------------------------------------------


def _run(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command("export_direct_debits", *args, stdout=out)
    return out.getvalue()


def test_R3_4_command_writes_validated_files_and_says_what(catalog: AdmissionSession, tmp_path: Path) -> None:
    a = registered(catalog)
    mandate_for(a)
    b = registered(catalog, dates=(dt.date(2026, 1, 20), APR15, dt.date(2026, 6, 15)))
    mandate_for(b, iban=IBANS[1])
    nobody = registered(catalog)  # no mandate: reported
    output = tmp_path / "prelevements.xml"
    # Today is the real date of the run: instalments due long ago are collected on the next business day.
    printed = _run("--due-by", "2026-01-31", "--output", str(output), "--schema", "pain.008.001.02")
    batches = list(DebitBatch.objects.order_by("collection_date"))
    assert len(batches) in (1, 2)
    files = sorted(tmp_path.glob("prelevements*.xml"))
    assert len(files) == len(batches)
    if len(batches) == 2:
        assert [f.name for f in files] == [
            f"prelevements-{b.collection_date.isoformat()}.xml" for b in batches
        ]
    for path in files:
        sepa.validate_pain008(path.read_bytes(), "pain.008.001.02")
        assert path.name in printed
    assert "5 000,00" in printed.replace("\u202f", " ").replace("\xa0", " ")
    assert f"dossier {nobody.dossier_id} instalment 1" in printed and "no signed mandate" in printed
    again = _run("--due-by", "2026-01-31", "--output", str(tmp_path / "again.xml"))
    assert "Nothing to export" in again and not (tmp_path / "again.xml").exists()


def test_R3_4_command_one_file_per_collection_date(catalog: AdmissionSession, tmp_path: Path) -> None:
    """Instalments due far ahead keep their own dates: one file each, named with the date."""
    today = timezone.localdate()
    first = today + dt.timedelta(days=40)
    second = first + dt.timedelta(days=7)
    for day in (first, second):
        reg = registered(catalog, dates=(day, day + dt.timedelta(days=100), day + dt.timedelta(days=200)))
        mandate_for(reg, prenotified_on=today)
    output = tmp_path / "dd.xml"
    printed = _run("--due-by", second.isoformat(), "--output", str(output))
    batches = list(DebitBatch.objects.order_by("collection_date"))
    assert len(batches) == 2
    for batch in batches:
        path = tmp_path / f"dd-{batch.collection_date.isoformat()}.xml"
        assert path.exists() and str(path) in printed
        sepa.validate_pain008(path.read_bytes(), "pain.008.001.08")
    assert "2 files, 2 debits" in printed


@pytest.mark.parametrize("bad", ["2026-13-01", "31/01/2026", "tomorrow"])
def test_R3_4_command_refuses_a_bad_date(catalog: AdmissionSession, tmp_path: Path, bad: str) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("--due-by", bad, "--output", str(tmp_path / "x.xml"))


# ---- the screens ----------------------------------------------------------------------------------


def _login(client: Any, user: Any) -> Any:
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_R3_4_finance_exports_reads_downloads_and_marks_sent(
    client: Any, catalog: AdmissionSession, finance: Any
) -> None:
    reg = registered(catalog)
    mandate_for(reg, iban=IBANS[3])
    blocked = registered(catalog, last_name="Sansmandat")
    _login(client, finance)
    today = timezone.localdate()
    page = client.get(reverse("debits"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sansmandat" in html and "debits-without-mandate" in html
    assert 'href="/gestion/finance/prelevements/"' in html  # the nav item

    bad = client.post(reverse("debits"), {"due_by": "", "schema": "pain.008.001.08"})
    assert bad.status_code == 400
    done = client.post(reverse("debits"), {"due_by": today.isoformat(), "schema": "pain.008.001.08"})
    batch = DebitBatch.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("debit_batch", args=[batch.pk])
    detail = client.get(reverse("debit_batch", args=[batch.pk])).content.decode()
    assert crypto.mask("BE", IBANS[3][-4:]) in detail and IBANS[3] not in detail
    assert "Lefèvre" in detail and blocked.dossier.full_name not in detail

    xml = client.get(reverse("debit_batch_xml", args=[batch.pk]))
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    assert IBANS[3].encode() in xml.content
    sepa.validate_pain008(xml.content, "pain.008.001.08")
    assert AuditEvent.objects.filter(action="debit_batch.download", actor=finance).count() == 1

    action = reverse("debit_batch_action", args=[batch.pk])
    client.post(action, {"action": "sent"})  # not confirmed: nothing happens
    assert DebitBatch.objects.get().status == BatchStatus.EXPORTED
    assert client.post(action, {"action": "sent", "confirm": "yes"}).status_code == 302
    assert DebitBatch.objects.get().status == BatchStatus.SENT
    client.post(action, {"action": "revert", "confirm": "yes"})
    assert DebitBatch.objects.get().status == BatchStatus.SENT
    assert balance(Due.objects.get(instalment__registration=reg, instalment__number=1)) == Decimal("0.00")


def test_R3_4_only_finance_reaches_the_debits(
    client: Any, catalog: AdmissionSession, finance: Any, office: Any, candidate: Any
) -> None:
    reg = registered(catalog)
    mandate_for(reg)
    [batch] = export(catalog, dt.date(2026, 1, 31))
    urls = [
        reverse("debits"),
        reverse("debit_batch", args=[batch.pk]),
        reverse("debit_batch_xml", args=[batch.pk]),
    ]
    for person in (office, candidate, reg.dossier.candidate):
        client.logout()
        _login(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
        assert (
            client.post(
                reverse("debit_batch_action", args=[batch.pk]), {"action": "revert", "confirm": "yes"}
            ).status_code
            == 404
        )
    assert DebitBatch.objects.get().status == BatchStatus.EXPORTED
    client.logout()
    assert client.get(urls[2]).status_code == 302  # to log in


def test_R3_4_screen_query_count_does_not_grow_with_the_debits(
    client: Any, catalog: AdmissionSession, finance: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        mandate_for(registered(catalog))
    [batch] = export(catalog, dt.date(2026, 1, 31))
    _login(client, finance)
    client.get(reverse("debits"))  # warm the caches (permissions, session)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("debit_batch", args=[batch.pk]))
    for _ in range(6):
        mandate_for(registered(catalog))
    [bigger] = export(catalog, dt.date(2026, 1, 31))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("debit_batch", args=[bigger.pk]))
    with django_assert_max_num_queries(30) as listing:
        client.get(reverse("debits"))
    for _ in range(4):
        registered(catalog)
    with django_assert_max_num_queries(len(listing.captured_queries)):
        client.get(reverse("debits"))


# ---- two exports at once (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the race is proved on PostgreSQL (SQLite serialises writers)"
)
@pytest.mark.django_db(transaction=True)
def test_R3_4_I10_two_exports_at_once_never_put_one_instalment_in_two_files(
    catalog: AdmissionSession,
) -> None:
    regs = []
    for i in range(40):
        reg = registered(catalog, dates=(JAN15 + dt.timedelta(days=i % 3), APR15, dt.date(2026, 6, 15)))
        mandate_for(reg, iban=IBANS[i % len(IBANS)])
        regs.append(reg)
    wanted = set(Instalment.objects.filter(number=1).values_list("pk", flat=True))

    def one(wait: float) -> list[int]:
        time.sleep(wait)
        return [b.pk for b in export(catalog, dt.date(2026, 1, 31))]

    # Who starts late, in seconds: at the same instant, or while the other holds its locks.
    staggers = [(0, 0), (0, 0), (0, 0.01), (0.01, 0), (0, 0.05), (0.1, 0), (0, 0), (0, 0)]
    for round_, stagger in enumerate(staggers):
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def go(
            i: int, barrier: threading.Barrier = barrier, results: list[Any] = results, stagger: Any = stagger
        ) -> None:
            try:
                barrier.wait()
                results[i] = one(stagger[i])
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "stuck"
        assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)], (
            results
        )
        active = list(DebitItem.objects.filter(active=True).values_list("instalment_id", flat=True))
        assert len(active) == len(set(active)), round_  # never one instalment in two files
        assert set(active) == wanted, round_  # and every one exported by one of them
        # Three collection dates. Two exports at the very same instant share the instalments out
        # (SKIP LOCKED, billing.services.debits): each then makes at most one file per date.
        made = [r for r in results if isinstance(r, list)]
        assert 3 <= sum(len(r) for r in made) <= 6, results
        for pks in made:
            dates = list(DebitBatch.objects.filter(pk__in=pks).values_list("collection_date", flat=True))
            assert len(dates) == len(set(dates)), (round_, results)
        per_batch = [
            set(b.items.values_list("instalment_id", flat=True))
            for b in DebitBatch.objects.filter(status=BatchStatus.EXPORTED)
        ]
        assert sum(len(s) for s in per_batch) == len(set().union(*per_batch)), round_
        for b in DebitBatch.objects.filter(status=BatchStatus.EXPORTED):
            sepa.validate_pain008(svc.batch_xml(b), b.schema)
            assert b.count == b.items.count()
            svc.batch_revert(batch=b, by=None)
    assert re.match(r"^CURSUS-DD-", DebitBatch.objects.first().message_id)  # type: ignore[union-attr]


def walk_batch(session: AdmissionSession) -> DebitBatch:
    """An exported file (its actions open) and an instalment blocked without a mandate beside it, for
    the walk of every page (tests/test_walk.py)."""
    today = timezone.localdate()
    dates = (today + dt.timedelta(days=20), today + dt.timedelta(days=120), today + dt.timedelta(days=220))
    mandate_for(registered(session, dates=dates), prenotified_on=today)
    registered(session, dates=dates, last_name="Sansmandat")
    [batch] = svc.debits_export(institution=session.institution, due_by=dates[0], by=None)
    return batch
