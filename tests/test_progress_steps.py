"""The candidate's progress steps name the jury sitting by the day it met (I4, I5): the planned day while
it is open, the day it closed once closed (the date its letters and minutes state)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import translation

from admission.models import JurySitting, SittingStatus
from applications.models import Dossier, DossierStatus
from applications.progress import progress_steps

PARIS = ZoneInfo("Europe/Paris")


def jury_step(sitting: JurySitting, status: str) -> str:
    dossier = Dossier(status=status, sitting=sitting)
    with translation.override("en"):
        steps = progress_steps(dossier, decision=None, interviews=[])
    (step,) = [s for s in steps if s.label == "Admission jury"]
    return step.detail


def test_I4_an_open_sitting_is_named_by_its_planned_day() -> None:
    sitting = JurySitting(sits_on=dt.date(2025, 6, 20), status=SittingStatus.OPEN)
    assert jury_step(sitting, DossierStatus.AT_JURY) == "sitting of 20/06/2025"


def test_I5_a_closed_sitting_is_named_by_the_paris_day_it_closed() -> None:
    # Closed early, at 00:30 Paris on the 12th (still the 11th in UTC): the 12th, as the letters say.
    closed = dt.datetime(2025, 6, 12, 0, 30, tzinfo=PARIS)
    sitting = JurySitting(sits_on=dt.date(2025, 6, 20), status=SittingStatus.CLOSED, closed_at=closed)
    assert jury_step(sitting, DossierStatus.ADMITTED) == "sitting of 12/06/2025"
