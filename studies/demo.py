"""Demo of studies (issue 10 item 8): a curriculum for each demo program for the demo students' academic
year (UVs worth 45 ECTS, the professional part 30 with mission, thesis and defence), taught by the demo
teacher; a promotion in the registration demo's program — its registered students and a few more made
here — with grades covering each outcome (degree, resits, fees owed, refused after the resits, a renewal
needed), published; and an open studies jury with the demo jury member.

Made with the ORM in a few bulk inserts so that `make run` stays fast; the rules themselves are not
bypassed: the curriculum passes ``curriculum_check`` and the jury deliberates the grades as they are.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from applications.models import Dossier
from catalog.models import AdmissionSession, Program
from registration.models import Registration, RegistrationStatus, Student
from studies.models import Curriculum, Grade, Session, StudiesJury, Subject, Unit

# code, French name, ECTS, subjects (code, French name, coefficient)
UNITS = [
    ("UV1", "Management et finance", "15", [("FIN", "Finance d'entreprise", "2"), ("MKT", "Marketing", "1")]),
    ("UV2", "Données et décision", "15", [("STA", "Statistiques", "1"), ("PRG", "Programmation", "1")]),
    ("UV3", "Projet et innovation", "15", [("PRJ", "Gestion de projet", "1"), ("INN", "Innovation", "1")]),
]
PROFESSIONAL = [
    ("MIS", "Mission en entreprise", "mission", "1"),
    ("THE", "Thèse professionnelle", "thesis", "2"),
    ("DEF", "Soutenance", "defence", "1"),
]
GOOD = {
    "FIN": "13.5",
    "MKT": "11",
    "STA": "12",
    "PRG": "14",
    "PRJ": "12.5",
    "INN": "10",
    "MIS": "15",
    "THE": "13",
    "DEF": "14",
}
# key, first names, surname, language, first-session grades changed from GOOD, resit grades, owes, agreement short
PROMOTION = [
    ("degree", "Léa", "Fontaine", "fr", {}, {}, False, False),
    ("resits", "Karim", "Saïdi", "fr", {"STA": "4.5"}, {}, False, False),
    ("refused", "Olga", "Ivanova", "en", {"PRG": "3", "STA": "6"}, {"PRG": "4", "STA": "7"}, False, False),
    ("fees", "Hugo", "Marchand", "fr", {}, {}, True, False),
    ("renewal", "Mei", "Tanaka", "en", {"INN": "8.5"}, {}, False, True),
]
PROGRAM = "PPIB"  # the registration demo's program: its registered students join the promotion
ROLES = {
    "degree": "student: degree expected",
    "resits": "student: a resit to sit (4.5 in STA)",
    "refused": "student: still failing after the resits",
    "fees": "student: validated, tuition still owed",
    "renewal": "student: agreement ends before the jury (R1.11)",
}


def _curriculum(program: Program, year: str, teacher: User, resit_on: dt.date) -> Curriculum:
    curriculum, created = Curriculum.objects.get_or_create(
        program=program, academic_year=year, defaults={"resit_session_on": resit_on}
    )
    if not created:
        return curriculum
    units = Unit.objects.bulk_create(
        [
            Unit(curriculum=curriculum, code=code, name=name, ects=Decimal(ects), position=i)
            for i, (code, name, ects, _s) in enumerate(UNITS)
        ]
        + [
            Unit(
                curriculum=curriculum,
                code="PRO",
                name="Mission, thèse et soutenance",
                ects=Decimal(30),
                professional=True,
            )
        ]
    )
    subjects = [
        Subject(curriculum=curriculum, unit=unit, code=c, name=n, coefficient=Decimal(k), position=j)
        for unit, (_c, _n, _e, items) in zip(units, UNITS, strict=False)
        for j, (c, n, k) in enumerate(items)
    ] + [
        Subject(
            curriculum=curriculum,
            unit=units[-1],
            code=c,
            name=n,
            coefficient=Decimal(k),
            component=kind,
            position=j,
        )
        for j, (c, n, kind, k) in enumerate(PROFESSIONAL)
    ]
    made = Subject.objects.bulk_create(subjects)
    Subject.teachers.through.objects.bulk_create(
        [Subject.teachers.through(subject_id=s.pk, user_id=teacher.pk) for s in made if not s.component]
    )
    return curriculum


def _student(key: str, first: str, last: str, lang: str, offering: Any, year: str, calendar: Any) -> Student:
    from applications.demo import _user

    user = _user(f"{key}.etudes@exemple.demo", first, last, language=lang)
    dossier = Dossier.objects.create(
        candidate=user,
        offering=offering,
        status="registered",
        last_name=last,
        first_names=first,
        submitted_at=timezone.now(),
    )
    reg = Registration.objects.create(
        dossier=dossier,
        status=RegistrationStatus.COMPLETED,
        financing="personal",
        agreement_starts_on=calendar.starts_on,
        agreement_ends_on=calendar.ends_on,
        completed_at=timezone.now(),
    )
    return Student.objects.create(
        user=user, dossier=dossier, registration=reg, offering=offering, academic_year=year
    )


def seed_studies_demo(*, session: AdmissionSession, staff: dict[str, User], today: dt.date) -> None:
    from billing.services.ledger import _create_due

    teacher, jury = staff["teacher@cursus.demo"], staff["jury@cursus.demo"]
    calendar = session.teaching_calendar()
    year = calendar.academic_year
    resit_on = today - dt.timedelta(days=10)
    sits_on = today + dt.timedelta(days=14)
    with transaction.atomic():
        curricula = {
            p.code: _curriculum(p, year, teacher, resit_on)
            for p in Program.objects.filter(institution=session.institution).order_by("code")
        }
        curriculum = curricula.get(PROGRAM)
        if curriculum is None or StudiesJury.objects.filter(curriculum=curriculum).exists():
            return
        offering = session.offerings.get(program=curriculum.program)
        subjects = {s.code: s for s in Subject.objects.filter(curriculum=curriculum)}
        now = timezone.now()
        grades: list[Grade] = []
        # The registration demo's students: validated, their instalments still owed (fees outstanding).
        for student in Student.objects.filter(offering=offering, academic_year=year, status="active"):
            grades += [
                Grade(student=student, subject=subjects[c], value=Decimal(v), entered_by=teacher)
                for c, v in GOOD.items()
            ]
        for key, first, last, lang, changed, resits, owes, short in PROMOTION:
            student = _student(key, first, last, lang, offering, year, calendar)
            first_grades = {**GOOD, **changed}
            grades += [
                Grade(student=student, subject=subjects[c], value=Decimal(v), entered_by=teacher)
                for c, v in first_grades.items()
            ]
            grades += [
                Grade(
                    student=student,
                    subject=subjects[c],
                    session=Session.RESIT,
                    value=Decimal(v),
                    entered_by=teacher,
                )
                for c, v in resits.items()
            ]
            if owes:
                _create_due(
                    dossier=student.dossier,
                    kind="instalment",
                    label="Frais de formation, échéance 3 sur 3",
                    amount=Decimal("2500.00"),
                    due_on=today - dt.timedelta(days=30),
                )
            if short:  # the agreement ends before the jury sits (R1.11)
                Registration.objects.filter(pk=student.registration_id).update(
                    agreement_ends_on=sits_on - dt.timedelta(days=1)
                )
        Grade.objects.bulk_create(grades)
        Subject.objects.filter(curriculum=curriculum).update(published_at=now, resits_published_at=now)
        sitting = StudiesJury.objects.create(curriculum=curriculum, sits_on=sits_on)
        sitting.members.add(jury)
