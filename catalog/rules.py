"""Deadline arithmetic in Paris time (I1). Pure functions, no database."""

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00:00 Paris on ``day``: when a window opens."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=PARIS)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 Paris on ``day``: what "midnight" on a date means (I1)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=PARIS)


def is_late(deadline: dt.date, at: dt.datetime) -> bool:
    """Late once the next day has begun in Paris; 23:59:59.999 is still in time (I1)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: instants must be aware")
    return at >= start_of_day(deadline + dt.timedelta(days=1))


def window_is_open(opens_on: dt.date, closes_on: dt.date, at: dt.datetime) -> bool:
    if at.tzinfo is None:
        raise ValueError("naive datetime: instants must be aware")
    return start_of_day(opens_on) <= at and not is_late(closes_on, at)


def time_left(deadline: dt.date, at: dt.datetime) -> dt.timedelta:
    """Time until the deadline passes; zero once late."""
    left = start_of_day(deadline + dt.timedelta(days=1)) - at
    return max(left, dt.timedelta(0))
