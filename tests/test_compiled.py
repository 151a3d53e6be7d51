"""cursus.compiled: a query built by the ORM once, run with each call's values (issue 11 item 2).

The navigation's registration count (`registration_work`) is the query it serves: its answers must be the
ORM's for every instant and every person, on both sides of each edge, from the second call on as from
the first."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from catalog.models import AdmissionSession, Program
from cursus import compiled
from registration.models import Offer, OfferStatus, VisaStatus
from registration.selectors import registration_dossiers_visible_to
from registration.staff_selectors import ENDING_SOON_DAYS, RegistrationWork, _pending_proof, registration_work
from tests.conftest import make_user
from tests.registration_helpers import at_jury_dossier, close_and_notify, decide, offer_of

pytestmark = pytest.mark.django_db


def orm_work(user: Any, now: dt.datetime) -> RegistrationWork:
    """The count as the ORM builds it each time (what registration_work was before being compiled)."""
    found = registration_dossiers_visible_to(user).aggregate(
        ending_soon=Count(
            "pk",
            filter=Q(
                offer__status=OfferStatus.OPEN,
                offer__ends_at__gte=now,
                offer__ends_at__lt=now + dt.timedelta(days=ENDING_SOON_DAYS),
            ),
        ),
        proofs=Count("pk", filter=Q(_pending_proof(), offer__conditional=True)),
        visas=Count(
            "pk",
            filter=Q(visa__status=VisaStatus.REPORTED)
            & ~Q(offer__status__in=[OfferStatus.DECLINED, OfferStatus.RELEASED]),
        ),
    )
    return RegistrationWork(**found)


@pytest.fixture
def open_offer(
    open_session: AdmissionSession, office: User, finance: User, director_be: User, jury: User
) -> Offer:
    kw: dict[str, Any] = {"office": office, "finance": finance, "director": director_be}
    dossier = at_jury_dossier(open_session, email="a@example.org", **kw)
    decide(dossier, jury=jury, outcome="admitted")
    assert dossier.sitting is not None
    close_and_notify(dossier.sitting, office=office)
    offer = offer_of(dossier)
    assert offer.status == OfferStatus.OPEN and offer.ends_at is not None
    return offer


def test_issue11_the_count_reads_each_instant_on_both_sides_of_the_window(
    open_offer: Offer, office: User, director_be: User
) -> None:
    compiled.forget()
    end = open_offer.ends_at
    assert end is not None
    window = dt.timedelta(days=ENDING_SOON_DAYS)
    micro = dt.timedelta(microseconds=1)
    cases = [
        (end, 1),  # the window's last instant: still open (ends_at >= now)
        (end + micro, 0),  # ended
        (end - window, 0),  # exactly 5 days before: not yet "within 5 days" (ends_at < now + 5 days)
        (end - window + micro, 1),
        (timezone.now(), 0 if end - timezone.now() >= window else 1),
    ]
    for user in (office, director_be):
        for now, expected in cases:
            work = registration_work(user, now=now)
            assert work == orm_work(user, now), (user, now)
            assert work.ending_soon == expected, (user, now)


def test_issue11_each_person_gets_their_own_scope_from_the_same_compiled_query(
    open_offer: Offer, director_be: User, catalog: AdmissionSession
) -> None:
    compiled.forget()
    other = make_user("director.cse@example.org", group="Program directors")
    Program.objects.get(code="CSE").directors.add(other)
    end = open_offer.ends_at
    assert end is not None
    assert registration_work(director_be, now=end).ending_soon == 1
    assert registration_work(other, now=end) == RegistrationWork() == orm_work(other, end)
    Program.objects.get(code="BE+").directors.add(other)
    assert registration_work(other, now=end).ending_soon == 1


def test_issue11_compiled_once_then_one_query_each_time(open_offer: Offer, office: User) -> None:
    compiled.forget()
    office.has_perm("x")  # the permission cache, as a real request has it
    with CaptureQueriesContext(connection) as first:
        registration_work(office)
    with CaptureQueriesContext(connection) as second:
        registration_work(office)
    # The first call's statement with markers is stopped before the database: one query each time.
    assert len(first.captured_queries) == len(second.captured_queries) == 1
    assert (
        first.captured_queries[0]["sql"].split("WHERE")[0]
        == second.captured_queries[0]["sql"].split("WHERE")[0]
    )


def test_issue11_a_value_the_query_does_not_use_is_not_guessed(catalog: AdmissionSession) -> None:
    """A value given but absent from the SQL: nothing is compiled, the ORM answers each time."""
    compiled.forget()
    make_user("someone@example.org")
    since = timezone.now() - dt.timedelta(days=1)

    def build(v: Any) -> Any:
        return lambda: User.objects.filter(date_joined__gte=since).aggregate(n=Count("pk"))

    got = compiled.run_compiled("unused", build, {"since": since}, convert=lambda row: row["n"])
    assert got == User.objects.filter(date_joined__gte=since).count()
    assert compiled._compiled[("default", connection.vendor, "unused")] is None


def test_issue11_markers_are_only_instants_and_numbers() -> None:
    with pytest.raises(TypeError):
        compiled.markers({"name": "x"})
    with pytest.raises(TypeError):
        compiled.markers({"flag": True})
    marks = compiled.markers({"a": timezone.now(), "b": timezone.now(), "c": 3, "d": 4})
    assert len(set(marks.values())) == 4
