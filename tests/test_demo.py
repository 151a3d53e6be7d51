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
    from studies.demo import PROMOTION  # issue 10: the extra students of the demo promotion

    assert Dossier.objects.count() == 13 + len(STORIES) + len(PROMOTION)
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
    assert WaitlistEntry.objects.filter(status="waiting").count() == 2  # the office can reorder
    company = Registration.objects.get(financing="company", status="completed")
    assert Student.objects.filter(registration=company).exists()
    assert company.instalments.count() == 3
    conditional = Registration.objects.get(dossier__candidate__email="conditional.inscription@exemple.demo")
    assert conditional.bac5_validated_at is None
    assert RegistrationFile.objects.filter(
        dossier=conditional.dossier, kind="bac5_proof", verdict="pending"
    ).exists()
    assert set(VisaCase.objects.values_list("status", flat=True)) == {"reported", "approved"}


def test_issue9_10_seed_demo_writes_statements_that_match(db: Any, settings: Any, tmp_path: Any) -> None:
    """`make run` leaves a CFONB 120 and a camt.053 statement of the demo's payments in
    var/demo-statements/: imported, they match by reference and by name, the stranger stays unmatched."""
    from django.core.files.base import ContentFile

    from billing.demo import UNKNOWN_PAYER
    from billing.models import BankLine, LineState
    from billing.services.statements import statement_process, statement_upload
    from billing.statements.detect import parse
    from catalog.models import Institution

    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_defaults")
    call_command("seed_demo", candidates=12)
    folder = tmp_path / "demo-statements"
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["demo-camt053.xml", "demo-cfonb120.txt"]
    finance = User.objects.get(email="finance@cursus.demo")
    institution = Institution.objects.order_by("pk").first()
    assert institution is not None
    for f in files:
        data = f.read_bytes()
        assert parse(data).lines
        imp = statement_upload(
            institution=institution,
            by=finance,
            fileobj=ContentFile(data),
            name=f.name,
            size=len(data),
            enqueue=False,
        )
        assert statement_process(import_id=imp.pk).status == "done"
    matched = BankLine.objects.filter(state=LineState.MATCHED)
    assert matched.filter(remittance__contains="SCOLARITE").exists()  # an instalment, by reference
    by_name = matched.filter(remittance__regex=r" MS [A-Za-z+]+$")  # "SURNAME MS CODE", no reference
    assert by_name.exists() and all(line.due and line.due.kind == "application_fee" for line in by_name)
    assert BankLine.objects.filter(state=LineState.PARTIAL).exists()  # the wrong amount, by reference
    assert not BankLine.objects.filter(state=LineState.PROPOSED).exists()
    assert BankLine.objects.get(payer=UNKNOWN_PAYER).state == LineState.UNMATCHED
