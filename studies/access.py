"""Who sees what in studies (issue 10), one helper per object kind (convention 9): anything a person may
not see is a 404, by every URL.

- The admissions office sees every curriculum, student, grade and jury of its institution.
- A program director sees those of their programs only; they edit curricula, approve theses and
  publish grades of their programs.
- A teacher sees and edits the grades of their own subjects only (``Subject.teachers``).
- A studies jury member sees the juries they sit on.
- A student sees their own grades once published, their outcome once the jury is closed, and their
  transcript.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import ADMISSIONS_OFFICE, PROGRAM_DIRECTOR, TEACHER
from cursus.institutions import scope_queryset, user_scope
from registration.models import Student
from studies.models import Curriculum, StudiesJury, Subject


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_office(user: Any) -> bool:
    return _staff(user) and user.has_perm(ADMISSIONS_OFFICE)


def is_director(user: Any) -> bool:
    return _staff(user) and user.has_perm(PROGRAM_DIRECTOR)


def is_teacher(user: Any) -> bool:
    return _staff(user) and user.has_perm(TEACHER)


def curricula_for(user: Any) -> QuerySet[Curriculum]:
    """Curricula the office (its institution) or a director (their programs) may see and edit."""
    qs = Curriculum.objects.select_related("program")
    if is_office(user):
        return scope_queryset(qs, user_scope(user))
    if is_director(user):
        return qs.filter(program__directors=user)
    return qs.none()


def get_curriculum_for_user(user: Any, pk: int) -> Curriculum:
    try:
        return curricula_for(user).get(pk=pk)
    except Curriculum.DoesNotExist:
        raise Http404 from None


def subjects_for_grading(user: Any) -> QuerySet[Subject]:
    """Subjects whose grades ``user`` may see and enter: a teacher's own subjects; every subject of a
    director's programs; every subject of the office's institution."""
    qs = Subject.objects.select_related("unit", "curriculum__program")
    if not _staff(user):
        return qs.none()
    allowed = Q(pk__in=[])
    if is_teacher(user):
        allowed |= Q(teachers=user)
    if is_director(user):
        allowed |= Q(curriculum__program__directors=user)
    if is_office(user):
        scoped = scope_queryset(Subject.objects.all(), user_scope(user))
        allowed |= Q(pk__in=scoped.values("pk"))
    return qs.filter(allowed).distinct()


def get_subject_for_grading(user: Any, pk: int) -> Subject:
    try:
        return subjects_for_grading(user).get(pk=pk)
    except Subject.DoesNotExist:
        raise Http404 from None


def students_for_staff(user: Any) -> QuerySet[Student]:
    """Students the office (its institution) or a director (their programs) may see."""
    qs = Student.objects.select_related("dossier", "offering__program", "registration")
    if is_office(user):
        return scope_queryset(qs, user_scope(user))
    if is_director(user):
        return qs.filter(offering__program__directors=user)
    return qs.none()


def get_student_for_staff(user: Any, pk: int) -> Student:
    try:
        return students_for_staff(user).get(pk=pk)
    except Student.DoesNotExist:
        raise Http404 from None


def juries_for(user: Any) -> QuerySet[StudiesJury]:
    qs = StudiesJury.objects.select_related("curriculum__program")
    if not _staff(user):
        return qs.none()
    if is_office(user):
        return scope_queryset(qs, user_scope(user))
    allowed = Q(members=user)
    if is_director(user):
        allowed |= Q(curriculum__program__directors=user)
    return qs.filter(allowed).distinct()


def get_jury_for_user(user: Any, pk: int) -> StudiesJury:
    try:
        return juries_for(user).get(pk=pk)
    except StudiesJury.DoesNotExist:
        raise Http404 from None


def own_students(user: Any) -> QuerySet[Student]:
    if not _staff(user):
        return Student.objects.none()
    return Student.objects.filter(user=user).select_related("offering__program", "dossier")


def get_own_student(user: Any, pk: int) -> Student:
    try:
        return own_students(user).get(pk=pk)
    except Student.DoesNotExist:
        raise Http404 from None
