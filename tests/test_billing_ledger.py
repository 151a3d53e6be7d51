"""The ledger (issue 9 items 1, 2, 6): structured references (R2.10), card payments on request that
confirm the fee with their date (I3), exact balances (I14), the instalments' dues (I10, I11), who sees
the finance screens."""

import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from admission import services as adm
from applications.models import Dossier, DossierStatus, FeePayment, PaymentStatus
from billing import references
from billing.models import Due, DueKind, LedgerLine, LineKind
from billing.selectors import ledger_rows, person_ledger
from billing.services import ledger
from catalog.models import AdmissionSession, Institution
from registration.models import Instalment, InstalmentStatus
from tests.conftest import PASSWORD, fill_dossier, make_user, offering
from tests.test_registration_visa import _report, story  # noqa: F401  (story is a fixture)

# ---- references (R2.10) -----------------------------------------------------------------------------

bodies = st.text(alphabet=references.ALPHABET, min_size=references.BODY, max_size=references.BODY)


def _ref(body: str) -> str:
    return f"{references.PREFIX}{body}{references.check_char(body)}"


def test_R2_10_new_references_are_valid_and_unique() -> None:
    drawn = [references.new_reference() for _ in range(2000)]
    assert all(references.is_valid(r) for r in drawn)
    assert len(set(drawn)) == len(drawn)
    assert all(not set(r[2:]) & set("015SZ8BOILUV") for r in drawn)  # no look-alike characters
    assert references.display("CU4K7MQ9XW3") == "CU4K-7MQ9-XW3"


@given(bodies, st.data())
def test_R2_10_a_typo_in_one_character_is_detected(body: str, data: st.DataObject) -> None:
    ref = _ref(body)
    assert references.is_valid(ref)
    i = data.draw(st.integers(min_value=0, max_value=len(ref) - 1))
    typo = data.draw(st.sampled_from(references.ALPHABET + "U").filter(lambda c: c != ref[i]))
    assert not references.is_valid(ref[:i] + typo + ref[i + 1 :])


@given(bodies, st.data())
def test_R2_10_two_adjacent_characters_swapped_are_detected(body: str, data: st.DataObject) -> None:
    ref = _ref(body)
    i = data.draw(st.integers(min_value=0, max_value=len(ref) - 2))
    swapped = ref[:i] + ref[i + 1] + ref[i] + ref[i + 2 :]
    assert swapped == ref or not references.is_valid(swapped)


def test_R2_10_every_single_typo_and_swap_of_one_reference_is_detected() -> None:
    """Exhaustively, on references drawn at random: nothing slips through."""
    rng = random.Random(9)
    for _ in range(200):
        ref = _ref("".join(rng.choice(references.ALPHABET) for _ in range(references.BODY)))
        for i in range(len(ref)):
            for c in references.ALPHABET:
                if c != ref[i]:
                    assert not references.is_valid(ref[:i] + c + ref[i + 1 :]), (ref, i, c)
            if i + 1 < len(ref) and ref[i] != ref[i + 1]:
                assert not references.is_valid(ref[:i] + ref[i + 1] + ref[i] + ref[i + 2 :]), (ref, i)


def test_R2_10_find_references_reads_a_bank_remittance() -> None:
    ref = _ref("4K7MQ9XW")
    shown = references.display(ref).lower()  # cu4k-7mq9-x…
    text = f"VIR SEPA DUPONT {shown[:4]} {shown[5:9]}-{shown[10:]}\nMS CSE"
    assert text.startswith("VIR SEPA DUPONT cu4k 7mq9-")
    assert references.find_references(text) == [ref]
    assert references.find_references(text.replace(ref[-1].lower(), "0")) == []
    assert references.find_references("VIR SEPA DUPONT LEFEVRE MS CSE 000123") == []


# ---- the fee page (R2.10) ---------------------------------------------------------------------------


@pytest.fixture
def unpaid(draft: Dossier) -> Dossier:
    """Eligible, documents uploaded, the fee not declared yet."""
    return fill_dossier(draft, fee=False)


def _login(client: Any, user: User) -> Any:
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_R2_10_fee_page_shows_the_notice_instruction_and_the_reference(client: Any, unpaid: Dossier) -> None:
    assert not Due.objects.filter(dossier=unpaid).exists()
    page = _login(client, unpaid.candidate).get(reverse("dossier_fee", args=[unpaid.pk])).content.decode()
    due = Due.objects.get(dossier=unpaid, kind=DueKind.APPLICATION_FEE)
    assert due.amount == unpaid.offering.session.application_fee and references.is_valid(due.reference)
    # the notice's instruction, unchanged, and the structured reference beside it
    assert unpaid.payment_reference in page
    assert "Virez les frais sur le compte ci-dessous en indiquant exactement ces références" in page
    assert references.display(due.reference) in page
    assert 'id="structured-reference"' in page and 'data-copy="#structured-reference"' in page
    # opening the page again makes no second due
    client.get(reverse("dossier_fee", args=[unpaid.pk]))
    assert Due.objects.filter(dossier=unpaid).count() == 1
    assert LedgerLine.objects.filter(due=due, kind=LineKind.DUE, amount=due.amount).count() == 1


def test_R2_10_declaring_the_fee_makes_its_due(ready: Dossier) -> None:
    due = Due.objects.get(dossier=ready, kind=DueKind.APPLICATION_FEE)
    assert ledger.balance(due) == Decimal("60.00")


def test_R2_10_no_due_for_a_dossier_that_is_not_eligible_yet(client: Any, draft: Dossier) -> None:
    page = _login(client, draft.candidate).get(reverse("dossier_fee", args=[draft.pk])).content.decode()
    assert 'id="structured-reference"' not in page
    assert not Due.objects.filter(dossier=draft).exists()


def test_R2_10_an_erased_draft_takes_its_unpaid_due_along_but_money_received_keeps_it(
    unpaid: Dossier, other_candidate: User, open_session: AdmissionSession, finance: User
) -> None:
    from privacy.services import dossier_erase

    ledger.fee_due(unpaid)
    dossier_erase(dossier=unpaid, by=unpaid.candidate, cause="request")
    assert not Dossier.objects.filter(pk=unpaid.pk).exists() and not Due.objects.exists()

    paid = fill_dossier(
        Dossier.objects.create(candidate=other_candidate, offering=offering(open_session, "CSE")), fee=False
    )
    due = ledger.fee_due(paid)
    ledger.payment_record(
        due=due, amount=Decimal("10.00"), booked_on=timezone.localdate(), channel="card", by=finance
    )
    dossier_erase(dossier=paid, by=other_candidate, cause="request")
    assert Dossier.objects.filter(pk=paid.pk).exists() and ledger.balance(due) == Decimal("50.00")


# ---- card payments on request (item 6, I3) ------------------------------------------------------------


def _card(client: Any, dossier: Dossier, **data: Any) -> Any:
    due = ledger.fee_due(dossier)
    post = {"due": due.pk, "amount": "60,00", "paid_on": "", "receipt": "TPE 004217"} | data
    return client.post(reverse("ledger_dossier", args=[dossier.pk]), post)


def test_I3_card_payment_confirms_the_fee_with_its_date(
    client: Any, ready: Dossier, finance: User, office: User
) -> None:
    from applications import services

    services.dossier_submit(dossier=ready, by=ready.candidate)
    paid_on = timezone.localdate() - dt.timedelta(days=2)
    response = _card(_login(client, finance), ready, paid_on=paid_on.isoformat())
    assert response.status_code == 302
    payment = FeePayment.objects.get(dossier=ready)
    assert payment.status == PaymentStatus.CONFIRMED and payment.booked_on == paid_on
    line = LedgerLine.objects.get(due__dossier=ready, kind=LineKind.PAYMENT)
    assert line.channel == "card" and line.amount == Decimal("-60.00") and line.occurred_on == paid_on
    assert "TPE 004217" in line.note and line.recorded_by == finance
    assert ledger.dossier_balance(ready) == Decimal("0.00")
    # the dossier can become complete, as with the manual confirmation
    for f in ready.files.filter(superseded_at__isnull=True):
        adm.document_verdict(file=f, by=office, verdict="accepted")
    assert adm.dossier_mark_complete(dossier=ready, by=office).status == DossierStatus.COMPLETE
    page = client.get(reverse("ledger_dossier", args=[ready.pk])).content.decode()
    assert "TPE 004217" in page and 'name="receipt"' not in page  # nothing is left to pay


def test_item6_card_form_errors_are_clear_and_keep_what_was_typed(
    client: Any, ready: Dossier, finance: User
) -> None:
    _login(client, finance)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _card(client, ready, receipt="  ", amount="59,99", paid_on=tomorrow)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="59,99"' in page and f'value="{tomorrow}"' in page
    errors = response.context["form"].errors
    assert set(errors) == {"receipt", "paid_on"}
    for message in (errors["receipt"][0], errors["paid_on"][0]):
        assert message in page
    response = _card(client, ready, amount="abc", paid_on=timezone.localdate().isoformat())
    assert response.status_code == 400 and 'value="abc"' in response.content.decode()
    assert not LedgerLine.objects.filter(kind=LineKind.PAYMENT).exists()
    assert FeePayment.objects.get(dossier=ready).status == PaymentStatus.DECLARED


def test_item6_a_partial_card_payment_leaves_the_fee_open(client: Any, ready: Dossier, finance: User) -> None:
    _login(client, finance)
    assert _card(client, ready, amount="20", paid_on=timezone.localdate().isoformat()).status_code == 302
    assert ledger.dossier_balance(ready) == Decimal("40.00")
    assert FeePayment.objects.get(dossier=ready).status == PaymentStatus.DECLARED


def test_item6_the_office_reads_the_ledger_without_the_card_form(
    client: Any, ready: Dossier, office: User
) -> None:
    from applications.services import dossier_submit

    _login(client, office)
    # A draft is its candidate's alone: the office reads its ledger once it is submitted.
    assert client.get(reverse("ledger_dossier", args=[ready.pk])).status_code == 404
    dossier_submit(dossier=ready, by=ready.candidate)
    page = client.get(reverse("ledger_dossier", args=[ready.pk])).content.decode()
    assert 'name="receipt"' not in page and references.display(ledger.fee_due(ready).reference) in page
    assert _card(client, ready, paid_on=timezone.localdate().isoformat()).status_code == 404
    assert client.get(reverse("ledger")).status_code == 200
    assert not LedgerLine.objects.filter(kind=LineKind.PAYMENT).exists()


# ---- exact balances (I14) -------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=cents, payments=st.lists(cents, min_size=1, max_size=6), seed=st.integers(0, 10_000))
def test_I14_a_balance_is_the_exact_sum_of_its_lines_whatever_the_order(
    ready: Dossier, finance: User, amount: Decimal, payments: list[Decimal], seed: int
) -> None:
    order = payments[:]
    random.Random(seed).shuffle(order)
    dues = []
    for sequence in (payments, order):
        due = ledger._create_due(
            dossier=ready, kind=DueKind.CVEC, label="CVEC", amount=amount, due_on=dt.date(2026, 9, 1)
        )
        for i, paid in enumerate(sequence):
            ledger.payment_record(
                due=due,
                amount=paid,
                booked_on=dt.date(2026, 9, 1) + dt.timedelta(days=i),
                channel="transfer",
                by=finance,
            )
        dues.append(due)
    expected = amount - sum(payments, Decimal("0"))
    lines = [ln.amount for ln in LedgerLine.objects.filter(due__in=dues).order_by("pk")]
    assert all(isinstance(x, Decimal) for x in lines)
    for due in dues:
        assert ledger.balance(due) == expected
        assert sum((ln.amount for ln in due.lines.all()), Decimal("0")) == expected
    rows: Any = ledger_rows(finance, q=dues[0].reference)[0]
    assert [r.balance for r in rows] == [expected]
    running = person_ledger(finance, ready)
    assert running.balance == ledger.dossier_balance(ready)
    assert running.lines[-1].running == running.balance


def test_I14_totals_and_states_of_the_list(ready: Dossier, finance: User) -> None:
    fee = ledger.fee_due(ready)
    extra = ledger._create_due(
        dossier=ready, kind=DueKind.CVEC, label="CVEC", amount=Decimal("103.00"), due_on=dt.date(2026, 9, 1)
    )
    ledger.payment_record(
        due=extra, amount=Decimal("110.50"), booked_on=dt.date(2026, 9, 2), channel="transfer", by=finance
    )
    listed: Any
    listed, totals = ledger_rows(finance)
    assert {r.pk: (r.state, r.balance, r.paid) for r in listed} == {
        fee.pk: ("open", Decimal("60.00"), Decimal("0.00")),
        extra.pk: ("overpaid", Decimal("-7.50"), Decimal("110.50")),
    }
    assert (totals.due, totals.paid, totals.outstanding) == (
        Decimal("163.00"),
        Decimal("110.50"),
        Decimal("60.00"),
    )
    assert [r.pk for r in ledger_rows(finance, state="overpaid")[0]] == [extra.pk]
    assert [r.pk for r in ledger_rows(finance, kind="application_fee")[0]] == [fee.pk]
    # a reference with or without hyphens, in any case; the dossier number
    for q in (references.display(fee.reference).lower(), fee.reference, ready.number):
        assert fee.pk in [r.pk for r in ledger_rows(finance, q=q)[0]], q


# ---- registration and visas (I10, I11) ------------------------------------------------------------------


def _after_commit() -> Any:
    return TestCase.captureOnCommitCallbacks(execute=True)


def test_I10_I11_registration_makes_three_instalment_dues_and_a_visa_approval_cancels_two(
    story: dict[str, Any],  # noqa: F811
    client: Any,
    finance: User,
) -> None:
    from registration.services import enrolment, visa
    from registration.services.files import registration_file_upload

    a = story["a"]
    reg = enrolment.registration_open(dossier=a, by=a.candidate)
    reg = enrolment.registration_save(
        registration=reg, by=a.candidate, data={"financing": "personal", "cvec_number": "LIL1-2026-012345"}
    )
    data = b"%PDF-1.4 CVEC"
    from applications.demo import tiny_pdf

    data = tiny_pdf("Attestation CVEC")
    registration_file_upload(
        dossier=a, by=a.candidate, kind="cvec", fileobj=io.BytesIO(data), name="cvec.pdf", size=len(data)
    )
    with _after_commit():
        enrolment.registration_complete(registration=reg, by=a.candidate)
    dues = list(Due.objects.filter(dossier=a, kind=DueKind.INSTALMENT).order_by("instalment__number"))
    instalments = list(Instalment.objects.filter(registration=reg).order_by("number"))
    assert [d.instalment_id for d in dues] == [i.pk for i in instalments] and len(dues) == 3
    tuition = enrolment.registration_cost(a, "personal").tuition
    assert sum((d.amount for d in dues), Decimal("0")) == tuition
    assert all(references.is_valid(d.reference) for d in dues)
    # the candidate sees each instalment's reference
    page = _login(client, a.candidate).get(reverse("dashboard")).content.decode()
    for d in dues:
        assert references.display(d.reference) in page

    _report(client, a)
    with _after_commit():
        visa.visa_decide(dossier=a, by=finance, approve=True, reason="Refus consulaire vérifié")
    assert [i.status for i in Instalment.objects.filter(registration=reg).order_by("number")] == [
        InstalmentStatus.TO_REFUND,
        InstalmentStatus.CANCELLED,
        InstalmentStatus.CANCELLED,
    ]
    first, second, third = (Due.objects.get(pk=d.pk) for d in dues)
    # Nothing was paid on the first instalment: no longer owed, nothing to refund (I11, see
    # tests/test_billing_refunds.py for a paid one).
    assert first.cancelled_at is not None and ledger.balance(first) == Decimal("0.00")
    for due in (second, third):
        assert due.cancelled_at is not None and ledger.balance(due) == Decimal("0.00")
        assert due.lines.filter(kind=LineKind.CANCELLATION, amount=-due.amount).count() == 1
    listed: Any = ledger_rows(finance, kind="instalment")[0]
    states = {r.pk: r.state for r in listed}
    assert states == {first.pk: "cancelled", second.pk: "cancelled", third.pk: "cancelled"}


# ---- who sees the ledger ------------------------------------------------------------------------------


def _urls(dossier: Dossier) -> list[str]:
    return [
        reverse("ledger"),
        reverse("ledger_export"),
        reverse("ledger_export") + "?format=xlsx",
        reverse("ledger_dossier", args=[dossier.pk]),
    ]


@pytest.mark.parametrize("who", ["candidate", "director_be", "jury", "other_candidate"])
def test_I14_candidates_directors_and_jury_get_404(
    client: Any, ready: Dossier, request: Any, who: str
) -> None:
    ledger.fee_due(ready)
    user = request.getfixturevalue(who)
    _login(client, user)
    for url in _urls(ready):
        assert client.get(url).status_code == 404, (who, url)
    assert _card(client, ready, paid_on=timezone.localdate().isoformat()).status_code == 404
    assert not LedgerLine.objects.filter(kind=LineKind.PAYMENT).exists()


def test_I14_anonymous_is_sent_to_log_in(client: Any, ready: Dossier) -> None:
    for url in _urls(ready):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_I17_finance_of_another_institution_sees_nothing_of_this_one(
    client: Any, ready: Dossier, finance: User
) -> None:
    due = ledger.fee_due(ready)
    other = Institution.objects.create(name="École voisine", short_name="EV", email="ev@example.org")
    finance_b = make_user("finance.b@example.org", group="Finance", institution=other)
    rows, totals = ledger_rows(finance_b)
    assert list(rows) == [] and totals.due == Decimal("0.00")
    assert person_ledger(finance_b, ready).dues == []
    _login(client, finance_b)
    page = client.get(reverse("ledger"), {"q": due.reference}).content.decode()
    assert references.display(due.reference) not in page and ready.last_name not in page
    assert client.get(reverse("ledger_dossier", args=[ready.pk])).status_code == 404
    export = client.get(reverse("ledger_export")).content.decode("utf-8-sig")
    assert len(export.strip().splitlines()) == 1  # the header only
    assert _card(client, ready, paid_on=timezone.localdate().isoformat()).status_code == 404
    # finance of this institution does see it
    _login(client, finance)
    assert references.display(due.reference) in client.get(reverse("ledger")).content.decode()


def test_issue9_finance_has_the_ledger_in_its_navigation(client: Any, finance: User, office: User) -> None:
    _login(client, finance)
    assert f'href="{reverse("ledger")}"' in client.get(reverse("fee_payments")).content.decode()


# ---- the list's queries (convention 16) ---------------------------------------------------------------


def _bulk_dues(session: AdmissionSession, n: int, start: int) -> None:
    users = [make_user(f"ledger{start + i}@example.org") for i in range(n)]
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=offering(session, ["BE+", "CSE"][i % 2]),
                last_name=f"Nom{start + i}",
                first_names="Prénom",
            )
            for i, u in enumerate(users)
        ]
    )
    dues = Due.objects.bulk_create(
        [
            Due(
                dossier=d,
                kind=DueKind.APPLICATION_FEE,
                label="Frais",
                amount=Decimal("60.00"),
                due_on=dt.date(2026, 3, 1),
                reference=references.new_reference(),
            )
            for d in dossiers
        ]
    )
    LedgerLine.objects.bulk_create(
        [LedgerLine(due=d, kind=LineKind.DUE, amount=d.amount, occurred_on=d.due_on) for d in dues]
        + [
            LedgerLine(due=d, kind=LineKind.PAYMENT, amount=Decimal("-60.00"), occurred_on=d.due_on)
            for d in dues[::2]
        ]
    )


def test_I14_ledger_list_query_count_is_constant(
    client: Any, open_session: AdmissionSession, finance: User
) -> None:
    _login(client, finance)
    counts = []
    for n, start in ((3, 0), (27, 100)):
        _bulk_dues(open_session, n, start)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("ledger"))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert Due.objects.count() == 30
    assert counts[0] == counts[1], counts
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("ledger_export")).status_code == 200
    export_queries = len(ctx.captured_queries)
    _bulk_dues(open_session, 5, 200)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("ledger_export"))
    assert len(ctx.captured_queries) == export_queries


# ---- the admin (I17) ---------------------------------------------------------------------------------


def test_I17_finance_reads_its_dues_in_the_admin(client: Any, ready: Dossier) -> None:
    due = ledger.fee_due(ready)
    institution = ready.offering.session.institution
    finance_a = make_user("finance.a@example.org", group="Finance", institution=institution, is_staff=True)
    _login(client, finance_a)
    page = client.get(reverse("admin:billing_due_changelist")).content.decode()
    assert due.reference in page
    assert client.get(reverse("admin:billing_due_add")).status_code == 403
    assert client.get(reverse("admin:billing_csvmapping_add")).status_code == 200
