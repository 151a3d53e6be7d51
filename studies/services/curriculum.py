"""The curriculum of a program for an academic year (issue 10 item 1, R1.4): its teaching units (UV) and
their subjects with coefficients, the professional part (mission, thesis, defence), the teachers of each
subject. Edited by the office and the program's director, every change audited (convention 4).

A curriculum is built one unit at a time, so it may be incomplete while it is being edited:
``curriculum_check`` says in words what is wrong (45 + 30 ECTS, exactly one mission, thesis and defence),
the screen shows it at the top, and ``curriculum_require_valid`` refuses to go on (grades, the jury) with
the same words. ``curriculum_copy`` copies last year's curriculum in one action (never its grades).
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from audit.services import audit_record
from catalog.models import Program
from cursus.errors import DomainError
from cursus.institutions import scope_queryset
from studies import deliberation
from studies.deliberation.values import PROFESSIONAL_ECTS, TEACHING_ECTS
from studies.models import Component, Curriculum, Grade, ResitPolicy, StudiesJury, Subject, Unit

_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
ZERO = Decimal(0)


# ---- reads ----------------------------------------------------------------------------------------


def academic_year_valid(year: str) -> bool:
    m = _YEAR.match(year or "")
    return bool(m) and int(m.group(2)) == int(m.group(1)) + 1  # type: ignore[union-attr]


def next_academic_year(year: str) -> str:
    start = int(year[:4]) + 1
    return f"{start}-{start + 1}"


def _ects(value: Decimal) -> str:
    """45, 44.5 — as each language writes it (44,5 in French)."""
    return number_format(value.normalize() if value == value.to_integral() else value)


def curriculum_sums(units: Iterable[Unit]) -> tuple[Decimal, Decimal]:
    """(teaching ECTS, professional ECTS) of ``units`` (already loaded: no query)."""
    teaching = sum((u.ects for u in units if not u.professional), ZERO)
    professional = sum((u.ects for u in units if u.professional), ZERO)
    return teaching, professional


def curriculum_check(curriculum: Curriculum, *, units: list[Unit] | None = None) -> list[str]:
    """What keeps ``curriculum`` from being deliberated, in words (R1.4, R1.7); empty when it is sound.

    ``units`` may be given with their subjects prefetched (the screen's own rows: no query more)."""
    if units is None:
        units = list(
            curriculum.units.prefetch_related("subjects").order_by("professional", "position", "code")
        )
    problems: list[str] = []
    teaching_units = [u for u in units if not u.professional]
    professional = [u for u in units if u.professional]
    teaching, pro_ects = curriculum_sums(units)
    if not teaching_units:
        problems.append(_("There is no teaching unit: they must be worth 45 ECTS in all (R1.4)."))
    elif teaching != TEACHING_ECTS:
        problems.append(
            _("The teaching units are worth %(ects)s ECTS; they must be worth %(wanted)s in all (R1.4).")
            % {"ects": _ects(teaching), "wanted": _ects(TEACHING_ECTS)}
        )
    if not professional:
        problems.append(_("There is no professional part (mission, thesis and defence, 30 ECTS, R1.4)."))
    elif pro_ects != PROFESSIONAL_ECTS:
        problems.append(
            _("The professional part is worth %(ects)s ECTS; it must be worth %(wanted)s (R1.4).")
            % {"ects": _ects(pro_ects), "wanted": _ects(PROFESSIONAL_ECTS)}
        )
    for unit in units:
        subjects = list(unit.subjects.all())
        if not subjects:
            problems.append(_("%(unit)s has no subject.") % {"unit": unit.code})
        if not unit.professional:
            stray = [s.code for s in subjects if s.component]
            if stray:
                problems.append(
                    _("%(subjects)s: only the professional part has a mission, a thesis or a defence.")
                    % {"subjects": ", ".join(stray)}
                )
    if professional:
        components = [s.component for s in professional[0].subjects.all()]
        for value, label in Component.choices:
            n = components.count(value)
            if n != 1:
                problems.append(
                    _("The professional part must have exactly one %(component)s; it has %(n)d (R1.4, R1.7).")
                    % {"component": str(label).lower(), "n": n}
                )
        if "" in components:
            problems.append(
                _("Each subject of the professional part is its mission, its thesis or its defence (R1.7).")
            )
    if not problems:
        # The deliberation's own checks, so that nothing it would refuse passes here.
        try:
            curriculum_as_values(units)
        except deliberation.DeliberationError as exc:
            problems.append(str(exc))
    return problems


def curriculum_as_values(units: list[Unit]) -> deliberation.Curriculum:
    """The deliberation's plain values for units with their subjects loaded (raises DeliberationError)."""

    def subjects(unit: Unit) -> tuple[deliberation.Subject, ...]:
        return tuple(
            deliberation.Subject(
                code=s.code,
                name=s.name,
                coefficient=s.coefficient,
                kind=deliberation.ProfessionalKind(s.component) if s.component else None,
            )
            for s in unit.subjects.all()
        )

    def value(unit: Unit) -> deliberation.Unit:
        return deliberation.Unit(code=unit.code, name=unit.name, ects=unit.ects, subjects=subjects(unit))

    teaching = tuple(value(u) for u in units if not u.professional)
    pro = [u for u in units if u.professional]
    if not pro:
        raise deliberation.DeliberationError("There is no professional part.")
    return deliberation.Curriculum(units=teaching, professional=value(pro[0]))


def curriculum_require_valid(curriculum: Curriculum) -> None:
    """Refuse to go on (grades, the studies jury) with a curriculum that does not add up (R1.4)."""
    problems = curriculum_check(curriculum)
    if problems:
        raise DomainError(
            _("The curriculum %(curriculum)s is not complete: %(problems)s")
            % {"curriculum": str(curriculum), "problems": " ".join(problems)},
            code="curriculum",
        )


def curriculum_locked(curriculum: Curriculum) -> bool:
    """A closed studies jury has ruled on this curriculum: its units and subjects no longer change."""
    return StudiesJury.objects.filter(curriculum=curriculum, closed_at__isnull=False).exists()


def teachers_for(curriculum: Curriculum) -> QuerySet[Any]:
    """People who may teach a subject: active accounts with the teacher role, of the program's
    institution (or of none)."""
    user_model = get_user_model()
    role = Q(groups__permissions__codename="teacher", groups__permissions__content_type__app_label="accounts")
    role |= Q(user_permissions__codename="teacher", user_permissions__content_type__app_label="accounts")
    qs = user_model.objects.filter(role, is_active=True).distinct()
    institution_id = curriculum.program.institution_id
    return qs.filter(Q(institution_id=institution_id) | Q(institution__isnull=True)).order_by(
        "last_name", "first_name", "email"
    )


def programs_for_curricula(user: Any) -> QuerySet[Program]:
    """Programs whose curricula ``user`` may create: the office's institution, a director's programs."""
    from cursus.institutions import user_scope
    from studies.access import is_director, is_office

    if is_office(user):
        return scope_queryset(Program.objects.all(), user_scope(user)).order_by("code")
    if is_director(user):
        return Program.objects.filter(directors=user).order_by("code")
    return Program.objects.none()


# ---- changes ---------------------------------------------------------------------------------------


def _unlocked(curriculum: Curriculum) -> Curriculum:
    """The curriculum's row, locked; refused once a closed jury ruled on it."""
    locked = Curriculum.objects.select_for_update().select_related("program").get(pk=curriculum.pk)
    if curriculum_locked(locked):
        raise DomainError(
            _("A studies jury has closed on this curriculum: its units and subjects no longer change."),
            code="locked",
        )
    return locked


def _positive(value: Any, label: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise DomainError(_("%(what)s must be a number above 0.") % {"what": label}, code="number")
    return value


def curriculum_create(
    *,
    program: Program,
    academic_year: str,
    by: Any,
    resit_policy: str = ResitPolicy.REPLACE,
    resit_session_on: dt.date | None = None,
) -> Curriculum:
    if not academic_year_valid(academic_year):
        raise DomainError(_("An academic year is written 2025-2026."), code="academic_year")
    if resit_policy not in ResitPolicy.values:
        raise DomainError(_("Choose a resit policy."), code="resit_policy")
    try:
        with transaction.atomic():
            curriculum = Curriculum.objects.create(
                program=program,
                academic_year=academic_year,
                resit_policy=resit_policy,
                resit_session_on=resit_session_on,
            )
            audit_record(
                actor=by,
                action="curriculum.create",
                obj=curriculum,
                data={"program": program.code, "academic_year": academic_year},
            )
    except IntegrityError:
        raise DomainError(
            _("MS %(code)s already has a curriculum for %(year)s.")
            % {"code": program.code, "year": academic_year},
            code="exists",
        ) from None
    return curriculum


def curriculum_update(
    *, curriculum: Curriculum, by: Any, resit_policy: str, resit_session_on: dt.date | None
) -> Curriculum:
    """The resit policy (I12, set per program) and the date of the resit session."""
    if resit_policy not in ResitPolicy.values:
        raise DomainError(_("Choose a resit policy."), code="resit_policy")
    with transaction.atomic():
        curriculum = _unlocked(curriculum)
        before = {
            "resit_policy": curriculum.resit_policy,
            "resit_session_on": curriculum.resit_session_on.isoformat()
            if curriculum.resit_session_on
            else "",
        }
        curriculum.resit_policy = resit_policy
        curriculum.resit_session_on = resit_session_on
        after = {
            "resit_policy": resit_policy,
            "resit_session_on": resit_session_on.isoformat() if resit_session_on else "",
        }
        if before != after:
            curriculum.save(update_fields=["resit_policy", "resit_session_on", "updated_at"])
            audit_record(
                actor=by, action="curriculum.update", obj=curriculum, data={"from": before, "to": after}
            )
    return curriculum


def _unit_data(unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "ects": str(unit.ects), "professional": unit.professional}


def unit_save(
    *,
    curriculum: Curriculum,
    by: Any,
    code: str,
    name: str,
    ects: Decimal,
    professional: bool = False,
    position: int = 0,
    unit: Unit | None = None,
) -> Unit:
    """Add a unit (``unit`` None) or change one. The professional part is one unit (R1.4)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(_("A unit has a code and a name."), code="code")
    ects = _positive(ects, _("ECTS"))
    with transaction.atomic():
        curriculum = _unlocked(curriculum)
        units = Unit.objects.filter(curriculum=curriculum)
        if unit is not None:
            unit = units.select_for_update().get(pk=unit.pk)
            units = units.exclude(pk=unit.pk)
        if units.filter(code=code).exists():
            raise DomainError(_("Another unit already has the code %(code)s.") % {"code": code}, code="code")
        if professional and units.filter(professional=True).exists():
            raise DomainError(
                _("The curriculum already has its professional part: there is only one (R1.4)."),
                code="professional",
            )
        if unit is not None and unit.professional != professional:
            if Subject.objects.filter(unit=unit).exclude(component="").exists() and not professional:
                raise DomainError(
                    _("Remove the mission, thesis and defence from this unit first."), code="professional"
                )
        before = _unit_data(unit) if unit is not None else None
        if unit is None:
            unit = Unit(curriculum=curriculum)
        unit.code, unit.name, unit.ects, unit.professional, unit.position = (
            code,
            name,
            ects,
            professional,
            position,
        )
        unit.save()
        audit_record(
            actor=by,
            action="curriculum.unit.add" if before is None else "curriculum.unit.change",
            obj=curriculum,
            data={"unit": unit.pk, "from": before, "to": _unit_data(unit)},
        )
    return unit


def unit_delete(*, unit: Unit, by: Any) -> None:
    with transaction.atomic():
        curriculum = _unlocked(unit.curriculum)
        if Grade.objects.filter(subject__unit=unit).exists():
            raise DomainError(
                _("%(unit)s has grades: it can no longer be removed.") % {"unit": unit.code}, code="grades"
            )
        data = _unit_data(unit)
        Unit.objects.filter(pk=unit.pk).delete()
        audit_record(actor=by, action="curriculum.unit.remove", obj=curriculum, data={"unit": data})


def _subject_data(subject: Subject, teachers: list[Any]) -> dict[str, Any]:
    return {
        "code": subject.code,
        "name": subject.name,
        "unit": subject.unit.code,
        "coefficient": str(subject.coefficient),
        "component": subject.component,
        "teachers": sorted(t.pk for t in teachers),
    }


def subject_save(
    *,
    curriculum: Curriculum,
    unit: Unit,
    by: Any,
    code: str,
    name: str,
    coefficient: Decimal,
    component: str = "",
    teachers: Iterable[Any] = (),
    position: int = 0,
    subject: Subject | None = None,
) -> Subject:
    """Add a subject to a unit (``subject`` None) or change one, with its teachers (teacher role)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(_("A subject has a code and a name."), code="code")
    coefficient = _positive(coefficient, _("The coefficient"))
    if component and component not in Component.values:
        raise DomainError(_("Choose mission, thesis or defence."), code="component")
    if unit.curriculum_id != curriculum.pk:
        raise DomainError(_("This unit is not in this curriculum."), code="unit")
    if component and not unit.professional:
        raise DomainError(
            _("Only the professional part has a mission, a thesis or a defence (R1.4)."), code="component"
        )
    if unit.professional and not component:
        raise DomainError(
            _("Each subject of the professional part is its mission, its thesis or its defence (R1.7)."),
            code="component",
        )
    teachers = list(teachers)
    allowed = set(
        teachers_for(curriculum).filter(pk__in=[t.pk for t in teachers]).values_list("pk", flat=True)
    )
    if any(t.pk not in allowed for t in teachers):
        raise DomainError(_("A subject's teachers have the teacher role."), code="teachers")
    with transaction.atomic():
        curriculum = _unlocked(curriculum)
        subjects = Subject.objects.filter(curriculum=curriculum)
        before = None
        if subject is not None:
            subject = subjects.select_for_update().select_related("unit").get(pk=subject.pk)
            before = _subject_data(subject, list(subject.teachers.all()))
            subjects = subjects.exclude(pk=subject.pk)
        if subjects.filter(code=code).exists():
            raise DomainError(
                _("Another subject already has the code %(code)s.") % {"code": code}, code="code"
            )
        if component and subjects.filter(unit=unit, component=component).exists():
            raise DomainError(
                _("The professional part already has its %(component)s.")
                % {"component": str(Component(component).label).lower()},
                code="component",
            )
        if subject is None:
            subject = Subject(curriculum=curriculum)
        elif subject.unit_id != unit.pk and Grade.objects.filter(subject=subject).exists():
            raise DomainError(
                _("%(subject)s has grades: it stays in its unit.") % {"subject": subject.code}, code="grades"
            )
        subject.unit = unit
        subject.code, subject.name, subject.coefficient = code, name, coefficient
        subject.component, subject.position = component, position
        subject.save()
        subject.teachers.set(teachers)
        audit_record(
            actor=by,
            action="curriculum.subject.add" if before is None else "curriculum.subject.change",
            obj=curriculum,
            data={"subject": subject.pk, "from": before, "to": _subject_data(subject, teachers)},
        )
    return subject


def subject_delete(*, subject: Subject, by: Any) -> None:
    with transaction.atomic():
        curriculum = _unlocked(subject.curriculum)
        if Grade.objects.filter(subject=subject).exists():
            raise DomainError(
                _("%(subject)s has grades: it can no longer be removed.") % {"subject": subject.code},
                code="grades",
            )
        data = _subject_data(subject, list(subject.teachers.all()))
        Subject.objects.filter(pk=subject.pk).delete()
        audit_record(actor=by, action="curriculum.subject.remove", obj=curriculum, data={"subject": data})


def _shift_year(day: dt.date | None, years: int) -> dt.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def curriculum_copy(*, source: Curriculum, academic_year: str, by: Any) -> Curriculum:
    """Last year's curriculum for ``academic_year`` in one action: its units, subjects, coefficients,
    components, teachers, resit policy and thresholds; the resit session moved by the years between.
    Never its grades, publications, theses or juries. Refused when the year already has one."""
    if not academic_year_valid(academic_year):
        raise DomainError(_("An academic year is written 2025-2026."), code="academic_year")
    if academic_year == source.academic_year:
        raise DomainError(_("Copy to another academic year."), code="academic_year")
    years = int(academic_year[:4]) - int(source.academic_year[:4])
    try:
        with transaction.atomic():
            copy = Curriculum.objects.create(
                program_id=source.program_id,
                academic_year=academic_year,
                resit_policy=source.resit_policy,
                uv_pass=source.uv_pass,
                overall_pass=source.overall_pass,
                resit_at_or_below=source.resit_at_or_below,
                resit_session_on=_shift_year(source.resit_session_on, years),
            )
            units = list(Unit.objects.filter(curriculum=source).order_by("pk"))
            new_units = Unit.objects.bulk_create(
                [
                    Unit(
                        curriculum=copy,
                        code=u.code,
                        name=u.name,
                        ects=u.ects,
                        professional=u.professional,
                        position=u.position,
                    )
                    for u in units
                ]
            )
            unit_map = {old.pk: new for old, new in zip(units, new_units, strict=True)}
            subjects = list(
                Subject.objects.filter(curriculum=source).prefetch_related("teachers").order_by("pk")
            )
            new_subjects = Subject.objects.bulk_create(
                [
                    Subject(
                        curriculum=copy,
                        unit=unit_map[s.unit_id],
                        code=s.code,
                        name=s.name,
                        coefficient=s.coefficient,
                        component=s.component,
                        position=s.position,
                    )
                    for s in subjects
                ]
            )
            through = Subject.teachers.through
            through.objects.bulk_create(
                [
                    through(subject_id=new.pk, user_id=t.pk)
                    for old, new in zip(subjects, new_subjects, strict=True)
                    for t in old.teachers.all()
                ]
            )
            audit_record(
                actor=by,
                action="curriculum.copy",
                obj=copy,
                data={
                    "from": source.pk,
                    "from_year": source.academic_year,
                    "units": len(units),
                    "subjects": len(subjects),
                },
            )
    except IntegrityError:
        raise DomainError(
            _("MS %(code)s already has a curriculum for %(year)s.")
            % {"code": source.program.code, "year": academic_year},
            code="exists",
        ) from None
    return copy
