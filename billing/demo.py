"""Demo bank statements (issue 9 item 10): a CFONB 120 and a camt.053 file of the demo's payments,
written to `var/demo-statements/` for finance to import from the statements screen and watch match.

- `demo-cfonb120.txt`: the application fees declared by candidates and not yet confirmed, half quoting
  the fee's structured reference, half only "SURNAME MS CODE"; one of them pays the wrong amount; plus a
  transfer from a payer nobody knows.
- `demo-camt053.xml`: the first instalment of each registered demo student who pays by transfer (no signed
  mandate), quoting its reference.

Nothing is imported here: the demo user does it.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from applications.models import Dossier, PaymentStatus
from billing.references import display
from billing.services.ledger import balance, fee_due, instalment_dues
from billing.statements.writers import StatementEntry, camt053, cfonb120
from registration.models import InstalmentStatus, Registration, RegistrationStatus

UNKNOWN_PAYER = "ASSOCIATION LES AMIS DU PORT"
UNKNOWN_REMITTANCE = "COTISATION ANNUELLE 2026"


def statements_dir() -> Path:
    base = getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var"
    return Path(base) / "demo-statements"


def _payer(dossier: Dossier) -> str:
    first = (dossier.first_names or dossier.candidate.first_name).split(" ")[0]
    last = dossier.last_name or dossier.candidate.last_name
    return f"{first} {last}".strip()


def fee_entries(today: dt.date) -> list[StatementEntry]:
    """Credits for the declared, unconfirmed application fees, and one from an unknown payer."""
    dossiers = (
        Dossier.objects.filter(fee_payments__status=PaymentStatus.DECLARED)
        .exclude(fee_payments__status=PaymentStatus.CONFIRMED)
        .select_related("candidate", "offering__program", "offering__session")
        .distinct()
        .order_by("pk")
    )
    entries = []
    # One pays short (finance sees a partial payment, the candidate is told what is left): the third,
    # or the first when there are fewer, so that one fee still matches by name.
    short = 2 if len(dossiers) > 2 else 0
    for i, dossier in enumerate(dossiers):
        due = fee_due(dossier)
        amount = balance(due)
        if amount <= 0:
            continue
        surname = dossier.last_name or dossier.candidate.last_name
        if i % 2 == 0:
            remittance = f"FRAIS DE CANDIDATURE {display(due.reference)}"
        else:
            remittance = f"{surname} MS {dossier.offering.program.code}"
        if i == short:
            amount -= Decimal("10.00")
        entries.append(
            StatementEntry(
                booked_on=today - dt.timedelta(days=1 + i % 3),
                amount=amount,
                remittance=remittance,
                payer=_payer(dossier),
                reference=f"F{dossier.pk:06d}"[-7:],
            )
        )
    entries.append(
        StatementEntry(
            booked_on=today - dt.timedelta(days=1),
            amount=Decimal("45.00"),
            remittance=UNKNOWN_REMITTANCE,
            payer=UNKNOWN_PAYER,
            reference="X000001",
        )
    )
    return entries


def instalment_entries(today: dt.date) -> list[StatementEntry]:
    """Credits for the first instalment of each registered student who pays by transfer (no signed
    mandate yet: a company still to sign), quoting its reference. Students with a signed mandate are
    collected by direct debit: a transfer as well would pay twice."""
    from billing.models import MandateStatus

    entries = []
    registrations = (
        Registration.objects.filter(status=RegistrationStatus.COMPLETED)
        .exclude(mandates__status=MandateStatus.ACTIVE)
        .select_related("dossier__candidate")
    )
    for registration in registrations.order_by("pk"):
        dues = [
            d
            for d in instalment_dues(registration)
            if d.instalment is not None and d.instalment.status == InstalmentStatus.DUE
        ]
        if not dues or dues[0].instalment is None or dues[0].instalment.number != 1:
            continue
        amount = balance(dues[0])
        if amount <= 0:
            continue
        entries.append(
            StatementEntry(
                booked_on=today - dt.timedelta(days=1),
                amount=amount,
                remittance=f"SCOLARITE ECHEANCE 1 {display(dues[0].reference)}",
                payer=_payer(registration.dossier),
                reference=f"I{registration.pk:06d}",
            )
        )
    return entries


def write_demo_statements(*, today: dt.date) -> list[Path]:
    """Write (or rewrite) the two demo statement files; returns their paths."""
    folder = statements_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cfonb = folder / "demo-cfonb120.txt"
    camt = folder / "demo-camt053.xml"
    cfonb.write_bytes(cfonb120(fee_entries(today)))
    camt.write_bytes(
        camt053(instalment_entries(today), statement_id=f"DEMO-{today:%Y%m%d}", opening=Decimal("0"))
    )
    return [cfonb, camt]


# A demo creditor identifier (valid for `stdnum.eu.at_02`, belongs to nobody): the notice gives none,
# so a fresh install has none and finance enters the real one in the back office.
DEMO_CREDITOR_ID = "FR72ZZZ123456"


def seed_mandates_demo(*, institution: Any) -> int:
    """Each registered demo student signs their mandate (a made-up but valid French IBAN); a company's
    mandate waits for its signatory. Returns how many were signed."""
    from schwifty import IBAN

    from billing.models import MandateStatus
    from billing.services.mandates import mandate_sign, mandate_start

    if not institution.sepa_creditor_id:
        institution.sepa_creditor_id = DEMO_CREDITOR_ID
        institution.save(update_fields=["sepa_creditor_id"])
    signed = 0
    registrations = Registration.objects.filter(status=RegistrationStatus.COMPLETED).select_related(
        "dossier__candidate"
    )
    for registration in registrations.order_by("pk"):
        candidate = registration.dossier.candidate
        mandate = mandate_start(registration=registration, by=candidate)
        if mandate.status != MandateStatus.AWAITING or mandate.debtor_kind != "student":
            continue
        iban = IBAN.generate(
            "FR", bank_code="30006", branch_code="00001", account_code=f"{registration.pk:011d}"
        )
        mandate_sign(
            mandate=mandate,
            iban=str(iban),
            bic="",
            debtor_name=_payer(registration.dossier)[:70] or candidate.email,
            street="1 rue de la Paix",
            postcode="59500",
            town="Douai",
            country="FR",
            consent=True,
            ip="127.0.0.1",
            user_agent="demo",
            by=candidate,
        )
        signed += 1
    return signed
