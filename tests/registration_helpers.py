"""Admitted and waiting-list candidates for the registration tests (issue 8), made through the
services, as the jury and the office make them."""

import datetime as dt
from typing import Any

from django.utils import timezone

from admission import services as adm
from admission.models import Decision, JurySitting, Outcome
from applications import services
from applications.models import Dossier
from catalog.models import AdmissionSession, Offering, Program
from registration.models import Offer, WaitlistEntry
from tests.conftest import fill_dossier, make_complete, make_user, offering

NOT_INTERNATIONAL = None


def at_jury_dossier(
    session: AdmissionSession,
    *,
    email: str,
    code: str = "BE+",
    office: Any,
    finance: Any,
    director: Any,
    identity: dict[str, Any] | None = None,
    eligibility: dict[str, Any] | None = None,
    language: str = "fr",
) -> Dossier:
    user = make_user(email, language=language)
    Program.objects.get(code=code).directors.add(director)
    d = fill_dossier(
        services.dossier_open(candidate=user, offering=offering(session, code)),
        identity=identity,
        eligibility=eligibility,
    )
    d = make_complete(d, office, finance)
    adm.opinion_give(dossier=d, by=director, favourable=True)
    d.refresh_from_db()
    assert d.status == "at_jury", d.status
    return d


def decide(dossier: Dossier, *, jury: Any, outcome: str, rank: int | None = None) -> Decision:
    assert dossier.sitting is not None
    dossier.sitting.members.add(jury)
    return adm.decision_record(dossier=dossier, by=jury, outcome=outcome, waitlist_rank=rank)


def close_and_notify(sitting: JurySitting, *, office: Any, at: dt.datetime | None = None) -> None:
    """Close the sitting and send every letter now (as the worker does after commit)."""
    adm.sitting_close(sitting=sitting, by=office, reason="closed before its date (test)", at=at)
    for decision in Decision.objects.filter(sitting=sitting, notified_at__isnull=True):
        adm.decision_notify(decision_id=decision.pk)


def set_capacity(session: AdmissionSession, code: str, capacity: int) -> Offering:
    Offering.objects.filter(session=session, program__code=code).update(capacity=capacity)
    return offering(session, code)


def offer_of(dossier: Dossier) -> Offer:
    return Offer.objects.get(dossier=dossier)


def entry_of(dossier: Dossier) -> WaitlistEntry:
    return WaitlistEntry.objects.get(dossier=dossier)


def now() -> dt.datetime:
    return timezone.now()


ADMITTED, CONDITIONAL, WAITING, REFUSED = (
    Outcome.ADMITTED,
    Outcome.CONDITIONAL,
    Outcome.WAITING_LIST,
    Outcome.REFUSED,
)
