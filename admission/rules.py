"""Admission rules that need no database: routing to a sitting (I4, R2.7) and calendar invitations."""

import datetime as dt
import re
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


# RFC 5545 3.3.11: TEXT holds no control character but HTAB; a line break is the escape `\n`. A CR or
# LF left raw would end the property and let the text write its own (ATTENDEE, END:VEVENT...). The
# Unicode line breaks go too: some readers split on them.
_ICS_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_ICS_NEWLINES = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")
FOLD_OCTETS = 75


def ics_text(text: str, *, multiline: bool = False) -> str:
    """A TEXT value: line breaks become `\\n` (multiline) or a space, other controls go, then
    backslash, `;` and `,` are escaped."""
    text = _ICS_NEWLINES.sub("\n" if multiline else " ", text).replace("\t", " ")
    lines = [_ICS_CONTROL.sub("", line) for line in text.split("\n")]
    escaped = [line.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,") for line in lines]
    return "\\n".join(escaped)


def ics_uri(value: str) -> str:
    """A URI value (mailto:, UID): not escaped by the RFC, but never a control character or a space."""
    return _ICS_CONTROL.sub("", value).replace("\t", "").replace(" ", "")


def ics_fold(line: str) -> str:
    """RFC 5545 3.1: at most 75 octets a line (CRLF excluded), continued after CRLF + one space; a
    UTF-8 character is never cut."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode())
        if size + width > FOLD_OCTETS:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
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
    """An iCalendar REQUEST with times in UTC (unambiguous whatever the reader's zone); every value
    escaped or cleaned so that no input adds a line (issue 6 item 5)."""
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
        f"UID:{ics_uri(uid)}",
        f"DTSTAMP:{stamp.astimezone(dt.UTC).strftime(fmt)}",
        f"DTSTART:{start.strftime(fmt)}",
        f"DTEND:{end.strftime(fmt)}",
        f"SUMMARY:{ics_text(summary)}",
        f"DESCRIPTION:{ics_text(description, multiline=True)}",
        f"LOCATION:{ics_text(location)}",
        f"ORGANIZER:mailto:{ics_uri(organizer_email)}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{ics_uri(attendee_email)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(ics_fold(line) for line in lines) + "\r\n"
