"""Direct-debit returns (issue 9 item 8, R3.4, I10): pain.002 rejects, camt.054 and CFONB 120 returns,
manual entry, the refund-request windows, finance's decision and what the debtor is told.

The debits are built here with the ORM (a completed registration's instalment, an ACTIVE mandate, a
batch SENT with its item, and the ledger payment `batch_mark_sent` writes), so that these tests do
not depend on the export's code."""

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from applications.models import Dossier
from audit.models import AuditEvent
from billing import crypto
from billing.models import (
    BatchStatus,
    Channel,
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
    ReturnOutcome,
    ReturnSource,
    Sequence,
)
from billing.references import display
from billing.services import ledger
from billing.services import returns as svc
from billing.statements import returns as parser
from billing.statements.writers import StatementEntry, cfonb120
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration.models import Instalment, InstalmentStatus, Registration, RegistrationStatus
from tests.conftest import PASSWORD, make_user, offering

IBAN = "FR7630006000011234567890189"
_serial = itertools.count(1)


# ---- building debits with the ORM ---------------------------------------------------------------


def registered_dossier(session: Any, *, email: str = "deb@example.org", language: str = "fr") -> Dossier:
    user = make_user(email, language=language, first_name="Dan", last_name="Débiteur")
    return Dossier.objects.create(
        candidate=user,
        offering=offering(session, "BE+"),
        status="registered",
        last_name="Débiteur",
        first_names="Dan",
        submitted_at=timezone.now(),
    )


def make_debit(
    dossier: Dossier,
    *,
    number: int = 1,
    amount: Decimal = Decimal("2500.00"),
    collection_date: dt.date = dt.date(2026, 1, 15),
    sent: bool = True,
    e2e: str = "",
) -> DebitItem:
    """One instalment of a completed registration collected by direct debit: an ACTIVE mandate, a
    batch (SENT, or only EXPORTED), the item, and when sent the ledger payment of the debit."""
    reg = Registration.objects.filter(dossier=dossier).first() or Registration.objects.create(
        dossier=dossier,
        status=RegistrationStatus.COMPLETED,
        financing="personal",
        cvec_number="ABC1234567",
        completed_at=timezone.now(),
    )
    inst = Instalment.objects.filter(registration=reg, number=number).first() or Instalment.objects.create(
        registration=reg, number=number, amount=amount, due_on=collection_date, debtor="student"
    )
    due = Due.objects.get(pk={d.instalment_id: d for d in ledger.instalment_dues(reg)}[inst.pk].pk)
    institution = dossier.offering.session.institution
    mandate = Mandate.objects.filter(registration=reg, status=MandateStatus.ACTIVE).first()
    if mandate is None:
        mandate = Mandate.objects.create(
            institution=institution,
            registration=reg,
            academic_year="2026-2027",
            debtor_kind="student",
            reference=f"CURSUS-TEST-{reg.pk:06d}",
            creditor_id="FR72ZZZ123456",
            status=MandateStatus.ACTIVE,
            debtor_name=dossier.full_name,
            debtor_email=dossier.candidate.email,
            town="Lille",
            country="FR",
            iban_encrypted=crypto.encrypt(IBAN),
            iban_country="FR",
            iban_last4=IBAN[-4:],
            signed_at=timezone.now(),
        )
    n = next(_serial)
    batch = DebitBatch.objects.create(
        institution=institution,
        message_id=f"CURSUS-T-{n:06d}",
        schema="pain.008.001.08",
        collection_date=collection_date,
        due_by=collection_date,
        status=BatchStatus.SENT if sent else BatchStatus.EXPORTED,
        count=1,
        total=inst.amount,
        xml="<Document/>",
        sent_at=timezone.now() if sent else None,
    )
    item = DebitItem.objects.create(
        batch=batch,
        instalment=inst,
        due=due,
        mandate=mandate,
        sequence=Sequence.FRST,
        amount=inst.amount,
        collection_date=collection_date,
        end_to_end_id=e2e or f"CURSUS-E2E-{n:06d}",
        status=DebitStatus.SENT if sent else DebitStatus.EXPORTED,
    )
    if sent:
        ledger.payment_record(
            due=due, amount=inst.amount, booked_on=collection_date, channel=Channel.DIRECT_DEBIT, by=None
        )
    return item


# ---- writers of real return files ---------------------------------------------------------------


def pain002(
    rows: list[tuple[str, str, Decimal | None]],
    *,
    version: str = "03",
    created: str = "2026-01-20T09:15:00+01:00",
) -> bytes:
    """A pain.002.001.<version> status report: each row (end-to-end id, reason, amount or None) is a
    RJCT transaction; one more ACSC transaction shows accepted ones are skipped."""
    txs = []
    for i, (e2e, reason, amount) in enumerate(rows, start=1):
        ref = (
            f'<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount:.2f}</InstdAmt></Amt><ReqdColltnDt>2026-01-15</ReqdColltnDt></OrgnlTxRef>'
            if amount is not None
            else ""
        )
        txs.append(
            f"<TxInfAndSts><StsId>STS-{i}</StsId><OrgnlInstrId>I{i}</OrgnlInstrId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
            f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>{ref}</TxInfAndSts>"
        )
    txs.append(
        "<TxInfAndSts><StsId>STS-OK</StsId><OrgnlEndToEndId>ACCEPTED-1</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}">'
        f"<CstmrPmtStsRpt><GrpHdr><MsgId>STATUS-0001</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>CURSUS-T-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>{''.join(txs)}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def camt054(
    rows: list[tuple[str, str, Decimal]], *, version: str = "02", booked: str = "2026-01-22"
) -> bytes:
    """A camt.054.001.<version> notification: one DBIT entry per returned debit (with RtrInf), and one
    CRDT entry (a collection) that is not a return."""
    entries = []
    for i, (e2e, reason, amount) in enumerate(rows, start=1):
        tx_amount = (
            f'<Amt Ccy="EUR">{amount:.2f}</Amt>'
            if version >= "08"
            else f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount:.2f}</Amt></TxAmt></AmtDtls>'
        )
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>{"<Cd>BOOK</Cd>" if version >= "08" else "BOOK"}</Sts>'
            f"<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt><AcctSvcrRef>BANKREF-{i}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>{tx_amount}<CdtDbtInd>DBIT</CdtDbtInd>"
            f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
        )
    entries.append(
        f'<Ntry><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{booked}</Dt></BookgDt></Ntry>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-01-22T18:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>N-1</Id><Acct><Id><IBAN>FR7610071590000000100100147</IBAN></Id></Acct>{''.join(entries)}</Ntfctn>"
        "</BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def cfonb_returns(rows: list[tuple[str, str, Decimal]], *, booked: dt.date = dt.date(2026, 1, 23)) -> bytes:
    """A CFONB 120 statement whose debit movements are unpaid direct debits (interbank code A3), each
    with its RET (ISO reason, SIT code, label) and RCN (end-to-end id) complements."""
    entries = [
        StatementEntry(
            booked_on=booked,
            amount=-amount,
            remittance="PRLV SEPA IMPAYE",
            payer="DEBITEUR",
            reference=f"R{i:06d}",
            complements=[("RET", f"{reason}  IMPAYE"), ("RCN", e2e.ljust(35) + "OTHR")],
        )
        for i, (e2e, reason, amount) in enumerate(rows, start=1)
    ]
    return cfonb120(entries, operation_code="A3")


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def debtor(open_session: Any) -> Dossier:
    return registered_dossier(open_session)


def _after_commit() -> Any:
    return TestCase.captureOnCommitCallbacks(execute=True)


def _import(data: bytes, dossier: Dossier, by: Any = None) -> svc.ImportResult:
    with _after_commit():
        return svc.returns_import(institution=dossier.offering.session.institution, data=data, by=by)


def _state(item: DebitItem) -> tuple[Any, ...]:
    item.refresh_from_db()
    return (
        item.status,
        item.active,
        Instalment.objects.get(pk=item.instalment_id).status,
        ledger.balance(item.due),
    )


# ---- parsers on real files ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["03", "10"])
def test_R3_4_pain002_rjct_ac04_is_a_reject_before_settlement(
    debtor: Dossier, finance: Any, version: str
) -> None:
    item = make_debit(debtor, sent=False)
    data = pain002([(item.end_to_end_id, "AC04", None)], version=version)
    assert parser.detect(data) == "pain002"
    (line,) = parser.parse(data)
    assert (line.end_to_end_id, line.reason_code, line.kind, line.amount) == (
        item.end_to_end_id,
        "AC04",
        "reject",
        None,
    )
    assert line.received_on == dt.date(2026, 1, 20)
    result = _import(data, debtor, finance)
    (ret,) = result.recorded
    assert (ret.kind, ret.source, ret.amount) == (ReturnKind.REJECT, ReturnSource.PAIN002, item.amount)
    # Never booked as paid (the file was not marked sent): nothing comes back in the ledger.
    assert _state(item) == (DebitStatus.RETURNED, False, InstalmentStatus.RETURNED, item.amount)
    assert not LedgerLine.objects.filter(kind=LineKind.RETURN).exists()


def test_R3_4_pain002_reads_the_amount_when_the_bank_repeats_it(debtor: Dossier) -> None:
    (line,) = parser.parse(pain002([("E2E-X", "MS02", Decimal("1234.56"))]))
    assert line.amount == Decimal("1234.56") and line.reason_code == "MS02"


@pytest.mark.parametrize("version", ["02", "08"])
def test_R3_4_camt054_return_am04_books_the_money_back(debtor: Dossier, finance: Any, version: str) -> None:
    item = make_debit(debtor)
    assert ledger.balance(item.due) == Decimal("0.00")
    data = camt054([(item.end_to_end_id, "AM04", item.amount)], version=version)
    assert parser.detect(data) == "camt054"
    (line,) = parser.parse(data)
    assert (line.kind, line.reason_code, line.amount, line.received_on) == (
        "return",
        "AM04",
        item.amount,
        dt.date(2026, 1, 22),
    )
    (ret,) = _import(data, debtor, finance).recorded
    assert ret.source == ReturnSource.CAMT054 and ret.outcome == ReturnOutcome.PENDING
    assert _state(item) == (DebitStatus.RETURNED, False, InstalmentStatus.RETURNED, item.amount)
    assert LedgerLine.objects.get(kind=LineKind.RETURN).amount == item.amount


def test_R3_4_cfonb_return_md01_is_read_from_its_complements(debtor: Dossier, finance: Any) -> None:
    item = make_debit(debtor)
    data = cfonb_returns([(item.end_to_end_id, "MD01", item.amount)])
    assert parser.detect(data) == "cfonb"
    (line,) = parser.parse(data)
    assert (line.end_to_end_id, line.reason_code, line.kind, line.amount) == (
        item.end_to_end_id,
        "MD01",
        "return",
        item.amount,
    )
    (ret,) = _import(data, debtor, finance).recorded
    assert ret.source == ReturnSource.CFONB and ret.reason_code == "MD01"
    assert _state(item)[2:] == (InstalmentStatus.RETURNED, item.amount)


def test_R3_4_a_cfonb_statement_of_credits_holds_no_return() -> None:
    data = cfonb120([(dt.date(2026, 1, 5), Decimal("60.00"), "VIR DUPONT MS CSE")])
    assert parser.parse(data) == []


def test_R3_4_another_file_is_refused_with_a_message() -> None:
    with pytest.raises(parser.ReturnFileError):
        parser.parse(b"%PDF-1.4 not a return")
    with pytest.raises(parser.ReturnFileError):
        parser.parse(
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
        )
    with pytest.raises(parser.ReturnFileError):
        parser.parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>')


# ---- safe twice, unknown ids ---------------------------------------------------------------------


def test_R3_4_the_same_file_twice_changes_nothing(debtor: Dossier, finance: Any) -> None:
    item = make_debit(debtor)
    data = camt054([(item.end_to_end_id, "AM04", item.amount)])
    first = _import(data, debtor, finance)
    counts = (
        DebitReturn.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        OutgoingEmail.objects.count(),
    )
    again = _import(data, debtor, finance)
    assert again.recorded == [] and [r.pk for r in again.already] == [r.pk for r in first.recorded]
    assert (
        DebitReturn.objects.count(),
        LedgerLine.objects.count(),
        AuditEvent.objects.count(),
        OutgoingEmail.objects.count(),
    ) == counts
    # The same event told by another report (the CFONB statement) is not recorded twice either.
    _import(cfonb_returns([(item.end_to_end_id, "AM04", item.amount)]), debtor, finance)
    assert DebitReturn.objects.count() == 1 and LedgerLine.objects.filter(kind=LineKind.RETURN).count() == 1


def test_R3_4_an_unknown_end_to_end_id_is_listed(client: Any, debtor: Dossier, finance: Any) -> None:
    item = make_debit(debtor)
    data = pain002([(item.end_to_end_id, "AM04", None), ("NOT-OURS-42", "AC01", None)])
    result = _import(data, debtor, finance)
    assert len(result.recorded) == 1
    assert [u.end_to_end_id for u in result.unmatched] == ["NOT-OURS-42"]
    # On the screen too.
    client.login(email=finance.email, password=PASSWORD)
    response = client.post(
        reverse("debit_returns"),
        {"action": "upload", "file-file": SimpleUploadedFile("rejets.xml", data)},
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="unmatched"' in page and "NOT-OURS-42" in page


# ---- the decision and what the debtor is told ----------------------------------------------------


def _returned(dossier: Dossier, reason: str = "AM04", *, by: Any = None) -> DebitReturn:
    item = make_debit(dossier)
    with _after_commit():
        return svc.return_record(
            item=item,
            kind=ReturnKind.RETURN,
            reason_code=reason,
            amount=None,
            received_on=dt.date(2026, 1, 22),
            source=ReturnSource.MANUAL,
            by=by,
        )


def test_R3_4_the_debtor_is_told_what_happened_and_what_comes_next(debtor: Dossier) -> None:
    ret = _returned(debtor, "AM04")
    email = OutgoingEmail.objects.get(kind="debit_return_recorded")
    assert email.to == debtor.candidate.email
    assert "Provision insuffisante" in email.body_text or "Insufficient funds" in email.body_text
    assert ret.item.mandate.reference in email.body_text and IBAN not in email.body_text


def test_R3_4_represent_puts_the_instalment_back_to_due(debtor: Dossier, finance: Any) -> None:
    ret = _returned(debtor, "AM04")
    with _after_commit():
        svc.return_decide(debit_return=ret, outcome=ReturnOutcome.REPRESENT, by=finance)
    ret.refresh_from_db()
    assert ret.outcome == ReturnOutcome.REPRESENT
    assert Instalment.objects.get(pk=ret.item.instalment_id).status == InstalmentStatus.DUE
    # The claim is released: the next export may take the instalment with a new item.
    assert not DebitItem.objects.filter(instalment_id=ret.item.instalment_id, active=True).exists()
    assert OutgoingEmail.objects.filter(kind="debit_return_represent", to=debtor.candidate.email).count() == 1
    # Safe twice; the other decision is refused.
    svc.return_decide(debit_return=ret, outcome=ReturnOutcome.REPRESENT, by=finance)
    with pytest.raises(DomainError):
        svc.return_decide(debit_return=ret, outcome=ReturnOutcome.OTHERWISE, by=finance)
    assert AuditEvent.objects.filter(action="debit.return_decide").count() == 1


def test_R3_4_a_closed_account_is_not_presented_again(debtor: Dossier, finance: Any) -> None:
    ret = _returned(debtor, "AC04")
    with pytest.raises(DomainError) as exc:
        svc.return_decide(debit_return=ret, outcome=ReturnOutcome.REPRESENT, by=finance)
    assert exc.value.code == "final"


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "Référence à indiquer"), ("en", "Reference to quote")]
)
def test_R3_4_otherwise_emails_the_reference_and_the_bank_details(
    open_session: Any, finance: Any, language: str, words: str
) -> None:
    dossier = registered_dossier(open_session, email=f"deb-{language}@example.org", language=language)
    institution = dossier.offering.session.institution
    ret = _returned(dossier, "AC04")
    with _after_commit():
        svc.return_decide(debit_return=ret, outcome=ReturnOutcome.OTHERWISE, by=finance)
    assert Instalment.objects.get(pk=ret.item.instalment_id).status == InstalmentStatus.PAY_OTHERWISE
    email = OutgoingEmail.objects.get(kind="debit_return_otherwise")
    assert email.to == dossier.candidate.email and email.language == language
    assert (
        display(ret.item.due.reference) in email.body_text
        and display(ret.item.due.reference) in email.body_html
    )
    assert institution.bank_iban and institution.bank_iban in email.body_text
    if language == "en" or words in email.body_text:
        assert words in email.body_text


# ---- refund requests: 8 weeks (MD06), 13 months (MD01) ---------------------------------------------


def _request(item: DebitItem, reason: str, on: dt.date) -> DebitReturn:
    with time_machine.travel(dt.datetime(on.year, on.month, on.day, 12, tzinfo=dt.UTC), tick=False):
        return svc.return_enter(
            institution=item.batch.institution,
            key=item.end_to_end_id,
            kind=ReturnKind.REFUND_REQUEST,
            reason_code=reason,
            received_on=timezone.localdate(),
            by=None,
        )


def test_R3_4_an_authorised_debit_may_be_refunded_on_request_within_8_weeks(debtor: Dossier) -> None:
    collected = dt.date(2026, 1, 15)
    late = make_debit(debtor, number=1, collection_date=collected)
    with pytest.raises(DomainError) as exc:
        _request(late, "MD06", collected + dt.timedelta(days=57))
    assert exc.value.code == "window" and "12/03/2026" in exc.value.message
    assert not DebitReturn.objects.exists() and late.due.lines.filter(kind=LineKind.RETURN).count() == 0
    in_time = make_debit(debtor, number=2, collection_date=collected)
    ret = _request(in_time, "MD06", collected + dt.timedelta(days=56))
    assert ret.kind == ReturnKind.REFUND_REQUEST and ledger.balance(in_time.due) == in_time.amount


def test_R3_4_an_unauthorised_debit_may_be_refunded_on_request_within_13_months(debtor: Dossier) -> None:
    collected = dt.date(2026, 1, 31)
    assert svc.refund_request_deadline(collected, "MD01") == dt.date(2027, 2, 28)
    late = make_debit(debtor, number=1, collection_date=collected)
    with pytest.raises(DomainError):
        _request(late, "MD01", dt.date(2027, 3, 1))
    in_time = make_debit(debtor, number=2, collection_date=collected)
    assert _request(in_time, "MD01", dt.date(2027, 2, 28)).reason_code == "MD01"
    # An authorised debit's 8 weeks do not stretch to 13 months.
    third = make_debit(debtor, number=3, collection_date=collected)
    with pytest.raises(DomainError):
        _request(third, "MD06", dt.date(2027, 2, 28))


def test_R3_4_manual_entry_by_due_reference(debtor: Dossier, finance: Any) -> None:
    item = make_debit(debtor)
    ret = svc.return_enter(
        institution=item.batch.institution,
        key=display(item.due.reference).lower(),
        kind=ReturnKind.RETURN,
        reason_code="MS02",
        received_on=dt.date(2026, 1, 20),
        by=finance,
    )
    assert ret.item == item and ret.source == ReturnSource.MANUAL
    with pytest.raises(DomainError):
        svc.return_enter(
            institution=item.batch.institution,
            key="NOTHING-LIKE-IT",
            kind=ReturnKind.RETURN,
            reason_code="MS02",
            received_on=dt.date(2026, 1, 20),
            by=finance,
        )


# ---- the screens ------------------------------------------------------------------------------------


def test_R3_4_finance_lists_returns_with_the_reason_in_words_and_decides(
    client: Any, debtor: Dossier, finance: Any
) -> None:
    ret = _returned(debtor, "AM04")
    client.login(email=finance.email, password=PASSWORD)
    page = client.get(reverse("debit_returns")).content.decode()
    assert f'id="return-{ret.pk}"' in page and "AM04" in page
    assert "Provision insuffisante" in page or "Insufficient funds" in page
    assert f'href="{reverse("debit_returns")}"' in page and f'href="{reverse("refunds")}"' in page  # nav
    assert (
        f'id="return-{ret.pk}"'
        not in client.get(reverse("debit_returns"), {"state": "decided"}).content.decode()
    )
    with _after_commit():
        response = client.post(reverse("debit_return_action", args=[ret.pk]), {"outcome": "otherwise"})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.outcome == ReturnOutcome.OTHERWISE


def test_R3_4_manual_entry_form(client: Any, debtor: Dossier, finance: Any) -> None:
    item = make_debit(debtor)
    client.login(email=finance.email, password=PASSWORD)
    data = {
        "action": "manual",
        "manual-key": item.end_to_end_id,
        "manual-reason_code": "AM04",
        "manual-kind": "return",
        "manual-received_on": "2026-01-21",
    }
    with _after_commit():
        assert client.post(reverse("debit_returns"), data).status_code == 302
    assert DebitReturn.objects.get().reason_code == "AM04"
    bad = client.post(reverse("debit_returns"), {**data, "manual-key": "NOPE"})
    assert bad.status_code == 400 and 'class="error-summary"' in bad.content.decode()


@pytest.mark.parametrize("who", ["candidate", "director_be", "jury", "office"])
def test_R3_4_everybody_but_finance_gets_404(client: Any, debtor: Dossier, request: Any, who: str) -> None:
    ret = _returned(debtor, "AM04")
    user = request.getfixturevalue(who)
    client.login(email=user.email, password=PASSWORD)
    assert client.get(reverse("debit_returns")).status_code == 404
    assert client.post(reverse("debit_returns"), {"action": "manual"}).status_code == 404
    assert (
        client.post(reverse("debit_return_action", args=[ret.pk]), {"outcome": "otherwise"}).status_code
        == 404
    )
    ret.refresh_from_db()
    assert ret.outcome == ReturnOutcome.PENDING


def test_R3_4_a_return_after_settlement_cannot_come_before_the_collection(debtor: Dossier) -> None:
    item = make_debit(debtor)
    before = item.collection_date - dt.timedelta(days=1)
    with pytest.raises(DomainError) as exc:
        svc.return_record(
            item=item,
            kind=ReturnKind.RETURN,
            reason_code="AM04",
            amount=None,
            received_on=before,
            source=ReturnSource.MANUAL,
            by=None,
        )
    assert exc.value.code == "date"
    # A rejection before settlement may well come before the collection date.
    ret = svc.return_record(
        item=item,
        kind=ReturnKind.REJECT,
        reason_code="AC04",
        amount=None,
        received_on=before,
        source=ReturnSource.MANUAL,
        by=None,
    )
    assert ret.kind == ReturnKind.REJECT
