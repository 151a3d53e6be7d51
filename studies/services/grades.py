"""Grades (issue 10 item 3; R1.5, I12): one student's grade in one subject and session, the group helper,
the import of a whole file, and the program director's publication.

- ``grade_set``: a grade on 20 with two decimals, or an absence; the row locked; every change audited
  ("grade.set") with the old and the new value; refused once the studies jury that rules on that session
  is closed; setting the same value again changes nothing and writes no audit row.
- ``group_grade_apply``: R1.5 — the group's grade given to each member, then each member's adjustment;
  the result is stored per student (a group is never stored).
- ``grades_import``: a CSV or XLSX file (columns in ``studies.gradefile``), checked line by line; one bad
  line and nothing is imported; the report names every bad line and each of its problems.
- ``grades_publish``: the program director makes a subject's grades (or a whole curriculum's) of one
  session visible to the students, who are told by email once per publication.

Who may call these is checked by the screens (``studies.access``); ``grades_import`` checks it itself
for each line, since a file can name any subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from cursus.errors import DomainError
from notifications.services import email_send
from registration.models import Student, StudentStatus
from studies.access import subjects_for_grading
from studies.deliberation import DeliberationError, group_grades
from studies.grade_selectors import curriculum_students, grades_locked, locked_sessions
from studies.gradefile import CENT, GradeFileError, parse_grade, read_rows
from studies.models import Curriculum, Grade, Session, Subject

ABS = "ABS"
STUDENT_NUMBER = re.compile(r"^(\d{4})(\d{5,})$")


def shown(grade: Grade | None) -> str:
    """A grade as the audit and the screens write it: "12.50", "ABS", or "" (none)."""
    if grade is None:
        return ""
    return ABS if grade.absent else f"{grade.value:.2f}"


def _check_value(value: Decimal | None, absent: bool) -> str:
    if absent:
        if value is not None:
            raise DomainError(_("A grade and an absence at once: give one or the other."))
        return ABS
    if value is None:
        return ""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("A grade is a number from 0 to 20."))
    if value < 0 or value > 20:
        raise DomainError(_("A grade is between 0 and 20 (%(value)s).") % {"value": value})
    if value != value.quantize(CENT):
        raise DomainError(_("A grade has at most two decimals (%(value)s).") % {"value": value})
    return f"{value:.2f}"


def _check_student(student: Student, subject: Subject) -> None:
    curriculum = subject.curriculum
    if (
        student.offering.program_id != curriculum.program_id
        or student.academic_year != curriculum.academic_year
    ):
        raise DomainError(
            _("Student %(number)s does not follow %(curriculum)s.")
            % {"number": student.number, "curriculum": curriculum}
        )
    if student.status != StudentStatus.ACTIVE:
        raise DomainError(_("Student %(number)s's registration is cancelled.") % {"number": student.number})


def _locked_message(subject: Subject) -> str:
    return _("The studies jury of %(curriculum)s is closed: these grades are final.") % {
        "curriculum": subject.curriculum
    }


def _grade_set(
    *,
    student: Student,
    subject: Subject,
    session: str,
    value: Decimal | None,
    absent: bool,
    by: Any,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
) -> tuple[Grade | None, bool]:
    """(the grade now, whether anything changed)."""
    session = Session(session)
    new = _check_value(value, absent)
    _check_student(student, subject)
    with transaction.atomic():
        if grades_locked(subject.curriculum_id, session):
            raise DomainError(_locked_message(subject))
        mine = Grade.objects.select_for_update().filter(student=student, subject=subject, session=session)
        grade = mine.first()
        if grade is None and new:
            try:
                with transaction.atomic():
                    grade = Grade.objects.create(
                        student=student,
                        subject=subject,
                        session=session,
                        value=None if absent else value,
                        absent=absent,
                        entered_by=by if getattr(by, "pk", None) else None,
                    )
                old = ""
            except IntegrityError:
                # Entered at the same moment by somebody else: take theirs as the old value.
                grade = mine.get()
                old = shown(grade)
                if old == new:
                    return grade, False
                grade.value, grade.absent = (None if absent else value), absent
                grade.entered_by = by if getattr(by, "pk", None) else None
                grade.save(update_fields=["value", "absent", "entered_by", "updated_at"])
        else:
            old = shown(grade)
            if old == new:
                return grade, False
            assert grade is not None  # old != new and new == "" means a grade was there
            if new:
                grade.value, grade.absent = (None if absent else value), absent
                grade.entered_by = by if getattr(by, "pk", None) else None
                grade.save(update_fields=["value", "absent", "entered_by", "updated_at"])
        assert grade is not None
        audit_record(
            actor=by,
            action="grade.set",
            obj=grade,
            from_state=old,
            to_state=new,
            reason=reason,
            data={
                "student": student.number,
                "subject": subject.code,
                "session": str(session),
                "old": old,
                "new": new,
                **(data or {}),
            },
        )
        if not new:
            grade.delete()  # a grade taken back: the audit row keeps what it was
            return None, True
        return grade, True


def grade_set(
    *,
    student: Student,
    subject: Subject,
    session: str,
    value: Decimal | None,
    absent: bool = False,
    by: Any,
    reason: str = "",
) -> Grade | None:
    """Record one student's grade (R1.5, I12): ``value`` on 20 with at most two decimals, or ``absent``;
    both empty takes a grade back. Audited with the old and new value; safe twice."""
    grade, _changed = _grade_set(
        student=student, subject=subject, session=session, value=value, absent=absent, by=by, reason=reason
    )
    return grade


def group_grade_apply(
    *,
    subject: Subject,
    session: str,
    members: Sequence[Student],
    grade: Decimal,
    adjustments: Mapping[int, Decimal] | None = None,
    by: Any,
) -> list[Grade]:
    """R1.5: the group's ``grade`` given to each member, then each member's adjustment (student id ->
    +/- points). Stored per student, each audited; one grade out of 0–20 and nothing is stored."""
    if not members:
        raise DomainError(_("Pick the students of the group."))
    try:
        per_student = group_grades(
            grade,
            [str(m.pk) for m in members],
            {str(k): v for k, v in (adjustments or {}).items()},
        )
    except DeliberationError as exc:
        raise DomainError(str(exc)) from exc
    out = []
    with transaction.atomic():
        for member in members:
            value = per_student[str(member.pk)]
            adjustment = (adjustments or {}).get(member.pk, Decimal(0))
            g, _changed = _grade_set(
                student=member,
                subject=subject,
                session=session,
                value=value,
                absent=False,
                by=by,
                reason=_("Group grade %(grade)s") % {"grade": f"{grade:.2f}"},
                data={"group_grade": f"{grade:.2f}", "adjustment": f"{adjustment:+.2f}"},
            )
            assert g is not None
            out.append(g)
    return out


# ---- import --------------------------------------------------------------------------------------------


@dataclass
class LineProblems:
    line: int  # 0: the file as a whole
    messages: list[str]


@dataclass
class ImportReport:
    filename: str
    problems: list[LineProblems] = field(default_factory=list)
    lines: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> int:
        return self.changed if self.ok else 0

    def text(self) -> str:
        """The report in words (the command prints it)."""
        if self.ok:
            return _("%(file)s: %(lines)d lines read, %(changed)d grades recorded, %(same)d unchanged.") % {
                "file": self.filename,
                "lines": self.lines,
                "changed": self.changed,
                "same": self.unchanged,
            }
        head = _("%(file)s: nothing imported, %(n)d lines to correct:") % {
            "file": self.filename,
            "n": len(self.problems),
        }
        body = [
            (_("line %(n)d") % {"n": p.line} if p.line else _("file")) + ": " + "; ".join(p.messages)
            for p in self.problems
        ]
        return "\n".join([head, *(f"  {b}" for b in body)])


@dataclass(frozen=True)
class _Ready:
    line: int
    student: Student
    subject: Subject
    session: str
    value: Decimal | None
    absent: bool


class _Abort(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message


def grades_import(
    *, data: bytes, filename: str, by: Any, curriculum: Curriculum | None = None
) -> ImportReport:
    """Import a grades file, all or nothing (issue 10 item 3). ``by`` None: the server's operator (the
    command without --by), who may grade every subject; otherwise each line's subject must be one
    ``by`` may grade. ``curriculum`` limits the file to that curriculum's students."""
    report = ImportReport(filename=filename)
    try:
        rows = read_rows(data, filename)
    except GradeFileError as exc:
        report.problems.append(LineProblems(0, [str(exc)]))
        return report
    report.lines = len(rows)

    numbers = {r.student: STUDENT_NUMBER.match(r.student) for r in rows}
    pks = {int(m.group(2)) for m in numbers.values() if m}
    students = {
        s.number: s for s in Student.objects.filter(pk__in=pks).select_related("offering", "dossier", "user")
    }
    pairs = {(s.offering.program_id, s.academic_year) for s in students.values()}
    subjects_qs = Subject.objects.select_related("curriculum__program")
    if curriculum is not None:
        subjects_qs = subjects_qs.filter(curriculum=curriculum)
    else:
        subjects_qs = subjects_qs.filter(
            curriculum__program_id__in={p for p, _y in pairs},
            curriculum__academic_year__in={y for _p, y in pairs},
        )
    subjects = {(s.curriculum.program_id, s.curriculum.academic_year, s.code): s for s in subjects_qs}
    allowed = (
        {s.pk for s in subjects.values()}
        if by is None
        else set(
            subjects_for_grading(by)
            .filter(pk__in=[s.pk for s in subjects.values()])
            .values_list("pk", flat=True)
        )
    )
    locked = locked_sessions({s.curriculum_id for s in subjects.values()})

    seen: dict[tuple[str, str, str], int] = {}
    ready: list[_Ready] = []
    for row in rows:
        problems: list[str] = []
        student = students.get(row.student)
        subject = None
        if not row.student:
            problems.append(_("no student number"))
        elif student is None:
            problems.append(_("unknown student %(number)s") % {"number": row.student})
        elif curriculum is not None and (
            student.offering.program_id != curriculum.program_id
            or student.academic_year != curriculum.academic_year
        ):
            problems.append(
                _("student %(number)s does not follow %(curriculum)s")
                % {"number": row.student, "curriculum": curriculum}
            )
            student = None
        elif student.status != StudentStatus.ACTIVE:
            problems.append(_("student %(number)s's registration is cancelled") % {"number": row.student})
            student = None
        if not row.subject:
            problems.append(_("no subject code"))
        elif student is not None:
            subject = subjects.get((student.offering.program_id, student.academic_year, row.subject))
            if subject is None:
                problems.append(
                    _("unknown subject %(code)s (not in the curriculum of student %(number)s)")
                    % {"code": row.subject, "number": row.student}
                )
            elif subject.pk not in allowed:
                problems.append(_("subject %(code)s is not one you may grade") % {"code": row.subject})
                subject = None
        session = (row.session or Session.FIRST).lower()
        if session not in Session.values:
            problems.append(_("session must be first or resit, not “%(s)s”") % {"s": row.session})
        if row.too_many_cells:
            problems.append(_("more cells than the first line names"))
        value: Decimal | None = None
        absent = False
        try:
            value = parse_grade(row.grade)
            absent = value is None
        except ValueError as exc:
            problems.append(str(exc))
        key = (row.student, row.subject, session)
        if row.student and row.subject:
            if key in seen:
                problems.append(
                    _("%(number)s / %(code)s is already given on line %(line)d")
                    % {"number": row.student, "code": row.subject, "line": seen[key]}
                )
            else:
                seen[key] = row.line
        if subject is not None and (subject.curriculum_id, session) in locked:
            problems.append(_locked_message(subject))
        if problems:
            report.problems.append(LineProblems(row.line, problems))
        elif student is not None and subject is not None:
            ready.append(_Ready(row.line, student, subject, session, value, absent))
    if report.problems:
        return report
    try:
        with transaction.atomic():
            for item in ready:
                try:
                    _grade, changed = _grade_set(
                        student=item.student,
                        subject=item.subject,
                        session=item.session,
                        value=item.value,
                        absent=item.absent,
                        by=by,
                        reason=_("Imported from %(file)s, line %(line)d")
                        % {"file": filename, "line": item.line},
                        data={"source": "import", "file": filename, "line": item.line},
                    )
                except DomainError as exc:
                    raise _Abort(item.line, exc.message) from exc
                if changed:
                    report.changed += 1
                else:
                    report.unchanged += 1
    except _Abort as abort:
        report.changed = report.unchanged = 0
        report.problems.append(LineProblems(abort.line, [abort.message]))
    return report


# ---- publication ---------------------------------------------------------------------------------------


def may_publish(user: Any, curriculum: Curriculum) -> bool:
    """The program director publishes their program's grades (issue 10 item 3)."""
    from studies.access import is_director

    return is_director(user) and curriculum.program.directors.filter(pk=user.pk).exists()


def grades_publish(
    *,
    subject: Subject | None = None,
    curriculum: Curriculum | None = None,
    session: str = Session.FIRST,
    by: Any,
) -> list[Subject]:
    """Publish one subject's grades (or every subject of a curriculum) of ``session`` to the students.
    Refused to anyone but the program's director, and while a student of the first session has no grade
    (a first-session publication) or no resit grade is entered (a resit publication). Audited; each
    student with a grade among what is newly published gets one email. Safe twice: what is published
    stays so, and nobody is told twice."""
    if (subject is None) == (curriculum is None):
        raise ValueError("give a subject or a curriculum")
    session = Session(session)
    target = subject.curriculum if subject is not None else curriculum
    assert target is not None
    if not may_publish(by, target):
        raise DomainError(_("Only the director of the program publishes its grades."))
    stamp = "published_at" if session == Session.FIRST else "resits_published_at"
    with transaction.atomic():
        scope = Subject.objects.filter(pk=subject.pk) if subject is not None else target.subjects.all()
        locked = list(scope.select_for_update().order_by("pk"))
        todo = [s for s in locked if getattr(s, stamp) is None]
        if not todo:
            return []
        graded = Grade.objects.filter(subject__in=todo, session=session)
        if session == Session.FIRST:
            students = list(curriculum_students(target).values_list("pk", flat=True))
            have = set(graded.values_list("subject_id", "student_id"))
            short = [s for s in todo if any((s.pk, st) not in have for st in students)]
            if short:
                raise DomainError(
                    _("Some students have no grade yet in %(codes)s: enter them (or ABS) before publishing.")
                    % {"codes": ", ".join(s.code for s in short)}
                )
        else:
            with_resits = set(graded.values_list("subject_id", flat=True))
            empty = [s for s in todo if s.pk not in with_resits]
            if empty:
                raise DomainError(
                    _("No resit grade is entered yet in %(codes)s.")
                    % {"codes": ", ".join(s.code for s in empty)}
                )
        now = timezone.now()
        for s in todo:
            setattr(s, stamp, now)
            s.save(update_fields=[stamp])
            audit_record(
                actor=by,
                action="grades.publish",
                obj=s,
                from_state="",
                to_state=str(session),
                data={"subject": s.code, "session": str(session), "curriculum": str(target)},
            )
        told = (
            Student.objects.filter(grades__subject__in=todo, grades__session=session)
            .distinct()
            .select_related("user", "dossier", "offering__program")
        )
        for student in told:
            email_send(
                template="grades_published",
                to=student.user.email,
                language=student.user.language,
                context={
                    "student": student,
                    "name": student.dossier.full_name,
                    "program": target.program,
                    "subjects": todo,
                    "resit": session == Session.RESIT,
                },
                related=student,
            )
    return todo
