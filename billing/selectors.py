"""Reads of the ledger (issue 9 item 1): the finance list with its totals, one dossier's lines.

Who sees it: finance and the admissions office, each limited to its institution (``user_scope``);
everybody else (candidates, program directors, jury members) sees nothing and gets 404 on the screens.
Balances are computed by the database from the lines, never stored (I14); what a single due owes is
``billing.services.ledger.balance``.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.http import Http404

from accounts.roles import ADMISSIONS_OFFICE, FINANCE
from applications.models import Dossier
from applications.selectors import dossier_search
from billing.models import Due, DueKind, LedgerLine, LineKind
from cursus.institutions import scope_queryset, user_scope

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class _Money(DecimalField):
    """Sums of lines read back to the cent: SQLite sums decimals as floats (999.999999999999 for
    1000.00); PostgreSQL's numeric is exact already. The sums are far from a float's precision, so
    rounding to the cent gives back the exact amount (I14)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(CENT)


MONEY = _Money(max_digits=12, decimal_places=2)


class DueState:
    OPEN = "open"
    PAID = "paid"
    OVERPAID = "overpaid"
    CANCELLED = "cancelled"
    VALUES = (OPEN, PAID, OVERPAID, CANCELLED)


def may_see_ledger(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.has_perm(FINANCE) or user.has_perm(ADMISSIONS_OFFICE))
    )


def may_record_payments(user: Any) -> bool:
    """Only finance records a payment; the office reads the ledger."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(FINANCE))


def dues_visible_to(user: Any) -> QuerySet[Due]:
    if not may_see_ledger(user):
        return Due.objects.none()
    from applications.models import DossierStatus

    visible = Due.objects.all()
    if not may_record_payments(user):
        # The office never gets a row for a draft (issue 6 item 4); finance sees every amount due.
        visible = visible.exclude(dossier__status=DossierStatus.DRAFT).exclude(
            dossier__status=DossierStatus.WITHDRAWN, dossier__submitted_at__isnull=True
        )
    return scope_queryset(visible, user_scope(user))


def _sum_of_lines(*kinds: str, negate: bool = False) -> Coalesce:
    lines = LedgerLine.objects.filter(due=OuterRef("pk"))
    if kinds:
        lines = lines.filter(kind__in=kinds)
    total = Sum("amount", output_field=MONEY)
    sums = lines.order_by().values("due").annotate(s=-total if negate else total).values("s")
    return Coalesce(Subquery(sums, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _paid() -> Coalesce:
    return _sum_of_lines(LineKind.PAYMENT, LineKind.RETURN, LineKind.REFUND, negate=True)


def with_balances(qs: QuerySet[Due]) -> QuerySet[Due]:
    """Each due with ``balance`` (what is still owed, negative when paid more) and ``paid`` (paid net
    of returns and refunds), each one subquery of its lines."""
    return qs.annotate(
        balance=_sum_of_lines(),
        paid=_paid(),
    ).annotate(
        state=Case(
            When(cancelled_at__isnull=False, then=Value(DueState.CANCELLED)),
            When(balance__gt=0, then=Value(DueState.OPEN)),
            When(balance__lt=0, then=Value(DueState.OVERPAID)),
            default=Value(DueState.PAID),
        )
    )


_SEPARATORS = re.compile(r"[\s\-_.]+")


def _search(q: str) -> Q:
    q = q.strip()
    if not q:
        return Q()
    found = dossier_search(q, prefix="dossier__")
    compact = _SEPARATORS.sub("", q).upper()
    if len(compact) >= 4 and compact.isalnum():
        found |= Q(reference__contains=compact)
    return found


def _as_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@dataclass
class LedgerTotals:
    due: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    count: int = 0


def ledger_rows(
    user: Any,
    *,
    q: str = "",
    kind: str = "",
    state: str = "",
    program: str = "",
    session: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[QuerySet[Due], LedgerTotals]:
    """The dues finance (or the office) may see, filtered, each with its balance, newest due date
    first; and the totals of the whole filtered list in one aggregate."""
    qs = dues_visible_to(user)
    if kind:
        qs = qs.filter(kind=kind) if kind in DueKind.values else qs.none()
    if program:
        pk = _as_int(program)
        qs = qs.filter(dossier__offering__program_id=pk) if pk is not None else qs.none()
    if session:
        pk = _as_int(session)
        qs = qs.filter(dossier__offering__session_id=pk) if pk is not None else qs.none()
    if date_from is not None:
        qs = qs.filter(due_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(due_on__lte=date_to)
    qs = qs.filter(_search(q))
    qs = with_balances(qs)
    if state:
        qs = qs.filter(Q(state=state)) if state in DueState.VALUES else qs.none()
    # One statement, every sum written out in full: over annotations, Django's inner query for a
    # filtered aggregate loses some of them (SQLite then reads "paid" as a string and sums 0).
    balance = _sum_of_lines()
    totals = Due.objects.filter(pk__in=qs.values("pk")).aggregate(
        due=Sum(
            Case(When(cancelled_at__isnull=True, then=F("amount")), default=Value(ZERO)), output_field=MONEY
        ),
        paid=Sum(_paid(), output_field=MONEY),
        outstanding=Sum(
            Case(When(GreaterThan(balance, ZERO), then=balance), default=Value(ZERO)), output_field=MONEY
        ),
    )
    rows = qs.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session"
    ).order_by("-due_on", "-pk")
    return rows, LedgerTotals(
        due=_money(totals["due"]), paid=_money(totals["paid"]), outstanding=_money(totals["outstanding"])
    )


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# ---- one dossier ---------------------------------------------------------------------------------


def get_ledger_dossier(user: Any, pk: Any) -> Dossier:
    """The dossier whose ledger ``user`` may read; 404 for anybody else and for other institutions."""
    if not may_see_ledger(user):
        raise Http404
    from applications.selectors import never_submitted

    qs = scope_queryset(
        Dossier.objects.select_related("candidate", "offering__program", "offering__session__institution"),
        user_scope(user),
    )
    if not may_record_payments(user):
        # A draft is its candidate's alone (issue 6 item 4). Finance reaches a draft's money page only:
        # a fee paid by card on request comes before the submission (I3).
        qs = qs.exclude(never_submitted())
    try:
        return qs.get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class RunningLine:
    line: LedgerLine
    running: Decimal


@dataclass
class PersonLedger:
    dossier: Dossier
    dues: list[Due] = field(default_factory=list)
    lines: list[RunningLine] = field(default_factory=list)
    balance: Decimal = ZERO

    @property
    def open_dues(self) -> list[Due]:
        return [d for d in self.dues if d.cancelled_at is None and d.balance > 0]  # type: ignore[attr-defined]


def person_ledger(user: Any, dossier: Dossier) -> PersonLedger:
    """One dossier's dues with their balances, and every line in the order it happened with the
    balance after it (the exact running sum, I14). Empty for anybody who may not read the ledger."""
    if not may_see_ledger(user):
        return PersonLedger(dossier=dossier)
    scope = user_scope(user)
    dues_qs = scope_queryset(Due.objects.filter(dossier=dossier), scope)
    dues = list(with_balances(dues_qs).order_by("due_on", "pk"))
    lines = (
        LedgerLine.objects.filter(due__in=dues_qs)
        .select_related("due", "recorded_by", "bank_line")
        .order_by("occurred_on", "created_at", "pk")
    )
    running, out = ZERO, []
    for line in lines:
        running += line.amount
        out.append(RunningLine(line=line, running=running))
    return PersonLedger(dossier=dossier, dues=dues, lines=out, balance=running)


def lines_to_sort(user: Any) -> int:
    """Bank credits waiting for finance: a proposal to accept or nothing matched (the nav's count)."""
    from accounts.roles import FINANCE
    from billing.models import BankLine

    if not user.has_perm(FINANCE):
        return 0
    qs = BankLine.objects.filter(state__in=TO_SORT)
    return scope_queryset(qs, user_scope(user)).count()


# What waits for a decision of finance: the triage queue's default view and the nav's count. Partial
# and excess lines are recorded already; they stay reachable through the queue's state filter.
TO_SORT = ("proposed", "unmatched", "already_paid")
