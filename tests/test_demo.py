"""`seed_demo` fills the site with every state that exists so far, and can run twice."""

from typing import Any

from django.core.management import call_command

from accounts.models import User
from admission.models import Decision
from applications.models import Dossier, DossierStatus, FeePayment
from catalog.models import AdmissionSession
from registration.demo import STORIES


def test_seed_demo_covers_every_state_and_is_idempotent(db: Any) -> None:
    call_command("seed_defaults")
    call_command("seed_demo", candidates=12)
    call_command("seed_demo", candidates=12)
    assert AdmissionSession.objects.count() == 2  # 2025-2026 and a practice session open today
    for email in [
        "admin@cursus.demo",
        "office@cursus.demo",
        "director@cursus.demo",
        "jury@cursus.demo",
        "finance@cursus.demo",
        "candidate@cursus.demo",
    ]:
        assert User.objects.filter(email=email).exists(), email
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == set(DossierStatus.values)
    assert set(FeePayment.objects.values_list("status", flat=True)) >= {"declared", "confirmed"}
    names = " ".join(Dossier.objects.values_list("last_name", flat=True))
    assert "Nguyễn" in names and "Lefèvre" in names
    assert (
        Dossier.objects.filter(nationality="SN").exists()
        and Dossier.objects.filter(nationality="FR").exists()
    )
    assert Dossier.objects.count() == 13 + len(STORIES)
    assert Decision.objects.filter(sitting__status="closed").count() >= 4


def test_issue8_8_seed_demo_shows_every_state_of_registration(db: Any) -> None:
    """An open window with 3 days left, a lapsed place offered to the waiting list, a registered
    company-financed student, a conditional admission awaiting proof, a visa refusal (reported and
    approved), a place declined and a waiting list still waiting."""
    import datetime as dt

    from django.utils import timezone

    from registration.models import Offer, Registration, RegistrationFile, Student, VisaCase, WaitlistEntry

    call_command("seed_defaults")
    call_command("seed_demo", candidates=12)
    mine = Offer.objects.filter(dossier__candidate__email__endswith=".inscription@exemple.demo")
    statuses = set(mine.values_list("status", flat=True))
    assert statuses == {"open", "registered", "lapsed", "declined", "released"}
    three_days = mine.get(dossier__candidate__email="open.inscription@exemple.demo")
    assert three_days.ends_at is not None
    assert (timezone.localdate(three_days.ends_at) - timezone.localdate()) == dt.timedelta(days=3)
    assert mine.get(dossier__candidate__email="lapsed.inscription@exemple.demo").status == "lapsed"
    from_list = mine.filter(source="waiting_list")
    assert from_list.count() == 3 and all(o.sent_at is not None for o in from_list)
    assert WaitlistEntry.objects.filter(status="waiting").count() == 1
    company = Registration.objects.get(financing="company", status="completed")
    assert Student.objects.filter(registration=company).exists()
    assert company.instalments.count() == 3
    conditional = Registration.objects.get(dossier__candidate__email="conditional.inscription@exemple.demo")
    assert conditional.bac5_validated_at is None
    assert RegistrationFile.objects.filter(
        dossier=conditional.dossier, kind="bac5_proof", verdict="pending"
    ).exists()
    assert set(VisaCase.objects.values_list("status", flat=True)) == {"reported", "approved"}
