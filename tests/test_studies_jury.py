"""The studies jury from the database (issue 10 items 4 and 5): selectors, the jury services, the screens,
the transcript and the minutes, the deliberate command's database mode (R1.8, R1.9, R1.10, I12, I13)."""

import datetime as dt
import io
import json
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Dossier
from audit.models import AuditEvent
from billing.models import Due, DueKind
from billing.services.ledger import _create_due, student_balance
from catalog.models import Program
from cursus.errors import DomainError
from registration.models import Registration, RegistrationStatus, Student
from studies import deliberation as d
from studies import selectors
from studies.models import (
    Component,
    Curriculum,
    FinalOutcomeError,
    Grade,
    JuryOutcome,
    OutcomeKind,
    Session,
    StudiesJury,
    Subject,
    Unit,
)
from studies.services import jury as svc
from tests.conftest import PASSWORD, make_user, offering

YEAR = "2026-2027"
GOOD = {"A": "12", "B": "12", "C": "12", "D": "12", "MIS": "12", "THE": "12", "DEF": "12"}
SITS_ON = dt.date(2027, 6, 30)


# ---- helpers (also used by tests/test_access.py and tests/test_walk.py) --------------------------------


def make_curriculum(code: str = "BE+", *, policy: str = "replace", year: str = YEAR) -> Curriculum:
    """UV1 (20 ECTS: A coefficient 2, B 1), UV2 (25: C, D), the professional part (30: MIS, THE 2, DEF)."""
    program = Program.objects.get(code=code)
    cur = Curriculum.objects.create(program=program, academic_year=year, resit_policy=policy)
    layout: list[tuple[str, str, str, bool, list[tuple[str, str, str, str]]]] = [
        ("UV1", "Management", "20", False, [("A", "Finance", "2", ""), ("B", "Marketing", "1", "")]),
        ("UV2", "Data", "25", False, [("C", "Statistics", "1", ""), ("D", "Programming", "1", "")]),
        (
            "PRO",
            "Professional part",
            "30",
            True,
            [
                ("MIS", "Mission", "1", Component.MISSION),
                ("THE", "Thesis", "2", Component.THESIS),
                ("DEF", "Defence", "1", Component.DEFENCE),
            ],
        ),
    ]
    for i, (ucode, uname, ects, pro, subjects) in enumerate(layout):
        unit = Unit.objects.create(
            curriculum=cur, code=ucode, name=uname, ects=Decimal(ects), professional=pro, position=i
        )
        for j, (scode, sname, coef, comp) in enumerate(subjects):
            Subject.objects.create(
                curriculum=cur,
                unit=unit,
                code=scode,
                name=sname,
                coefficient=Decimal(coef),
                component=comp,
                position=j,
            )
    return cur


def make_students(
    session: Any, n: int, *, code: str = "BE+", prefix: str = "s", year: str = YEAR
) -> list[Student]:
    """``n`` registered students of ``code`` (made with the ORM, as the enrolment leaves them)."""
    off = offering(session, code)
    users = [
        make_user(
            f"{prefix}{i}-{Student.objects.count()}@example.org",
            first_name=f"Étu{i}",
            last_name=f"Nom{i:03d}",
        )
        for i in range(n)
    ]
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=off,
                status="registered",
                last_name=f"Nom{i:03d}",
                first_names=f"Étu{i}",
                submitted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        ]
    )
    regs = Registration.objects.bulk_create(
        [
            Registration(
                dossier=dd,
                status=RegistrationStatus.COMPLETED,
                financing="personal",
                completed_at=timezone.now(),
                agreement_starts_on=dt.date(2026, 9, 1),
                agreement_ends_on=dt.date(2027, 9, 30),
            )
            for dd in dossiers
        ]
    )
    return Student.objects.bulk_create(
        [
            Student(user=dd.candidate, dossier=dd, registration=r, offering=off, academic_year=year)
            for dd, r in zip(dossiers, regs, strict=True)
        ]
    )


def set_grades(
    student: Student, cur: Curriculum, grades: dict[str, str], *, session: str = Session.FIRST
) -> None:
    subjects = {s.code: s for s in cur.subjects.all()}
    for code, value in grades.items():
        absent = value == "ABS"
        Grade.objects.update_or_create(
            student=student,
            subject=subjects[code],
            session=session,
            defaults={"value": None if absent else Decimal(value), "absent": absent},
        )


def owe(student: Student, amount: str) -> Due:
    return _create_due(
        dossier=student.dossier,
        kind=DueKind.INSTALMENT,
        label="Tuition",
        amount=Decimal(amount),
        due_on=dt.date(2027, 1, 15),
    )


def jury_with_students(
    session: Any, by: Any, *, n: int = 1, grades: dict[str, str] | None = None
) -> StudiesJury:
    """A BE+ curriculum, ``n`` students with ``grades`` (GOOD by default), an open first-session jury."""
    cur = Curriculum.objects.filter(program__code="BE+", academic_year=YEAR).first() or make_curriculum()
    for s in make_students(session, n):
        set_grades(s, cur, grades or GOOD)
    return svc.jury_open(curriculum=cur, sits_on=SITS_ON, by=by)


def closed_jury(session: Any, office: Any, director: Any, **kw: Any) -> StudiesJury:
    jury = jury_with_students(session, office, **kw)
    for o in jury.outcomes.all():
        svc.outcome_confirm(outcome=o, by=director)
    return svc.jury_close(jury=jury, by=office, at=timezone.make_aware(dt.datetime(2027, 7, 1, 10)))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=data,
        capture_output=True,
        check=True,  # noqa: S607
    )
    return result.stdout.decode()


@pytest.fixture
def be(open_session: Any, director_be: Any) -> Curriculum:
    return make_curriculum()


# ---- selectors ----------------------------------------------------------------------------------------


def test_curriculum_values_are_the_deliberations_plain_values(be: Curriculum) -> None:
    values = selectors.curriculum_values(be)
    assert [u.code for u in values.units] == ["UV1", "UV2"]
    assert values.professional.code == "PRO"
    assert {s.kind for s in values.professional.subjects} == set(d.ProfessionalKind)
    Unit.objects.filter(curriculum=be, code="UV2").update(ects=Decimal(20))
    with pytest.raises(d.DeliberationError, match="45"):
        selectors.curriculum_values(be)


def test_grades_of_reads_any_number_of_students_in_one_query(
    be: Curriculum, open_session: Any, django_assert_num_queries: Any
) -> None:
    students = make_students(open_session, 12)
    for s in students:
        set_grades(s, be, GOOD)
        set_grades(s, be, {"A": "ABS"}, session=Session.RESIT)
    with django_assert_num_queries(1):
        grades = selectors.grades_of(students, be)
    first, resits = grades[students[0].pk]
    assert set(first) == set(GOOD) and first["A"].value == Decimal(12)
    assert resits["A"].absent and selectors.grade_value(resits["A"]) is d.ABSENT


def test_I13_the_jury_reads_a_promotions_grades_as_the_models_give_them(
    be: Curriculum, open_session: Any, django_assert_num_queries: Any
) -> None:
    """The jury's rows-to-slots read (one query per session, no model made) gives the grades the models
    give, every Decimal as written (12.00, 7.50), absences, the ungraded left out, other students skipped."""
    students = make_students(open_session, 4)
    for s in students:
        set_grades(s, be, GOOD)
    set_grades(students[0], be, {"A": "ABS", "B": "7.5", "C": "0", "D": "20"})
    Grade.objects.filter(student=students[1], subject__code="MIS").delete()
    set_grades(students[2], be, {"A": "ABS", "B": "13.25"}, session=Session.RESIT)
    set_grades(students[3], be, {"A": "19.99"})  # not before this jury: skipped
    values = selectors.curriculum_values(be)
    promotion = d.Promotion(values, selectors.thresholds_of(be), selectors.policy_of(be))
    before = [s.pk for s in students[:3]]
    with django_assert_num_queries(3):  # the subjects, the first session, the resits
        slots = selectors.grade_slots_of(promotion, be, before, resits=True)
    models = selectors.grades_of(students[:3], be)
    assert set(slots) == set(before)
    for pk in before:
        first, resits = slots[pk]
        expected_first, expected_resits = (selectors.values_of(g) for g in models[pk])
        assert resits is not None
        assert repr(promotion.grades(first)) == repr(
            {c: expected_first[c] for c in promotion.codes if c in expected_first}
        )
        assert promotion.grades(resits) == expected_resits
    assert promotion.grades(slots[students[0].pk][0])["B"] == Decimal("7.50")
    assert str(promotion.grades(slots[students[0].pk][0])["C"]) == "0.00"
    assert "MIS" not in promotion.grades(slots[students[1].pk][0])
    with django_assert_num_queries(2):  # the first session only
        assert selectors.grade_slots_of(promotion, be, before, resits=False)[students[2].pk][1] is None


def test_student_outcome_reads_published_grades_only(be: Curriculum, open_session: Any) -> None:
    (student,) = make_students(open_session, 1)
    set_grades(student, be, GOOD)
    outcome = selectors.student_outcome(student)
    assert outcome is not None and outcome.kind == d.OutcomeKind.INCOMPLETE
    be.subjects.update(published_at=timezone.now())
    outcome = selectors.student_outcome(student)
    assert outcome is not None and outcome.kind == d.OutcomeKind.DEGREE


# ---- the jury -----------------------------------------------------------------------------------------


def test_I13_the_proposed_outcome_equals_deliberate(open_session: Any, office: Any, director_be: Any) -> None:
    cases = [GOOD, {**GOOD, "A": "5"}, {**GOOD, "C": "9.99", "D": "10"}, {**GOOD, "B": "ABS"}]
    make_curriculum()
    cur = Curriculum.objects.get()
    students = make_students(open_session, len(cases))
    for s, g in zip(students, cases, strict=True):
        set_grades(s, cur, g)
    owe(students[0], "100.00")
    jury = svc.jury_open(curriculum=cur, sits_on=SITS_ON, by=office)
    values = selectors.curriculum_values(cur)
    for s, g in zip(students, cases, strict=True):
        expected = d.deliberate(
            values,
            {k: d.ABSENT if v == "ABS" else Decimal(v) for k, v in g.items()},
            owed=student_balance(s),
            thresholds=selectors.thresholds_of(cur),
            policy=selectors.policy_of(cur),
        )
        row = JuryOutcome.objects.get(jury=jury, student=s)
        assert row.proposed == expected.kind
        assert row.ects == expected.ects_obtained
        assert row.reasoning["overall_average"]["fraction"] == (
            f"{expected.overall.numerator}/{expected.overall.denominator}" if expected.overall else None
        )
        assert [r["code"] for r in row.reasoning["reasons"]] == [r.code for r in expected.reasons]
    assert [JuryOutcome.objects.get(jury=jury, student=s).proposed for s in students] == [
        "fees_owed",
        "resits",
        "resits",
        "resits",
    ]


def test_I13_unpublished_grades_count_for_the_jury(be: Curriculum, open_session: Any, office: Any) -> None:
    jury = jury_with_students(open_session, office, grades={**GOOD, "A": "5", "B": "20"})
    assert not be.subjects.filter(published_at__isnull=False).exists()
    row = jury.outcomes.get()
    assert row.proposed == OutcomeKind.RESITS
    assert row.reasoning["resits"] == [{"subject": "A", "unit": "UV1", "triggers": ["lacune"]}]


@pytest.mark.parametrize(("owed", "kind"), [("0.01", "fees_owed"), ("0.00", "degree")])
def test_R1_8_one_cent_owed_is_fees_outstanding(
    be: Curriculum, open_session: Any, office: Any, owed: str, kind: str
) -> None:
    (student,) = make_students(open_session, 1)
    set_grades(student, be, GOOD)
    owe(student, "7500.00")
    from billing.services.ledger import payment_record

    due = Due.objects.get(dossier=student.dossier)
    payment_record(
        due=due,
        amount=Decimal("7500.00") - Decimal(owed),
        channel="transfer",
        booked_on=dt.date(2027, 1, 2),
        by=office,
    )
    assert student_balance(student) == Decimal(owed)
    jury = svc.jury_open(curriculum=be, sits_on=SITS_ON, by=office)
    row = jury.outcomes.get()
    assert row.proposed == kind
    assert row.reasoning["owed"] == owed


def test_R1_9_refused_after_the_resits(
    be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    first = closed_jury(open_session, office, director_be, n=2, grades={**GOOD, "A": "4"})
    assert set(first.outcomes.values_list("outcome", flat=True)) == {"resits"}
    s1, s2 = (o.student for o in first.outcomes.order_by("student_id"))
    set_grades(s1, be, {"A": "4.5"}, session=Session.RESIT)  # still a lacune: refused
    set_grades(s2, be, {"A": "10"}, session=Session.RESIT)  # validated: the degree
    resit_jury = svc.jury_open(
        curriculum=be, sits_on=SITS_ON + dt.timedelta(days=60), after_resits=True, by=office
    )
    proposed = dict(resit_jury.outcomes.values_list("student_id", "proposed"))
    assert proposed == {s1.pk: "refused", s2.pk: "degree"}
    row = resit_jury.outcomes.get(student=s1)
    assert "refused" in [r["code"] for r in row.reasoning["reasons"]]


def test_R1_9_the_resit_jury_comes_after_the_first(
    be: Curriculum, open_session: Any, office: Any, director_other: Any
) -> None:
    make_students(open_session, 1)
    with pytest.raises(DomainError) as err:  # a director of another program
        svc.jury_open(curriculum=be, sits_on=SITS_ON, by=director_other)
    assert err.value.code == "forbidden"
    with pytest.raises(DomainError) as err:
        svc.jury_open(curriculum=be, sits_on=SITS_ON, after_resits=True, by=office)
    assert err.value.code == "order"
    svc.jury_open(curriculum=be, sits_on=SITS_ON, by=office)
    with pytest.raises(DomainError) as err:
        svc.jury_open(curriculum=be, sits_on=SITS_ON, by=office)
    assert err.value.code == "open"


def test_R1_10_the_jury_date_ends_the_curriculum(
    be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    jury = jury_with_students(open_session, office, n=2)
    a, b = (o for o in jury.outcomes.order_by("student_id"))
    assert selectors.curriculum_end(a.student) is None
    svc.outcome_confirm(outcome=a, by=director_be)
    svc.outcome_override(outcome=b, kind=OutcomeKind.REPEAT, reason="Maladie longue", by=director_be)
    with pytest.raises(DomainError) as err:  # before its date: refused
        svc.jury_close(jury=jury, by=office, at=timezone.make_aware(dt.datetime(2027, 6, 29, 23, 59)))
    assert err.value.code == "early"
    svc.jury_close(jury=jury, by=office, at=timezone.make_aware(dt.datetime(2027, 6, 30, 0, 1)))
    assert selectors.curriculum_end(a.student) == SITS_ON
    assert selectors.curriculum_end(b.student) is None  # repeats: the studies go on (R1.11)
    event = AuditEvent.objects.get(action="studies_jury.close")
    assert event.data["curriculum_ends_on"] == "2027-06-30" and event.data["students_ended"] == [a.student_id]
    ends = a.student.registration.agreement_ends_on
    assert ends is not None and d.agreement_outlasted(ends, SITS_ON) is False


def test_override_requires_a_written_reason_and_is_audited(
    be: Curriculum, open_session: Any, office: Any, director_be: Any, jury: Any
) -> None:
    j = jury_with_students(open_session, office, grades={**GOOD, "A": "5"})
    row = j.outcomes.get()
    with pytest.raises(DomainError) as err:
        svc.outcome_override(outcome=row, kind=OutcomeKind.DEGREE, reason="   ", by=director_be)
    assert err.value.code == "reason"
    with pytest.raises(DomainError):  # not a member, not the director
        svc.outcome_override(outcome=row, kind=OutcomeKind.DEGREE, reason="x", by=jury)
    j.members.add(jury)
    svc.outcome_override(outcome=row, kind=OutcomeKind.DEGREE, reason="Note de stage revue", by=jury)
    row.refresh_from_db()
    assert (row.proposed, row.outcome, row.override_reason) == ("resits", "degree", "Note de stage revue")
    event = AuditEvent.objects.get(action="studies_outcome.override")
    assert (event.from_state, event.to_state, event.reason, event.actor) == (
        "resits",
        "degree",
        "Note de stage revue",
        jury,
    )
    # proposing again keeps an override; a confirmation whose proposal changed is cleared
    set_grades(row.student, be, {"A": "12"})
    svc.jury_propose(j)
    row.refresh_from_db()
    assert (row.proposed, row.outcome) == ("degree", "degree")


def test_closing_needs_every_outcome_and_fresh_proposals(
    be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    j = jury_with_students(open_session, office, n=2)
    at = timezone.make_aware(dt.datetime(2027, 7, 1, 9))
    with pytest.raises(DomainError) as err:
        svc.jury_close(jury=j, by=office, at=at)
    assert err.value.code == "undecided"
    for o in j.outcomes.all():
        svc.outcome_confirm(outcome=o, by=director_be)
    set_grades(j.outcomes.first().student, be, {"B": "3"})  # type: ignore[union-attr]
    with pytest.raises(DomainError) as err:
        svc.jury_close(jury=j, by=office, at=at)
    assert err.value.code == "stale"
    svc.jury_propose(j)
    assert len(svc.undecided(j)) == 1  # the changed proposal must be looked at again
    with pytest.raises(DomainError):
        svc.jury_close(jury=j, by=director_be, at=at)
    for o in svc.undecided(j):
        svc.outcome_confirm(outcome=o, by=director_be)
    assert svc.jury_close(jury=j, by=director_be, at=at).closed_at == at


def test_closing_makes_outcomes_final_everywhere(
    client: Any,
    be: Curriculum,
    open_session: Any,
    office: Any,
    director_be: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        j = closed_jury(open_session, office, director_be, n=1, grades={**GOOD, "C": "7"})
    row = j.outcomes.get()
    before = JuryOutcome.objects.values().get(pk=row.pk)
    assert row.outcome == "resits"  # UV2 average 9.5: C (7) to resit
    # the services
    with pytest.raises(DomainError):
        svc.outcome_confirm(outcome=row, by=director_be)
    with pytest.raises(DomainError):
        svc.outcome_override(outcome=row, kind="refused", reason="x", by=director_be)
    with pytest.raises(DomainError):
        svc.jury_propose(j)
    # the model, as the admin or a shell would use it
    row.outcome = OutcomeKind.REFUSED
    with pytest.raises(FinalOutcomeError):
        row.save()
    with pytest.raises(FinalOutcomeError):
        JuryOutcome.objects.get(pk=row.pk).delete()
    with pytest.raises(FinalOutcomeError):
        JuryOutcome(jury=j, student=row.student, proposed="degree").save()
    # the admin
    from django.contrib.admin.sites import site

    admin_user = make_user("root@example.org", is_superuser=True, is_staff=True)
    client.login(email=admin_user.email, password=PASSWORD)
    if site.is_registered(JuryOutcome):
        change = client.post(
            reverse("admin:studies_juryoutcome_change", args=[row.pk]), {"outcome": "refused"}
        )
        assert change.status_code == 403
        delete = client.post(reverse("admin:studies_juryoutcome_delete", args=[row.pk]), {"post": "yes"})
        assert delete.status_code == 403
    # a crafted POST to the jury screen
    client.logout()
    client.login(email=director_be.email, password=PASSWORD)
    url = reverse("studies_jury_outcome", args=[j.pk, row.pk])
    client.post(url, {"action": "override", "kind": "refused", "reason": "x"})
    client.post(url, {"action": "confirm"})
    assert JuryOutcome.objects.values().get(pk=row.pk) == before
    # the student was told, with the transcript
    mail = [m for m in mailoutbox if row.student.user.email in m.to]
    assert mail and mail[0].attachments[0][0].endswith(".pdf")


# ---- PDFs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Année universitaire", "Résultat", "9,99", "10,02"]),
        ("en", ["Transcript", "Outcome", "Degree awarded", "9.99", "10.02", "studies jury of"]),
    ],
)
def test_transcript_states_the_figures_in_both_languages(
    be: Curriculum, open_session: Any, office: Any, director_be: Any, language: str, words: list[str]
) -> None:
    # UV1: A 9.99 (coefficient 2), B 10.02 -> 10.00 exactly: validated; UV2 12/12; overall ≥ 10.
    j = closed_jury(open_session, office, director_be, grades={**GOOD, "A": "9.99", "B": "10.02"})
    row = j.outcomes.get()
    assert row.outcome == "degree"
    text = pdf_text(
        __import__("studies.documents", fromlist=["transcript_pdf"]).transcript_pdf(row.student, language)
    )
    for word in words:
        assert word in text, (word, text)
    sep = "," if language == "fr" else "."
    for figure in (f"10{sep}02", f"10{sep}00", f"12{sep}00", "Nom000"):
        assert figure in text
    assert "/ 75" in text


@pytest.mark.parametrize(
    ("language", "title"), [("fr", "Année universitaire"), ("en", "Minutes of the studies jury")]
)
def test_minutes_list_every_outcome_and_override(
    be: Curriculum, open_session: Any, office: Any, director_be: Any, language: str, title: str
) -> None:
    j = jury_with_students(open_session, office, n=2)
    a, b = j.outcomes.order_by("student_id")
    svc.outcome_confirm(outcome=a, by=director_be)
    svc.outcome_override(outcome=b, kind="repeat", reason="Congé maternité", by=director_be)
    svc.jury_close(jury=j, by=office, at=timezone.make_aware(dt.datetime(2027, 7, 1, 9)))
    from studies.documents import minutes_pdf

    text = pdf_text(minutes_pdf(j, language))
    assert title in text
    assert "Nom000" in text and "Nom001" in text and "Congé maternité" in text
    assert ("12,00" if language == "fr" else "12.00") in text


# ---- the command --------------------------------------------------------------------------------------


def test_deliberate_command_database_mode_json(be: Curriculum, open_session: Any) -> None:
    s1, s2 = make_students(open_session, 2)
    set_grades(s1, be, GOOD)
    set_grades(s2, be, {**GOOD, "A": "9.995"[:4], "B": "10"})
    owe(s2, "0.01")
    out = io.StringIO()
    call_command(
        "deliberate", "--program", "BE+", "--year", YEAR, "--format", "json", "--language", "en", stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["program"] == "BE+" and data["year"] == YEAR and data["after_resits"] is False
    got = {o["student"]: o for o in data["outcomes"]}
    assert got[f"{s1.number} {s1.dossier.full_name}"]["outcome"] == "degree"
    second = got[f"{s2.number} {s2.dossier.full_name}"]
    assert second["owed"] == "0.01"
    assert second["units"][0]["average"] == {"shown": "9.99", "exact": "9.993…", "fraction": "1499/150"}
    assert second["outcome"] == "resits"
    assert not JuryOutcome.objects.exists()  # nothing written
    text = io.StringIO()
    call_command("deliberate", "--program", "BE+", "--year", YEAR, "--format", "text", stdout=text)
    assert s1.dossier.full_name in text.getvalue()


def test_deliberate_command_database_mode_refuses_bad_input(be: Curriculum) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No curriculum"):
        call_command("deliberate", "--program", "BE+", "--year", "2030-2031")
    with pytest.raises(CommandError, match="academic year"):
        call_command("deliberate", "--program", "BE+", "--year", "2026-2028")


# ---- screens ------------------------------------------------------------------------------------------


def test_access_is_404_for_other_directors_teachers_and_candidates(
    client: Any, be: Curriculum, open_session: Any, office: Any, director_be: Any, director_other: Any
) -> None:
    j = jury_with_students(open_session, office)
    row = j.outcomes.get()
    teacher = make_user("teacher@example.org", group="Teachers")
    be.subjects.first().teachers.add(teacher)  # type: ignore[union-attr]
    urls = [
        reverse("studies_jury", args=[j.pk]),
        reverse("studies_jury_close", args=[j.pk]),
        reverse("studies_jury_minutes", args=[j.pk]),
        reverse("studies_degrees_export", args=[j.pk]),
        reverse("staff_transcript", args=[row.student_id]),
    ]
    for person in (director_other, teacher, row.student.user):
        client.logout()
        client.login(email=person.email, password=PASSWORD)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
        assert (
            client.post(
                reverse("studies_jury_outcome", args=[j.pk, row.pk]), {"action": "confirm"}
            ).status_code
            == 404
        )
        juries = client.get(reverse("studies_juries"))
        if person == director_other:  # their own (empty) list
            assert (
                juries.status_code == 200
                and reverse("studies_jury", args=[j.pk]) not in juries.content.decode()
            )
        else:
            assert juries.status_code == 404
    client.logout()
    client.login(email=director_be.email, password=PASSWORD)
    for url in urls:
        assert client.get(url).status_code == 200, url
    row.refresh_from_db()
    assert row.outcome == ""


def test_jury_screen_shows_reasoning_and_filters(
    client: Any, be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    # UV1: A 9.99 ×2 + B 10.01 -> 9.9966…: shown 9.99 (cut), exact in the title; B compensates nothing.
    j = jury_with_students(
        open_session, office, n=1, grades={**GOOD, "A": "9.99", "B": "10.01", "C": "8", "D": "13"}
    )
    (student_row,) = j.outcomes.all()
    owe(student_row.student, "12.50")
    svc.jury_propose(j)
    client.login(email=director_be.email, password=PASSWORD)
    page = client.get(reverse("studies_jury", args=[j.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ('title="9.996…"' in page and ">9.99<" in page) or ('title="9,996…"' in page and ">9,99<" in page)
    assert "12,50" in page  # the amount owed (French money format)
    assert "UV2: C (8" in page  # compensated by D
    page = client.get(reverse("studies_jury", args=[j.pk]), {"outcome": "degree"}).content.decode()
    assert "Nom000" not in page
    # htmx confirm answers the row only
    response = client.post(
        reverse("studies_jury_outcome", args=[j.pk, student_row.pk]),
        {"action": "confirm"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and f'id="o{student_row.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    student_row.refresh_from_db()
    assert student_row.outcome == student_row.proposed
    # an override without a reason is refused on the row
    response = client.post(
        reverse("studies_jury_outcome", args=[j.pk, student_row.pk]),
        {"action": "override", "kind": "degree", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in response.content.decode()


def test_jury_screen_query_count_is_constant(
    client: Any, be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    j = jury_with_students(open_session, office, n=10)
    client.login(email=director_be.email, password=PASSWORD)
    url = reverse("studies_jury", args=[j.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for s in make_students(open_session, 90, prefix="more"):
        set_grades(s, be, {**GOOD, "A": "4"})
    svc.jury_propose(j)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.content.decode().count('id="o') == 100
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as listed:
        client.get(reverse("studies_juries"))
    assert len(listed) < 15


def test_open_close_and_export_through_the_screens(
    client: Any, be: Curriculum, open_session: Any, office: Any, director_be: Any
) -> None:
    for s in make_students(open_session, 2):
        set_grades(s, be, GOOD)
    client.login(email=office.email, password=PASSWORD)
    client.post(reverse("studies_juries"), {"curriculum": be.pk, "sits_on": "2020-01-10"})
    j = StudiesJury.objects.get()
    assert j.outcomes.count() == 2
    client.logout()
    client.login(email=director_be.email, password=PASSWORD)
    for o in j.outcomes.all():
        client.post(reverse("studies_jury_outcome", args=[j.pk, o.pk]), {"action": "confirm"})
    assert client.get(reverse("studies_jury_close", args=[j.pk])).status_code == 200
    client.post(reverse("studies_jury_close", args=[j.pk]))
    j.refresh_from_db()
    assert j.closed_at is not None
    export = client.get(reverse("studies_degrees_export", args=[j.pk]), {"format": "csv"})
    assert export.status_code == 200 and export.content.decode("utf-8-sig").count("Nom00") == 2
    assert client.get(reverse("studies_jury_minutes", args=[j.pk])).content.startswith(b"%PDF")
