"""The curriculum (issue 10 items 1, 2, 6, 8): 45 + 30 ECTS (R1.4), the copy of last year's, who reaches
the screens, the thesis and its approval (R1.7), the renewal flag and the renewal itself (R1.11), the demo."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Dossier
from audit.models import AuditEvent
from billing.models import Due, DueKind
from catalog.models import AdmissionSession, Program
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration.models import Registration, RegistrationStatus, Student
from studies.models import Component, Curriculum, Grade, Renewal, StudiesJury, Subject, Thesis, Unit
from studies.services import curriculum as svc
from studies.services.renewal import needs_renewal, renewal_amount, renewal_create
from studies.services.thesis import thesis_save
from tests.conftest import PASSWORD, make_user, offering

YEAR = "2025-2026"
# (code, ECTS, [(subject code, coefficient)]) — the README's worked example, 20 + 25 + 30.
TEACHING = [("UV1", "20", [("FIN", "2"), ("MKT", "1")]), ("UV2", "25", [("STA", "1"), ("PRG", "1")])]
PROFESSIONAL = [("MIS", "mission", "1"), ("THE", "thesis", "2"), ("DEF", "defence", "1")]


# ---- helpers (also used by tests/test_access.py and tests/test_walk.py) -------------------------------


def build_curriculum(
    program: Program,
    year: str = YEAR,
    *,
    teaching: list[Any] | None = None,
    professional: list[Any] | None = None,
    resit_session_on: dt.date | None = None,
) -> Curriculum:
    """A curriculum made with the ORM (the screens' services are tested on their own)."""
    curriculum, _created = Curriculum.objects.get_or_create(
        program=program, academic_year=year, defaults={"resit_session_on": resit_session_on}
    )
    if curriculum.units.exists():
        return curriculum
    for i, (code, ects, subjects) in enumerate(teaching if teaching is not None else TEACHING):
        unit = Unit.objects.create(
            curriculum=curriculum, code=code, name=f"Unit {code}", ects=Decimal(ects), position=i
        )
        for j, (s, coef) in enumerate(subjects):
            Subject.objects.create(
                curriculum=curriculum,
                unit=unit,
                code=s,
                name=f"Subject {s}",
                coefficient=Decimal(coef),
                position=j,
            )
    pro = Unit.objects.create(
        curriculum=curriculum, code="PRO", name="Mission", ects=Decimal(30), professional=True
    )
    for j, (s, kind, coef) in enumerate(professional if professional is not None else PROFESSIONAL):
        Subject.objects.create(
            curriculum=curriculum,
            unit=pro,
            code=s,
            name=f"Component {s}",
            coefficient=Decimal(coef),
            component=kind,
            position=j,
        )
    return curriculum


def make_student(
    session: AdmissionSession,
    program_code: str,
    email: str,
    *,
    year: str = YEAR,
    financing: str = "personal",
    agreement_ends_on: dt.date | None = None,
    last_name: str = "Étudiant",
) -> Student:
    """A registered student made with the ORM: a dossier, a completed registration, the student."""
    user = make_user(email, first_name="Eva", last_name=last_name)
    dossier = Dossier.objects.create(
        candidate=user,
        offering=offering(session, program_code),
        status="registered",
        last_name=last_name,
        first_names="Eva",
        submitted_at=timezone.now(),
    )
    reg = Registration.objects.create(
        dossier=dossier,
        status=RegistrationStatus.COMPLETED,
        financing=financing,
        agreement_starts_on=dt.date(int(year[:4]), 10, 1),
        agreement_ends_on=agreement_ends_on,
        completed_at=timezone.now(),
    )
    return Student.objects.create(
        user=user, dossier=dossier, registration=reg, offering=dossier.offering, academic_year=year
    )


@pytest.fixture
def be(catalog: AdmissionSession) -> Program:
    return Program.objects.get(code="BE+")


@pytest.fixture
def teacher(catalog: AdmissionSession) -> Any:
    return make_user("teacher@example.org", group="Teachers", first_name="Théo", last_name="Enseignant")


# ---- R1.4: 45 + 30 ---------------------------------------------------------------------------------


def test_R1_4_a_curriculum_of_45_and_30_passes_the_check(be: Program) -> None:
    assert svc.curriculum_check(build_curriculum(be)) == []


@pytest.mark.parametrize("ects", ["44.5", "45.5"])
def test_R1_4_teaching_units_not_worth_45_are_refused_in_words(be: Program, ects: str) -> None:
    curriculum = build_curriculum(be)
    Unit.objects.filter(curriculum=curriculum, code="UV2").update(ects=Decimal(ects) - 20)
    problems = svc.curriculum_check(curriculum)
    assert len(problems) == 1
    assert "45" in problems[0] and ects.replace(".", ",") in problems[0]  # French: 44,5
    with pytest.raises(DomainError, match="R1.4"):
        svc.curriculum_require_valid(curriculum)


def test_R1_4_the_check_speaks_english_too(be: Program) -> None:
    from django.utils import translation

    curriculum = build_curriculum(be)
    Unit.objects.filter(curriculum=curriculum, code="UV2").update(ects=Decimal("24.5"))
    with translation.override("en"):
        assert svc.curriculum_check(curriculum) == [
            "The teaching units are worth 44.5 ECTS; they must be worth 45 in all (R1.4)."
        ]


def test_R1_4_professional_part_must_be_30_with_one_mission_thesis_defence(be: Program) -> None:
    curriculum = build_curriculum(be, professional=[("MIS", "mission", "1"), ("THE", "thesis", "2")])
    Unit.objects.filter(curriculum=curriculum, professional=True).update(ects=Decimal("29.5"))
    problems = svc.curriculum_check(curriculum)
    assert any("29,5" in p for p in problems)
    assert any("soutenance" in p.lower() or "defence" in p.lower() for p in problems), problems
    Unit.objects.filter(curriculum=curriculum, professional=True).update(ects=Decimal(30))
    Subject.objects.create(
        curriculum=curriculum,
        unit=Unit.objects.get(curriculum=curriculum, professional=True),
        code="DEF",
        name="Soutenance",
        coefficient=Decimal(1),
        component=Component.DEFENCE,
    )
    assert svc.curriculum_check(curriculum) == []


def test_R1_4_built_through_the_services_45_passes_and_44_5_does_not(be: Program, office: Any) -> None:
    curriculum = svc.curriculum_create(program=be, academic_year="2026-2027", by=office)
    uv1 = svc.unit_save(curriculum=curriculum, by=office, code="UV1", name="Gestion", ects=Decimal("20"))
    uv2 = svc.unit_save(curriculum=curriculum, by=office, code="UV2", name="Données", ects=Decimal("24.5"))
    pro = svc.unit_save(
        curriculum=curriculum, by=office, code="PRO", name="Mission", ects=Decimal(30), professional=True
    )
    svc.subject_save(
        curriculum=curriculum, unit=uv1, by=office, code="FIN", name="Finance", coefficient=Decimal(2)
    )
    svc.subject_save(
        curriculum=curriculum, unit=uv2, by=office, code="STA", name="Stats", coefficient=Decimal(1)
    )
    for code, kind in (("MIS", "mission"), ("THE", "thesis"), ("DEF", "defence")):
        svc.subject_save(
            curriculum=curriculum,
            unit=pro,
            by=office,
            code=code,
            name=code,
            coefficient=Decimal(1),
            component=kind,
        )
    assert len(svc.curriculum_check(curriculum)) == 1
    svc.unit_save(curriculum=curriculum, by=office, unit=uv2, code="UV2", name="Données", ects=Decimal("25"))
    assert svc.curriculum_check(curriculum) == []
    # a second thesis, a component in a teaching unit, a second professional part: refused
    with pytest.raises(DomainError):
        svc.subject_save(
            curriculum=curriculum,
            unit=pro,
            by=office,
            code="TH2",
            name="x",
            coefficient=Decimal(1),
            component="thesis",
        )
    with pytest.raises(DomainError):
        svc.subject_save(
            curriculum=curriculum,
            unit=uv1,
            by=office,
            code="MI2",
            name="x",
            coefficient=Decimal(1),
            component="mission",
        )
    with pytest.raises(DomainError):
        svc.unit_save(
            curriculum=curriculum, by=office, code="PR2", name="x", ects=Decimal(1), professional=True
        )
    actions = set(AuditEvent.objects.filter(object_id=str(curriculum.pk)).values_list("action", flat=True))
    assert {
        "curriculum.create",
        "curriculum.unit.add",
        "curriculum.unit.change",
        "curriculum.subject.add",
    } <= actions


def test_R1_4_the_screen_shows_the_sums_and_the_problems(client: Any, be: Program, office: Any) -> None:
    curriculum = build_curriculum(be)
    Unit.objects.filter(curriculum=curriculum, code="UV2").update(ects=Decimal("24.5"))
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("curriculum_detail", args=[curriculum.pk])).content.decode()
    assert "44,5 / 45 ECTS" in page and "30 / 30 ECTS" in page
    assert "44,5" in page.split('id="problems"')[1][:600]


def test_screen_adds_a_unit_and_a_subject_with_its_teacher(
    client: Any, be: Program, director_be: Any, teacher: Any
) -> None:
    curriculum = svc.curriculum_create(program=be, academic_year=YEAR, by=director_be)
    client.login(email=director_be.email, password=PASSWORD)
    url = reverse("curriculum_detail", args=[curriculum.pk])
    r = client.post(
        url, {"action": "unit", "unit-new-code": "UV1", "unit-new-name": "Gestion", "unit-new-ects": "45"}
    )
    assert r.status_code == 302
    unit = Unit.objects.get(curriculum=curriculum)
    r = client.post(
        url,
        {
            "action": "subject",
            "subject-new-unit": str(unit.pk),
            "subject-new-code": "FIN",
            "subject-new-name": "Finance",
            "subject-new-coefficient": "2",
            "subject-new-teachers": [str(teacher.pk)],
        },
    )
    assert r.status_code == 302
    subject = Subject.objects.get(curriculum=curriculum)
    assert list(subject.teachers.all()) == [teacher]
    # a non-teacher offered as a teacher: the form refuses it, what was typed stays
    r = client.post(
        url,
        {
            "action": "subject",
            "subject-new-unit": str(unit.pk),
            "subject-new-code": "MKT",
            "subject-new-name": "Marketing typed",
            "subject-new-coefficient": "1",
            "subject-new-teachers": [str(director_be.pk)],
        },
    )
    assert r.status_code == 200 and "Marketing typed" in r.content.decode()
    assert Subject.objects.filter(curriculum=curriculum).count() == 1


def test_a_closed_jury_freezes_the_curriculum(be: Program, office: Any) -> None:
    curriculum = build_curriculum(be)
    StudiesJury.objects.create(curriculum=curriculum, sits_on=dt.date(2026, 7, 1), closed_at=timezone.now())
    unit = Unit.objects.get(curriculum=curriculum, code="UV1")
    with pytest.raises(DomainError):
        svc.unit_save(curriculum=curriculum, by=office, unit=unit, code="UV1", name="x", ects=Decimal(20))


# ---- the copy ------------------------------------------------------------------------------------------


def test_copy_takes_units_subjects_coefficients_teachers_never_grades(
    be: Program, office: Any, teacher: Any, open_session: Any
) -> None:
    source = build_curriculum(be, resit_session_on=dt.date(2026, 6, 15))
    fin = Subject.objects.get(curriculum=source, code="FIN")
    fin.teachers.add(teacher)
    student = make_student(open_session, "BE+", "s@example.org")
    Grade.objects.create(student=student, subject=fin, value=Decimal(12))
    Subject.objects.filter(pk=fin.pk).update(published_at=timezone.now())
    copy = svc.curriculum_copy(source=source, academic_year="2026-2027", by=office)
    assert copy.academic_year == "2026-2027" and copy.resit_session_on == dt.date(2027, 6, 15)
    same = [(u.code, u.ects, u.professional) for u in Unit.objects.filter(curriculum=source).order_by("code")]
    assert [
        (u.code, u.ects, u.professional) for u in Unit.objects.filter(curriculum=copy).order_by("code")
    ] == same
    copied = {s.code: s for s in Subject.objects.filter(curriculum=copy)}
    assert copied["FIN"].coefficient == Decimal(2) and copied["THE"].component == "thesis"
    assert list(copied["FIN"].teachers.all()) == [teacher]
    assert copied["FIN"].published_at is None
    assert not Grade.objects.filter(subject__curriculum=copy).exists()
    assert svc.curriculum_check(copy) == []
    assert AuditEvent.objects.filter(action="curriculum.copy", object_id=str(copy.pk)).exists()
    with pytest.raises(DomainError):  # the year has its curriculum now
        svc.curriculum_copy(source=source, academic_year="2026-2027", by=office)


def test_copy_button_copies_to_next_year(client: Any, be: Program, office: Any) -> None:
    source = build_curriculum(be)
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("curricula")).content.decode()
    assert "2026-2027" in page
    r = client.post(reverse("curriculum_copy", args=[source.pk]), {"academic_year": "2026-2027"})
    copy = Curriculum.objects.get(program=be, academic_year="2026-2027")
    assert r["Location"] == reverse("curriculum_detail", args=[copy.pk])
    assert Subject.objects.filter(curriculum=copy).count() == 7


# ---- access --------------------------------------------------------------------------------------------


def test_access_teacher_other_director_and_other_institution_get_404(
    client: Any, be: Program, open_session: Any, teacher: Any, director_other: Any, director_be: Any
) -> None:
    from catalog.models import Campus, Institution

    curriculum = build_curriculum(be)
    Subject.objects.get(curriculum=curriculum, code="FIN").teachers.add(teacher)  # even their own subject
    student = make_student(open_session, "BE+", "s@example.org")
    b = Institution.objects.create(name="Autre école", short_name="B", email="b@example.org")
    Campus.objects.create(institution=b, name="Campus B", address="1 rue B")
    office_b = make_user("office.b@example.org", group="Admissions office", institution=b)
    urls = [
        reverse("curriculum_detail", args=[curriculum.pk]),
        reverse("study_students", args=[curriculum.pk]),
        reverse("thesis_edit", args=[student.pk]),
    ]
    for person in (teacher, director_other, office_b):
        client.logout()
        assert client.login(email=person.email, password=PASSWORD)
        for url in urls:
            assert client.get(url).status_code == 404, (person.email, url)
        assert client.post(reverse("curriculum_copy", args=[curriculum.pk])).status_code == 404
        assert client.post(reverse("renewal_create", args=[student.pk])).status_code == 404
        listed = client.get(reverse("curricula"))
        assert listed.status_code == (404 if person == teacher else 200)
        assert f"curriculum-{curriculum.pk}" not in listed.content.decode()
    client.logout()
    client.login(email=director_be.email, password=PASSWORD)
    assert all(client.get(url).status_code == 200 for url in urls)
    # a director reads the flag; only the office renews (it makes an amount due)
    assert client.post(reverse("renewal_create", args=[student.pk])).status_code == 404


def test_lists_make_as_many_queries_for_10_as_for_100_rows(
    client: Any, be: Program, office: Any, open_session: Any
) -> None:
    curriculum = build_curriculum(be, resit_session_on=dt.date(2026, 9, 1))
    client.login(email=office.email, password=PASSWORD)

    def add(n: int) -> None:
        start = Student.objects.count()
        for i in range(start, start + n):
            s = make_student(open_session, "BE+", f"s{i}@example.org", agreement_ends_on=dt.date(2026, 8, 1))
            Thesis.objects.create(student=s, topic="t", host_company="c", company_tutor="x")
            Renewal.objects.create(
                student=s,
                agreement_starts_on=dt.date(2026, 8, 2),
                agreement_ends_on=dt.date(2026, 8, 20),
                amount=1,
            )
        for p in Program.objects.all()[: n // 10]:
            build_curriculum(p, f"20{10 + n // 10}-20{11 + n // 10}")

    counts = []
    for n in (10, 90):
        add(n)
        for name, args in (("study_students", [curriculum.pk]), ("curricula", [])):
            with CaptureQueriesContext(connection) as q:
                assert client.get(reverse(name, args=args)).status_code == 200
            counts.append((name, len(q)))
    assert counts[:2] == counts[2:]


# ---- R1.7: the thesis ----------------------------------------------------------------------------------


def test_R1_7_only_the_director_approves_the_topic(
    client: Any, be: Program, office: Any, director_be: Any, open_session: Any
) -> None:
    build_curriculum(be)
    student = make_student(open_session, "BE+", "s@example.org")
    url = reverse("thesis_edit", args=[student.pk])
    data = {
        "topic": "Réduire les rebuts",
        "host_company": "Nordtech",
        "company_tutor": "Claire Dubois",
        "defence_on": "2026-09-10",
        "approve": "on",
    }
    client.login(email=office.email, password=PASSWORD)
    assert 'name="approve"' not in client.get(url).content.decode()
    assert client.post(url, data).status_code == 302  # the office records it; its "approve" is ignored
    thesis = Thesis.objects.get(student=student)
    assert thesis.topic_approved_at is None and thesis.defence_on == dt.date(2026, 9, 10)
    with pytest.raises(DomainError, match="R1.7"):
        thesis_save(student=student, by=office, topic="x", host_company="y", company_tutor="z", approve=True)
    client.logout()
    client.login(email=director_be.email, password=PASSWORD)
    assert 'name="approve"' in client.get(url).content.decode()
    client.post(url, {**data, "academic_tutor": str(director_be.pk)})
    thesis.refresh_from_db()
    assert thesis.topic_approved_by == director_be and thesis.academic_tutor == director_be
    assert AuditEvent.objects.filter(action="thesis.approve", object_id=str(student.dossier_id)).exists()
    # a new topic withdraws the approval (the director approves the new one)
    thesis_save(student=student, by=office, topic="Autre sujet", host_company="Nordtech", company_tutor="C")
    thesis.refresh_from_db()
    assert thesis.topic_approved_at is None


# ---- R1.11: renewal ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agreement_end", "flagged"),
    [(dt.date(2026, 9, 29), True), (dt.date(2026, 9, 30), False)],
    ids=["ends_the_day_before", "ends_on_the_jury_day"],
)
def test_R1_11_flag_both_sides_of_the_curriculum_end(
    be: Program, open_session: Any, agreement_end: dt.date, flagged: bool
) -> None:
    curriculum = build_curriculum(be, resit_session_on=dt.date(2026, 6, 15))
    student = make_student(open_session, "BE+", "s@example.org", agreement_ends_on=agreement_end)
    from studies.services.renewal import curriculum_end

    assert curriculum_end(curriculum) == dt.date(2026, 6, 15)  # no jury yet: the resit session
    assert needs_renewal(student, curriculum_end(curriculum)) is False
    StudiesJury.objects.create(curriculum=curriculum, sits_on=dt.date(2026, 9, 30))
    assert curriculum_end(curriculum) == dt.date(2026, 9, 30)  # R1.10: the jury's date
    assert needs_renewal(student, curriculum_end(curriculum)) is flagged


@pytest.mark.parametrize(
    ("financing", "field"), [("company", "tuition_company"), ("personal", "tuition_personal")]
)
def test_R1_11_renewal_makes_a_due_at_the_current_rate_and_tells_the_student(
    client: Any,
    be: Program,
    office: Any,
    open_session: Any,
    catalog: Any,
    financing: str,
    field: str,
    settings: Any,
) -> None:
    curriculum = build_curriculum(be)
    StudiesJury.objects.create(curriculum=curriculum, sits_on=dt.date(2026, 11, 15))
    # the student registered in the 2025-2026 session; today's rates are the open session's, raised
    student = make_student(
        catalog, "BE+", "s@example.org", financing=financing, agreement_ends_on=dt.date(2026, 9, 30)
    )
    current = offering(open_session, "BE+")
    setattr(current, field, getattr(current, field) + Decimal("100.00"))
    current.save()
    assert renewal_amount(student) == getattr(current, field)
    client.login(email=office.email, password=PASSWORD)
    page = client.get(reverse("study_students", args=[curriculum.pk])).content.decode()
    assert "R1.11" in page and reverse("renewal_create", args=[student.pk]) in page
    r = client.post(
        reverse("renewal_create", args=[student.pk]), {"starts_on": "2026-10-01", "ends_on": "2026-12-31"}
    )
    assert r.status_code == 302
    renewal = Renewal.objects.get(student=student)
    due = Due.objects.get(kind=DueKind.RENEWAL, dossier=student.dossier)
    assert renewal.due == due and due.amount == renewal.amount == getattr(current, field)
    from billing.services.ledger import student_balance

    assert student_balance(student) == due.amount
    email = OutgoingEmail.objects.get(to=student.dossier.candidate.email, subject__contains="MS BE+")
    assert due.reference in email.body_text
    # safe twice; and no longer flagged
    assert (
        renewal_create(
            student=student, starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 12, 31), by=office
        )
        == renewal
    )
    assert Due.objects.filter(kind=DueKind.RENEWAL).count() == 1
    assert needs_renewal(student, dt.date(2026, 11, 15)) is False
    assert AuditEvent.objects.filter(action="renewal.create").count() == 1


def test_R1_11_a_renewal_must_end_after_the_current_agreement(
    be: Program, office: Any, open_session: Any
) -> None:
    student = make_student(open_session, "BE+", "s@example.org", agreement_ends_on=dt.date(2026, 9, 30))
    with pytest.raises(DomainError):
        renewal_create(
            student=student, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 30), by=office
        )
    assert not Renewal.objects.exists() and not Due.objects.filter(kind=DueKind.RENEWAL).exists()


# ---- item 8: the demo ----------------------------------------------------------------------------------


def test_issue10_8_seed_demo_adds_curricula_a_promotion_and_an_open_jury(db: Any) -> None:
    import time

    from django.core.management import call_command

    from studies.deliberation import deliberate
    from studies.services.renewal import curriculum_end

    call_command("seed_defaults")
    started = time.monotonic()
    call_command("seed_demo", candidates=12)
    elapsed = time.monotonic() - started
    curricula = Curriculum.objects.all()
    assert curricula.count() == Program.objects.count()
    assert all(svc.curriculum_check(c) == [] for c in curricula)
    jury = StudiesJury.objects.get(closed_at__isnull=True)
    assert jury.members.filter(email="jury@cursus.demo").exists()
    teacher = Subject.objects.filter(teachers__email="teacher@cursus.demo")
    taught = teacher.first()
    assert taught is not None and taught.teachers.get().has_perm("accounts.teacher")
    curriculum = jury.curriculum
    units = list(curriculum.units.prefetch_related("subjects"))
    values = svc.curriculum_as_values(units)
    from billing.services.ledger import student_balance

    kinds = set()
    for student in Student.objects.filter(
        offering__program=curriculum.program, academic_year=curriculum.academic_year
    ):
        first: dict[str, Any] = {
            g.subject.code: g.value for g in student.grades.filter(session="first").select_related("subject")
        }
        resits: dict[str, Any] = {
            g.subject.code: g.value for g in student.grades.filter(session="resit").select_related("subject")
        }
        outcome = deliberate(values, first, resits=resits or None, owed=student_balance(student))
        kinds.add(str(outcome.kind))
        if needs_renewal(student, curriculum_end(curriculum)):
            kinds.add("renewal")
    assert {"degree", "resits", "fees_owed", "refused", "renewal"} <= kinds
    assert not Subject.objects.filter(curriculum=curriculum, published_at__isnull=True).exists()
    call_command("seed_demo", candidates=12)  # twice: nothing more
    assert StudiesJury.objects.count() == 1
    assert elapsed < 120  # the whole demo; the studies part is a few bulk inserts
