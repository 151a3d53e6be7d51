"""The people in the stories (convention 13) and the catalogue they live in."""

import datetime as dt
import io
import os
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import mfa_give_totp, roles_ensure_groups
from accounts.testing import SecondFactorClient
from admission.services import sittings_install_defaults
from applications import services
from applications.demo import demo_session, tiny_pdf
from applications.models import Dossier
from applications.selectors import required_document_types
from catalog.models import AdmissionSession, Offering, Program
from catalog.services import catalog_install_defaults

# Playwright's sync API runs an event loop in the test thread; Django must still be allowed to talk to
# the database from it (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Properties are checked on every example, however slow the machine is at that moment: a deadline per
# example only measures the load of a shared CI machine (a 200 ms example under load is not a defect).
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("cursus", deadline=None)
hypothesis_settings.load_profile("cursus")

PASSWORD = "Sésame-ouvre-toi-42"


def _image(fmt: str) -> bytes:
    """A small real image: uploads must decode (issue 6 §6)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


PNG_BYTES = _image("PNG")
JPEG_BYTES = _image("JPEG")


@pytest.fixture
def client() -> Client:
    """Staff logged in with ``client.login`` pass the second factor (accounts.testing)."""
    return SecondFactorClient()


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalog(db: Any) -> AdmissionSession:
    """Session 2025-2026 as the notice gives it (I16)."""
    session = catalog_install_defaults()
    roles_ensure_groups()
    sittings_install_defaults(session)
    return session


@pytest.fixture
def open_session(catalog: AdmissionSession) -> AdmissionSession:
    """A session taking applications today, shaped like 2025-2026."""
    return demo_session(catalog.institution, timezone.localdate())


def offering(session: AdmissionSession, code: str) -> Offering:
    return Offering.objects.select_related("session", "program").get(session=session, program__code=code)


def make_user(email: str, *, group: str | None = None, language: str = "fr", **extra: Any) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, language=language, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
        user.is_staff = True
        user.save()
        # Staff have an authenticator app (issue 6 §2); tests/test_security.py covers staff without one.
        mfa_give_totp(user=user)
    return user


@pytest.fixture
def candidate(catalog: AdmissionSession) -> User:
    return make_user("alice@example.org", first_name="Alice", last_name="Lefèvre")


@pytest.fixture
def other_candidate(catalog: AdmissionSession) -> User:
    return make_user("bob@example.org", first_name="Bob", last_name="Martin")


@pytest.fixture
def office(catalog: AdmissionSession) -> User:
    return make_user("office@example.org", group="Admissions office")


@pytest.fixture
def finance(catalog: AdmissionSession) -> User:
    return make_user("finance@example.org", group="Finance")


@pytest.fixture
def director_other(catalog: AdmissionSession) -> User:
    """Program director of MRPT only."""
    user = make_user("director.mrpt@example.org", group="Program directors")
    Program.objects.get(code="MRPT").directors.add(user)
    return user


@pytest.fixture
def jury(catalog: AdmissionSession) -> User:
    return make_user("jury@example.org", group="Jury members")


IDENTITY_FR = {
    "last_name": "Lefèvre",
    "first_names": "Alice Élodie",
    "birth_date": dt.date(1996, 2, 29),
    "birth_place": "Douai",
    "nationality": "FR",
    "second_nationality": "",
}
CONTACT = {
    "phone": "+33 6 11 22 33 44",
    "address": "3 rue Lahure",
    "postal_code": "59500",
    "city": "Douai",
    "country": "FR",
}
ELIGIBLE = {
    "eligibility_path": "a",
    "diploma_title": "Diplôme d'ingénieur",
    "diploma_institution": "Centrale Lille",
    "diploma_year": 2020,
    "experience_years": Decimal("2"),
    "bac5_in_progress": False,
}


def fill_dossier(
    dossier: Dossier,
    *,
    identity: dict[str, Any] | None = None,
    eligibility: dict[str, Any] | None = None,
    financing: str = "personal",
    documents: bool = True,
    fee: bool = True,
    at: dt.datetime | None = None,
) -> Dossier:
    by = dossier.candidate
    services.dossier_save_section(dossier=dossier, by=by, section="identity", data=identity or IDENTITY_FR)
    services.dossier_save_section(dossier=dossier, by=by, section="contact", data=CONTACT)
    services.dossier_save_section(dossier=dossier, by=by, section="eligibility", data=eligibility or ELIGIBLE)
    services.dossier_save_section(
        dossier=dossier, by=by, section="financing", data={"financing_intention": financing}
    )
    dossier.refresh_from_db()
    if documents:
        for t in required_document_types(dossier):
            data = tiny_pdf(t.code)
            services.document_upload(
                dossier=dossier,
                by=by,
                document_type=t,
                fileobj=io.BytesIO(data),
                name=f"{t.code}.pdf",
                size=len(data),
            )
    if fee:
        paid_on = (at.date() if at else dt.date.today()) - dt.timedelta(days=1)
        services.fee_declare(dossier=dossier, by=by, channel="transfer", paid_on=paid_on, at=at)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def draft(candidate: User, open_session: AdmissionSession) -> Dossier:
    return services.dossier_open(candidate=candidate, offering=offering(open_session, "BE+"))


@pytest.fixture
def ready(draft: Dossier) -> Dossier:
    """A draft with everything needed to submit."""
    return fill_dossier(draft)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser; no background traffic (the network is closed)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def make_complete(dossier: Dossier, office: User, finance: User) -> Dossier:
    """Submitted, every document accepted, fee confirmed, marked complete by the office."""
    from admission import services as adm
    from applications.models import FeePayment

    if dossier.status == "draft":
        services.dossier_submit(dossier=dossier, by=dossier.candidate)
    for f in dossier.files.filter(superseded_at__isnull=True):
        adm.document_verdict(file=f, by=office, verdict="accepted")
    payment = FeePayment.objects.filter(dossier=dossier).exclude(status="rejected").get()
    services.fee_confirm(payment=payment, by=finance, booked_on=payment.paid_on)
    dossier = adm.dossier_mark_complete(dossier=dossier, by=office)
    return dossier


@pytest.fixture
def director_be(catalog: AdmissionSession) -> User:
    """Program director of BE+."""
    user = make_user(
        "director.be@example.org", group="Program directors", first_name="Denise", last_name="Directrice"
    )
    Program.objects.get(code="BE+").directors.add(user)
    return user


@pytest.fixture
def complete(ready: Dossier, office: User, finance: User) -> Dossier:
    return make_complete(ready, office, finance)


@pytest.fixture
def at_jury(complete: Dossier, director_be: User) -> Dossier:
    from admission import services as adm

    adm.opinion_give(dossier=complete, by=director_be, favourable=True, comment="Très bon profil")
    complete.refresh_from_db()
    assert complete.status == "at_jury", complete.status
    return complete


@pytest.fixture
def sitting_member(at_jury: Dossier, jury: User) -> User:
    """The jury fixture, seated on the sitting the dossier went to."""
    assert at_jury.sitting is not None
    at_jury.sitting.members.add(jury)
    return jury
