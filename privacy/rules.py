"""Retention arithmetic (issue 6 item 7). Pure functions over dates, no database."""

import datetime as dt

from catalog import rules as deadlines


def campaign_end(closes_on: dt.date, last_sitting_on: dt.date | None) -> dt.date:
    """A session's campaign ends on its application deadline, or on its last jury sitting if later."""
    if last_sitting_on is not None and last_sitting_on > closes_on:
        return last_sitting_on
    return closes_on


def last_day_kept(end_of_campaign: dt.date, retention_days: int) -> dt.date:
    """The last day (Paris time) on which the files of a candidate not admitted are still kept."""
    return end_of_campaign + dt.timedelta(days=retention_days)


def is_expired(end_of_campaign: dt.date, retention_days: int, at: dt.datetime) -> bool:
    """Expired from 00:00:00 Paris on the day after the last day kept (the I1 reading of a date)."""
    return deadlines.is_late(last_day_kept(end_of_campaign, retention_days), at)
