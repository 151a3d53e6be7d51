"""Registration rules that need no database: the 15 days (R2.6, I7), its reminders, the three
instalments (I10). Pure functions over plain values."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from catalog.rules import PARIS, end_of_day

WINDOW_DAYS = 15
REMINDER_DAYS = (5, 1)  # I7: reminders 5 days and 1 day before the end
INSTALMENTS = 3
CENT = Decimal("0.01")


def window_end(sent_at: dt.datetime) -> dt.datetime:
    """I7: 23:59:59 Paris time on the date 15 days after the Paris date of the sending.
    Sent 20 March 2025 at 18:00 → 4 April 2025 23:59:59 (summer time by then)."""
    if sent_at.tzinfo is None:
        raise ValueError("naive datetime: instants must be aware")
    sent_day = sent_at.astimezone(PARIS).date()
    return end_of_day(sent_day + dt.timedelta(days=WINDOW_DAYS))


def window_is_over(ends_at: dt.datetime, at: dt.datetime) -> bool:
    """In time up to 23:59:59.999…; over from 00:00:00 the next day (I1)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: instants must be aware")
    return at >= ends_at.replace(microsecond=0) + dt.timedelta(seconds=1)


def reminder_at(ends_at: dt.datetime, days_before: int) -> dt.datetime:
    """When the reminder `days_before` the end is due: the same Paris wall-clock time that many
    calendar days earlier (a day is not always 24 hours around a change of time)."""
    local = ends_at.astimezone(PARIS)
    day = local.date() - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, local.time(), tzinfo=PARIS)


def reminder_due(ends_at: dt.datetime, at: dt.datetime) -> int | None:
    """The reminder to send at ``at`` (5 or 1 days before), or None. Only the latest one whose time
    has come, and only while it still tells the truth: less than a day late. A 5-day reminder is not
    sent two days before the end (a short extension, a schedule stopped for days)."""
    if window_is_over(ends_at, at):
        return None
    due = [d for d in REMINDER_DAYS if at >= reminder_at(ends_at, d)]
    if not due:
        return None
    days = min(due)
    return days if at < reminder_at(ends_at, days - 1) else None


def days_left(ends_at: dt.datetime, at: dt.datetime) -> int:
    """Whole Paris days left after today: 0 on the last day, -1 once over."""
    if window_is_over(ends_at, at):
        return -1
    return (ends_at.astimezone(PARIS).date() - timezone.localtime(at, PARIS).date()).days


def instalments(total: Decimal, parts: int = INSTALMENTS) -> list[Decimal]:
    """I10: equal instalments to the cent; the cents that remain go on the last one."""
    if not isinstance(total, Decimal):
        raise TypeError("amounts are Decimal (I14)")
    if total < 0:
        raise ValueError("negative amount")
    cents = int((total / CENT).to_integral_value(rounding=ROUND_DOWN))
    if Decimal(cents) * CENT != total:
        raise ValueError("an amount in whole cents is expected")
    base = cents // parts
    amounts = [Decimal(base) * CENT for _ in range(parts)]
    amounts[-1] = Decimal(cents - base * (parts - 1)) * CENT
    return [a.quantize(CENT) for a in amounts]
