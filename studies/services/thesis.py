"""The professional thesis (R1.7): topic, host company, company tutor, academic tutor, defence date, and
the program director's approval of the topic. Every change audited with what it was and what it became.

The topic is what the director approves: a new topic after the approval withdraws it (the director
approves the new one)."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from cursus.errors import DomainError
from registration.models import Student
from studies.models import Thesis

FIELDS = ("topic", "host_company", "company_tutor", "academic_tutor_id", "defence_on")


def may_approve_topic(user: Any, student: Student) -> bool:
    """Only a director of the student's program approves the topic (R1.7): not the office."""
    from studies.access import is_director

    return is_director(user) and student.offering.program.directors.filter(pk=user.pk).exists()


def _state(thesis: Thesis | None) -> dict[str, Any]:
    if thesis is None:
        return {}
    out = {name: getattr(thesis, name) for name in FIELDS}
    out["defence_on"] = thesis.defence_on.isoformat() if thesis.defence_on else ""
    out["approved"] = thesis.topic_approved_at is not None
    return out


def thesis_save(
    *,
    student: Student,
    by: Any,
    topic: str,
    host_company: str,
    company_tutor: str,
    academic_tutor: Any = None,
    defence_on: dt.date | None = None,
    approve: bool | None = None,
) -> Thesis:
    """Record or change the thesis. ``approve`` True/False gives or withdraws the director's approval of
    the topic (a director of the program only); None leaves it as it is."""
    topic, host_company, company_tutor = topic.strip(), host_company.strip(), company_tutor.strip()
    if not topic or not host_company or not company_tutor:
        raise DomainError(
            _("A thesis has a topic, a host company and a company tutor (R1.7)."), code="required"
        )
    if approve is not None and not may_approve_topic(by, student):
        raise DomainError(_("Only the program's director approves the topic (R1.7)."), code="forbidden")
    with transaction.atomic():
        Student.objects.select_for_update().get(pk=student.pk)
        thesis = Thesis.objects.filter(student=student).first()
        before = _state(thesis)
        if thesis is None:
            thesis = Thesis(student=student)
        topic_changed = thesis.pk is not None and thesis.topic != topic
        thesis.topic, thesis.host_company, thesis.company_tutor = topic, host_company, company_tutor
        thesis.academic_tutor = academic_tutor
        thesis.defence_on = defence_on
        if topic_changed and thesis.topic_approved_at is not None and not approve:
            thesis.topic_approved_at, thesis.topic_approved_by = None, None
        if approve and thesis.topic_approved_at is None:
            thesis.topic_approved_at, thesis.topic_approved_by = timezone.now(), by
        elif approve is False and thesis.topic_approved_at is not None:
            thesis.topic_approved_at, thesis.topic_approved_by = None, None
        after = _state(thesis)
        if before == after:
            return thesis
        thesis.save()
        was, now = before.get("approved", False), after["approved"]
        action = "thesis.save"
        if now and not was:
            action = "thesis.approve"
        elif was and not now:
            action = "thesis.unapprove"
        audit_record(
            actor=by,
            action=action,
            obj=student.dossier,
            from_state="approved" if was else "",
            to_state="approved" if now else "",
            data={"student": student.pk, "from": before, "to": after},
        )
    return thesis


def tutors_for(program: Any) -> Any:
    """Who may be a thesis's academic tutor: active staff with the teacher or program director role, of
    the program's institution (or of none)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    roles = ("teacher", "program_director")
    role = Q(groups__permissions__codename__in=roles, groups__permissions__content_type__app_label="accounts")
    role |= Q(user_permissions__codename__in=roles, user_permissions__content_type__app_label="accounts")
    return (
        get_user_model()
        .objects.filter(role, is_active=True)
        .filter(Q(institution_id=program.institution_id) | Q(institution__isnull=True))
        .distinct()
        .order_by("last_name", "first_name", "email")
    )
