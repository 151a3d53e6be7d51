"""Demo of registration (issue 8 item 8): every state of the issue, so that `make run` shows it.

A dedicated sitting of the practice session, held three weeks ago, decided on ten candidates of one
program; then time is written back so that each window is where the story needs it: one with 3 days
left, one over (its place went to the waiting list), a registered company-financed student, a
conditional admission whose BAC+5 proof awaits the office, a visa refusal reported, one approved
(registration cancelled, first instalment to refund), a place declined, a waiting list still waiting.
"""

import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from admission import services as adm
from admission.models import Decision, JurySitting, Outcome
from applications.models import Dossier
from catalog.models import AdmissionSession

# key, first names, surname, nationality, BAC+5 in progress, language, outcome, waiting-list rank
STORIES = [
    ("open", "Inès", "Haddad", "FR", False, "fr", Outcome.ADMITTED, None),
    ("lapsed", "Thomas", "Lefort", "FR", False, "fr", Outcome.ADMITTED, None),
    ("company", "Lucas", "Moreau", "FR", False, "fr", Outcome.ADMITTED, None),
    ("conditional", "Chloé", "Martin", "FR", True, "fr", Outcome.CONDITIONAL, None),
    ("visa_reported", "Wei", "Zhang", "CN", False, "en", Outcome.ADMITTED, None),
    ("visa_approved", "Amadou", "Diallo", "SN", False, "fr", Outcome.ADMITTED, None),
    ("declined", "Julie", "Bernard", "FR", False, "fr", Outcome.ADMITTED, None),
    ("wait1", "Paul", "Girard", "FR", False, "fr", Outcome.WAITING_LIST, 1),
    ("wait2", "Sofia", "Rossi", "IT", False, "en", Outcome.WAITING_LIST, 2),
    ("wait3", "Nour", "Benali", "MA", False, "fr", Outcome.WAITING_LIST, 3),
    ("wait4", "Hugo", "Petit", "FR", False, "fr", Outcome.WAITING_LIST, 4),
    ("wait5", "Emma", "Leroy", "FR", False, "fr", Outcome.WAITING_LIST, 5),
]
PROGRAM = "PPIB"
# What `make run` prints beside each registration demo account.
ROLES = {
    "open": "admitted, 3 days left to register",
    "lapsed": "admitted, 15 days over (place went to the waiting list)",
    "company": "registered student, company financing",
    "conditional": "registered on condition, BAC+5 proof to check",
    "visa_reported": "international, visa refusal reported",
    "wait1": "offered a freed place from the waiting list",
    "wait4": "first on the waiting list",
}


def _file(title: str) -> tuple[io.BytesIO, str, int]:
    from applications.demo import tiny_pdf

    data = tiny_pdf(title)
    return io.BytesIO(data), f"{title}.pdf", len(data)


def _shift(dossier: Dossier, sent_at: dt.datetime) -> None:
    """Write back when the admission email went, as if the sitting had sat earlier (demo only)."""
    from registration import rules
    from registration.models import Offer

    Decision.objects.filter(dossier=dossier).update(notified_at=sent_at)
    Offer.objects.filter(dossier=dossier).update(sent_at=sent_at, ends_at=rules.window_end(sent_at))


def seed_registration_demo(
    *,
    session: AdmissionSession,
    staff: dict[str, User],
    make_candidate: Any,
    complete: Any,
    now: dt.datetime,
) -> None:
    from registration.services import enrolment, offers, visa

    office, director, jury, finance = (
        staff["office@cursus.demo"],
        staff["director@cursus.demo"],
        staff["jury@cursus.demo"],
        staff["finance@cursus.demo"],
    )
    offering = session.offerings.select_related("program").get(program__code=PROGRAM)
    sits_on = timezone.localdate(now) - dt.timedelta(days=21)
    sitting, _ = JurySitting.objects.get_or_create(
        session=session,
        name="Jury de démonstration (inscriptions)",
        defaults={"sits_on": sits_on, "cutoff": sits_on, "president": jury},
    )
    sitting.members.add(jury)
    dossiers: dict[str, Dossier] = {}
    for key, first, last, nat, in_progress, lang, outcome, rank in STORIES:
        dossier = make_candidate(
            f"{key}.inscription@exemple.demo", first, last, nat, in_progress, lang, offering
        )
        dossier = complete(dossier, now)
        adm.opinion_give(dossier=dossier, by=director, favourable=True, comment="Bon dossier", at=now)
        dossier.refresh_from_db()
        if dossier.sitting_id != sitting.pk:
            dossier = adm.dossier_move(
                dossier=dossier, by=office, sitting=sitting, reason="Démo : séance des inscriptions"
            )
        adm.decision_record(dossier=dossier, by=jury, outcome=outcome, waitlist_rank=rank)
        dossiers[key] = dossier
    adm.sitting_close(sitting=sitting, by=office, at=now)
    for decision in Decision.objects.filter(sitting=sitting):
        adm.decision_notify(decision_id=decision.pk)

    # Where each window stands today.
    _shift(dossiers["open"], now - dt.timedelta(days=12))  # 3 days left
    _shift(dossiers["lapsed"], now - dt.timedelta(days=20))  # over: lapses below
    for key in ("company", "conditional", "visa_reported", "visa_approved", "declined"):
        _shift(dossiers[key], now - dt.timedelta(days=6))
    for key in ("wait1", "wait2", "wait3", "wait4", "wait5"):
        Decision.objects.filter(dossier=dossiers[key]).update(notified_at=now - dt.timedelta(days=20))

    with transaction.atomic():
        # The registered company-financed student.
        d = dossiers["company"]
        reg = enrolment.registration_open(dossier=d, by=d.candidate)
        reg = enrolment.registration_save(
            registration=reg,
            by=d.candidate,
            data={
                "financing": "company",
                "company_name": "Nordtech Industrie SAS",
                "company_siret": "73282932000074",
                "company_address": "40 rue de l'Industrie\n59500 Douai",
                "company_contact": "Claire Dubois, responsable formation",
                "company_billing_email": "formation@nordtech.example",
            },
        )
        fileobj, name, size = _file("Convention de formation signee")
        from registration.services.files import registration_file_upload

        registration_file_upload(
            dossier=d, by=d.candidate, kind="agreement", fileobj=fileobj, name=name, size=size
        )
        enrolment.registration_complete(registration=reg, by=d.candidate, now=now)

        # The conditional admission, registered with personal financing, its BAC+5 proof to check.
        d = dossiers["conditional"]
        reg = enrolment.registration_open(dossier=d, by=d.candidate)
        reg = enrolment.registration_save(
            registration=reg,
            by=d.candidate,
            data={"financing": "personal", "cvec_number": "LIL1-2026-012345"},
        )
        for kind, title in (("cvec", "Attestation CVEC"), ("bac5_proof", "Attestation de reussite M2")):
            fileobj, name, size = _file(title)
            registration_file_upload(
                dossier=d, by=d.candidate, kind=kind, fileobj=fileobj, name=name, size=size
            )
        enrolment.registration_complete(registration=reg, by=d.candidate, now=now)

        # Two visa refusals: one reported, one approved by finance (the place goes to the list).
        for key in ("visa_reported", "visa_approved"):
            d = dossiers[key]
            visa.visa_record_number(
                dossier=d,
                by=d.candidate,
                efe_number="SN26-004512" if key == "visa_approved" else "CN26-118733",
            )
            fileobj, name, size = _file("Refus de visa")
            visa.visa_report_refusal(dossier=d, by=d.candidate, fileobj=fileobj, name=name, size=size)
        visa.visa_decide(
            dossier=dossiers["visa_approved"],
            by=finance,
            approve=True,
            reason="Notification de refus du consulat de Dakar vérifiée",
        )

        # A place declined.
        d = dossiers["declined"]
        offers.offer_decline(offer=d.offer, by=d.candidate)

    # The lapse: the place of the window that ended goes to the first of the waiting list.
    offers.schedule_run(now=now)
