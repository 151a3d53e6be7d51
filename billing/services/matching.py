"""Matching a bank credit to an amount due (issue 9 item 4; R2.10, I3, I14).

The decision is a pure function over plain values (`decide`), tested without the database; `Matcher`
loads the facts of an institution's dues once per statement and `line_match` applies a decision.

- A structured reference (`billing.references`) found anywhere in the payer, remittance or entry text
  names its due; so does the legacy fee reference "SURNAME MS CODE 000123" (the dossier number after
  `MS <CODE>`).
- Otherwise a transfer quoting surname and program (accents, case, hyphens and spacing ignored) matches
  by itself only when exactly one open due so quoted is left to pay for exactly the amount; when
  several are, or the amount fits none, the likeliest is proposed for one click.
- Against the due's balance: exact → matched; less → partial (the payer is told what remains); more →
  excess (paid, flagged for refund review); nothing left to pay → already paid (nothing recorded).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from applications.rules import ascii_fold
from audit.services import audit_record
from billing.models import BankLine, Due, DueKind, LineState
from billing.references import find_references

ZERO = Decimal("0.00")


# ---- pure part ---------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """ "Éléonore Dupont-Lévêque" → "ELEONORE DUPONT LEVEQUE": ASCII upper-case words; `+` is kept
    (program codes such as BE+)."""
    return " ".join(re.findall(r"[A-Z0-9+]+", ascii_fold(text).upper()))


_EDGE_BEFORE = r"(?<![A-Z0-9])"
_EDGE_AFTER = r"(?![A-Z0-9])"
_LEGACY = re.compile(_EDGE_BEFORE + r"MS ?([A-Z0-9]+\+?) ?(\d{1,9})" + r"(?![0-9])")


def code_key(code: str) -> str:
    """A program code as compared: "BE+" and "BE" are the same (banks drop the `+`)."""
    return normalise(code).replace("+", "").replace(" ", "")


def legacy_references(text: str, *, normalised: bool = False) -> list[tuple[str, int]]:
    """(program code key, dossier number) of each "SURNAME MS CODE 000123" in ``text``."""
    plain = text if normalised else normalise(text)
    return [(code_key(code), int(number)) for code, number in _LEGACY.findall(plain)]


def _words_pattern(words: str) -> re.Pattern[str]:
    # Spacing and hyphens ignored: "DUPONT LEVEQUE", "DUPONT-LEVEQUE" and "DUPONTLEVEQUE" match;
    # "MARTINEZ" does not match "MARTIN" (word edges).
    tokens = normalise(words).replace("+", " ").split()
    return re.compile(_EDGE_BEFORE + r" ?".join(re.escape(t) for t in tokens) + _EDGE_AFTER)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def quotes(text: str, words: str) -> bool:
    """Does ``text`` (already `normalise`d) quote ``words`` (a surname, a program code)?"""
    if not normalise(words).replace("+", "").strip():
        return False
    pattern = _PATTERNS.get(words)
    if pattern is None:
        pattern = _PATTERNS[words] = _words_pattern(words)
    return pattern.search(text) is not None


@dataclass(frozen=True)
class DueFacts:
    """What matching needs to know of a due, as plain values."""

    pk: int
    reference: str
    dossier_id: int
    kind: str
    program_code: str
    surname: str
    balance: Decimal
    cancelled: bool = False


@dataclass(frozen=True)
class Decision:
    state: str  # a LineState value
    due_id: int | None = None  # the due the line pays (matched, partial, excess, already paid)
    proposed_due_id: int | None = None  # the due offered for one click (proposed)
    by: str = ""  # "reference" | "name" | ""


def payment_state(amount: Decimal, balance: Decimal) -> str:
    """A credit of ``amount`` against what is left to pay on a due."""
    if balance <= ZERO:
        return LineState.ALREADY_PAID
    if amount == balance:
        return LineState.MATCHED
    return LineState.PARTIAL if amount < balance else LineState.EXCESS


def decide(*, amount: Decimal, by_reference: Sequence[DueFacts], by_name: Sequence[DueFacts]) -> Decision:
    """Which due a bank line pays, and whether that is certain enough to record it unasked."""
    if amount <= ZERO:  # a debit pays nothing
        return Decision(LineState.UNMATCHED)
    if by_reference:
        if len({f.pk for f in by_reference}) == 1:
            due = by_reference[0]
            return Decision(payment_state(amount, due.balance), due_id=due.pk, by="reference")
        # Several references in one transfer: finance splits it, the first open one is offered.
        open_ = [f for f in by_reference if f.balance > ZERO] or list(by_reference)
        return Decision(LineState.PROPOSED, proposed_due_id=open_[0].pk, by="reference")
    candidates = [f for f in by_name if not f.cancelled]
    open_ = [f for f in candidates if f.balance > ZERO]
    # "Fits": quoted by surname and program, and what is left to pay is exactly the amount (the fee
    # of a person whose instalments are open too still matches by itself).
    exact = [f for f in open_ if f.balance == amount]
    if len(exact) == 1:
        return Decision(LineState.MATCHED, due_id=exact[0].pk, by="name")
    if open_:
        return Decision(LineState.PROPOSED, proposed_due_id=(exact or open_)[0].pk, by="name")
    if len(candidates) == 1:  # the only due quoted is paid already: money to give back or reassign
        return Decision(LineState.ALREADY_PAID, due_id=candidates[0].pk, by="name")
    return Decision(LineState.UNMATCHED)


def line_text(line: Any) -> str:
    return "\n".join(x for x in (line.payer, line.remittance, line.entry_reference) if x)


# ---- the database side -------------------------------------------------------------------------


class Matcher:
    """The dues of one institution, loaded once for a whole statement (a statement of 10,000 lines
    must not run 10,000 searches), kept up to date as payments are recorded."""

    def __init__(self, facts: Sequence[DueFacts]) -> None:
        self.by_pk = {f.pk: f for f in facts}
        self.by_reference = {f.reference: f.pk for f in facts}
        self.fee_by_dossier = {f.dossier_id: f.pk for f in facts if f.kind == DueKind.APPLICATION_FEE}
        self.by_code: dict[str, list[int]] = {}
        for f in facts:
            self.by_code.setdefault(code_key(f.program_code), []).append(f.pk)

    @classmethod
    def for_institution(cls, institution_id: int) -> "Matcher":
        rows = (
            Due.objects.filter(dossier__offering__session__institution_id=institution_id)
            .annotate(left=Coalesce(Sum("lines__amount"), ZERO))
            .values_list(
                "pk",
                "reference",
                "dossier_id",
                "kind",
                "dossier__offering__program__code",
                "dossier__last_name",
                "dossier__candidate__last_name",
                "left",
                "cancelled_at",
            )
        )
        facts = [
            DueFacts(
                pk=pk,
                reference=ref,
                dossier_id=dossier_id,
                kind=kind,
                program_code=code,
                surname=surname or account_surname or "",
                balance=Decimal(left).quantize(Decimal("0.01")),
                cancelled=cancelled is not None,
            )
            for pk, ref, dossier_id, kind, code, surname, account_surname, left, cancelled in rows
        ]
        return cls(facts)

    def candidates(self, text: str) -> tuple[list[DueFacts], list[DueFacts]]:
        """(dues named by a reference, dues whose surname and program the text quotes)."""
        by_reference = [
            self.by_pk[self.by_reference[r]] for r in find_references(text) if r in self.by_reference
        ]
        plain = normalise(text)
        for code, number in legacy_references(plain, normalised=True):
            pk = self.fee_by_dossier.get(number)
            if pk is not None and code_key(self.by_pk[pk].program_code) == code:
                by_reference.append(self.by_pk[pk])
        if by_reference:
            return by_reference, []
        by_name = [
            self.by_pk[pk]
            for code, pks in self.by_code.items()
            if code and quotes(plain, code)
            for pk in pks
            if quotes(plain, self.by_pk[pk].surname)
        ]
        return [], by_name

    def decide(self, line: BankLine) -> Decision:
        by_reference, by_name = self.candidates(line_text(line))
        return decide(amount=line.amount, by_reference=by_reference, by_name=by_name)

    def paid(self, due_id: int, amount: Decimal) -> None:
        facts = self.by_pk.get(due_id)
        if facts is not None:
            self.by_pk[due_id] = replace(facts, balance=facts.balance - amount)


def line_match(*, line: BankLine, matcher: Matcher) -> BankLine:
    """Match a new bank line: record the payment when certain, else propose or leave for triage."""
    # Issue 9 item 5: Flywire's payout carries payments recorded at `guaranteed`; it is reconciled
    # with them and never matched as a transfer (that would count the money twice).
    from billing.services.flywire import payout_reconcile

    payout = payout_reconcile(line=line)
    if payout is not None:
        return payout
    decision = matcher.decide(line)
    if decision.state == LineState.UNMATCHED:
        return line
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        if line.state != LineState.UNMATCHED or line.due_id is not None:  # matched meanwhile
            return line
        if decision.state == LineState.PROPOSED:
            line.state = LineState.PROPOSED
            line.proposed_due_id = decision.proposed_due_id
        else:
            assert decision.due_id is not None  # every state but proposed and unmatched names its due
            due = Due.objects.get(pk=decision.due_id)
            line.state = apply_payment(line=line, due=due, by=None)
            line.due = due
            if line.state != LineState.ALREADY_PAID:
                matcher.paid(due.pk, line.amount)
        line.save(update_fields=["state", "due", "proposed_due", "updated_at"])
        audit_record(
            actor=None,
            action="bank_line.match",
            obj=line,
            from_state=LineState.UNMATCHED,
            to_state=line.state,
            data={"due": line.due_id or line.proposed_due_id, "by": decision.by},
        )
    return line


def apply_payment(*, line: BankLine, due: Due, by: Any, force: bool = False) -> str:
    """Record ``line`` as a payment on ``due`` (unless it is paid already) and say how it stands:
    matched, partial (the payer is told what remains), excess, already paid. Inside a transaction.

    ``force``: finance assigned the line by hand, so the money is recorded even on a due already paid
    (it then stands as excess, for the refund review): money the bank received is never left out."""
    from billing.services import ledger

    due = Due.objects.select_for_update().get(pk=due.pk)
    state = payment_state(line.amount, ledger.balance(due))
    if state == LineState.ALREADY_PAID:
        if not force:
            return state
        state = LineState.EXCESS
    ledger.payment_record(
        due=due, amount=line.amount, booked_on=line.booked_on, channel="transfer", by=by, bank_line=line
    )
    if state == LineState.PARTIAL:
        due_id, paid = due.pk, line.amount
        transaction.on_commit(lambda: partial_email(due_id=due_id, paid=paid))
    return state


def partial_email(*, due_id: int, paid: Decimal) -> None:
    """The payer is told what remains to pay, with the reference to quote (issue 9 item 4)."""
    from billing import references
    from billing.services import ledger
    from notifications.services import email_send

    due = Due.objects.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session__institution"
    ).get(pk=due_id)
    dossier = due.dossier
    remaining = ledger.balance(due)
    if remaining <= ZERO:
        return
    email_send(
        template="payment_partial",
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={
            "dossier": dossier,
            "program": dossier.offering.program,
            "institution": dossier.offering.session.institution,
            "due": due,
            "reference": references.display(due.reference),
            "paid": paid,
            "remaining": remaining,
        },
        related=dossier,
    )
