"""Renewal (R1.11): a student whose training outlasts their training agreement renews it and pays tuition
again. The curriculum ends on the date of its studies jury (R1.10), or, before any jury is set, on the
resit session's; the agreement that counts is the latest renewal's, else the registration's.

``renewal_create`` records the new agreement, a new amount due (kind RENEWAL) at the program's current
tuition for the student's financing (R3.1), and tells the student by email.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from applications.rules import Financing, cost_quote
from audit.services import audit_record
from billing.models import Due, DueKind
from catalog.models import Offering
from cursus.errors import DomainError
from notifications.services import email_send
from registration.models import Student
from studies.deliberation import agreement_outlasted
from studies.models import Curriculum, Renewal, StudiesJury


def curriculum_end(curriculum: Curriculum) -> dt.date | None:
    """R1.10: the last studies jury's date; before any jury, the resit session's; else unknown."""
    last = StudiesJury.objects.filter(curriculum=curriculum).aggregate(d=Max("sits_on"))["d"]
    return last or curriculum.resit_session_on


def agreement_end(student: Student, renewals: list[Renewal] | None = None) -> dt.date | None:
    """The last day of the student's training agreement: the latest renewal's, else the registration's.
    ``renewals`` may be given already loaded (a list's prefetch: no query)."""
    if renewals is None:
        renewals = list(Renewal.objects.filter(student=student))
    ends = [r.agreement_ends_on for r in renewals]
    if ends:
        return max(ends)
    return student.registration.agreement_ends_on


def needs_renewal(
    student: Student, curriculum_end: dt.date | None, *, renewals: list[Renewal] | None = None
) -> bool:
    """R1.11: the curriculum ends after the agreement's last day. Unknown dates flag nothing."""
    end = agreement_end(student, renewals)
    if end is None or curriculum_end is None:
        return False
    return agreement_outlasted(end, curriculum_end)


def current_offering(program: Any, *, today: dt.date | None = None) -> Offering | None:
    """The program's offering of the latest session already open today: its rates are the current ones."""
    today = today or timezone.localdate()
    return (
        Offering.objects.filter(program=program, session__opens_on__lte=today)
        .order_by("-session__opens_on", "-pk")
        .first()
    )


def tuition_for(offering: Offering, financing: str) -> Decimal:
    """The tuition of ``financing`` at ``offering``'s rates (R3.1): the company's for company financing,
    the personal one otherwise. Tuition only: the CVEC is the registration's."""
    quote = cost_quote(
        financing or Financing.PERSONAL,
        tuition_personal=offering.tuition_personal,
        tuition_company=offering.tuition_company,
        cvec=Decimal("0.00"),
    )
    return quote.tuition


def renewal_amount(student: Student, *, today: dt.date | None = None) -> Decimal:
    """R1.11: the current tuition for the student's financing (their own offering's when the program has
    no session open yet)."""
    offering = current_offering(student.offering.program, today=today) or student.offering
    return tuition_for(offering, student.registration.financing)


def renewal_due(*, student: Student, amount: Decimal, due_on: dt.date, ends_on: dt.date) -> Due:
    """The new tuition due of a renewal, through the ledger's one way of making a due."""
    from billing.services.ledger import _create_due

    return _create_due(
        dossier_id=student.dossier_id,
        kind=DueKind.RENEWAL,
        label=_("Tuition, renewed training agreement until %(date)s — MS %(code)s")
        % {"date": formats.date_format(ends_on, "SHORT_DATE_FORMAT"), "code": student.offering.program.code},
        amount=amount,
        due_on=due_on,
    )


def renewal_create(
    *, student: Student, starts_on: dt.date, ends_on: dt.date, by: Any, today: dt.date | None = None
) -> Renewal:
    """R1.11: a new training agreement from ``starts_on`` to ``ends_on``, a new tuition due at the current
    rate, and an email to the student. Safe twice: the same agreement asked again gives the same renewal."""
    if starts_on is None or ends_on is None or ends_on <= starts_on:
        raise DomainError(_("The new agreement ends after it starts."), code="dates")
    with transaction.atomic():
        student = (
            Student.objects.select_for_update()
            .select_related("registration", "dossier__candidate", "offering__program", "offering__session")
            .get(pk=student.pk)
        )
        same = Renewal.objects.filter(
            student=student, agreement_starts_on=starts_on, agreement_ends_on=ends_on
        ).first()
        if same is not None:
            return same
        current = agreement_end(student)
        if current is not None and ends_on <= current:
            raise DomainError(
                _("The new agreement must end after the current one (%(date)s).")
                % {"date": formats.date_format(current, "SHORT_DATE_FORMAT")},
                code="dates",
            )
        amount = renewal_amount(student, today=today)
        due = renewal_due(
            student=student,
            amount=amount,
            due_on=max(starts_on, today or timezone.localdate()),
            ends_on=ends_on,
        )
        renewal = Renewal.objects.create(
            student=student,
            agreement_starts_on=starts_on,
            agreement_ends_on=ends_on,
            amount=amount,
            due=due,
            created_by=by,
        )
        audit_record(
            actor=by,
            action="renewal.create",
            obj=student.dossier,
            from_state=current.isoformat() if current else "",
            to_state=ends_on.isoformat(),
            data={
                "student": student.pk,
                "renewal": renewal.pk,
                "due": due.pk,
                "amount": str(amount),
                "starts_on": starts_on.isoformat(),
            },
        )
        candidate = student.dossier.candidate
        email_send(
            template="studies_renewal",
            to=candidate.email,
            language=candidate.language,
            context={
                "student": student,
                "dossier": student.dossier,
                "program": student.offering.program,
                "renewal": renewal,
                "due": due,
            },
            related=student.dossier,
        )
    return renewal
