"""Demo data for `make run`: one account per staff role and realistic candidates in every state."""

import datetime as dt
import io
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import mfa_give_totp
from applications import services
from applications.models import DocumentLanguage, DocumentRole, Dossier, FeePayment
from applications.rules import ascii_fold
from applications.selectors import required_document_types
from catalog import defaults, rules
from catalog.models import AdmissionSession, CvecRate, Institution, Program
from catalog.services import catalog_create_session
from notifications.models import EmailStatus, OutgoingEmail

DEMO_PASSWORD = "cursus-demo"  # noqa: S105 — demo accounts only, printed by `make run`

STAFF = [
    ("admin@cursus.demo", "Alice", "Admin", None, True),
    ("office@cursus.demo", "Odile", "Bureau", "Admissions office", False),
    ("director@cursus.demo", "Denis", "Directeur", "Program directors", False),
    ("jury@cursus.demo", "Judith", "Juré", "Jury members", False),
    ("finance@cursus.demo", "Fabrice", "Financier", "Finance", False),
    ("teacher@cursus.demo", "Thérèse", "Enseignante", "Teachers", False),
]
CANDIDATE_EMAIL = "candidate@cursus.demo"

# first names, surname, nationality, path, experience, bac5 in progress, language
PEOPLE = [
    ("Élodie", "Lefèvre", "FR", "a", None, False, "fr"),
    ("Mamadou", "Diallo", "SN", "c", None, False, "fr"),
    ("Thị Hoa", "Nguyễn", "VN", "f", None, False, "en"),
    ("Søren", "Kierkegård", "DK", "d", "4.5", False, "en"),
    ("José", "Martínez Ruiz", "ES", "c", None, True, "fr"),
    ("Aïcha", "Benali", "MA", "d", "2", False, "fr"),
    ("François", "Dupré-Lenôtre", "FR", "b", None, False, "fr"),
    ("Zoë", "Müller", "DE", "e", None, False, "en"),
    ("Wei", "Chen", "CN", "f", None, False, "en"),
    ("Ana Lúcia", "Gonçalves", "BR", "f", None, False, "fr"),
    ("Łukasz", "Wiśniewski", "PL", "a", None, False, "en"),
    ("Ingrid", "Østergaard", "NO", "c", None, False, "fr"),
]


def tiny_pdf(title: str) -> bytes:
    """A small valid one-page PDF, so demo documents open in a viewer."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text.replace(b"(", b"[").replace(b")", b"]") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def demo_session(institution: Institution, today: dt.date) -> AdmissionSession:
    """A practice session open today, shaped like 2025-2026 (same fees, shifted dates)."""
    year = today.year if today >= dt.date(today.year, 6, 5) else today.year - 1
    # The ministry sets the CVEC each year (R3.2): the demo's academic year gets the notice's amount as a
    # placeholder, so that pages name the right year.
    notice_rate = CvecRate.objects.get(academic_year=defaults.CVEC[0])
    cvec, _created = CvecRate.objects.get_or_create(
        academic_year=f"{year + 1}-{year + 2}", defaults={"amount": notice_rate.amount}
    )
    programs = {p.code: p for p in Program.objects.filter(institution=institution)}
    from admission.services import sittings_install_defaults

    session = catalog_create_session(
        institution=institution,
        cvec=cvec,
        programs=programs,
        name=f"{year + 1}-{year + 2}",
        opens_on=dt.date(year, 9, 25),
        closes_on=dt.date(year + 1, 6, 4),
        international_closes_on=dt.date(year + 1, 3, 12),
        note="Demo session: dates shifted from the 2025-2026 notice so that the demo takes applications.",
    )
    sittings_install_defaults(session)
    return session


def _user(email: str, first: str, last: str, *, language: str = "fr", **extra: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, language=language, **extra
        )
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _fill(
    dossier: Dossier, person: tuple[Any, ...], *, at: dt.datetime, documents: bool, fee: bool
) -> Dossier:
    first, last, nat, path, exp, in_progress, _lang = person
    by = dossier.candidate
    services.dossier_save_section(
        dossier=dossier,
        by=by,
        section="identity",
        data={
            "last_name": last,
            "first_names": first,
            "birth_date": dt.date(1995, 5, 17),
            "birth_place": "Lille" if nat == "FR" else "—",
            "nationality": nat,
            "second_nationality": "",
        },
    )
    services.dossier_save_section(
        dossier=dossier,
        by=by,
        section="contact",
        data={
            "phone": "+33 6 12 34 56 78",
            "address": "12 rue de la Paix",
            "postal_code": "59000",
            "city": "Lille",
            "country": "FR" if nat == "FR" else nat,
        },
    )
    from decimal import Decimal

    services.dossier_save_section(
        dossier=dossier,
        by=by,
        section="eligibility",
        data={
            "eligibility_path": path,
            "diploma_title": "Master" if path != "d" else "Maîtrise (M1)",
            "diploma_institution": "Université",
            "diploma_year": 2022,
            "experience_years": Decimal(exp) if exp else None,
            "bac5_in_progress": in_progress,
        },
    )
    services.dossier_save_section(
        dossier=dossier,
        by=by,
        section="financing",
        data={"financing_intention": ["personal", "company", "job_seeker"][dossier.pk % 3]},
    )
    dossier.refresh_from_db()
    if documents:
        for t in required_document_types(dossier):
            data = tiny_pdf(f"{t.label_en} - {first} {last}")
            lang = (
                DocumentLanguage.OTHER
                if (t.code == "diploma" and nat in {"BR", "CN"})
                else DocumentLanguage.FR
            )
            services.document_upload(
                dossier=dossier,
                by=by,
                document_type=t,
                fileobj=io.BytesIO(data),
                name=f"{t.code}.pdf",
                size=len(data),
                language=lang,
            )
            if lang == DocumentLanguage.OTHER:
                tr = tiny_pdf(f"Translation - {t.label_en}")
                services.document_upload(
                    dossier=dossier,
                    by=by,
                    document_type=t,
                    fileobj=io.BytesIO(tr),
                    name=f"{t.code}-traduction.pdf",
                    size=len(tr),
                    language=DocumentLanguage.EN,
                    role=DocumentRole.TRANSLATION,
                )
    if fee and dossier.eligibility().eligible:
        channel = "flywire" if dossier.is_international else "transfer"
        services.fee_declare(dossier=dossier, by=by, channel=channel, paid_on=at.date(), at=at)
    return dossier


@transaction.atomic
def seed_demo(*, candidates: int = 12, today: dt.date) -> list[str]:
    """Idempotent: existing demo accounts are kept."""
    institution = Institution.objects.order_by("pk").first()
    if institution is None:
        raise RuntimeError("run `manage.py seed_defaults` first")
    lines = []
    groups = {g.name: g for g in Group.objects.all()}
    staff = {}
    for email, first, last, group, superuser in STAFF:
        user = _user(email, first, last, is_staff=True, is_superuser=superuser)
        if group:
            user.groups.add(groups[group])
        # Staff need a second factor (issue 6 §2): the demo's come with an authenticator whose current
        # code `manage.py demo_code EMAIL` prints.
        mfa_give_totp(user=user)
        staff[email] = user
        lines.append(f"{email:28} {DEMO_PASSWORD}  {group or 'superuser'}")
    finance = staff["finance@cursus.demo"]
    for p in Program.objects.filter(institution=institution, code__in=["BE+", "CSE"]):
        p.directors.add(staff["director@cursus.demo"])
    lines.append(f"{CANDIDATE_EMAIL:28} {DEMO_PASSWORD}  candidate")

    session_now = demo_session(institution, today)
    closed = AdmissionSession.objects.filter(institution=institution, name=defaults.SESSION["name"]).first()
    now = rules.end_of_day(today) - dt.timedelta(hours=12)
    offerings_now = list(session_now.offerings.select_related("program").order_by("program__code"))

    if Dossier.objects.filter(candidate__email__endswith="@exemple.demo").exists():
        return lines
    main = _user(CANDIDATE_EMAIL, "Camille", "Démo")
    d = services.dossier_open(candidate=main, offering=offerings_now[0], at=now)
    _fill(d, ("Camille", "Démo", "FR", "c", None, False, "fr"), at=now, documents=True, fee=False)

    from admission import services as adm
    from admission.models import JurySitting, Outcome

    office, director, jury = (
        staff["office@cursus.demo"],
        staff["director@cursus.demo"],
        staff["jury@cursus.demo"],
    )
    for sitting in JurySitting.objects.filter(session__institution=institution):
        sitting.members.add(jury)
        if sitting.president_id is None:
            sitting.president = jury
            sitting.save(update_fields=["president"])
    # Directors read the programs the demo candidates apply to.
    for p in Program.objects.filter(institution=institution):
        p.directors.add(director)

    def complete(dossier: Dossier, at: dt.datetime) -> Dossier:
        dossier = services.dossier_submit(dossier=dossier, by=dossier.candidate, at=at)
        for f in dossier.files.filter(superseded_at__isnull=True):
            adm.document_verdict(file=f, by=office, verdict="accepted")
        payment = FeePayment.objects.filter(dossier=dossier).exclude(status="rejected").first()
        if payment is not None:
            services.fee_confirm(payment=payment, by=finance, booked_on=at.date())
        return adm.dossier_mark_complete(dossier=dossier, by=office)

    # What happens to the i-th demo candidate: every state that exists, now and last year.
    scenarios = [
        "draft",
        "partial",
        "submitted",
        "incomplete",
        "complete",
        "at_jury",
        "withdrawn",
        "admitted",
        "conditional",
        "waiting_list",
        "refused",
        "reviewed",
    ]
    past_decisions = {
        "admitted": Outcome.ADMITTED,
        "conditional": Outcome.CONDITIONAL,
        "waiting_list": Outcome.WAITING_LIST,
        "refused": Outcome.REFUSED,
    }
    closed_sitting = None
    for i in range(candidates):
        person = PEOPLE[i % len(PEOPLE)]
        first, last, nat, path, exp, in_progress, lang = person
        scenario = scenarios[i % len(scenarios)]
        if scenario == "conditional":
            person = (first, last, nat, "c", None, True, lang)
        elif path == "d" and (exp is None or float(exp) < 3) and scenario not in {"draft", "partial"}:
            person = (first, last, nat, "c", None, False, lang)  # eligible, so that the story can go on
        elif in_progress and scenario in past_decisions:
            person = (first, last, nat, path, exp, False, lang)
        email = f"{ascii_fold(first.split()[0]).lower()}.{i}@exemple.demo"
        user = _user(email, first, last, language=lang)
        if closed is not None and (scenario in past_decisions or scenario == "reviewed"):
            offering = closed.offerings.select_related("program").order_by("program__code")[i % 5]
            at = rules.end_of_day(closed.international_closes_on) - dt.timedelta(days=30 + i)
        else:
            offering = offerings_now[i % len(offerings_now)]
            at = now
        dossier = services.dossier_open(candidate=user, offering=offering, at=at)
        if scenario == "draft":
            continue
        _fill(dossier, person, at=at, documents=scenario != "partial", fee=scenario != "partial")
        if scenario == "partial":
            continue
        if scenario == "incomplete":
            services.dossier_submit(dossier=dossier, by=user, at=at)
            # A document outside the session's list: its "on request" slot opens in this dossier.
            adm.dossier_mark_incomplete(
                dossier=dossier,
                by=office,
                missing=["Attestation de stage de fin d'études, signée par l'entreprise"],
                ask_document=True,
            )
            continue
        if scenario == "submitted":
            services.dossier_submit(dossier=dossier, by=user, at=at)
            continue
        dossier = complete(dossier, at)
        if scenario == "complete":
            adm.interview_propose(
                dossier=dossier,
                by=director,
                starts_at=now + dt.timedelta(days=7),
                mode="video",
                link="https://visio.example.org/ms-entretien",
                at=now,
            )
            continue
        if scenario == "withdrawn":
            services.dossier_withdraw(dossier=dossier, by=user, reason="A choisi une autre formation")
            continue
        if scenario == "reviewed":
            # The opinion came after every cut-off: no sitting can take it; the office must route it.
            adm.opinion_give(
                dossier=dossier,
                by=director,
                favourable=True,
                comment="Bon dossier",
                at=rules.end_of_day(offering.session.closes_on) + dt.timedelta(days=30),
            )
            continue
        adm.opinion_give(
            dossier=dossier,
            by=director,
            favourable=scenario != "refused",
            comment="" if scenario != "refused" else "Projet professionnel trop éloigné",
            at=at,
        )
        dossier.refresh_from_db()
        if scenario in past_decisions:
            adm.decision_record(
                dossier=dossier,
                by=jury,
                outcome=past_decisions[scenario],
                comment="Délibération de la séance",
            )
            closed_sitting = dossier.sitting
        elif scenario == "at_jury" and i % 2:
            adm.decision_record(dossier=dossier, by=jury, outcome=Outcome.ADMITTED)
    if closed_sitting is not None:
        for sitting in JurySitting.objects.filter(session=closed, status="open"):
            if not adm.sitting_undecided(sitting) and sitting.decisions.exists():
                adm.sitting_close(sitting=sitting, by=office)
                # Last year's decisions were emailed long ago: the worker has nothing to send.
                sitting.decisions.update(notified_at=sitting.closed_at)

    # Registration (issue 8): every state of the 15 days, the waiting list, financing and visas.
    def make_candidate(
        email: str, first: str, last: str, nat: str, in_progress: bool, lang: str, offering: Any
    ) -> Dossier:
        user = _user(email, first, last, language=lang)
        dossier = services.dossier_open(candidate=user, offering=offering, at=now)
        return _fill(
            dossier, (first, last, nat, "c", None, in_progress, lang), at=now, documents=True, fee=True
        )

    from django.test.utils import override_settings

    from registration.demo import seed_registration_demo

    # Its letters and offers went out "weeks ago": recorded as sent, printed nowhere. The 15 days are
    # counted from the real clock, so that the countdowns read true when the demo starts.
    with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}):
        seed_registration_demo(
            session=session_now,
            staff=staff,
            make_candidate=make_candidate,
            complete=complete,
            now=timezone.now(),
        )
        # Their direct-debit mandates (issue 9): signed by the students, awaiting the companies.
        from billing.demo import seed_mandates_demo

        seed_mandates_demo(institution=institution)
        # Studies (issue 10): curricula, a promotion with grades covering each outcome, an open jury.
        from studies.demo import seed_studies_demo

        seed_studies_demo(session=session_now, staff=staff, today=today)
    # Bank statements of these payments, for finance to import and watch match (issue 9).
    from billing.demo import write_demo_statements

    write_demo_statements(today=today)
    # Demo mail was "sent" long ago: do not flood the console when the worker starts.
    OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).update(status=EmailStatus.SENT)
    return lines
