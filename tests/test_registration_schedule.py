"""The 15 days, their reminders, lapses and the waiting list, driven by the schedule (issue 8 items
1–3, 7; R2.6, I1, I6, I7). SQLite and PostgreSQL."""

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from admission import selectors as adm_selectors
from admission import services as adm
from admission.models import Decision
from applications.models import Dossier, DossierStatus
from audit.models import AuditEvent
from catalog.models import Offering
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration import rules, selectors
from registration.models import Offer, OfferSource, OfferStatus, WaitlistStatus
from registration.services import offers
from tests.registration_helpers import (
    ADMITTED,
    WAITING,
    at_jury_dossier,
    close_and_notify,
    decide,
    entry_of,
    offer_of,
    set_capacity,
)

PARIS = rules.PARIS
UTC = dt.UTC


def paris(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, s, us, tzinfo=PARIS)


def at(instant: dt.datetime) -> Any:
    """Time stands still at ``instant`` (the schedule, the emails and the audit all read it)."""
    return time_machine.travel(instant, tick=False)


def emails(kind: str, dossier: Dossier | None = None) -> list[OutgoingEmail]:
    qs = OutgoingEmail.objects.filter(kind=kind)
    if dossier is not None:
        qs = qs.filter(to=dossier.candidate.email)
    return list(qs.order_by("pk"))


def run(instant: dt.datetime, capture: Any = None) -> offers.ScheduleReport:
    """One run of the schedule at ``instant``; with ``capture`` (django_capture_on_commit_callbacks)
    what waits for the commit (the lapse email, the waiting-list offer) happens too."""
    with at(instant):
        if capture is None:
            return offers.schedule_run()
        with capture(execute=True):
            return offers.schedule_run()


@pytest.fixture
def people(open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any) -> Any:
    """make(admitted=(...), waiting=(...), capacity=n, sent=instant): BE+ dossiers (made in that
    order) decided in the next open sitting, the waiting ones ranked in their order unless ``ranks``
    says otherwise; the sitting is closed and its letters sent at ``sent``."""
    kw = {"office": office, "finance": finance, "director": director_be}

    def make(
        *,
        admitted: tuple[str, ...] = (),
        waiting: tuple[str, ...] = (),
        ranks: dict[str, int] | None = None,
        capacity: int | None = None,
        sent: dt.datetime | None = None,
        close: bool = True,
    ) -> dict[str, Dossier]:
        if capacity is not None:
            set_capacity(open_session, "BE+", capacity)
        made: dict[str, Dossier] = {}
        for name in (*admitted, *waiting):
            made[name] = at_jury_dossier(open_session, email=f"{name.lower()}@example.org", **kw)
        for name in admitted:
            decide(made[name], jury=jury, outcome=ADMITTED)
        for rank, name in enumerate(waiting, start=1):
            decide(made[name], jury=jury, outcome=WAITING, rank=(ranks or {}).get(name, rank))
        if close and made:
            sitting = next(iter(made.values())).sitting
            assert sitting is not None
            if sent is None:
                close_and_notify(sitting, office=office)
            else:
                with at(sent):
                    close_and_notify(sitting, office=office)
        for d in made.values():
            d.refresh_from_db()
        return made

    return make


# ---- the end of the 15 days, in Paris time (I1, I7) -------------------------------------------


def test_I7_R2_6_window_crossing_summer_time_ends_4_april_235959_paris() -> None:
    end = rules.window_end(paris(2025, 3, 20, 18))
    assert end == paris(2025, 4, 4, 23, 59, 59)
    assert end.utcoffset() == dt.timedelta(hours=2)  # summer time by then
    assert end == dt.datetime(2025, 4, 4, 21, 59, 59, tzinfo=UTC)


def test_I7_window_crossing_winter_time_ends_at_235959_utc_plus_1() -> None:
    end = rules.window_end(paris(2025, 10, 20, 9, 15))
    assert end == paris(2025, 11, 4, 23, 59, 59)
    assert end.utcoffset() == dt.timedelta(hours=1)
    assert end == dt.datetime(2025, 11, 4, 22, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "last_day"),
    [
        # 23:30 Paris on 31 December is 22:30 UTC: the Paris date counts, 31 December.
        (dt.datetime(2025, 12, 31, 22, 30, tzinfo=UTC), dt.date(2026, 1, 15)),
        # 00:30 Paris on 1 January is still 31 December in UTC: the Paris date counts, 1 January.
        (dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), dt.date(2026, 1, 16)),
        # Summer: 01:30 Paris on 1 July is 23:30 UTC on 30 June.
        (dt.datetime(2025, 6, 30, 23, 30, tzinfo=UTC), dt.date(2025, 7, 16)),
    ],
)
def test_I7_the_sending_day_is_the_paris_date(sent: dt.datetime, last_day: dt.date) -> None:
    end = rules.window_end(sent)
    assert end == dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=PARIS)


def test_I1_I7_window_is_over_on_both_sides_of_235959() -> None:
    end = rules.window_end(paris(2025, 3, 20, 18))
    assert not rules.window_is_over(end, paris(2025, 4, 4, 23, 59, 59))
    assert not rules.window_is_over(end, paris(2025, 4, 4, 23, 59, 59, 999_999))
    assert rules.window_is_over(end, paris(2025, 4, 5))
    assert rules.window_is_over(end, dt.datetime(2025, 4, 4, 22, 0, tzinfo=UTC))  # 00:00 Paris
    assert rules.days_left(end, paris(2025, 4, 4, 8)) == 0
    assert rules.days_left(end, paris(2025, 4, 5)) == -1
    with pytest.raises(ValueError):
        rules.window_end(dt.datetime(2025, 3, 20, 18))
    with pytest.raises(ValueError):
        rules.window_is_over(end, dt.datetime(2025, 4, 5))


def test_I7_reminders_keep_the_paris_wall_clock_across_a_change_of_time() -> None:
    # Ends 1 April 2025 (summer time); 5 days before is 27 March, still winter time.
    end = rules.window_end(paris(2025, 3, 17, 10))
    five, one = rules.reminder_at(end, 5), rules.reminder_at(end, 1)
    assert five == paris(2025, 3, 27, 23, 59, 59) and five.utcoffset() == dt.timedelta(hours=1)
    assert one == paris(2025, 3, 31, 23, 59, 59) and one.utcoffset() == dt.timedelta(hours=2)
    assert end.astimezone(UTC) - five.astimezone(UTC) == dt.timedelta(days=5, hours=-1)  # a 23-hour day
    # And the return to winter time: ends 28 October, reminded on 23 October in summer time.
    end = rules.window_end(paris(2025, 10, 13, 10))
    assert rules.reminder_at(end, 5) == paris(2025, 10, 23, 23, 59, 59)
    assert end.astimezone(UTC) - rules.reminder_at(end, 5).astimezone(UTC) == dt.timedelta(days=5, hours=1)


def test_I7_reminder_due_is_the_latest_one_and_at_most_a_day_late() -> None:
    end = rules.window_end(paris(2025, 3, 20, 18))  # 4 April 23:59:59
    assert rules.reminder_due(end, paris(2025, 3, 30, 23, 59, 58)) is None
    assert rules.reminder_due(end, paris(2025, 3, 30, 23, 59, 59)) == 5  # the 30 March change of time
    assert rules.reminder_due(end, paris(2025, 3, 31, 23, 59, 58)) == 5
    assert rules.reminder_due(end, paris(2025, 3, 31, 23, 59, 59)) is None  # a day late: stale
    assert rules.reminder_due(end, paris(2025, 4, 3, 23, 59, 58)) is None
    assert rules.reminder_due(end, paris(2025, 4, 3, 23, 59, 59)) == 1
    assert rules.reminder_due(end, paris(2025, 4, 4, 12)) == 1
    assert rules.reminder_due(end, paris(2025, 4, 5)) is None


@pytest.mark.parametrize(
    ("sent", "last_instant", "first_late"),
    [
        (paris(2025, 3, 20, 18), paris(2025, 4, 4, 23, 59, 59, 999_999), paris(2025, 4, 5)),
        (paris(2025, 10, 20, 11), paris(2025, 11, 4, 23, 59, 59, 999_999), paris(2025, 11, 5)),
    ],
    ids=["summer-time", "winter-time"],
)
def test_I7_R2_6_the_schedule_lapses_at_000000_paris_not_at_235959(
    people: Any,
    django_capture_on_commit_callbacks: Any,
    sent: dt.datetime,
    last_instant: dt.datetime,
    first_late: dt.datetime,
) -> None:
    p = people(admitted=("A",), capacity=1, sent=sent)
    offer = offer_of(p["A"])
    assert offer.sent_at == sent == p["A"].decision.notified_at
    assert offer.ends_at == last_instant.replace(microsecond=0)
    report = run(last_instant, django_capture_on_commit_callbacks)
    assert report.lapsed == 0
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    report = run(first_late, django_capture_on_commit_callbacks)
    assert report.lapsed == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED and offer.lapsed_at == first_late
    assert len(emails("offer_lapsed", p["A"])) == 1


# ---- reminders 5 days and 1 day before the end (I7) -------------------------------------------


def test_I7_reminders_5_days_and_1_day_before_each_once(people: Any) -> None:
    # Sent 17 March 2025 → ends 1 April 23:59:59 (summer time); the 5-day reminder falls on 27 March,
    # before the change of time, at 23:59:59 Paris all the same.
    p = people(admitted=("A",), capacity=1, sent=paris(2025, 3, 17, 10))
    a = p["A"]
    assert offer_of(a).ends_at == paris(2025, 4, 1, 23, 59, 59)

    def reminders() -> list[int]:
        return [
            e.data["days_before"]
            for e in AuditEvent.objects.filter(action="offer.remind", object_id=str(a.pk)).order_by("pk")
        ]

    assert run(paris(2025, 3, 20, 12)).reminders == 0
    assert run(paris(2025, 3, 27, 23, 59, 58)).reminders == 0  # an hour early in UTC would send here
    assert emails("offer_reminder") == []
    assert run(paris(2025, 3, 27, 23, 59, 59)).reminders == 1
    assert run(paris(2025, 3, 28, 0, 5)).reminders == 0  # twice sends nothing twice
    assert run(paris(2025, 3, 31, 23, 59, 58)).reminders == 0
    assert run(paris(2025, 3, 31, 23, 59, 59)).reminders == 1
    assert run(paris(2025, 4, 1, 12)).reminders == 0
    assert run(paris(2025, 4, 1, 23, 59, 59)).reminders == 0
    assert reminders() == [5, 1]
    sent = emails("offer_reminder", a)
    assert len(sent) == 2 and len(emails("offer_reminder")) == 2
    # The end in Paris time, and the days left in the subject.
    assert all("1 avril 2025" in e.body_text and "23:59:59" in e.body_text for e in sent)
    assert [re.findall(r"\b[15]\b", e.subject) for e in sent] == [["5"], ["1"]]
    offer = offer_of(a)
    assert offer.reminded_5_at == paris(2025, 3, 27, 23, 59, 59)
    assert offer.reminded_1_at == paris(2025, 3, 31, 23, 59, 59)
    # No reminder once it is over: the lapse instead.
    report = run(paris(2025, 4, 2, 0, 0))
    assert (report.reminders, report.lapsed) == (0, 1)
    assert len(emails("offer_reminder")) == 2


def test_I7_a_late_start_sends_only_the_latest_reminder_due(people: Any) -> None:
    p = people(admitted=("A",), capacity=1, sent=paris(2025, 3, 20, 18))
    report = run(paris(2025, 4, 4, 9))  # the schedule did not run for days: both are past
    assert report.reminders == 1
    events = AuditEvent.objects.filter(action="offer.remind", object_id=str(p["A"].pk))
    assert [e.data["days_before"] for e in events] == [1]
    assert len(emails("offer_reminder", p["A"])) == 1
    assert run(paris(2025, 4, 4, 9, 5)).reminders == 0
    assert len(emails("offer_reminder")) == 1


def test_I7_an_extended_window_gets_its_reminders_again(people: Any, office: Any, jury: Any) -> None:
    p = people(admitted=("A",), capacity=1, sent=paris(2025, 3, 20, 18))
    assert run(paris(2025, 3, 30, 23, 59, 59)).reminders == 1  # 5 days before 4 April
    assert run(paris(2025, 4, 3, 23, 59, 59)).reminders == 1  # 1 day before
    with at(paris(2025, 4, 4, 10)):
        with pytest.raises(DomainError):
            offers.offer_extend(offer=offer_of(p["A"]), by=office, until=dt.date(2025, 4, 10), reason=" ")
        with pytest.raises(DomainError):
            offers.offer_extend(offer=offer_of(p["A"]), by=jury, until=dt.date(2025, 4, 10), reason="Ill")
        with pytest.raises(DomainError):
            offers.offer_extend(offer=offer_of(p["A"]), by=office, until=dt.date(2025, 4, 4), reason="Ill")
        offer = offers.offer_extend(
            offer=offer_of(p["A"]), by=office, until=dt.date(2025, 4, 12), reason="In hospital"
        )
    assert offer.ends_at == paris(2025, 4, 12, 23, 59, 59)
    event = AuditEvent.objects.get(action="offer.extend", object_id=str(p["A"].pk))
    assert event.reason == "In hospital" and event.actor_id == office.pk
    assert run(paris(2025, 4, 5, 0, 0)).lapsed == 0  # the old end is no longer the end
    assert run(paris(2025, 4, 7, 23, 59, 58)).reminders == 0
    assert run(paris(2025, 4, 7, 23, 59, 59)).reminders == 1
    assert run(paris(2025, 4, 11, 23, 59, 59)).reminders == 1
    assert run(paris(2025, 4, 12, 12)).reminders == 0
    assert len(emails("offer_reminder", p["A"])) == 4
    assert run(paris(2025, 4, 12, 23, 59, 59, 999_999)).lapsed == 0
    assert run(paris(2025, 4, 13)).lapsed == 1


def test_I7_no_stale_5_day_reminder_after_a_short_extension_or_a_stopped_schedule(
    people: Any, office: Any
) -> None:
    p = people(admitted=("A", "B"), capacity=2, sent=paris(2025, 3, 20, 18))  # both end 4 April
    a, b = p["A"], p["B"]

    def days(d: Dossier) -> list[int]:
        events = AuditEvent.objects.filter(action="offer.remind", object_id=str(d.pk)).order_by("pk")
        return [e.data["days_before"] for e in events]

    assert run(paris(2025, 3, 30, 23, 59, 59)).reminders == 2
    assert run(paris(2025, 4, 3, 23, 59, 59)).reminders == 2
    with at(paris(2025, 4, 4, 10)):  # A gets two more days: the 5-day reminder's time is long past
        offers.offer_extend(offer=offer_of(a), by=office, until=dt.date(2025, 4, 6), reason="Bank delay")
    assert run(paris(2025, 4, 4, 10, 5)).reminders == 0  # no "5 days left" two days before the end
    assert run(paris(2025, 4, 5, 23, 59, 59)).reminders == 1
    assert days(a) == [5, 1, 1] and days(b) == [5, 1]
    # A schedule stopped for days sends no reminder that no longer says the truth either.
    p2 = people(admitted=("C",), capacity=3, sent=paris(2025, 3, 20, 18))
    assert run(paris(2025, 4, 2, 10)).reminders == 0  # 30 March's "5 days left": 2 days left now
    assert run(paris(2025, 4, 3, 23, 59, 59)).reminders == 1
    assert days(p2["C"]) == [1]
    assert len(emails("offer_reminder", a)) == 3 and len(emails("offer_reminder", p2["C"])) == 1


# ---- lapses and the waiting list (I7) ---------------------------------------------------------


def test_I7_a_lapse_tells_the_candidate_and_the_place_goes_down_the_waiting_list(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = people(admitted=("A",), waiting=("W1", "W2"), capacity=1, sent=paris(2025, 3, 20, 18))
    offering = Offering.objects.get(pk=p["A"].offering_id)
    a_end = offer_of(p["A"]).ends_at
    assert a_end is not None
    lapse_at = paris(2025, 4, 5, 0, 2)
    report = run(lapse_at, django_capture_on_commit_callbacks)
    assert report.lapsed == 1
    assert offer_of(p["A"]).status == OfferStatus.LAPSED
    assert len(emails("offer_lapsed", p["A"])) == 1
    # At once, the first of the waiting list: an email, and their own 15 days from its sending.
    w1 = offer_of(p["W1"])
    (w1_email,) = emails("offer_waitlist", p["W1"])
    assert w1.source == OfferSource.WAITING_LIST and w1.status == OfferStatus.OPEN
    assert w1.sent_at == w1_email.sent_at == lapse_at
    assert w1.ends_at == rules.window_end(lapse_at) == paris(2025, 4, 20, 23, 59, 59)
    assert entry_of(p["W1"]).status == WaitlistStatus.OFFERED
    assert entry_of(p["W2"]).status == WaitlistStatus.WAITING
    assert Dossier.objects.get(pk=p["W1"].pk).status == DossierStatus.ADMITTED
    assert emails("offer_waitlist", p["W2"]) == []
    assert selectors.places(offering) == (1, 1)
    # Run again: nothing twice.
    again = run(paris(2025, 4, 5, 0, 7), django_capture_on_commit_callbacks)
    assert (again.lapsed, again.sent, again.reminders) == (0, 0, 0)
    assert len(emails("offer_waitlist")) == 1 and len(emails("offer_lapsed")) == 1
    # W1 lets it lapse too: the next one.
    run(paris(2025, 4, 21), django_capture_on_commit_callbacks)
    assert offer_of(p["W1"]).status == OfferStatus.LAPSED
    w2 = offer_of(p["W2"])
    assert w2.status == OfferStatus.OPEN and w2.ends_at == paris(2025, 5, 6, 23, 59, 59)
    assert len(emails("offer_waitlist", p["W2"])) == 1 and len(emails("offer_lapsed", p["W1"])) == 1
    # W2 as well: nobody is left, the place stays free.
    run(paris(2025, 5, 7), django_capture_on_commit_callbacks)
    assert offer_of(p["W2"]).status == OfferStatus.LAPSED
    assert selectors.places(offering) == (1, 0)
    assert Offer.objects.filter(offering=offering).count() == 3
    # The late candidate may still register while a place is free (I7).
    with transaction.atomic(), at(paris(2025, 5, 8)):
        offers.lock_offering(offering.pk)
        taken = offers.offer_take(offer=offer_of(p["A"]), now=paris(2025, 5, 8))
    assert taken.status == OfferStatus.REGISTERED
    assert selectors.places(offering) == (1, 1)
    event = AuditEvent.objects.get(action="offer.register", object_id=str(p["A"].pk))
    assert event.data == {"late": True}


def test_I7_a_lapse_with_an_empty_waiting_list_leaves_the_place_free(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = people(admitted=("A",), capacity=1, sent=paris(2025, 3, 20, 18))
    offering = Offering.objects.get(pk=p["A"].offering_id)
    assert run(paris(2025, 4, 5), django_capture_on_commit_callbacks).lapsed == 1
    assert Offer.objects.filter(offering=offering).count() == 1
    assert selectors.places(offering) == (1, 0)
    assert emails("offer_waitlist") == [] and len(emails("offer_lapsed")) == 1


def test_I6_a_place_the_jury_left_free_is_not_given_away_by_one_lapse(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Capacity 3, one admitted, two on the list: one lapse frees one place, one offer."""
    p = people(admitted=("A",), waiting=("W1", "W2"), capacity=3, sent=paris(2025, 3, 20, 18))
    offering = Offering.objects.get(pk=p["A"].offering_id)
    assert selectors.places(offering) == (3, 1)
    run(paris(2025, 4, 5), django_capture_on_commit_callbacks)
    assert offer_of(p["W1"]).status == OfferStatus.OPEN
    assert not Offer.objects.filter(dossier=p["W2"]).exists()
    assert entry_of(p["W2"]).status == WaitlistStatus.WAITING
    assert selectors.places(offering) == (3, 1)


def test_R2_6_a_declined_place_moves_at_once(
    people: Any, django_capture_on_commit_callbacks: Any, other_candidate: Any
) -> None:
    p = people(admitted=("A",), waiting=("W1",), capacity=1)
    offering = Offering.objects.get(pk=p["A"].offering_id)
    with pytest.raises(DomainError):
        offers.offer_decline(offer=offer_of(p["A"]), by=other_candidate)
    with django_capture_on_commit_callbacks(execute=True):
        offers.offer_decline(offer=offer_of(p["A"]), by=p["A"].candidate)
    assert offer_of(p["A"]).status == OfferStatus.DECLINED
    assert Dossier.objects.get(pk=p["A"].pk).status == DossierStatus.DECLINED
    assert len(emails("offer_declined", p["A"])) == 1
    w1 = offer_of(p["W1"])
    assert w1.status == OfferStatus.OPEN and w1.sent_at is not None
    assert len(emails("offer_waitlist", p["W1"])) == 1
    assert selectors.places(offering) == (1, 1)
    with pytest.raises(DomainError):
        offers.offer_decline(offer=offer_of(p["A"]), by=p["A"].candidate)


def test_I7_waiting_list_order_across_two_sittings_and_the_office_reorders(
    people: Any, office: Any, jury: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # March sitting: A admitted, M1 and M2 on the list (M2 ranked first though made after M1).
    # April sitting: P1 first of its own list.
    march = people(
        admitted=("A",),
        waiting=("M2", "M1"),
        ranks={"M1": 1, "M2": 2},
        capacity=1,
        sent=paris(2025, 3, 28, 18),
    )
    assert march["M2"].pk < march["M1"].pk
    april = people(waiting=("P1",), sent=paris(2025, 4, 25, 18))
    assert march["A"].sitting_id != april["P1"].sitting_id
    offering_id = march["A"].offering_id
    order = [e.dossier_id for e in selectors.waiting(offering_id)]
    assert order == [march["M1"].pk, march["M2"].pk, april["P1"].pk]
    assert selectors.waitlist_rank(entry_of(april["P1"])) == 3
    # The office moves P1 to the top, with a reason; nobody else, and never without one.
    with pytest.raises(DomainError):
        offers.waitlist_move(entry=entry_of(april["P1"]), by=jury, rank=1, reason="Priority")
    with pytest.raises(DomainError):
        offers.waitlist_move(entry=entry_of(april["P1"]), by=office, rank=1, reason="  ")
    with pytest.raises(DomainError):
        offers.waitlist_move(entry=entry_of(april["P1"]), by=office, rank=4, reason="Priority")
    offers.waitlist_move(entry=entry_of(april["P1"]), by=office, rank=1, reason="Sponsored by a partner")
    order = [e.dossier_id for e in selectors.waiting(offering_id)]
    assert order == [april["P1"].pk, march["M1"].pk, march["M2"].pk]
    state = selectors.waiting_state(entry_of(march["M2"]))
    assert (state.rank, state.places_left, state.capacity) == (3, 0, 1)
    event = AuditEvent.objects.get(action="waitlist.move")
    assert (event.from_state, event.to_state, event.reason, event.actor_id) == (
        "3",
        "1",
        "Sponsored by a partner",
        office.pk,
    )
    # The place that lapses goes to P1.
    run(paris(2025, 4, 13), django_capture_on_commit_callbacks)
    assert offer_of(april["P1"]).status == OfferStatus.OPEN
    assert not Offer.objects.filter(dossier__in=[march["M1"], march["M2"]]).exists()
    assert selectors.waitlist_rank(entry_of(march["M2"])) == 2


def test_I7_a_waiting_candidate_who_left_or_was_erased_is_skipped(
    people: Any, office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from privacy.services import dossier_erase

    p = people(admitted=("A",), waiting=("W1", "W2", "W3", "W4"), capacity=1, sent=paris(2025, 3, 20, 18))
    dossier_erase(dossier=p["W1"], by=office, cause="request")
    Dossier.objects.filter(pk=p["W2"].pk).update(status=DossierStatus.WITHDRAWN)  # gone from the list
    dossier_erase(dossier=p["W3"], by=office, cause="request")
    assert selectors.waitlist_rank(entry_of(p["W4"])) == 1  # those who left are not ahead of W4
    run(paris(2025, 4, 5), django_capture_on_commit_callbacks)
    assert offer_of(p["W4"]).status == OfferStatus.OPEN
    assert len(emails("offer_waitlist", p["W4"])) == 1
    assert not Offer.objects.filter(dossier__in=[p["W1"], p["W2"], p["W3"]]).exists()
    assert [entry_of(p[n]).status for n in ("W1", "W2", "W3")] == [WaitlistStatus.LEFT] * 3
    assert emails("offer_waitlist") == emails("offer_waitlist", p["W4"])


# ---- the command (item 7) ---------------------------------------------------------------------


def test_I7_run_schedule_command_prints_its_report(people: Any) -> None:
    p = people(admitted=("A",), waiting=("W1",), capacity=1, sent=paris(2025, 3, 20, 18))
    out = io.StringIO()
    with at(paris(2025, 4, 5, 0, 1)):
        call_command("run_schedule", stdout=out)
    assert out.getvalue().strip() == "offers opened 0, waiting-list offers sent 1, reminders 0, lapsed 1"
    assert offer_of(p["W1"]).status == OfferStatus.OPEN
    out = io.StringIO()
    with at(paris(2025, 4, 5, 0, 6)):
        call_command("run_schedule", stdout=out)
    assert out.getvalue().strip() == "offers opened 0, waiting-list offers sent 0, reminders 0, lapsed 0"


def test_I7_run_schedule_opens_an_offer_a_crash_left_missing(people: Any) -> None:
    p = people(admitted=("A",), capacity=1)
    Offer.objects.filter(dossier=p["A"]).delete()
    out = io.StringIO()
    call_command("run_schedule", stdout=out)
    assert out.getvalue().startswith("offers opened 1,")
    assert offer_of(p["A"]).sent_at == Decision.objects.get(dossier=p["A"]).notified_at


def test_run_schedule_queue_on_the_immediate_backend_says_to_use_cron() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("run_schedule", "--queue", stdout=out, stderr=err)
    assert "cron" in err.getvalue() and out.getvalue() == ""


def test_run_schedule_queue_on_the_database_backend_queues_one_recurring_run(settings: Any, db: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from registration.tasks import run_schedule_recurring

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(2):  # twice queues it once
        out, err = io.StringIO(), io.StringIO()
        call_command("run_schedule", "--queue", stdout=out, stderr=err)
        assert "5 minutes" in out.getvalue() and err.getvalue() == ""
    queued = DBTaskResult.objects.filter(task_path=run_schedule_recurring.module_path, status="READY")
    assert queued.count() == 1


# ---- the places the jury sees (I6, issue 8 item 1) --------------------------------------------


def test_I6_jury_and_capacity_count_offers_not_decisions(
    people: Any,
    open_session: Any,
    office: Any,
    finance: Any,
    director_be: Any,
    jury: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    march = people(admitted=("A", "B", "R"), capacity=3, sent=paris(2025, 3, 28, 18))
    offering = Offering.objects.get(pk=march["A"].offering_id)
    # R registers: still held.
    with transaction.atomic():
        offers.lock_offering(offering.pk)
        offers.offer_take(offer=offer_of(march["R"]), now=paris(2025, 3, 29))
    # The April sitting, still open.
    c = at_jury_dossier(
        open_session, email="c@example.org", office=office, finance=finance, director=director_be
    )
    sitting = c.sitting
    assert sitting is not None and sitting.pk != march["A"].sitting_id

    def held() -> int:
        (group,) = [g for g in adm_selectors.jury_screen(sitting) if g.offering.pk == offering.pk]
        assert group.capacity == 3
        return group.held

    assert held() == 3 and selectors.places(offering) == (3, 3)
    with pytest.raises(DomainError) as err:
        decide(c, jury=jury, outcome=ADMITTED)
    assert err.value.code == "capacity"
    # B declines (nobody waiting): a free place for the jury.
    offers.offer_decline(offer=offer_of(march["B"]), by=march["B"].candidate)
    assert held() == 2
    decide(c, jury=jury, outcome=ADMITTED)  # an admission of an open sitting holds a place
    assert held() == 3
    # A's window lapses: free again.
    run(paris(2025, 4, 13), django_capture_on_commit_callbacks)
    assert offer_of(march["A"]).status == OfferStatus.LAPSED
    assert offer_of(march["R"]).status == OfferStatus.REGISTERED
    assert held() == 2
    d = at_jury_dossier(
        open_session, email="d@example.org", office=office, finance=finance, director=director_be
    )
    decide(d, jury=jury, outcome=ADMITTED)
    assert held() == 3
    # Closed but the letters not sent yet (no offer): the admissions still hold their places.
    adm.sitting_close(sitting=sitting, by=office, reason="closed before its date (test)")
    assert not Offer.objects.filter(dossier__in=[c, d]).exists()
    assert selectors.places(offering) == (3, 3)
    assert adm.places(offering) == (3, 3)
