"""The steps a candidate sees on the dashboard (issue #3 §8)."""

from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from applications.models import Dossier, DossierStatus

ORDER = [
    DossierStatus.SUBMITTED,
    DossierStatus.COMPLETE,
    DossierStatus.REVIEWED,
    DossierStatus.AT_JURY,
]


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | current | todo
    detail: str = ""


def _day(value: Any) -> str:
    """The Paris date of an instant, as the candidate reads it (e.g. 4 April 2026)."""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _offer_detail(offer: Any) -> str:
    """When the 15 days to register run from: the decision email, or the email offering a place
    from the waiting list (R2.6, I7)."""
    if offer is None or offer.source != "waiting_list":
        return _("15 days from the decision email")
    if offer.sent_at is None:
        return _("15 days from the email offering you a place, on its way")
    return _("15 days from the email of %(date)s offering you a place from the waiting list") % {
        "date": _day(offer.sent_at)
    }


def progress_steps(
    dossier: Dossier, *, decision: Any, interviews: list[Any], offer: Any = None
) -> list[Step]:
    s = dossier.status
    decided = decision is not None
    ranks: dict[str, int] = {
        DossierStatus.DRAFT: 0,
        DossierStatus.INCOMPLETE: 0,
        DossierStatus.SUBMITTED: 1,
        DossierStatus.COMPLETE: 2,
        DossierStatus.REVIEWED: 3,
        DossierStatus.AT_JURY: 3,
    }
    rank = ranks.get(s, 4)
    if decided:
        rank = 5

    def state(n: int) -> str:
        return "done" if rank > n else ("current" if rank == n else "todo")

    steps = [
        Step(_("Received"), "done" if rank >= 1 else "current", ""),
        Step(_("Complete"), state(1), _("documents checked and fee confirmed")),
        Step(_("Under review by the program director"), state(2)),
    ]
    if interviews:
        i = interviews[0]
        steps.append(
            Step(
                _("Interview"),
                "done" if i.status == "held" or rank > 2 else "current",
                i.get_status_display(),
            )
        )
    sitting = dossier.sitting
    steps.append(
        Step(
            _("Admission jury"),
            state(3) if sitting else ("todo" if rank < 3 else state(3)),
            # The day it met: the day it closed once closed (the date its letters state), else the planned one.
            (_("sitting of %(date)s") % {"date": (sitting.closed_on or sitting.sits_on).strftime("%d/%m/%Y")})
            if sitting
            else "",
        )
    )
    steps.append(
        Step(_("Decision"), "done" if decided else "todo", decision.get_outcome_display() if decided else "")
    )
    if s in (DossierStatus.ADMITTED, DossierStatus.CONDITIONAL, DossierStatus.REGISTERED):
        # Issue 8: the admission's other half, the administrative registration.
        registered = s == DossierStatus.REGISTERED
        steps.append(
            Step(
                _("Administrative registration"),
                "done" if registered else "current",
                "" if registered else _offer_detail(offer),
            )
        )
    return steps


def _registration_step(enrolment: dict[str, Any]) -> str:
    """What to do with the place offered (R2.6, I7), from the registration's part of the dashboard
    (`registration.services.enrolment.candidate_state`); "" when there is nothing particular."""
    offer = enrolment.get("offer")
    if offer is None or offer.status not in ("open", "lapsed"):
        return ""
    if enrolment.get("lapsed"):
        if enrolment.get("place_free"):
            return _(
                "your 15 days to register are over: your place is no longer guaranteed. A place is "
                "free right now: you may still register, as long as it stays free."
            )
        return _(
            "your 15 days to register are over: your place is no longer guaranteed, and every place "
            "is taken at the moment. You will be told by email if a place frees up."
        )
    if offer.source != "waiting_list":
        return ""
    if offer.sent_at is None or offer.ends_at is None:
        return _(
            "a place is offered to you from the waiting list: the email that starts your 15 days to "
            "register is on its way."
        )
    return _(
        "a place was offered to you from the waiting list on %(sent)s: register by %(end)s "
        "23:59:59 Paris time; after that your place is no longer guaranteed."
    ) % {"sent": _day(offer.sent_at), "end": _day(offer.ends_at)}


def next_step(dossier: Dossier, enrolment: dict[str, Any] | None = None) -> str:
    """What happens next, in the candidate's words. ``enrolment`` is the registration's part of the
    dashboard, when known: it tells a place offered from the waiting list or a lapsed one."""
    s = dossier.status
    if enrolment and s in (DossierStatus.ADMITTED, DossierStatus.CONDITIONAL):
        told = _registration_step(enrolment)
        if told:
            return told
    if s == DossierStatus.SUBMITTED:
        return _(
            "the admissions office checks your documents and finance confirms the fee; then the "
            "program director reviews your dossier. You will be told by email."
        )
    if s == DossierStatus.COMPLETE:
        return _("the program director reviews your dossier and may invite you to an interview.")
    if s in (DossierStatus.REVIEWED, DossierStatus.AT_JURY):
        if dossier.sitting is not None:
            return _(
                "the admission jury examines your dossier at its sitting of %(date)s; the decision is sent by email."
            ) % {"date": dossier.sitting.sits_on.strftime("%d/%m/%Y")}
        return _("the admissions office assigns your dossier to a jury sitting.")
    if s in (DossierStatus.ADMITTED, DossierStatus.CONDITIONAL):
        return _(
            "complete your administrative registration within 15 days of the decision email; after that your place is no longer guaranteed."
        )
    if s == DossierStatus.WAITING_LIST:
        return _(
            "you will be told by email if a place frees up; you then have 15 days to register. Your rank "
            "and the places left are shown below."
        )
    if s == DossierStatus.REGISTERED:
        return _(
            "finance will ask you (or your company) for the direct-debit (SEPA) mandate; the instalments "
            "below are recorded as due until then."
        )
    return ""
