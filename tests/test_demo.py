"""`seed_demo` fills the site with every state that exists so far, and can run twice."""

from typing import Any

from django.core.management import call_command

from accounts.models import User
from admission.models import Decision
from applications.models import Dossier, DossierStatus, FeePayment
from catalog.models import AdmissionSession


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
    assert Dossier.objects.count() == 13
    assert Decision.objects.filter(sitting__status="closed").count() >= 4
