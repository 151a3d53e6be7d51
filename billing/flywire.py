"""Flywire payment status notifications (issue 9 item 5; R2.10, I3): the pure part, no database.

What Flywire sends, from its developer documentation:

- "Notifications from Flywire to you"
  (https://developers.flywire.com/education/Content/notifications-from-flywire.htm): every callback
  carries ``X-Flywire-Digest``, the Base64 of the HMAC-SHA256 of the *raw* HTTP body keyed with the
  shared secret given at registration; the receiver must answer 2xx quickly, any other answer counts as
  not delivered and is retried (3 minutes, 30 minutes, 3 hours: notifications v2,
  https://solutions.flywire.com/en/webhooks/notifications-v2).
- "Payment Status Notifications"
  (https://developers.flywire.com/education/Content/notifications-payment-status.htm): a payment goes
  ``initiated`` → ``processed`` (funds received or captured) → ``guaranteed`` (funds validated: "you are
  guaranteed that Flywire will send you the funds") → ``delivered`` (sent in the daily disbursement; the
  end stage), or ends ``cancelled`` / ``failed``; ``reversed`` is a direct-debit refund after delivery.
- "Testing payment flows" (https://developers.flywire.com/education/Content/testing-payments.htm): a
  cancelled bank transfer may be re-initiated by Flywire when the funds arrive late
  (initiated > cancelled > initiated > processed > guaranteed > delivered).
- The v2 body (field list also in api-evangelist/flywire ``asyncapi/flywire-payments-webhooks.yml``)::

      {"event_type": "guaranteed", "event_date": "2025-03-01T10:41:39Z", "event_resource": "payments",
       "data": {"payment_id": "FWU744586810", "status": "guaranteed",
                "amount_from": "6120", "currency_from": "USD", "amount_to": "6000", "currency_to": "EUR",
                "external_reference": "CU4K-7MQ9-XW6", "fields": {...}, "payer": {...}, ...}}

  Amounts are in the currency's subunits (cents): ``amount_to`` 6000 in EUR is 60.00 €. We accept a JSON
  integer or a string of digits, nothing else (a float never touches an amount).

What we read: ``data.payment_id``, ``data.status`` (else ``event_type``), ``event_date`` (the booking date
of the payment, Paris time), ``data.amount_to``/``data.currency_to`` (what the school receives), and our
payment reference (``billing.references``) in ``data.external_reference`` or any text of ``data.fields``.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

MAX_BODY = 64 * 1024  # a notification is a few kB; anything larger is refused unread (413)
DIGEST_HEADER = "X-Flywire-Digest"

INITIATED, PROCESSED, GUARANTEED, DELIVERED = "initiated", "processed", "guaranteed", "delivered"
CANCELLED, FAILED, REVERSED = "cancelled", "failed", "reversed"
# The road of a payment; a status never goes back down it.
RANK = {INITIATED: 0, PROCESSED: 1, GUARANTEED: 2, DELIVERED: 3, REVERSED: 4}
ENDED = frozenset({CANCELLED, FAILED})  # only before the money is guaranteed
SETTLED = frozenset({GUARANTEED, DELIVERED})  # the money is ours: the payment is recorded
KNOWN = frozenset(RANK) | ENDED


# ---- the digest ---------------------------------------------------------------------------------


def digest(body: bytes, secret: str) -> bytes:
    """Base64(HMAC-SHA256(raw body, shared secret)), as Flywire computes it."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest())


def digest_ok(body: bytes, given: str | None, secret: str) -> bool:
    """Constant-time comparison of the header with our digest; never true without a secret."""
    if not secret or not given:
        return False
    return hmac.compare_digest(digest(body, secret), given.strip().encode("utf-8", "replace"))


# ---- the body -----------------------------------------------------------------------------------


class NotificationError(ValueError):
    """The body is not a notification we can read (kept, marked unreadable, for finance to see)."""


@dataclass(frozen=True)
class Notification:
    payment_id: str
    status: str
    event_at: dt.datetime | None
    amount: Decimal | None  # ``amount_to`` in units of ``currency``, None when absent
    currency: str
    reference_text: str  # where our payment reference is looked for

    def booked_on(self, received_at: dt.datetime) -> dt.date:
        """The day the payment counts from (I3): Flywire's event date, else when we heard of it."""
        return timezone.localdate(self.event_at or received_at)


def cents(value: Any) -> Decimal | None:
    """6000 or "6000" → Decimal("60.00"); None when absent; NotificationError when not whole cents."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NotificationError(f"amount {value!r} is not a whole number of cents")
    text = str(value).strip()
    if not text.isdigit():
        raise NotificationError(f"amount {value!r} is not a whole number of cents")
    return (Decimal(int(text)) / 100).quantize(Decimal("0.01"))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [str(value)] if isinstance(value, str | int) and not isinstance(value, bool) else []


def _load(body: bytes | str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotificationError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise NotificationError("not a JSON object")
    return doc


def peek(body: bytes) -> tuple[str, str]:
    """(payment id, status) for the stored event, best effort: never raises (the endpoint answers
    at once; the task reads the body properly)."""
    try:
        doc = _load(body)
    except NotificationError:
        return "", ""
    data = doc.get("data")
    if not isinstance(data, dict):
        data = {}
    payment_id = str(data.get("payment_id") or "").strip()[:64]
    status = str(data.get("status") or doc.get("event_type") or "").strip().lower()[:16]
    return payment_id, status


def parse(body: bytes | str) -> Notification:
    doc = _load(body)
    data = doc.get("data")
    if not isinstance(data, dict):
        raise NotificationError("no data object")
    payment_id = str(data.get("payment_id") or "").strip()
    if not payment_id or len(payment_id) > 64:
        raise NotificationError("no payment_id")
    status = str(data.get("status") or doc.get("event_type") or "").strip().lower()
    event_at = None
    if isinstance(doc.get("event_date"), str):
        event_at = parse_datetime(doc["event_date"])
        if event_at is not None and timezone.is_naive(event_at):
            event_at = timezone.make_aware(event_at, dt.UTC)  # Flywire's dates are UTC
    currency = str(data.get("currency_to") or "").strip().upper()[:3]
    amount = cents(data.get("amount_to"))
    texts = _texts(data.get("external_reference")) + _texts(data.get("fields"))
    return Notification(
        payment_id=payment_id,
        status=status,
        event_at=event_at,
        amount=amount,
        currency=currency,
        reference_text="\n".join(texts),
    )


# ---- the status machine -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one notification does to a payment at ``current`` (None: first heard of)."""

    to: str | None  # the new status, None when nothing changes
    outcome: str  # a code of OUTCOMES
    record: bool = False  # write the ledger payment (channel Flywire), which confirms a fee (I3)
    reverse: bool = False  # write the ledger return that opens the due again


def step(current: str | None, incoming: str, *, recorded: bool) -> Step:
    """The transition table (``recorded``: the ledger payment exists already).

    ====================  ==============================  =========================================
    current               incoming                        result
    ====================  ==============================  =========================================
    any                   unknown (authorized, adjusted)  nothing ("unknown_status")
    X                     X                               nothing ("duplicate")
    reversed              anything                        nothing ("final")
    none / initiated /    a higher rank                   moves on; guaranteed or delivered records
    processed                                             the payment unless already recorded
    guaranteed            delivered                       moves on, nothing recorded twice
    delivered             guaranteed (late, out of order) nothing ("backwards")
    guaranteed/delivered  initiated/processed/cancelled/  nothing ("backwards"): the money is
                          failed                          guaranteed, Flywire's docs say so
    none / initiated /    cancelled / failed              fails it ("failed"; nothing was recorded)
    processed / the other
    cancelled / failed    initiated ... delivered         Flywire re-initiated it: moves on
                                                          ("reinitiated", or recorded when settled)
    any but reversed      reversed                        reversed; when recorded, a return line
                                                          opens the due again ("reversed")
    ====================  ==============================  =========================================
    """
    if incoming not in KNOWN:
        return Step(None, "unknown_status")
    if current == incoming:
        return Step(None, "duplicate")
    if current == REVERSED:
        return Step(None, "final")
    if incoming == REVERSED:
        return Step(REVERSED, "reversed" if recorded else "reversed_unrecorded", reverse=recorded)
    if incoming in ENDED:
        if current in SETTLED:
            return Step(None, "backwards")
        return Step(incoming, "failed")
    record = incoming in SETTLED and not recorded
    if current is None:
        return Step(incoming, "recorded" if record else "status", record=record)
    if current in ENDED:
        return Step(incoming, "recorded" if record else "reinitiated", record=record)
    if RANK[incoming] > RANK[current]:
        return Step(incoming, "recorded" if record else "status", record=record)
    return Step(None, "backwards")


# What finance reads in the list of notifications.
OUTCOMES = {
    "recorded": _("Payment recorded in the ledger"),
    "status": _("Status updated"),
    "duplicate": _("Already at this status: nothing changed"),
    "backwards": _("Ignored: the payment is already further along"),
    "final": _("Ignored: the payment was reversed"),
    "failed": _("Payment cancelled or failed"),
    "reinitiated": _("Payment re-initiated by Flywire after a cancellation"),
    "reversed": _("Reversed: the amount due is open again"),
    "reversed_unrecorded": _("Reversed before any payment was recorded"),
    "no_due": _("No matching amount due: payment not assigned"),
    "not_eur": _("Amount not in euros: not recorded"),
    "unreadable": _("Unreadable notification"),
    "unknown_status": _("Status not followed (nothing changed)"),
}


def outcome_label(outcome: str) -> str:
    code, _sep, detail = outcome.partition(": ")
    label = OUTCOMES.get(code)
    if label is None:
        return outcome
    return f"{label} ({detail})" if detail else str(label)
