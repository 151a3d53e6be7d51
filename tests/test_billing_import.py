"""Bank statements imported and matched to the amounts due (issue 9 items 3 and 4; R2.10, R2.11, I3, I14).

Statements are written in the tests, in CFONB 120 and camt.053, by `billing.statements.writers`."""

import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from applications import services as app_services
from applications.models import Dossier, FeePayment, PaymentStatus
from applications.services import fee_booked_in_time
from audit.labels import ACTION_LABELS
from audit.models import AuditEvent
from billing import references
from billing.models import BankLine, Due, ImportStatus, LedgerLine, LineState, StatementImport
from billing.services import ledger
from billing.services.matching import DueFacts, decide, legacy_references, normalise, payment_state, quotes
from billing.services.statements import (
    line_accept,
    line_assign,
    line_comment,
    line_discard,
    statement_process,
    statement_upload,
)
from billing.statements import writers
from billing.statements.writers import StatementEntry
from catalog.models import AdmissionSession
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from tests.conftest import IDENTITY_FR, make_user, offering

FORMATS = ["cfonb120", "camt053"]
FEE = Decimal("60.00")
TODAY = dt.date.today()


# ---- the people and their fees -----------------------------------------------------------------


def fee_of(session: AdmissionSession, email: str, *, first: str, last: str, code: str = "CSE") -> Due:
    user = make_user(email, first_name=first, last_name=last)
    dossier = app_services.dossier_open(candidate=user, offering=offering(session, code))
    app_services.dossier_save_section(
        dossier=dossier,
        by=user,
        section="identity",
        data={**IDENTITY_FR, "last_name": last, "first_names": first},
    )
    dossier.refresh_from_db()
    return ledger.fee_due(dossier)


@pytest.fixture
def eleonore(open_session: AdmissionSession) -> Due:
    return fee_of(open_session, "eleonore@example.org", first="Éléonore", last="Dupont-Lévêque")


def statement(fmt: str, entries: list[Any]) -> bytes:
    return writers.cfonb120(entries) if fmt == "cfonb120" else writers.camt053(entries)


def run_import(due_or_session: Any, data: bytes, *, name: str = "releve") -> StatementImport:
    institution = (
        due_or_session.dossier.offering.session.institution
        if isinstance(due_or_session, Due)
        else due_or_session.institution
    )
    imp = statement_upload(
        institution=institution, by=None, fileobj=io.BytesIO(data), name=name, size=len(data), enqueue=False
    )
    return statement_process(import_id=imp.pk)


def only_line(imp: StatementImport) -> BankLine:
    (line,) = imp.lines.all()
    return line


# ---- the decision, without the database --------------------------------------------------------


def facts(pk: int, *, surname: str = "Dupont-Lévêque", code: str = "CSE", balance: str = "60.00") -> DueFacts:
    return DueFacts(
        pk=pk,
        reference=f"REF{pk}",
        dossier_id=pk,
        kind="application_fee",
        program_code=code,
        surname=surname,
        balance=Decimal(balance),
    )


def test_R2_10_normalised_text_ignores_accents_case_hyphens_and_spacing() -> None:
    text = normalise("éléonore dupont-lévêque ms cse")
    assert text == "ELEONORE DUPONT LEVEQUE MS CSE"
    assert quotes(text, "Dupont-Lévêque") and quotes(text, "CSE")
    assert quotes(normalise("DUPONTLEVEQUE MS CSE"), "Dupont-Lévêque")
    assert not quotes(normalise("MARTINEZ MS CSE"), "Martin")
    assert quotes(normalise("LEFEVRE MS BE 12"), "BE+") and quotes(normalise("MS BE+"), "BE+")
    assert legacy_references("DUPONT-LEVEQUE MS CSE 000123") == [("CSE", 123)]
    assert legacy_references("LEFEVRE MS BE+ 000042") == [("BE", 42)]


def test_I14_payment_state_against_the_balance_to_the_cent() -> None:
    assert payment_state(Decimal("60.00"), Decimal("60.00")) == LineState.MATCHED
    assert payment_state(Decimal("59.99"), Decimal("60.00")) == LineState.PARTIAL
    assert payment_state(Decimal("60.01"), Decimal("60.00")) == LineState.EXCESS
    assert payment_state(Decimal("60.00"), Decimal("0.00")) == LineState.ALREADY_PAID


def test_R2_10_decision_by_name_needs_one_open_due_and_the_exact_amount() -> None:
    one = facts(1)
    assert decide(amount=FEE, by_reference=[], by_name=[one]).state == LineState.MATCHED
    wrong = decide(amount=Decimal("50"), by_reference=[], by_name=[one])
    assert (wrong.state, wrong.proposed_due_id, wrong.due_id) == (LineState.PROPOSED, 1, None)
    two = decide(amount=FEE, by_reference=[], by_name=[one, facts(2)])
    assert two.state == LineState.PROPOSED and two.due_id is None
    # The same person's open instalment does not stand in the way of their fee.
    instalment = DueFacts(
        pk=3,
        reference="R3",
        dossier_id=1,
        kind="instalment",
        program_code="CSE",
        surname="Dupont-Lévêque",
        balance=Decimal("3000.00"),
    )
    assert decide(amount=FEE, by_reference=[], by_name=[instalment, one]) == decide(
        amount=FEE, by_reference=[], by_name=[one]
    )
    assert decide(amount=Decimal("3000.00"), by_reference=[], by_name=[instalment, one]).due_id == 3
    assert (
        decide(amount=Decimal("10"), by_reference=[], by_name=[instalment, one]).state == LineState.PROPOSED
    )
    paid = decide(amount=FEE, by_reference=[], by_name=[facts(1, balance="0")])
    assert (paid.state, paid.due_id) == (LineState.ALREADY_PAID, 1)
    assert decide(amount=FEE, by_reference=[], by_name=[]).state == LineState.UNMATCHED
    assert decide(amount=Decimal("-60"), by_reference=[one], by_name=[]).state == LineState.UNMATCHED
    # By reference the amount decides how it stands, not whether it matches.
    assert decide(amount=Decimal("40"), by_reference=[one], by_name=[]).state == LineState.PARTIAL


# ---- statements in both formats ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_exact_reference_matches_and_confirms_the_fee(fmt: str, eleonore: Due) -> None:
    ref = references.display(eleonore.reference)
    # The bank cut the reference over two lines and added spaces.
    remittance = f"VIR SEPA FRAIS DOSSIER {ref[:6]}\n{ref[6:].replace('-', ' ')}"
    data = statement(fmt, [(TODAY, FEE, remittance, "M OU MME X")])
    imp = run_import(eleonore, data)
    assert (imp.status, imp.format, imp.total, imp.created, imp.duplicates) == ("done", fmt, 1, 1, 0)
    line = only_line(imp)
    assert (line.state, line.due_id) == (LineState.MATCHED, eleonore.pk)
    assert ledger.balance(eleonore) == Decimal("0.00")
    payment = FeePayment.objects.get(dossier=eleonore.dossier)
    assert (payment.status, payment.booked_on) == (PaymentStatus.CONFIRMED, TODAY)
    assert LedgerLine.objects.get(due=eleonore, kind="payment").bank_line == line
    assert AuditEvent.objects.filter(
        action="bank_line.match", object_id=str(line.pk), to_state="matched"
    ).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_surname_and_program_match_the_only_open_cse_fee(
    fmt: str, eleonore: Due, open_session: AdmissionSession
) -> None:
    # Another Dupont-Lévêque in another program, and another CSE candidate: neither fits.
    fee_of(open_session, "other@example.org", first="Jean", last="Dupont-Lévêque", code="BE+")
    fee_of(open_session, "martin@example.org", first="Paul", last="Martin")
    imp = run_import(eleonore, statement(fmt, [(TODAY, FEE, "ELEONORE DUPONT LEVEQUE MS CSE")]))
    line = only_line(imp)
    assert (line.state, line.due_id) == (LineState.MATCHED, eleonore.pk)
    assert ledger.balance(eleonore) == Decimal("0.00")
    assert FeePayment.objects.get(dossier=eleonore.dossier).status == PaymentStatus.CONFIRMED


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_two_candidates_share_the_surname_proposed_not_matched(
    fmt: str, eleonore: Due, open_session: AdmissionSession
) -> None:
    other = fee_of(open_session, "hugo@example.org", first="Hugo", last="Dupont-Leveque")
    imp = run_import(eleonore, statement(fmt, [(TODAY, FEE, "ELEONORE DUPONT LEVEQUE MS CSE")]))
    line = only_line(imp)
    assert line.state == LineState.PROPOSED
    assert line.due_id is None and line.proposed_due_id in {eleonore.pk, other.pk}
    assert not LedgerLine.objects.filter(kind="payment").exists()
    assert ledger.balance(eleonore) == ledger.balance(other) == FEE


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_wrong_amount_partial_tells_what_remains_excess_flagged(
    fmt: str, eleonore: Due, open_session: AdmissionSession, django_capture_on_commit_callbacks: Any
) -> None:
    other = fee_of(open_session, "hugo@example.org", first="Hugo", last="Martin", code="BE+")
    data = statement(
        fmt,
        [
            (TODAY, Decimal("40.00"), f"FRAIS {eleonore.reference}"),
            (TODAY, Decimal("60.50"), f"FRAIS {other.reference}"),
            # Surname and program quoted but not the exact amount: offered, not recorded.
            (TODAY, Decimal("15.00"), "ELEONORE DUPONT LEVEQUE MS CSE COMPLEMENT"),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        imp = run_import(eleonore, data)
    states = {line.amount: (line.state, line.due_id, line.proposed_due_id) for line in imp.lines.all()}
    assert states[Decimal("40.00")] == (LineState.PARTIAL, eleonore.pk, None)
    assert states[Decimal("60.50")] == (LineState.EXCESS, other.pk, None)
    assert states[Decimal("15.00")] == (LineState.PROPOSED, None, eleonore.pk)
    assert ledger.balance(eleonore) == Decimal("20.00")
    assert ledger.balance(other) == Decimal("-0.50")  # paid more: flagged for refund review
    # A fee not fully paid is not confirmed; the payer is told what remains, with the reference.
    assert not FeePayment.objects.filter(dossier=eleonore.dossier, status=PaymentStatus.CONFIRMED).exists()
    assert FeePayment.objects.get(dossier=other.dossier).status == PaymentStatus.CONFIRMED
    (mail,) = OutgoingEmail.objects.filter(kind="payment_partial")
    assert mail.to == "eleonore@example.org"
    assert "20,00" in mail.body_text and references.display(eleonore.reference) in mail.body_text


@pytest.mark.parametrize("fmt", FORMATS)
def test_I14_duplicate_import_changes_nothing(
    fmt: str, eleonore: Due, open_session: AdmissionSession
) -> None:
    data = statement(
        fmt,
        [
            (TODAY, FEE, f"FRAIS {eleonore.reference}"),
            (TODAY, Decimal("12.34"), "INCONNU"),
            (TODAY, Decimal("-3.10"), "FRAIS BANCAIRES"),
        ],
    )
    first = run_import(eleonore, data, name="a")
    before = (BankLine.objects.count(), LedgerLine.objects.count(), ledger.balance(eleonore))
    again = run_import(eleonore, data, name="b")
    assert (first.created, first.duplicates) == (3, 0)
    assert (again.status, again.total, again.created, again.duplicates) == ("done", 3, 0, 3)
    assert again.sha256 == first.sha256 and again.pk != first.pk  # accepted, nothing new
    assert (BankLine.objects.count(), LedgerLine.objects.count(), ledger.balance(eleonore)) == before
    # Running the same import's task twice changes nothing either.
    assert statement_process(import_id=first.pk).created == 3
    assert BankLine.objects.count() == before[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_unknown_payer_and_debits_wait_unmatched(fmt: str, eleonore: Due) -> None:
    data = statement(
        fmt,
        [
            StatementEntry(
                booked_on=TODAY, amount=FEE, remittance="COTISATION ASSOCIATION", payer="SOCIETE ACME"
            ),
            (TODAY, Decimal("-60.00"), f"RETOUR {eleonore.reference}"),
        ],
    )
    imp = run_import(eleonore, data)
    assert set(imp.lines.values_list("state", flat=True)) == {LineState.UNMATCHED}
    assert ledger.balance(eleonore) == FEE


@pytest.mark.parametrize("fmt", FORMATS)
def test_I3_payment_booked_after_deadline_plus_grace_is_matched_and_shown_late(
    fmt: str, eleonore: Due, open_session: AdmissionSession, client: Any, finance: User
) -> None:
    in_time = fee_of(open_session, "hugo@example.org", first="Hugo", last="Martin")
    dossier = eleonore.dossier
    last_day = dossier.deadline() + dt.timedelta(days=open_session.fee_grace_days)
    data = statement(
        fmt,
        [
            (last_day + dt.timedelta(days=1), FEE, f"FRAIS {eleonore.reference}"),
            (last_day, FEE, f"FRAIS {in_time.reference}"),
        ],
    )
    imp = run_import(eleonore, data)
    late_line = imp.lines.get(due=eleonore)
    assert late_line.state == LineState.MATCHED
    late = FeePayment.objects.get(dossier=dossier)
    assert late.status == PaymentStatus.CONFIRMED and late.booked_on == last_day + dt.timedelta(days=1)
    assert fee_booked_in_time(late) is False
    assert fee_booked_in_time(FeePayment.objects.get(dossier=in_time.dossier)) is True
    client.force_login(finance)
    page = client.get(reverse("statement_detail", args=[imp.pk])).content.decode()
    row = page.split(f'id="line-{late_line.pk}"')[1].split("</tr>")[0]
    assert "Réglé en retard" in row or "Booked late" in row
    other_row = page.split(f'id="line-{imp.lines.get(due=in_time).pk}"')[1].split("</tr>")[0]
    assert "retard" not in other_row and "late" not in other_row


@pytest.mark.parametrize("fmt", FORMATS)
def test_R2_10_legacy_fee_reference_and_already_paid(fmt: str, eleonore: Due) -> None:
    legacy = eleonore.dossier.payment_reference  # "DUPONT-LEVEQUE MS CSE 000123"
    data = statement(
        fmt,
        [
            (TODAY, FEE, legacy),
            (TODAY + dt.timedelta(days=1), FEE, f"ENCORE {eleonore.reference}"),
        ],
    )
    imp = run_import(eleonore, data)
    states = dict(imp.lines.values_list("booked_on", "state"))
    assert states == {TODAY: LineState.MATCHED, TODAY + dt.timedelta(days=1): LineState.ALREADY_PAID}
    # Paid twice: the second is not recorded, it waits in triage (R2.11: never refunded is the fee
    # itself; money sent twice is finance's to send back).
    assert ledger.balance(eleonore) == Decimal("0.00")
    assert LedgerLine.objects.filter(due=eleonore, kind="payment").count() == 1


def test_progress_counters_are_written_while_the_import_runs(eleonore: Due, monkeypatch: Any) -> None:
    """The page polls `done`: it moves every PROGRESS_EVERY lines, not only at the end."""
    from billing.services import statements as svc

    seen: list[tuple[str, int, int]] = []
    real = svc.line_match

    def spy(*, line: BankLine, matcher: Any) -> BankLine:
        imp = StatementImport.objects.get(pk=line.statement_id)
        seen.append((imp.status, imp.total, imp.done))
        return real(line=line, matcher=matcher)

    monkeypatch.setattr(svc, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(svc, "line_match", spy)
    entries = [(TODAY, Decimal(f"{i}.00"), f"INCONNU {i}") for i in range(1, 7)]
    imp = run_import(eleonore, statement("camt053", entries))
    assert seen == [("running", 6, d) for d in (0, 0, 2, 2, 4, 4)]
    assert (imp.status, imp.done, imp.created) == ("done", 6, 6)


def test_R2_10_csv_statement_reads_through_the_bank_mapping(eleonore: Due) -> None:
    from billing.models import CsvMapping

    institution = eleonore.dossier.offering.session.institution
    data = (
        "Date;Libellé;Donneur d'ordre;Montant;Référence\r\n"
        f"{TODAY:%d/%m/%Y};ELEONORE DUPONT LEVEQUE MS CSE;Éléonore Dupont-Lévêque;60,00;R-1\r\n"
    ).encode()
    with pytest.raises(DomainError, match="mapping|correspondance"):
        statement_upload(
            institution=institution, by=None, fileobj=io.BytesIO(data), name="r.csv", size=len(data)
        )
    mapping = CsvMapping.objects.create(
        institution=institution,
        name="Banque test",
        booked_on_column="Date",
        amount_column="Montant",
        payer_column="Donneur d'ordre",
        remittance_columns="Libellé",
        reference_column="Référence",
    )
    imp = statement_upload(
        institution=institution,
        by=None,
        fileobj=io.BytesIO(data),
        name="r.csv",
        size=len(data),
        mapping=mapping,
        enqueue=False,
    )
    imp = statement_process(import_id=imp.pk)
    assert (imp.format, imp.status) == ("csv", "done")
    assert (only_line(imp).state, only_line(imp).due_id) == (LineState.MATCHED, eleonore.pk)


def test_failed_parse_ends_failed_with_the_message(eleonore: Due) -> None:
    data = writers.camt053([(TODAY, FEE, "X")]).replace(b"<Amt", b"<Amt BROKEN", 1)
    imp = run_import(eleonore, data)
    assert imp.status == ImportStatus.FAILED and imp.error
    assert statement_process(import_id=imp.pk).status == ImportStatus.FAILED  # twice: unchanged


def test_upload_refuses_what_is_not_a_statement(eleonore: Due, settings: Any) -> None:
    institution = eleonore.dossier.offering.session.institution
    with pytest.raises(DomainError):
        statement_upload(
            institution=institution, by=None, fileobj=io.BytesIO(b"%PDF-1.4"), name="x.pdf", size=8
        )
    settings.UPLOAD_MAX_BYTES = 10
    data = statement("cfonb120", [(TODAY, FEE, "X")])
    with pytest.raises(DomainError):
        statement_upload(institution=institution, by=None, fileobj=io.BytesIO(data), name="r", size=len(data))
    assert not StatementImport.objects.exists()


# ---- the command -------------------------------------------------------------------------------


def test_import_bank_statement_command(eleonore: Due, tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "releve.xml"
    path.write_bytes(
        writers.camt053([(TODAY, FEE, f"FRAIS {eleonore.reference}"), (TODAY, Decimal("5.00"), "INCONNU")])
    )
    institution = eleonore.dossier.offering.session.institution
    call_command("import_bank_statement", str(path), "--institution", str(institution.pk))
    out = capsys.readouterr().out
    assert "2 lines, 2 new, 0 already imported" in out
    assert "matched" in out and "unmatched" in out
    call_command("import_bank_statement", str(path), "--institution", str(institution.pk))
    assert "2 lines, 0 new, 2 already imported" in capsys.readouterr().out
    assert ledger.balance(eleonore) == Decimal("0.00")


# ---- screens -----------------------------------------------------------------------------------


def test_upload_screen_imports_and_shows_progress_then_lines(
    eleonore: Due, client: Any, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(finance)
    assert client.get(reverse("statements")).status_code == 200
    data = statement("cfonb120", [(TODAY, FEE, f"FRAIS {eleonore.reference}")])
    upload = io.BytesIO(data)
    upload.name = "releve.txt"
    institution = eleonore.dossier.offering.session.institution
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("statements"), {"file": upload, "mapping": "", "institution": institution.pk}
        )
    imp = StatementImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("statement_detail", args=[imp.pk])
    assert imp.status == ImportStatus.DONE and imp.uploaded_by == finance  # the task ran after commit
    assert (imp.file.name or "").startswith("statements/")
    page = client.get(reverse("statement_detail", args=[imp.pk])).content.decode()
    assert "hx-trigger" not in page and f'id="line-{only_line(imp).pk}"' in page
    listing = client.get(reverse("statements")).content.decode()
    assert "releve.txt" in listing
    # While it runs, the page polls itself and shows how far it is.
    StatementImport.objects.filter(pk=imp.pk).update(status="running", total=200, done=50)
    page = client.get(reverse("statement_detail", args=[imp.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="25"' in page


def test_upload_screen_refuses_a_pdf_with_a_message(client: Any, finance: User, catalog: Any) -> None:
    client.force_login(finance)
    upload = io.BytesIO(b"%PDF-1.4 not a statement")
    upload.name = "releve.pdf"
    response = client.post(reverse("statements"), {"file": upload, "institution": catalog.institution.pk})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not StatementImport.objects.exists()


def test_triage_actions_are_audited(
    eleonore: Due, open_session: AdmissionSession, client: Any, finance: User
) -> None:
    other = fee_of(open_session, "hugo@example.org", first="Hugo", last="Dupont-Lévêque")
    third = fee_of(open_session, "paul@example.org", first="Paul", last="Martin", code="BE+")
    imp = run_import(
        eleonore,
        statement(
            "camt053",
            [
                (TODAY, FEE, "ELEONORE DUPONT LEVEQUE MS CSE"),
                (TODAY, FEE, "VIREMENT PAUL"),
                (TODAY, Decimal("7.00"), "ERREUR"),
                (TODAY, Decimal("8.00"), "A VOIR"),
            ],
        ),
    )
    proposed = imp.lines.get(state=LineState.PROPOSED)
    unknown = imp.lines.get(remittance__contains="PAUL")
    wrong = imp.lines.get(amount=Decimal("7.00"))
    noted = imp.lines.get(amount=Decimal("8.00"))
    client.force_login(finance)
    page = client.get(reverse("triage"))
    assert page.status_code == 200 and page.content.decode().count('id="line-') == 4
    action = lambda line, **data: client.post(reverse("bank_line_action", args=[line.pk]), data)  # noqa: E731
    # Accept the proposal: recorded, matched.
    assert action(proposed, action="accept").status_code == 302
    proposed.refresh_from_db()
    assert proposed.state == LineState.MATCHED and proposed.due_id in {eleonore.pk, other.pk}
    # Assign after a search by name.
    found = client.get(reverse("triage"), {"line": unknown.pk, "find": "martin"}).content.decode()
    assert references.display(third.reference) in found
    action(unknown, action="assign", due=third.pk, comment="Paul Martin, BE+")
    unknown.refresh_from_db()
    assert (unknown.state, unknown.due_id) == (LineState.ASSIGNED, third.pk)
    assert ledger.balance(third) == Decimal("0.00")
    # Discard needs a comment; the refusal says so and changes nothing.
    response = client.post(reverse("bank_line_action", args=[wrong.pk]), {"action": "discard"}, follow=True)
    assert "Indiquez pourquoi" in response.content.decode() or "Say why" in response.content.decode()
    wrong.refresh_from_db()
    assert wrong.state == LineState.UNMATCHED
    action(wrong, action="discard", comment="Erreur de la banque")
    wrong.refresh_from_db()
    assert wrong.state == LineState.DISCARDED and "Erreur de la banque" in wrong.comment
    action(noted, action="comment", comment="Demandé à la banque")
    noted.refresh_from_db()
    assert noted.state == LineState.UNMATCHED and "Demandé à la banque" in noted.comment
    for name in ("bank_line.accept", "bank_line.assign", "bank_line.discard", "bank_line.comment"):
        event = AuditEvent.objects.get(action=name)
        assert event.actor == finance and name in ACTION_LABELS
    # Invalid moves are refused: a recorded line cannot be discarded or accepted again.
    with pytest.raises(DomainError):
        line_discard(line=proposed, by=finance, comment="non")
    with pytest.raises(DomainError):
        line_accept(line=unknown, by=finance)
    with pytest.raises(DomainError):
        line_comment(line=noted, by=finance, comment="  ")
    with pytest.raises(DomainError):
        line_assign(
            line=imp.lines.create(
                institution=imp.institution, dedup_key="debit", booked_on=TODAY, amount=Decimal("-1")
            ),
            due=eleonore,
            by=finance,
        )


@pytest.mark.parametrize("who", ["candidate", "director_be", "jury", "office", "other_candidate"])
def test_R2_10_statement_pages_are_404_for_everyone_but_finance(
    who: str, request: Any, client: Any, eleonore: Due
) -> None:
    imp = run_import(eleonore, statement("cfonb120", [(TODAY, Decimal("3.00"), "INCONNU")]))
    line = only_line(imp)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("statements")).status_code == 404
    assert client.post(reverse("statements"), {}).status_code == 404
    assert client.get(reverse("statement_detail", args=[imp.pk])).status_code == 404
    assert client.get(reverse("triage")).status_code == 404
    response = client.post(reverse("bank_line_action", args=[line.pk]), {"action": "comment", "comment": "x"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="bank_line.comment").exists()


def test_statement_pages_need_a_login(client: Any, eleonore: Due) -> None:
    imp = run_import(eleonore, statement("cfonb120", [(TODAY, Decimal("3.00"), "INCONNU")]))
    for url in (reverse("statements"), reverse("statement_detail", args=[imp.pk]), reverse("triage")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_finance_of_another_institution_gets_404(client: Any, eleonore: Due) -> None:
    from catalog.models import Institution

    elsewhere = Institution.objects.create(name="Autre école", short_name="AE")
    imp = run_import(eleonore, statement("cfonb120", [(TODAY, Decimal("3.00"), "INCONNU")]))
    user = make_user("finance.ae@example.org", group="Finance")
    user.institution = elsewhere
    user.save()
    client.force_login(user)
    assert client.get(reverse("statement_detail", args=[imp.pk])).status_code == 404
    assert (
        client.post(reverse("bank_line_action", args=[only_line(imp).pk]), {"action": "comment"}).status_code
        == 404
    )
    assert "INCONNU" not in client.get(reverse("triage")).content.decode()


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lists_run_a_constant_number_of_queries(
    eleonore: Due, open_session: AdmissionSession, client: Any, finance: User
) -> None:
    client.force_login(finance)

    def load(n: int, start: int) -> StatementImport:
        dues = [
            fee_of(open_session, f"p{start + i}@example.org", first="Jo", last=f"Nom{chr(65 + start + i)}")
            for i in range(n)
        ]
        entries = [(TODAY, FEE, f"FRAIS {d.reference}") for d in dues]
        entries += [(TODAY, Decimal(f"{start + i}.01"), f"INCONNU {start + i}") for i in range(n)]
        entries += [(TODAY, Decimal("10.00"), f"FRAIS {d.reference}") for d in dues]  # already paid
        return run_import(open_session, statement("camt053", entries), name=f"r{start}")

    small = load(1, 0)
    counts = (_queries(client, reverse("triage")), _queries(client, reverse("statements")))
    detail = _queries(client, reverse("statement_detail", args=[small.pk]))
    big = load(4, 5)
    assert (_queries(client, reverse("triage")), _queries(client, reverse("statements"))) == counts
    assert _queries(client, reverse("statement_detail", args=[big.pk])) == detail


def test_I3_manual_fee_confirmation_still_works(ready: Dossier, client: Any, finance: User) -> None:
    payment = FeePayment.objects.get(dossier=ready)
    client.force_login(finance)
    page = client.get(reverse("fee_payments"))
    assert page.status_code == 200 and payment.reference in page.content.decode()
    response = client.post(
        reverse("fee_payment_confirm", args=[payment.pk]), {"booked_on": str(payment.paid_on)}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.booked_on == payment.paid_on


def test_R2_11_a_matched_fee_stays_paid_when_the_same_transfer_comes_again(eleonore: Due) -> None:
    """R2.11: nothing in the import refunds the fee; a second transfer is not turned into a refund."""
    run_import(eleonore, statement("camt053", [(TODAY, FEE, eleonore.reference)]), name="a")
    run_import(eleonore, statement("camt053", [(TODAY, FEE, f"BIS {eleonore.reference}")]), name="b")
    assert not LedgerLine.objects.filter(kind__in=["refund", "return"]).exists()
    assert FeePayment.objects.get(dossier=eleonore.dossier).status == PaymentStatus.CONFIRMED


@pytest.mark.browser
def test_statement_pages_fit_a_phone_and_pass_axe(
    browser: Any, live_server: Any, transactional_db: Any, open_session: AdmissionSession, finance: User
) -> None:
    """The upload, an import's lines and the triage queue (with a due search open), 390 and 1366 px
    wide, in French and English, with axe-core (the walk of tests/test_walk.py)."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.test_walk import walk

    due = fee_of(open_session, "eleonore@example.org", first="Éléonore", last="Dupont-Lévêque")
    fee_of(open_session, "hugo@example.org", first="Hugo", last="Dupont-Lévêque")
    imp = run_import(
        due,
        statement(
            "cfonb120",
            [
                (TODAY, FEE, "ELEONORE DUPONT LEVEQUE MS CSE"),
                (
                    TODAY,
                    Decimal("1234.56"),
                    "VIREMENT D'UN PAYEUR INCONNU AVEC UN TRES LONG LIBELLE SANS ESPACES",
                ),
                (TODAY, Decimal("-3.00"), "FRAIS"),
            ],
        ),
    )
    line = imp.lines.get(amount=Decimal("1234.56"))
    urls = [
        reverse("statements"),
        reverse("statement_detail", args=[imp.pk]),
        reverse("triage"),
        f"{reverse('triage')}?line={line.pk}&find=dupont",
    ]
    problems = list(walk(browser, live_server.url, "finance", finance, urls, Axe()))
    assert not problems, "\n" + "\n".join(map(str, problems))


class _Rollback(Exception):
    pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.decimals(min_value="0.01", max_value="90.00", places=2), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
)
def test_I14_balance_is_the_sum_of_its_lines_whatever_the_order_of_imports(
    eleonore: Due, amounts: list[Decimal], seed: int
) -> None:
    """Transfers quoting the reference, each in its own statement (CFONB 120 or camt.053), imported in
    any order and some twice: the balance is exactly the sum of the ledger lines, every line imported
    once, and what was recorded is exactly what the balance says was paid."""
    try:
        with transaction.atomic():  # each example starts from the same database
            files = [
                statement(
                    FORMATS[i % 2], [(TODAY + dt.timedelta(days=i), amount, f"FRAIS {eleonore.reference}")]
                )
                for i, amount in enumerate(amounts)
            ]
            rng = random.Random(seed)
            order = files + rng.sample(files, k=min(2, len(files)))
            rng.shuffle(order)
            for n, data in enumerate(order):
                run_import(eleonore, data, name=f"r{n}")
            lines = BankLine.objects.filter(due=eleonore)
            assert BankLine.objects.count() == len(files) == lines.count()
            recorded = sum(
                (-ln.amount for ln in LedgerLine.objects.filter(due=eleonore, kind="payment")), Decimal(0)
            )
            assert ledger.balance(eleonore) == sum(
                (ln.amount for ln in LedgerLine.objects.filter(due=eleonore)), Decimal(0)
            )
            assert ledger.balance(eleonore) == FEE - recorded
            paid_lines = lines.exclude(state=LineState.ALREADY_PAID)
            assert recorded == sum((ln.amount for ln in paid_lines), Decimal(0))
            # Once nothing is left to pay, nothing more is recorded: the fee is never overpaid by more
            # than the transfer that settled it.
            assert ledger.balance(eleonore) > -max(amounts)
            raise _Rollback
    except _Rollback:
        pass


def test_I14_a_line_assigned_by_hand_to_a_paid_due_is_recorded_as_excess(
    eleonore: Due, finance: User
) -> None:
    """Money the bank received is never left out of the ledger: assigned by hand to a due already
    paid, it is recorded and stands as excess, for the refund review."""
    data = statement("cfonb120", [(TODAY, FEE, eleonore.reference), (TODAY, Decimal("45.00"), "DONATION")])
    imp = run_import(eleonore, data)
    stray = imp.lines.get(amount=Decimal("45.00"))
    assert stray.state == LineState.UNMATCHED
    line_assign(line=stray, due=eleonore, by=finance, comment="Second payment of the same candidate")
    stray.refresh_from_db()
    assert stray.state == LineState.EXCESS and stray.due_id == eleonore.pk
    assert ledger.balance(eleonore) == Decimal("-45.00")
    assert LedgerLine.objects.filter(bank_line=stray, kind="payment").count() == 1
