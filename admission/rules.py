"""Admission rules that need no database: routing to a sitting (I4, R2.7) and calendar invitations."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SittingSlot:
    id: int
    sits_on: dt.date
    cutoff: dt.date
    for_international: bool
    is_open: bool


def next_sitting(sittings: Sequence[SittingSlot], *, international: bool, today: dt.date) -> int | None:
    """I4: the next open sitting whose cut-off (a Paris day, inclusive) has not passed.
    R2.7: an international dossier goes to the international (March) sitting while it can."""
    candidates = sorted(
        (s for s in sittings if s.is_open and today <= s.cutoff), key=lambda s: (s.sits_on, s.id)
    )
    if international:
        for s in candidates:
            if s.for_international:
                return s.id
    return candidates[0].id if candidates else None


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    # RFC 5545: lines longer than 75 octets are folded.
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 74:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    out.append(current)
    return "\r\n".join(out)


def ics_invitation(
    *,
    uid: str,
    starts_at: dt.datetime,
    minutes: int,
    summary: str,
    description: str,
    location: str,
    organizer_email: str,
    attendee_email: str,
    stamp: dt.datetime,
) -> str:
    """An iCalendar REQUEST with times in UTC (unambiguous whatever the reader's zone)."""
    if starts_at.tzinfo is None or stamp.tzinfo is None:
        raise ValueError("naive datetime")
    fmt = "%Y%m%dT%H%M%SZ"
    start = starts_at.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cursus//Admissions//FR",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp.astimezone(dt.UTC).strftime(fmt)}",
        f"DTSTART:{start.strftime(fmt)}",
        f"DTEND:{end.strftime(fmt)}",
        f"SUMMARY:{_ics_escape(summary)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"LOCATION:{_ics_escape(location)}",
        f"ORGANIZER:mailto:{organizer_email}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{attendee_email}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
