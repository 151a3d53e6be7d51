"""Grades (issue 10 items 3 and 7; R1.5, I12): entering, the group helper, the import (all or nothing),
the audit, the publication, who sees what, and the grid's query count."""

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import User
from applications.models import Dossier
from audit.models import AuditEvent
from catalog.models import Program
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from registration.models import Registration, RegistrationStatus, Student
from studies.gradefile import parse_grade
from studies.models import Curriculum, Grade, Session, StudiesJury, Subject, Unit
from studies.services.grades import grade_set, grades_import, grades_publish, group_grade_apply
from tests.conftest import PASSWORD, make_user, offering

YEAR = "2026-2027"
D = Decimal


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Services' messages are read in English here; pages follow each person's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def make_curriculum(code: str = "BE+", year: str = YEAR) -> Curriculum:
    """45 + 30 ECTS: UV1 (FIN ×2, LAW ×1), UV2 (MKT), and the professional part."""
    c = Curriculum.objects.create(program=Program.objects.get(code=code), academic_year=year)
    uv1 = Unit.objects.create(curriculum=c, code="UV1", name="Finance", ects=D(20), position=1)
    uv2 = Unit.objects.create(curriculum=c, code="UV2", name="Marketing", ects=D(25), position=2)
    pro = Unit.objects.create(
        curriculum=c, code="PRO", name="Professional part", ects=D(30), professional=True
    )
    for unit, sc, name, coef, comp in (
        (uv1, "FIN", "Corporate finance", D(2), ""),
        (uv1, "LAW", "Business law", D(1), ""),
        (uv2, "MKT", "Marketing", D(1), ""),
        (pro, "MIS", "Mission", D(1), "mission"),
        (pro, "THE", "Thesis", D(1), "thesis"),
        (pro, "DEF", "Defence", D(1), "defence"),
    ):
        Subject.objects.create(curriculum=c, unit=unit, code=sc, name=name, coefficient=coef, component=comp)
    return c


def make_students(
    session: Any, n: int, *, code: str = "BE+", year: str = YEAR, tag: str = "s"
) -> list[Student]:
    """``n`` students of the program, made in bulk (for the query counts)."""
    off = offering(session, code)
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(email=f"{tag}{i}@example.org", language="fr", password="!") for i in range(n)]
    )
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                candidate=u,
                offering=off,
                status="registered",
                last_name=f"Nom{tag}{i:03d}",
                first_names="Élève",
                submitted_at=now,
            )
            for i, u in enumerate(users)
        ]
    )
    regs = Registration.objects.bulk_create(
        [
            Registration(
                dossier=d, status=RegistrationStatus.COMPLETED, financing="personal", completed_at=now
            )
            for d in dossiers
        ]
    )
    Student.objects.bulk_create(
        [
            Student(user=u, dossier=d, registration=r, offering=off, academic_year=year)
            for u, d, r in zip(users, dossiers, regs, strict=True)
        ]
    )
    return list(
        Student.objects.filter(user__in=users).select_related("offering", "dossier", "user").order_by("pk")
    )


def student_with_login(session: Any, email: str = "eleve@example.org") -> Student:
    user = make_user(email, first_name="Eve", last_name="Élève")
    off = offering(session, "BE+")
    d = Dossier.objects.create(
        candidate=user, offering=off, status="registered", last_name="Élève", first_names="Eve"
    )
    r = Registration.objects.create(dossier=d, status=RegistrationStatus.COMPLETED, financing="personal")
    return Student.objects.create(user=user, dossier=d, registration=r, offering=off, academic_year=YEAR)


@pytest.fixture
def curriculum(catalog: Any) -> Curriculum:
    return make_curriculum()


def subj(c: Curriculum, code: str) -> Subject:
    return Subject.objects.select_related("curriculum__program", "unit").get(curriculum=c, code=code)


@pytest.fixture
def teacher(curriculum: Curriculum) -> User:
    user = make_user("teacher@example.org", group="Teachers", first_name="Tom", last_name="Teacher")
    subj(curriculum, "FIN").teachers.add(user)
    return user


@pytest.fixture
def students(catalog: Any, curriculum: Curriculum) -> list[Student]:
    return make_students(catalog, 3)


def login(client: Any, user: Any) -> None:
    assert client.login(email=user.email, password=PASSWORD)


# ---- grade_set: edges, audit, locks -------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "20", "0.01", "19.99", "10.5"])
def test_I12_grade_edges_kept(
    curriculum: Curriculum, students: list[Student], teacher: User, value: str
) -> None:
    g = grade_set(
        student=students[0], subject=subj(curriculum, "FIN"), session="first", value=D(value), by=teacher
    )
    assert g is not None and g.value == D(value)


@pytest.mark.parametrize("value", ["20.01", "-0.01", "21", "10.005"])
def test_I12_grade_edges_refused(
    curriculum: Curriculum, students: list[Student], teacher: User, value: str
) -> None:
    with pytest.raises(DomainError):
        grade_set(
            student=students[0], subject=subj(curriculum, "FIN"), session="first", value=D(value), by=teacher
        )
    assert not Grade.objects.exists()


def test_I12_parse_grade_both_sides() -> None:
    assert parse_grade("20") == D("20.00")
    assert parse_grade("0") == D("0.00")
    assert parse_grade("ABS") is None
    for bad in ("20.01", "-1", "10.005", "12,5", "douze"):
        with pytest.raises(ValueError):
            parse_grade(bad)
    assert parse_grade("12,5", comma_ok=True) == D("12.50")


def test_grade_audited_with_old_and_new_and_safe_twice(
    curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    fin, s = subj(curriculum, "FIN"), students[0]
    grade_set(student=s, subject=fin, session="first", value=D("12"), by=teacher)
    grade_set(student=s, subject=fin, session="first", value=D("14.5"), by=teacher)
    grade_set(student=s, subject=fin, session="first", value=D("14.50"), by=teacher)  # the same: nothing
    grade_set(student=s, subject=fin, session="first", value=None, absent=True, by=teacher)
    events = list(AuditEvent.objects.filter(action="grade.set").order_by("pk"))
    assert [(e.from_state, e.to_state) for e in events] == [
        ("", "12.00"),
        ("12.00", "14.50"),
        ("14.50", "ABS"),
    ]
    assert events[1].data["old"] == "12.00" and events[1].data["new"] == "14.50"
    assert all(e.actor_id == teacher.pk for e in events)
    g = Grade.objects.get()
    assert g.absent and g.value is None


def test_R1_10_grades_final_once_the_studies_jury_is_closed(
    curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    fin = subj(curriculum, "FIN")
    grade_set(student=students[0], subject=fin, session="first", value=D("8"), by=teacher)
    StudiesJury.objects.create(curriculum=curriculum, sits_on=timezone.localdate(), closed_at=timezone.now())
    with pytest.raises(DomainError, match="closed"):
        grade_set(student=students[0], subject=fin, session="first", value=D("9"), by=teacher)
    # the resit session stays open until the jury after the resits is closed
    grade_set(student=students[0], subject=fin, session="resit", value=D("11"), by=teacher)
    StudiesJury.objects.create(
        curriculum=curriculum, sits_on=timezone.localdate(), closed_at=timezone.now(), after_resits=True
    )
    with pytest.raises(DomainError):
        grade_set(student=students[0], subject=fin, session="resit", value=D("12"), by=teacher)
    assert Grade.objects.get(session="first").value == D("8")


def test_student_of_another_curriculum_refused(catalog: Any, curriculum: Curriculum, teacher: User) -> None:
    other = make_students(catalog, 1, code="MRPT", tag="m")[0]
    with pytest.raises(DomainError):
        grade_set(student=other, subject=subj(curriculum, "FIN"), session="first", value=D(10), by=teacher)


# ---- R1.5: the group helper ---------------------------------------------------------------------


def test_R1_5_group_grade_stored_per_student_then_adjusted(
    curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    fin = subj(curriculum, "FIN")
    a, b, c = students
    group_grade_apply(
        subject=fin,
        session="first",
        members=[a, b, c],
        grade=D("12"),
        adjustments={b.pk: D("1.5"), c.pk: D(-2)},
        by=teacher,
    )
    got = {g.student_id: g.value for g in Grade.objects.filter(subject=fin)}
    assert got == {a.pk: D("12.00"), b.pk: D("13.50"), c.pk: D("10.00")}
    # one row per student, each audited with the group's grade
    assert AuditEvent.objects.filter(action="grade.set", data__group_grade="12.00").count() == 3
    # an individual adjustment afterwards touches that student only
    grade_set(student=a, subject=fin, session="first", value=D("15"), by=teacher)
    assert Grade.objects.get(student=b, subject=fin).value == D("13.50")


def test_R1_5_group_adjustment_out_of_range_stores_nothing(
    curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    with pytest.raises(DomainError):
        group_grade_apply(
            subject=subj(curriculum, "FIN"),
            session="first",
            members=students,
            grade=D("19"),
            adjustments={students[0].pk: D(2)},
            by=teacher,
        )
    assert not Grade.objects.exists()


def test_R1_5_group_helper_on_the_grid(
    client: Any, curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    login(client, teacher)
    fin = subj(curriculum, "FIN")
    url = reverse("grade_grid", args=[fin.pk])
    picked = [str(students[0].pk), str(students[2].pk)]
    r = client.post(url, {"action": "group", "member": picked, "group_grade": "13,5", "session": "first"})
    assert r.status_code == 302
    assert {g.student_id: g.value for g in Grade.objects.all()} == {
        students[0].pk: D("13.50"),
        students[2].pk: D("13.50"),
    }


# ---- the grid -----------------------------------------------------------------------------------


def _grid_post(
    students: list[Student], values: dict[int, str], absent: frozenset[int] = frozenset()
) -> dict[str, Any]:
    data: dict[str, Any] = {"session": "first", "action": "save"}
    for s in students:
        data[f"g-{s.pk}"] = values.get(s.pk, "")
        if s.pk in absent:
            data[f"a-{s.pk}"] = "on"
    return data


def test_grid_saves_the_whole_grid_in_one_post(
    client: Any, curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    login(client, teacher)
    fin = subj(curriculum, "FIN")
    url = reverse("grade_grid", args=[fin.pk])
    page = client.get(url).content.decode()
    assert 'inputmode="decimal"' in page and f'<label for="g-{students[0].pk}">' in page
    r = client.post(
        url,
        _grid_post(students, {students[0].pk: "12,25", students[1].pk: "20"}, frozenset({students[2].pk})),
    )
    assert r.status_code == 302
    got = {g.student_id: (g.value, g.absent) for g in Grade.objects.all()}
    assert got == {
        students[0].pk: (D("12.25"), False),
        students[1].pk: (D("20.00"), False),
        students[2].pk: (None, True),
    }


def test_grid_keeps_what_was_typed_on_error_and_names_the_row(
    client: Any, curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    login(client, teacher)
    fin = subj(curriculum, "FIN")
    url = reverse("grade_grid", args=[fin.pk])
    data = _grid_post(students, {students[0].pk: "12.5", students[1].pk: "20.01", students[2].pk: "10.005"})
    r = client.post(url, data)
    assert r.status_code == 200
    page = r.content.decode()
    assert not Grade.objects.exists()  # nothing saved
    assert 'value="12.5"' in page and 'value="20.01"' in page and 'value="10.005"' in page
    assert f'href="#g-{students[1].pk}"' in page and f'href="#g-{students[2].pk}"' in page
    assert f'href="#g-{students[0].pk}"' not in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("url_name", ["grade_grid", "grade_subjects"])
def test_grid_query_count_constant_10_vs_100_students(
    client: Any, catalog: Any, curriculum: Curriculum, teacher: User, url_name: str
) -> None:
    login(client, teacher)
    fin = subj(curriculum, "FIN")
    url = reverse(url_name, args=[fin.pk]) if url_name == "grade_grid" else reverse(url_name)

    def count(n: int, tag: str) -> int:
        for s in make_students(catalog, n, tag=tag):
            Grade.objects.create(student=s, subject=fin, value=D("11"))
        client.get(url)  # warm the caches (session, permissions)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert count(10, "a") == count(90, "b")


def test_resit_grid_lists_only_the_students_with_a_resit(
    client: Any, catalog: Any, curriculum: Curriculum, teacher: User
) -> None:
    students = make_students(catalog, 3)
    fin = subj(curriculum, "FIN")
    # I12: a 5 in FIN sends to its resit whatever the UV average (here above 10); 5.01 is compensated
    for s, fin_grade in zip(students, ("5", "5.01", "14"), strict=True):
        for code in ("FIN", "LAW", "MKT", "MIS", "THE", "DEF"):
            value = D(fin_grade) if code == "FIN" else D("20")
            Grade.objects.create(student=s, subject=subj(curriculum, code), value=value)
    login(client, teacher)
    page = client.get(reverse("grade_grid", args=[fin.pk]) + "?session=resit").content.decode()
    assert f'id="g-{students[0].pk}"' in page
    assert f'id="g-{students[1].pk}"' not in page and f'id="g-{students[2].pk}"' not in page


# ---- access -------------------------------------------------------------------------------------


def test_teacher_sees_and_edits_only_their_subjects(
    client: Any, curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    login(client, teacher)
    listing = client.get(reverse("grade_subjects")).content.decode()
    assert "FIN" in listing and "LAW" not in listing
    law = subj(curriculum, "LAW")
    url = reverse("grade_grid", args=[law.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _grid_post(students, {students[0].pk: "12"})).status_code == 404
    assert (
        client.post(url, {"action": "group", "member": [students[0].pk], "group_grade": "12"}).status_code
        == 404
    )
    assert client.post(reverse("grades_publish", args=[law.pk]), {"session": "first"}).status_code == 404
    assert not Grade.objects.exists()
    # their own subject: reachable, but publishing is the director's (404)
    fin = subj(curriculum, "FIN")
    assert client.get(reverse("grade_grid", args=[fin.pk])).status_code == 200
    assert client.post(reverse("grades_publish", args=[fin.pk]), {"session": "first"}).status_code == 404


def test_director_only_their_programs(
    client: Any, catalog: Any, curriculum: Curriculum, director_be: User, director_other: User
) -> None:
    fin = subj(curriculum, "FIN")
    url = reverse("grade_grid", args=[fin.pk])
    login(client, director_other)
    assert client.get(url).status_code == 404
    assert "FIN" not in client.get(reverse("grade_subjects")).content.decode()
    client.logout()
    login(client, director_be)
    assert client.get(url).status_code == 200


def test_candidate_and_finance_have_no_grades_screens(
    client: Any, curriculum: Curriculum, candidate: User, finance: User
) -> None:
    fin = subj(curriculum, "FIN")
    for user in (candidate, finance):
        client.logout()
        login(client, user)
        for url in (reverse("grade_subjects"), reverse("grade_import"), reverse("grade_grid", args=[fin.pk])):
            assert client.get(url).status_code == 404, (user, url)


# ---- publication and the student's side ---------------------------------------------------------


def test_director_publishes_and_students_told_once(
    client: Any, catalog: Any, curriculum: Curriculum, director_be: User, teacher: User
) -> None:
    students = make_students(catalog, 2)
    fin = subj(curriculum, "FIN")
    grade_set(student=students[0], subject=fin, session="first", value=D("12"), by=teacher)
    with pytest.raises(DomainError, match="no grade yet"):
        grades_publish(subject=fin, session="first", by=director_be)
    with pytest.raises(DomainError):
        grades_publish(subject=fin, session="first", by=teacher)
    grade_set(student=students[1], subject=fin, session="first", value=None, absent=True, by=teacher)
    login(client, director_be)
    r = client.post(reverse("grades_publish", args=[fin.pk]), {"session": "first"})
    assert r.status_code == 302
    fin.refresh_from_db()
    assert fin.published_at is not None and fin.resits_published_at is None
    assert OutgoingEmail.objects.filter(kind="grades_published").count() == 2
    client.post(reverse("grades_publish", args=[fin.pk]), {"session": "first"})  # again: nobody told twice
    assert OutgoingEmail.objects.filter(kind="grades_published").count() == 2
    assert AuditEvent.objects.filter(action="grades.publish").count() == 1


def test_student_sees_only_their_own_and_only_published(
    client: Any, catalog: Any, curriculum: Curriculum, director_be: User, teacher: User
) -> None:
    me = student_with_login(catalog)
    other = student_with_login(catalog, "autre@example.org")
    fin = subj(curriculum, "FIN")
    grade_set(student=me, subject=fin, session="first", value=D("13.75"), by=teacher)
    grade_set(student=other, subject=fin, session="first", value=D("4.25"), by=teacher)
    login(client, me.user)
    page = client.get(reverse("my_studies")).content.decode()
    assert "13.75" not in page and "13,75" not in page
    grades_publish(subject=fin, session="first", by=director_be)
    page = client.get(reverse("my_studies")).content.decode()
    assert ("13.75" in page or "13,75" in page) and "4.25" not in page and "4,25" not in page
    # the transcript: 404 before the jury is closed, and always for another student
    assert client.get(reverse("my_transcript", args=[me.pk])).status_code == 404
    assert client.get(reverse("my_transcript", args=[other.pk])).status_code == 404
    # staff and non-students have no studies page
    client.logout()
    login(client, teacher)
    assert client.get(reverse("my_studies")).status_code == 404


# ---- import (all or nothing) --------------------------------------------------------------------

BAD_LINES = [
    ("999900001", "FIN", "12"),  # line 3: unknown student
    ("{s1}", "FIN", "21"),  # line 4: grade 21
    ("{s1}", "LAW", "12,5"),  # line 5: a comma decimal
    ("{s2}", "FIN", "douze"),  # line 6: text in a grade cell
    ("{s0}", "FIN", "14"),  # line 7: the same as line 2
    ("{s2}", "LAW", "10.005"),  # line 8: three decimals
    ("{s2}", "NOPE", "10"),  # line 9: unknown subject
]
EXPECTED = {
    3: "unknown student",
    4: "above 20",
    5: "comma",
    6: "not a grade",
    7: "already given on line 2",
    8: "more than two decimals",
    9: "unknown subject",
}


def _lines(students: list[Student]) -> list[tuple[str, str, str]]:
    names = {f"s{i}": s.number for i, s in enumerate(students)}
    good = [(students[0].number, "FIN", "15")]
    return good + [(a.format(**names), b, c) for a, b, c in BAD_LINES]


def csv_bytes(rows: list[tuple[str, str, str]], delimiter: str = ";") -> bytes:
    out = [delimiter.join(("student", "subject", "grade"))]
    out += [delimiter.join(r) for r in rows]
    return ("\ufeff" + "\n".join(out) + "\n").encode()


def xlsx_bytes(
    rows: list[tuple[Any, ...]], header: tuple[str, ...] = ("student", "subject", "grade")
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _check_report(text: str) -> None:
    for line, words in EXPECTED.items():
        assert f"line {line}" in text.lower(), (line, text)
        assert words in text, (words, text)
    assert "line 2" not in text.lower().replace("on line 2", "")


@pytest.mark.parametrize("fmt", ["csv;", "xlsx"])
def test_invalid_import_imports_nothing_and_reports_every_bad_line(
    curriculum: Curriculum, students: list[Student], fmt: str
) -> None:
    rows = _lines(students)
    if fmt == "xlsx":
        data, name = xlsx_bytes(rows), "notes.xlsx"
    else:
        data, name = csv_bytes(rows), "notes.csv"
    report = grades_import(data=data, filename=name, by=None)
    assert not report.ok and report.imported == 0
    assert not Grade.objects.exists()
    assert sorted(p.line for p in report.problems) == sorted(EXPECTED)
    _check_report(report.text())


def test_invalid_import_comma_delimited_csv(curriculum: Curriculum, students: list[Student]) -> None:
    """In a comma-separated file a comma decimal splits the grade in two: still named as a comma."""
    data = csv_bytes([(students[0].number, "FIN", "15"), (students[1].number, "LAW", "12,5")], ",")
    report = grades_import(data=data, filename="notes.csv", by=None)
    assert [p.line for p in report.problems] == [3]
    assert "comma" in report.problems[0].messages[0]
    assert not Grade.objects.exists()


def test_invalid_import_by_the_command(
    tmp_path: Any, curriculum: Curriculum, students: list[Student]
) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(csv_bytes(_lines(students)))
    with pytest.raises(CommandError) as exc:
        call_command("import_grades", str(path))
    _check_report(str(exc.value))
    assert not Grade.objects.exists()


def test_import_valid_csv_xlsx_and_command(
    tmp_path: Any, curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    s0, s1, s2 = (s.number for s in students)
    data = f"subject,student,grade,session\nFIN,{s0},12.5,\nFIN,{s1},ABS,first\nFIN,{s1},9,resit\n".encode()
    report = grades_import(data=data, filename="notes.csv", by=teacher)
    assert report.ok and report.changed == 3, report.text()
    assert Grade.objects.get(student=students[1], session=Session.RESIT).value == D("9.00")
    assert Grade.objects.get(student=students[1], session=Session.FIRST).absent
    # XLSX number cells (an int student number, float grades)
    report = grades_import(
        data=xlsx_bytes([(int(s2), "FIN", 17.25), (int(s0), "FIN", 12.5)]), filename="n.xlsx", by=teacher
    )
    assert report.ok and report.changed == 1 and report.unchanged == 1, report.text()
    path = tmp_path / "n.csv"
    path.write_bytes(f"student;subject;grade\n{s2};FIN;18\n".encode())
    out = io.StringIO()
    call_command("import_grades", str(path), "--by", teacher.email, stdout=out)
    assert "1 grades recorded" in out.getvalue()
    assert Grade.objects.get(student=students[2], session="first").value == D(18)
    ev = AuditEvent.objects.filter(action="grade.set").latest("pk")
    assert (ev.from_state, ev.to_state, ev.actor_id) == ("17.25", "18.00", teacher.pk)


def test_import_refuses_a_subject_the_teacher_may_not_grade(
    curriculum: Curriculum, students: list[Student], teacher: User
) -> None:
    data = csv_bytes([(students[0].number, "FIN", "12"), (students[0].number, "LAW", "12")])
    report = grades_import(data=data, filename="n.csv", by=teacher)
    assert [p.line for p in report.problems] == [3]
    assert "may grade" in report.problems[0].messages[0]
    assert not Grade.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_screen_reports_and_imports_nothing(
    client: Any, curriculum: Curriculum, students: list[Student], office: User, fmt: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = _lines(students)
    data = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    login(client, office)
    r = client.post(reverse("grade_import"), {"file": SimpleUploadedFile(f"notes.{fmt}", data)})
    assert r.status_code == 200
    page = r.content.decode()
    for line in EXPECTED:
        assert f"Line {line}" in page or f"Ligne {line}" in page, line
    assert not Grade.objects.exists()


# ---- navigation ---------------------------------------------------------------------------------


def test_teacher_lands_on_grades_and_sees_it_in_the_menu(client: Any, teacher: User) -> None:
    login(client, teacher)
    page = client.get(reverse("grade_subjects")).content.decode()
    assert f'href="{reverse("grade_subjects")}"' in page


def test_student_dashboard_links_to_my_studies(client: Any, catalog: Any, curriculum: Curriculum) -> None:
    me = student_with_login(catalog)
    login(client, me.user)
    assert reverse("my_studies") in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("my_studies")).status_code == 200
