"""Places as offers, the 15 days and the waiting list (issue 8 items 1–3, 7; R2.6, I6, I7)."""

import datetime as dt
from typing import Any

import pytest
import time_machine

from registration import rules, selectors
from registration.models import OfferStatus, WaitlistStatus
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


@pytest.fixture
def trio(open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any) -> dict[str, Any]:
    """BE+ with 1 place: A admitted, W1 and W2 on the waiting list, letters sent."""
    offering = set_capacity(open_session, "BE+", 1)
    kw = {"office": office, "finance": finance, "director": director_be}
    a = at_jury_dossier(open_session, email="a@example.org", **kw)
    w1 = at_jury_dossier(open_session, email="w1@example.org", **kw)
    w2 = at_jury_dossier(open_session, email="w2@example.org", **kw)
    decide(a, jury=jury, outcome=ADMITTED)
    decide(w2, jury=jury, outcome=WAITING, rank=2)
    decide(w1, jury=jury, outcome=WAITING, rank=1)
    assert a.sitting is not None
    close_and_notify(a.sitting, office=office)
    return {"offering": offering, "a": a, "w1": w1, "w2": w2}


def test_I7_offer_opens_when_the_admission_email_is_sent(trio: dict[str, Any]) -> None:
    offer = offer_of(trio["a"])
    decision = trio["a"].decision
    assert offer.status == OfferStatus.OPEN
    assert offer.sent_at == decision.notified_at
    assert offer.ends_at == rules.window_end(decision.notified_at)
    assert selectors.places(trio["offering"]) == (1, 1)
    assert [e.dossier_id for e in selectors.waiting(trio["offering"].pk)] == [trio["w1"].pk, trio["w2"].pk]


def test_I7_lapse_offers_the_place_to_the_first_of_the_waiting_list(trio: dict[str, Any]) -> None:
    offer = offer_of(trio["a"])
    assert offer.ends_at is not None
    with time_machine.travel(offer.ends_at + dt.timedelta(seconds=1)):
        report = offers.schedule_run()
        assert report.lapsed == 1
        assert report.sent == 1 or offer_of(trio["w1"]).sent_at is not None
    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    w1_offer = offer_of(trio["w1"])
    assert w1_offer.status == OfferStatus.OPEN and w1_offer.sent_at is not None
    assert entry_of(trio["w1"]).status == WaitlistStatus.OFFERED
    assert selectors.places(trio["offering"]) == (1, 1)
    trio["w1"].refresh_from_db()
    assert trio["w1"].status == "admitted"
    # Twice changes nothing.
    with time_machine.travel(offer.ends_at + dt.timedelta(seconds=2)):
        again = offers.schedule_run()
    assert (again.lapsed, again.sent, again.opened) == (0, 0, 0)


def test_I7_window_still_open_at_235959_paris(trio: dict[str, Any]) -> None:
    offer = offer_of(trio["a"])
    assert offer.ends_at is not None
    with time_machine.travel(offer.ends_at):
        assert offers.schedule_run().lapsed == 0
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_R2_6_decline_moves_the_place_at_once(trio: dict[str, Any]) -> None:
    offers.offer_decline(offer=offer_of(trio["a"]), by=trio["a"].candidate)
    assert offer_of(trio["a"]).status == OfferStatus.DECLINED
    assert offer_of(trio["w1"]).status == OfferStatus.OPEN
    assert selectors.places(trio["offering"]) == (1, 1)
