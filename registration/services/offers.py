"""Places as offers (issue 8 items 1–3, 7): opening an offer when the admission email is sent, the
15 days and their reminders (R2.6, I7), lapses, declines and releases, and the waiting list that
takes every freed place at once.

Locking (convention 5): whatever takes or frees a place locks the offering's row first, then the
rows it changes, and counts the places after the lock (`registration.selectors.places`). The jury's
`admission.services.decision_record` takes the same lock, so a jury admission, a late registration
and a waiting-list offer racing for the last place are served one after the other. Flags and states
that must change once (a reminder sent, an offer lapsed) are set by a conditional UPDATE whose row
count says who won, so that two schedulers at once, on SQLite too, send nothing twice.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from admission.models import HOLDS_A_PLACE, Decision, Outcome
from applications.models import Dossier, DossierStatus
from applications.services import dossier_transition
from audit.services import audit_record
from catalog.models import Offering
from catalog.rules import end_of_day
from cursus.errors import DomainError
from notifications.services import email_send
from registration import rules, selectors
from registration.models import (
    HOLDING,
    Offer,
    OfferSource,
    OfferStatus,
    Registration,
    RegistrationStatus,
    WaitlistEntry,
    WaitlistStatus,
)

log = logging.getLogger(__name__)


def lock_offering(offering_id: int) -> Offering:
    """The quota's lock (I6): every path that takes or frees a place goes through it first."""
    return Offering.objects.select_for_update().select_related("program", "session").get(pk=offering_id)


def _email(offer: Offer, template: str, **extra: Any) -> None:
    dossier = offer.dossier
    email_send(
        template=template,
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={
            "dossier": dossier,
            "program": dossier.offering.program,
            "offer": offer,
            "ends_at": offer.ends_at,
            **extra,
        },
        related=dossier,
    )


def _load(offer_id: int) -> Offer:
    return Offer.objects.select_related(
        "dossier__candidate", "dossier__offering__program", "dossier__offering__session", "offering"
    ).get(pk=offer_id)


# ---- opening ----------------------------------------------------------------------------------


def sort_key_for(decision: Decision) -> int:
    """Two sittings' waiting lists are merged in the order of the sittings: the earlier sitting's list
    first, then the jury's rank within a sitting (README, "Registration")."""
    day = int(decision.sitting.sits_on.strftime("%Y%m%d"))
    return day * 10_000 + min(decision.waitlist_rank or 9_999, 9_999)


def offer_from_decision(*, decision: Decision) -> Offer | WaitlistEntry | None:
    """Called once the decision email is sent (`admission.services.decision_notify`): an admission
    becomes an offer whose 15 days start at that sending (I7); a waiting-list decision puts the
    candidate on the program's list. Safe to call twice."""
    if decision.notified_at is None or not decision.is_final:
        return None
    if decision.outcome in HOLDS_A_PLACE:
        offer, created = Offer.objects.get_or_create(
            dossier_id=decision.dossier_id,
            defaults={
                "offering_id": decision.offering_id,
                "source": OfferSource.DECISION,
                "conditional": decision.outcome == Outcome.CONDITIONAL,
                "sent_at": decision.notified_at,
                "ends_at": rules.window_end(decision.notified_at),
            },
        )
        if created:
            audit_record(
                actor=None,
                action="offer.open",
                obj=decision.dossier,
                to_state=OfferStatus.OPEN,
                data={"ends_at": offer.ends_at.isoformat() if offer.ends_at else None, "source": "decision"},
            )
        return offer
    if decision.outcome == Outcome.WAITING_LIST:
        entry, created = WaitlistEntry.objects.get_or_create(
            dossier_id=decision.dossier_id,
            defaults={"offering_id": decision.offering_id, "sort_key": sort_key_for(decision)},
        )
        if created:
            audit_record(
                actor=None,
                action="waitlist.join",
                obj=decision.dossier,
                to_state=WaitlistStatus.WAITING,
                data={"rank": decision.waitlist_rank, "sitting": decision.sitting_id},
            )
        return entry
    return None


def offers_fill(*, offering: Offering, limit: int = 1) -> list[Offer]:
    """A place has just been freed: offer it to the first candidate of the waiting list, at once
    (I7). The caller holds the offering's lock. At most ``limit`` offers, and never past capacity:
    places the jury left free for its later sittings are not given away by one freed place."""
    made: list[Offer] = []
    # Every entry may be looked at: those who left the list on the way (withdrawn, erased) are skipped.
    for entry in selectors.waiting(offering.pk):
        if len(made) >= limit:
            break
        capacity, held = selectors.places(offering)
        if held >= capacity:
            break
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("candidate")
            .get(pk=entry.dossier_id)
        )
        if not selectors.still_waiting(dossier):
            # Withdrawn, erased or otherwise gone: it leaves the list and the next one is asked.
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.LEFT)
            continue
        conditional = dossier.bac5_in_progress
        offer = Offer.objects.create(
            dossier=dossier, offering=offering, source=OfferSource.WAITING_LIST, conditional=conditional
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.OFFERED)
        # The promotion is the system's: it never carries the freeing person's reason or actor (a
        # visa refusal's reason belongs to that candidate's file, not to the next one's history).
        dossier_transition(
            dossier,
            to=DossierStatus.CONDITIONAL if conditional else DossierStatus.ADMITTED,
            by=None,
            action="offer.from_waitlist",
            data={"offer": offer.pk, "held": held + 1, "capacity": capacity},
        )
        made.append(offer)
    if made:
        ids = [o.pk for o in made]
        from registration.tasks import send_offer

        transaction.on_commit(lambda: [send_offer.enqueue(pk) for pk in ids])
    return made


def offer_send(*, offer_id: int) -> Offer:
    """Email a waiting-list offer; its 15 days start when the email is sent (I7). Safe twice, and in
    two processes at once: the offer's row is locked while its email goes."""
    with transaction.atomic():
        if (
            not Offer.objects.select_for_update()
            .filter(pk=offer_id, sent_at__isnull=True, status=OfferStatus.OPEN)
            .exists()
        ):
            return _load(offer_id)
        offer = _load(offer_id)
        dossier = offer.dossier
        email = email_send(
            template="offer_waitlist",
            to=dossier.candidate.email,
            language=dossier.candidate.language,
            # The window starts when this email goes (I7): its end, as the email states it.
            context={
                "dossier": dossier,
                "program": dossier.offering.program,
                "offer": offer,
                "ends_at": rules.window_end(timezone.now()),
            },
            related=dossier,
            deliver_now=True,
        )
        if email.sent_at is None:
            return offer  # the next run of the schedule tries again
        offer.sent_at, offer.ends_at = email.sent_at, rules.window_end(email.sent_at)
        offer.save(update_fields=["sent_at", "ends_at"])
        audit_record(
            actor=None,
            action="offer.sent",
            obj=dossier,
            data={"email": email.pk, "ends_at": offer.ends_at.isoformat()},
        )
    return offer


# ---- the 15 days -----------------------------------------------------------------------------


def _lapse(offer: Offer, *, now: dt.datetime) -> bool:
    """Open → lapsed, once (the caller holds the offering's lock)."""
    won = Offer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(
        status=OfferStatus.LAPSED, lapsed_at=now, closed_at=now
    )
    if not won:
        return False
    offer.status, offer.lapsed_at = OfferStatus.LAPSED, now
    audit_record(
        actor=None,
        action="offer.lapse",
        obj=offer.dossier,
        from_state=OfferStatus.OPEN,
        to_state=OfferStatus.LAPSED,
        data={"ends_at": offer.ends_at.isoformat() if offer.ends_at else None},
    )
    offer_id = offer.pk
    transaction.on_commit(lambda: _email(_load(offer_id), "offer_lapsed"))
    return True


def offers_lapse_due(*, now: dt.datetime | None = None) -> int:
    """Every open offer whose window is over lapses; each freed place goes to the waiting list."""
    now = now or timezone.now()
    count = 0
    due = Offer.objects.filter(status=OfferStatus.OPEN, ends_at__isnull=False, ends_at__lt=now).values_list(
        "pk", "offering_id"
    )
    for offer_id, offering_id in list(due):
        with transaction.atomic():
            offering = lock_offering(offering_id)
            offer = _load(offer_id)
            if offer.status != OfferStatus.OPEN or offer.ends_at is None:
                continue
            if not rules.window_is_over(offer.ends_at, now):
                continue
            if _lapse(offer, now=now):
                count += 1
                offers_fill(offering=offering)
    return count


@dataclass
class Reminders:
    sent: list[tuple[int, int]] = field(default_factory=list)  # (offer, days before)


def offers_remind(*, now: dt.datetime | None = None) -> Reminders:
    """I7: reminders 5 days and 1 day before the end. Each is sent once: the flag is set by a
    conditional UPDATE before the email is queued, in the same transaction. A reminder whose time
    has passed together with a later one is not sent (only the latest one is), nor one a day late
    (`rules.reminder_due`)."""
    now = now or timezone.now()
    out = Reminders()
    offers = Offer.objects.filter(status=OfferStatus.OPEN, ends_at__isnull=False, ends_at__gte=now).filter(
        reminded_1_at__isnull=True
    )
    for offer in offers.only("pk", "ends_at", "reminded_5_at", "reminded_1_at"):
        assert offer.ends_at is not None
        days = rules.reminder_due(offer.ends_at, now)
        if days is None:
            continue
        with transaction.atomic():
            flags = {"reminded_1_at": now} if days == 1 else {"reminded_5_at": now}
            if days == 1:
                flags["reminded_5_at"] = offer.reminded_5_at or now
                won = Offer.objects.filter(pk=offer.pk, reminded_1_at__isnull=True, status=OfferStatus.OPEN)
            else:
                won = Offer.objects.filter(pk=offer.pk, reminded_5_at__isnull=True, status=OfferStatus.OPEN)
            if not won.update(**flags):
                continue
            full = _load(offer.pk)
            audit_record(actor=None, action="offer.remind", obj=full.dossier, data={"days_before": days})
            _email(full, "offer_reminder", days=days)
            out.sent.append((offer.pk, days))
    return out


def offer_extend(*, offer: Offer, by: Any, until: dt.date, reason: str) -> Offer:
    """The office gives an open window more time, with a reason (issue 8 item 2)."""
    from accounts.roles import ADMISSIONS_OFFICE

    reason = reason.strip()
    if not by.has_perm(ADMISSIONS_OFFICE):
        raise DomainError(_("Only the admissions office extends a window."), code="forbidden")
    if not reason:
        raise DomainError(_("Give a reason for the extension."), code="reason")
    with transaction.atomic():
        lock_offering(offer.offering_id)
        offer = Offer.objects.select_for_update().select_related("offering__session").get(pk=offer.pk)
        if offer.status != OfferStatus.OPEN or offer.ends_at is None:
            raise DomainError(
                _("Only an open window whose email has been sent can be extended."), code="state"
            )
        new_end = end_of_day(until)
        starts_on = offer.offering.session.teaching_calendar().starts_on
        if until >= starts_on:
            raise DomainError(
                _("A window can be extended up to the day before the training starts (%(date)s).")
                % {"date": formats.date_format(starts_on, "DATE_FORMAT")},
                code="date",
            )
        if new_end <= offer.ends_at:
            raise DomainError(
                _("The new end must be after the current one (%(date)s).")
                % {"date": formats.date_format(timezone.localtime(offer.ends_at).date(), "DATE_FORMAT")},
                code="date",
            )
        before = offer.ends_at
        offer.ends_at = new_end
        offer.extended_at, offer.extended_by, offer.extension_reason = timezone.now(), by, reason
        # The reminders follow the new end.
        offer.reminded_5_at = offer.reminded_1_at = None
        offer.save(
            update_fields=[
                "ends_at",
                "extended_at",
                "extended_by",
                "extension_reason",
                "reminded_5_at",
                "reminded_1_at",
            ]
        )
        audit_record(
            actor=by,
            action="offer.extend",
            obj=offer.dossier,
            # Shown in the history as "30/11/2026 → 10/12/2026" (Paris dates).
            from_state=timezone.localtime(before).strftime("%d/%m/%Y"),
            to_state=timezone.localtime(new_end).strftime("%d/%m/%Y"),
            reason=reason,
            data={"from": before.isoformat(), "to": new_end.isoformat()},
        )
        offer_id = offer.pk
        transaction.on_commit(lambda: _email(_load(offer_id), "offer_extended"))
    return _load(offer.pk)


# ---- leaving ---------------------------------------------------------------------------------


def _cancel_draft(dossier: Dossier, *, reason: str) -> None:
    Registration.objects.filter(dossier=dossier, status=RegistrationStatus.DRAFT).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason[:300]
    )


def offer_decline(*, offer: Offer, by: Any) -> Offer:
    """The candidate gives up their place: it moves to the waiting list at once (issue 8 item 2)."""
    with transaction.atomic():
        offering = lock_offering(offer.offering_id)
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        dossier = Dossier.objects.select_for_update().get(pk=offer.dossier_id)
        if dossier.candidate_id != getattr(by, "pk", None):
            raise DomainError(_("Only the candidate declines their place."), code="forbidden")
        if offer.status not in (OfferStatus.OPEN, OfferStatus.LAPSED):
            raise DomainError(_("This place can no longer be declined."), code="state")
        was_holding = offer.status in HOLDING
        previous = offer.status
        now = timezone.now()
        offer.status, offer.closed_at = OfferStatus.DECLINED, now
        offer.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=by, action="offer.decline", obj=dossier, from_state=previous, to_state=OfferStatus.DECLINED
        )
        _cancel_draft(dossier, reason=_("The candidate declined the place."))
        dossier_transition(dossier, to=DossierStatus.DECLINED, by=by, action="dossier.decline")
        offer_id = offer.pk
        transaction.on_commit(lambda: _email(_load(offer_id), "offer_declined"))
        if was_holding:
            offers_fill(offering=offering)
    return _load(offer.pk)


def offer_release(*, offer: Offer, by: Any, reason: str, action: str = "offer.release") -> Offer:
    """The place is given back (visa refusal approved, withdrawal): the offer is released and its
    place goes to the waiting list at once. The caller checks who may do it; safe twice."""
    with transaction.atomic():
        offering = lock_offering(offer.offering_id)
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.status in (OfferStatus.RELEASED, OfferStatus.DECLINED):
            return offer
        was_holding = offer.status in HOLDING
        previous = offer.status
        offer.status, offer.closed_at, offer.close_reason = OfferStatus.RELEASED, timezone.now(), reason[:300]
        offer.save(update_fields=["status", "closed_at", "close_reason"])
        audit_record(
            actor=by,
            action=action,
            obj=offer.dossier,
            from_state=previous,
            to_state=OfferStatus.RELEASED,
            reason=reason,
        )
        if was_holding:
            offers_fill(offering=offering)
    return offer


def offer_take(*, offer: Offer, now: dt.datetime) -> Offer:
    """Registration takes the offer's place for good. The caller holds the offering's lock (taken
    first, `lock_offering`) and completes the registration in the same transaction.

    An open window: the place is the candidate's. A window over that the schedule has not lapsed yet
    lapses here first, so that the waiting list is served before a late registration (I7). A lapsed
    offer registers only while a place is free."""
    offer = Offer.objects.select_for_update().select_related("offering").get(pk=offer.pk)
    if offer.status == OfferStatus.REGISTERED:
        return offer
    if (
        offer.status == OfferStatus.OPEN
        and offer.ends_at is not None
        and rules.window_is_over(offer.ends_at, now)
    ):
        offer.dossier = Dossier.objects.select_related("candidate", "offering__program").get(
            pk=offer.dossier_id
        )
        if _lapse(offer, now=now):
            offers_fill(offering=offer.offering)
        offer.refresh_from_db()
    if offer.status == OfferStatus.LAPSED:
        capacity, held = selectors.places(offer.offering)
        if held >= capacity:
            raise DomainError(
                _(
                    "Your 15 days are over and every place of the program is now taken: your place is no "
                    "longer guaranteed and you cannot register at the moment. The admissions office can "
                    "tell you more."
                ),
                code="capacity",
            )
    elif offer.status != OfferStatus.OPEN:
        raise DomainError(_("This place is no longer yours to register for."), code="state")
    previous = offer.status
    offer.status, offer.closed_at = OfferStatus.REGISTERED, now
    offer.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=None,
        action="offer.register",
        obj=offer.dossier,
        from_state=previous,
        to_state=OfferStatus.REGISTERED,
        data={"late": previous == OfferStatus.LAPSED},
    )
    return offer


# ---- the waiting list ------------------------------------------------------------------------


def waitlist_move(*, entry: WaitlistEntry, by: Any, rank: int, reason: str) -> WaitlistEntry:
    """The office puts a waiting candidate at another rank, with a reason (issue 8 item 3)."""
    from accounts.roles import ADMISSIONS_OFFICE

    reason = reason.strip()
    if not by.has_perm(ADMISSIONS_OFFICE):
        raise DomainError(_("Only the admissions office reorders the waiting list."), code="forbidden")
    if not reason:
        raise DomainError(_("Give a reason for the change of rank."), code="reason")
    with transaction.atomic():
        lock_offering(entry.offering_id)
        entries = list(selectors.waiting(entry.offering_id))
        current = next((e for e in entries if e.pk == entry.pk), None)
        if current is None:
            raise DomainError(_("This candidate is no longer on the waiting list."), code="state")
        if not 1 <= rank <= len(entries):
            raise DomainError(_("Choose a rank between 1 and %(n)d.") % {"n": len(entries)}, code="rank")
        before = entries.index(current) + 1
        entries.remove(current)
        entries.insert(rank - 1, current)
        # Renumbered from 10: later sittings' entries (keyed by their date) still come after.
        for position, e in enumerate(entries, start=1):
            WaitlistEntry.objects.filter(pk=e.pk).update(sort_key=position * 10)
        audit_record(
            actor=by,
            action="waitlist.move",
            obj=current.dossier,
            from_state=str(before),
            to_state=str(rank),
            reason=reason,
        )
    current.refresh_from_db()
    return current


# ---- the schedule (issue 8 item 7) -----------------------------------------------------------


@dataclass
class ScheduleReport:
    opened: int = 0
    sent: int = 0
    reminders: int = 0
    lapsed: int = 0
    mandates_lapsed: int = 0
    exports_purged: int = 0

    def __str__(self) -> str:
        text = (
            f"offers opened {self.opened}, waiting-list offers sent {self.sent}, "
            f"reminders {self.reminders}, lapsed {self.lapsed}"
        )
        # Issue 9: said only when it happened (the registration report reads as before).
        text += f", SEPA mandates lapsed {self.mandates_lapsed}" if self.mandates_lapsed else ""
        # Issue 11 item 5: background exports past their days, files included.
        return text + (f", old exports deleted {self.exports_purged}" if self.exports_purged else "")


def schedule_run(*, now: dt.datetime | None = None) -> ScheduleReport:
    """Everything periodic of registration, in order; idempotent, and safe in two processes at once."""
    now = now or timezone.now()
    report = ScheduleReport()
    # 1. Decisions whose email went out but whose offer or list entry is missing (a crash between).
    # Only letters of the last weeks: a decision of an earlier campaign never becomes an offer now.
    recent = now - dt.timedelta(days=rules.WINDOW_DAYS + 2)
    missing = (
        Decision.objects.filter(notified_at__gte=recent, sitting__status="closed")
        .filter(dossier__offer__isnull=True, dossier__waitlist_entry__isnull=True)
        .exclude(outcome=Outcome.REFUSED)
        .select_related("sitting", "dossier")
    )
    for decision in missing:
        with transaction.atomic():
            if offer_from_decision(decision=decision) is not None:
                report.opened += 1
    # 2. Lapses: each freed place goes to the waiting list at once.
    report.lapsed = offers_lapse_due(now=now)
    # 3. Waiting-list offers whose email has not gone yet (just made, or a failed sending).
    for offer_id in Offer.objects.filter(status=OfferStatus.OPEN, sent_at__isnull=True).values_list(
        "pk", flat=True
    ):
        if offer_send(offer_id=offer_id).sent_at is not None:
            report.sent += 1
    # 4. Reminders 5 days and 1 day before the end.
    report.reminders = len(offers_remind(now=now).sent)
    # 5. Issue 9: SEPA mandates unused for 36 months lapse (a cheap query; idempotent).
    from billing.services.mandates import mandates_lapse

    report.mandates_lapsed = mandates_lapse(today=timezone.localdate(now))
    # 6. Issue 11 item 5: the files of background exports are kept EXPORT_KEEP_DAYS days.
    from jobs.services import jobs_purge_expired

    report.exports_purged = jobs_purge_expired(now=now)
    return report
