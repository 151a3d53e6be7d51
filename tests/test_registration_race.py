"""Places that race (I6, I7, issue 8 items 1 and 7), on PostgreSQL with threads: a late registration,
the schedule giving the same place to the waiting list and the jury admitting someone else never
hold more places than the capacity; two schedules at once send nothing twice and move no place twice.
SQLite serialises writers, so these run on PostgreSQL only (CI runs both)."""

import datetime as dt
import io
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from admission.models import Decision
from applications.demo import tiny_pdf
from applications.models import Dossier, DossierStatus
from audit.models import AuditEvent
from catalog.models import Offering
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration import rules, selectors
from registration.models import (
    HOLDING,
    FileKind,
    Offer,
    OfferStatus,
    Registration,
    RegistrationStatus,
    Student,
    WaitlistEntry,
    WaitlistStatus,
)
from registration.services import enrolment, offers
from registration.services.files import registration_file_upload
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

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race is proved on PostgreSQL"),
]

CODES = ("BE+", "PPIB", "InECAM", "CSE", "MRPT")


def race(*jobs: Callable[[], str]) -> list[str]:
    """Start the jobs at the same instant, each in its own thread and connection; what each one
    returned, a DomainError's code, or "error: …" for anything else."""
    barrier = threading.Barrier(len(jobs))
    results: list[str] = [""] * len(jobs)

    def go(i: int, job: Callable[[], str]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except DomainError as exc:
            results[i] = f"refused: {exc.code}"
        except Exception as exc:  # noqa: BLE001 — any other error fails the test
            results[i] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results


def over(offer: Offer, *, days_ago: int) -> None:
    """The offer's email went ``days_ago`` days ago (its window computed as I7 says)."""
    sent = timezone.now() - dt.timedelta(days=days_ago)
    Offer.objects.filter(pk=offer.pk).update(sent_at=sent, ends_at=rules.window_end(sent))


def held(offering_id: int) -> int:
    return selectors.places(Offering.objects.get(pk=offering_id))[1]


# Who starts late, in seconds (late registration, schedule, jury): the schedule's lapse can then
# land before, between or after the two others' short transactions.
STAGGER = [(0, 0, 0), (0.05, 0, 0.05), (0.15, 0, 0.2), (0.3, 0, 0.35), (0, 0.05, 0.02), (0.02, 0, 0)]
# A registration does more once its place is taken (instalments, the student, emails) before it
# commits; the late registration holds its transaction that long.
REGISTRATION_WORK = 0.1


def reset(people: dict[str, Any]) -> None:
    """Back to the start of the round: L's window over and still open, J undecided, W waiting."""
    Offer.objects.filter(dossier=people["L"]).update(status=OfferStatus.OPEN, lapsed_at=None, closed_at=None)
    over(offer_of(people["L"]), days_ago=16)  # ended yesterday at 23:59:59 Paris
    Decision.objects.filter(dossier=people["J"]).delete()  # its sitting is still open
    if "W" in people:
        Offer.objects.filter(dossier=people["W"]).delete()
        WaitlistEntry.objects.filter(dossier=people["W"]).update(status=WaitlistStatus.WAITING)
        Dossier.objects.filter(pk=people["W"].pk).update(status=DossierStatus.WAITING_LIST)


@pytest.mark.django_db(transaction=True)
def test_I6_I7_late_registration_schedule_and_jury_race_for_the_last_place(
    open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any
) -> None:
    """Five programs, capacity 2 and full: R registered, L's window over (still open: the schedule
    has not seen it). L registers late while the schedule lapses L and offers the place to W (the
    programs with a waiting list) and the jury admits J in the next, still open, sitting. Each program
    plays the race several times, started with different staggers."""
    kw = {"office": office, "finance": finance, "director": director_be}
    programs: list[dict[str, Any]] = []
    for i, code in enumerate(CODES):
        set_capacity(open_session, code, 2)
        people = {
            "R": at_jury_dossier(open_session, email=f"r{i}@example.org", code=code, **kw),
            "L": at_jury_dossier(open_session, email=f"l{i}@example.org", code=code, **kw),
        }
        if i % 2 == 0:
            people["W"] = at_jury_dossier(open_session, email=f"w{i}@example.org", code=code, **kw)
        decide(people["R"], jury=jury, outcome=ADMITTED)
        decide(people["L"], jury=jury, outcome=ADMITTED)
        if "W" in people:
            decide(people["W"], jury=jury, outcome=WAITING, rank=1)
        programs.append(people)
    first = programs[0]["R"].sitting
    assert first is not None
    close_and_notify(first, office=office)
    for i, code in enumerate(CODES):
        people = programs[i]
        with transaction.atomic():
            offers.lock_offering(people["R"].offering_id)
            offers.offer_take(offer=offer_of(people["R"]), now=timezone.now())
        people["J"] = j = at_jury_dossier(open_session, email=f"j{i}@example.org", code=code, **kw)
        assert j.sitting is not None and j.sitting.pk != first.pk
        j.sitting.members.add(jury)

    def emails(kind: str, d: Dossier) -> int:
        return OutgoingEmail.objects.filter(kind=kind, to=d.candidate.email).count()

    seen: set[str] = set()
    for i, people in enumerate(programs):
        offering_id = people["R"].offering_id
        # The last attempt registers through the real thing (registration_complete): its draft is
        # ready, personal financing with the CVEC attestation.
        draft = enrolment.registration_open(dossier=people["L"], by=people["L"].candidate)
        enrolment.registration_save(
            registration=draft,
            by=people["L"].candidate,
            data={"financing": "personal", "cvec_number": "DOU1 234567 89"},
        )
        pdf = tiny_pdf("cvec")
        registration_file_upload(
            dossier=people["L"],
            by=people["L"].candidate,
            kind=FileKind.CVEC,
            fileobj=io.BytesIO(pdf),
            name="cvec.pdf",
            size=len(pdf),
        )
        for stagger, real in [*((st, False) for st in STAGGER), ((0, 0, 0), True)]:
            reset(people)
            late = offer_of(people["L"])
            assert (late.status, held(offering_id)) == (OfferStatus.OPEN, 2)
            before = {
                k: emails(k, people[n])
                for k, n in (("offer_lapsed", "L"), ("offer_waitlist", "W"))
                if n in people
            }
            lapses = AuditEvent.objects.filter(action="offer.lapse", object_id=str(people["L"].pk)).count()

            def register_late(
                late: Offer = late,
                wait: float = stagger[0],
                real: bool = real,
                reg: Registration = draft,
                who: Any = people["L"].candidate,
            ) -> str:
                time.sleep(wait)
                if real:
                    done = enrolment.registration_complete(registration=reg, by=who)
                    return "registered" if done.status == RegistrationStatus.COMPLETED else str(done.status)
                with transaction.atomic():
                    offers.lock_offering(late.offering_id)
                    taken = offers.offer_take(offer=late, now=timezone.now())
                    time.sleep(REGISTRATION_WORK)
                    return str(taken.status)

            def schedule(wait: float = stagger[1]) -> str:
                time.sleep(wait)
                return str(offers.schedule_run())

            def admit(j: Dossier = people["J"], wait: float = stagger[2]) -> str:
                from admission.services import decision_record

                time.sleep(wait)
                return str(decision_record(dossier=j, by=jury, outcome=ADMITTED).outcome)

            results = race(register_late, schedule, admit)
            where = (CODES[i], stagger, results)
            assert not [r for r in results if r.startswith("error")], where
            assert results[0] in ("registered", "refused: capacity"), where
            assert results[2] in ("admitted", "refused: capacity"), where
            offers.schedule_run()  # what the race left (a lapse rolled back with a refused registration)

            # Never more than the capacity, and the freed place went to exactly one of them.
            assert held(offering_id) == 2, where
            late.refresh_from_db()
            registered_late = late.status == OfferStatus.REGISTERED
            admitted = Decision.objects.filter(dossier=people["J"], outcome=ADMITTED).exists()
            offered = "W" in people and Offer.objects.filter(dossier=people["W"], status__in=HOLDING).exists()
            assert [registered_late, admitted, offered].count(True) == 1, where
            assert registered_late == (results[0] == "registered"), where
            assert admitted == (results[2] == "admitted"), where
            if real:
                assert Student.objects.filter(dossier=people["L"]).exists() == registered_late, where
                assert (
                    Registration.objects.get(dossier=people["L"]).status == "completed"
                ) == registered_late
            seen.add("registered late" if registered_late else "admitted" if admitted else "offered")
            # Over, L's window lapses once, whoever sees it first (the schedule or the registration).
            assert late.lapsed_at is not None, where
            now_lapses = AuditEvent.objects.filter(
                action="offer.lapse", object_id=str(people["L"].pk)
            ).count()
            assert now_lapses == lapses + 1, where
            if "W" in people:
                # With someone waiting, the place goes to them: the lapse comes before a late registration.
                assert offered and late.status == OfferStatus.LAPSED, where
                assert emails("offer_waitlist", people["W"]) == before["offer_waitlist"] + 1, where
            if late.status == OfferStatus.LAPSED:
                assert emails("offer_lapsed", people["L"]) == before["offer_lapsed"] + 1, where
    assert "offered" in seen and seen & {"registered late", "admitted"}


@pytest.mark.django_db(transaction=True)
def test_I7_two_schedules_at_once_send_nothing_twice_and_move_no_place_twice(
    open_session: Any, office: Any, finance: Any, director_be: Any, jury: Any
) -> None:
    """Three rounds, one program each (capacity 4, full): A1 and A2 lapse, R5 and R1 are due their
    5-day and 1-day reminders, W1, W2 and W3 wait. Two schedules run at the same instant."""
    kw = {"office": office, "finance": finance, "director": director_be}
    codes = CODES[:3]
    rounds: list[dict[str, Dossier]] = []
    for i, code in enumerate(codes):
        set_capacity(open_session, code, 4)
        people = {
            name: at_jury_dossier(open_session, email=f"{name.lower()}.{i}@example.org", code=code, **kw)
            for name in ("A1", "A2", "R5", "R1", "W1", "W2", "W3")
        }
        for name in ("A1", "A2", "R5", "R1"):
            decide(people[name], jury=jury, outcome=ADMITTED)
        for rank, name in enumerate(("W1", "W2", "W3"), start=1):
            decide(people[name], jury=jury, outcome=WAITING, rank=rank)
        rounds.append(people)
    sitting = rounds[0]["A1"].sitting
    assert sitting is not None
    close_and_notify(sitting, office=office)

    def count(kind: str, d: Dossier) -> int:
        return OutgoingEmail.objects.filter(kind=kind, to=d.candidate.email).count()

    for i, p in enumerate(rounds):
        offering_id = p["A1"].offering_id
        over(offer_of(p["A1"]), days_ago=16)
        over(offer_of(p["A2"]), days_ago=20)
        over(offer_of(p["R5"]), days_ago=11)  # ends in 4 days: the 5-day reminder is due
        over(offer_of(p["R1"]), days_ago=15)  # ends tonight: the 1-day reminder is due
        assert held(offering_id) == 4

        reports = race(lambda: str(offers.schedule_run()), lambda: str(offers.schedule_run()))
        assert not [r for r in reports if r.startswith("error")], reports

        # Each lapse once, each email once, one waiting-list offer per freed place.
        for name in ("A1", "A2"):
            assert offer_of(p[name]).status == OfferStatus.LAPSED
            assert count("offer_lapsed", p[name]) == 1, (i, name, reports)
            assert AuditEvent.objects.filter(action="offer.lapse", object_id=str(p[name].pk)).count() == 1
        for name, days in (("R5", 5), ("R1", 1)):
            assert count("offer_reminder", p[name]) == 1, (i, name, reports)
            events = AuditEvent.objects.filter(action="offer.remind", object_id=str(p[name].pk))
            assert [e.data["days_before"] for e in events] == [days]
        for name in ("W1", "W2"):
            offer = offer_of(p[name])
            assert offer.status == OfferStatus.OPEN and offer.sent_at is not None
            assert count("offer_waitlist", p[name]) == 1, (i, name, reports)
            assert entry_of(p[name]).status == WaitlistStatus.OFFERED
            assert Dossier.objects.get(pk=p[name].pk).status == DossierStatus.ADMITTED
        assert not Offer.objects.filter(dossier=p["W3"]).exists()
        assert entry_of(p["W3"]).status == WaitlistStatus.WAITING
        assert held(offering_id) == 4
        assert Offer.objects.filter(offering_id=offering_id).count() == 6
        # And once more, later: nothing new.
        again = offers.schedule_run()
        assert (again.lapsed, again.sent, again.reminders, again.opened) == (0, 0, 0, 0)
