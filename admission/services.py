"""Every change of the review and admission (conventions 2–5): lock, check, audit, notify after commit."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import ADMISSIONS_OFFICE
from admission import rules
from admission.models import (
    HOLDS_A_PLACE,
    Decision,
    Interview,
    InterviewMode,
    InterviewStatus,
    JurySitting,
    Opinion,
    Outcome,
    SittingStatus,
)
from applications.models import DocumentFile, Dossier, DossierStatus, Verdict
from applications.selectors import DocumentSlot, document_slots, fee_status
from applications.services import dossier_email, dossier_transition, fee_booked_in_time
from audit.models import AuditEvent
from audit.services import audit_record
from catalog.models import DocumentRequirement, DocumentType, Offering
from catalog.rules import is_late
from cursus.errors import DomainError
from cursus.institutions import institution_path
from notifications.services import email_send

DECISION_STATUS = {
    Outcome.ADMITTED: DossierStatus.ADMITTED,
    Outcome.CONDITIONAL: DossierStatus.CONDITIONAL,
    Outcome.WAITING_LIST: DossierStatus.WAITING_LIST,
    Outcome.REFUSED: DossierStatus.REFUSED,
}


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("offering__session", "offering__program", "candidate")
        .get(pk=dossier.pk)
    )


def _expect(dossier: Dossier, *allowed: str) -> None:
    if dossier.status not in allowed:
        raise DomainError(
            _("This action is not possible while the dossier is “%(status)s”.")
            % {"status": dossier.get_status_display()},
            code="state",
        )


def _is_director(user: Any, dossier: Dossier) -> bool:
    return dossier.offering.program.directors.filter(pk=user.pk).exists()


# ---- completeness (I3, R2.2) -------------------------------------------------------------------


@transaction.atomic
def document_verdict(*, file: DocumentFile, by: Any, verdict: str, reason: str = "") -> DocumentFile:
    """The office accepts or refuses one document (refusal needs a reason)."""
    dossier = _lock(file.dossier)
    _expect(dossier, DossierStatus.SUBMITTED)
    file = DocumentFile.objects.select_for_update().get(pk=file.pk, dossier=dossier)
    if file.superseded_at is not None:
        raise DomainError(_("This file has been replaced; check the current one."), code="superseded")
    if verdict not in (Verdict.ACCEPTED, Verdict.REFUSED):
        raise DomainError(_("Unknown verdict."), code="verdict")
    reason = reason.strip()
    if verdict == Verdict.REFUSED and not reason:
        raise DomainError(
            _("Say why “%(label)s” is refused.") % {"label": file.document_type.label}, code="reason"
        )
    if verdict == Verdict.ACCEPTED:
        reason = ""
    if file.verdict == verdict and file.verdict_reason == reason:
        return file  # a repeated click (issue 7 item 6): nothing changes, nothing is recorded
    previous = file.verdict
    file.verdict, file.verdict_reason, file.verdict_by, file.verdict_at = verdict, reason, by, timezone.now()
    file.save(update_fields=["verdict", "verdict_reason", "verdict_by", "verdict_at"])
    audit_record(
        actor=by,
        action="document.verdict",
        obj=dossier,
        from_state=previous,
        to_state=verdict,
        reason=reason,
        data={"file": file.pk, "document": file.document_type.code, "role": file.role},
    )
    return file


def completeness_problems(dossier: Dossier) -> list[str]:
    """What stops the office from marking the dossier complete (I3)."""
    problems = []
    for slot in document_slots(dossier):
        for f in (slot.current, slot.translation):
            if f is None:
                continue
            if f.verdict == Verdict.PENDING:
                problems.append(_("Not checked yet: %(label)s") % {"label": slot.type.label})
            elif f.verdict == Verdict.REFUSED:
                problems.append(
                    _("Refused: %(label)s (%(reason)s)")
                    % {"label": slot.type.label, "reason": f.verdict_reason}
                )
        if slot.required and slot.current is None:
            problems.append(_("Document missing: %(label)s") % {"label": slot.type.label})
        if slot.needs_translation and slot.translation is None:
            problems.append(
                _("Translation missing (French or English): %(label)s") % {"label": slot.type.label}
            )
    payment = fee_status(dossier)
    if payment is None or payment.status != "confirmed":
        problems.append(_("The application fee is not confirmed by finance."))
    elif not fee_booked_in_time(payment):
        problems.append(_("The application fee was booked after the grace period (I3)."))
    return problems


def dossier_mark_complete(*, dossier: Dossier, by: Any) -> Dossier:
    with transaction.atomic():
        dossier = _lock(dossier)
        if dossier.status == DossierStatus.COMPLETE:
            return dossier
        _expect(dossier, DossierStatus.SUBMITTED)
        problems = completeness_problems(dossier)
        if problems:
            raise DomainError(
                _("The dossier is not complete: %(p)s") % {"p": " ".join(problems)}, code="incomplete"
            )
        dossier_transition(dossier, to=DossierStatus.COMPLETE, by=by, action="dossier.complete")
        dossier_email(dossier, "dossier_complete")
    return dossier


@dataclass(frozen=True)
class ToFix:
    """One thing the candidate must fix after an incomplete return. It holds the document type, not
    its label, so that it reads in the language of whoever renders it (the candidate's email)."""

    kind: str  # one of TO_FIX_KINDS
    document_type: Any
    reason: str = ""


TO_FIX_KINDS = ("refused", "translation_refused", "missing", "translation_missing")


def items_to_fix(slots: list[DocumentSlot]) -> list[ToFix]:
    """What the candidate must fix in their documents: refused files with the office's reason, and
    required files or translations that are absent. Never the office's own checklist (files not
    checked yet, the fee awaiting finance): that is the office's work, not the candidate's (issue 7
    item 1)."""
    items = []
    for slot in slots:
        if slot.current is not None and slot.current.verdict == Verdict.REFUSED:
            items.append(ToFix("refused", slot.type, slot.current.verdict_reason))
        elif slot.current is None and slot.required:
            items.append(ToFix("missing", slot.type))
        if slot.translation is not None and slot.translation.verdict == Verdict.REFUSED:
            items.append(ToFix("translation_refused", slot.type, slot.translation.verdict_reason))
        elif slot.needs_translation and slot.translation is None:
            items.append(ToFix("translation_missing", slot.type))
    return items


def to_fix_text(item: ToFix) -> str:
    """One item in the current language (the email's and the page's wording)."""
    label = item.document_type.label
    if item.kind == "refused":
        return _("%(label)s: refused (%(reason)s). Upload a new file.") % {
            "label": label,
            "reason": item.reason,
        }
    if item.kind == "translation_refused":
        return _("%(label)s, translation: refused (%(reason)s). Upload a new translation.") % {
            "label": label,
            "reason": item.reason,
        }
    if item.kind == "missing":
        return _("Document missing: %(label)s") % {"label": label}
    return _("Translation missing (French or English): %(label)s") % {"label": label}


def other_document_type(dossier: Dossier) -> DocumentType | None:
    """The session's slot for a document the office asks for outside the list, if it has one."""
    return (
        DocumentType.objects.filter(
            session_id=dossier.offering.session_id, requirement=DocumentRequirement.ON_REQUEST
        )
        .order_by("position", "pk")
        .first()
    )


def dossier_mark_incomplete(
    *, dossier: Dossier, by: Any, missing: list[str], ask_document: bool = False
) -> Dossier:
    """Back to the candidate with what to fix: the refused documents with their reasons (computed,
    so that they reach the candidate in their language) and what the office writes in ``missing``.
    ``ask_document``: what the office wrote asks for a document outside the session's list; the
    session's "on request" slot is then required, so the candidate can upload it and cannot submit
    again without it. They may re-submit until their deadline."""
    missing = [m.strip() for m in missing if m and m.strip()]
    with transaction.atomic():
        dossier = _lock(dossier)
        _expect(dossier, DossierStatus.SUBMITTED)
        items = items_to_fix(document_slots(dossier))
        other = other_document_type(dossier) if ask_document else None
        if ask_document and not missing:
            raise DomainError(
                _("Write which document the candidate must upload: they read it in the list you send."),
                code="other_document",
            )
        if ask_document and other is None:
            raise DomainError(
                _(
                    "This session has no slot for another document. Add a document type "
                    "“When the admissions office asks for it” to the session, then send again."
                ),
                code="other_document",
            )
        if not items and not missing:
            raise DomainError(
                _("Refuse a document with its reason, or write what the candidate must fix."),
                code="reason",
            )
        dossier.missing = missing
        dossier.other_document_asked = ask_document
        dossier_transition(
            dossier,
            to=DossierStatus.INCOMPLETE,
            by=by,
            action="dossier.incomplete",
            reason="\n".join([to_fix_text(i) for i in items] + missing),
            fields=("missing", "other_document_asked"),
            data={"other_document": other.pk} if other is not None else None,
        )
        # Rendered in the candidate's language: the items carry document types, not labels.
        dossier_email(
            dossier,
            "dossier_incomplete",
            items=items,
            missing=missing,
            other_document=other,
            deadline=dossier.deadline(),
        )
    return dossier


# ---- opinion and routing (R2.3, I4, R2.7) ------------------------------------------------------


def _route(dossier: Dossier, *, by: Any, today: dt.date) -> None:
    sittings = [
        rules.SittingSlot(s.pk, s.sits_on, s.cutoff, s.for_international, s.status == SittingStatus.OPEN)
        for s in JurySitting.objects.filter(session_id=dossier.offering.session_id)
    ]
    target = rules.next_sitting(sittings, international=bool(dossier.is_international), today=today)
    if target is None:
        return  # no sitting can take it: the office routes it by hand
    dossier.sitting_id = target
    dossier_transition(
        dossier,
        to=DossierStatus.AT_JURY,
        by=by,
        action="dossier.route",
        data={"sitting": target},
        fields=("sitting",),
    )


def opinion_give(
    *,
    dossier: Dossier,
    by: Any,
    favourable: bool,
    comment: str = "",
    no_interview: bool = False,
    at: dt.datetime | None = None,
) -> Opinion:
    """R2.3: the program director's opinion; then the dossier goes to the next sitting (I4).
    Convention 26: not while an interview is only proposed, unless the director says none is
    needed (``no_interview``), which cancels it and tells the candidate."""
    at = at or timezone.now()
    comment = comment.strip()
    if not favourable and not comment:
        raise DomainError(_("An unfavourable opinion needs a comment."), code="comment")
    with transaction.atomic():
        dossier = _lock(dossier)
        if not _is_director(by, dossier):
            raise DomainError(_("Only a director of this program gives its opinion."), code="forbidden")
        _expect(dossier, DossierStatus.COMPLETE)
        pending = list(
            Interview.objects.select_for_update().filter(dossier=dossier, status__in=PENDING_INTERVIEW)
        )
        if pending and not no_interview:
            raise DomainError(
                _(
                    "The interview of %(at)s is still “%(status)s”: record it as held or cancel it "
                    "before giving the opinion, or say that no interview is needed."
                )
                % {
                    "at": formats.date_format(timezone.localtime(pending[0].starts_at), "DATETIME_FORMAT"),
                    "status": pending[0].get_status_display(),
                },
                code="interview",
            )
        for interview in pending:
            _interview_cancel(interview, by=by, reason=_("No interview is needed."))
        opinion = Opinion.objects.create(dossier=dossier, favourable=favourable, comment=comment, given_by=by)
        dossier_transition(
            dossier,
            to=DossierStatus.REVIEWED,
            by=by,
            action="dossier.opinion",
            reason=comment,
            data={"favourable": favourable},
        )
        _route(dossier, by=by, today=timezone.localdate(at))
    return opinion


@transaction.atomic
def dossier_route(*, dossier: Dossier, by: Any, at: dt.datetime | None = None) -> Dossier:
    """Route a reviewed dossier that no sitting could take when its opinion was given."""
    dossier = _lock(dossier)
    _expect(dossier, DossierStatus.REVIEWED)
    _route(dossier, by=by, today=timezone.localdate(at or timezone.now()))
    return dossier


@transaction.atomic
def dossier_move(*, dossier: Dossier, by: Any, sitting: JurySitting, reason: str) -> Dossier:
    """The office moves a dossier to another open sitting, with a reason (I4)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason for the move."), code="reason")
    dossier = _lock(dossier)
    _expect(dossier, DossierStatus.REVIEWED, DossierStatus.AT_JURY)
    sitting = JurySitting.objects.select_for_update().get(pk=sitting.pk)
    if sitting.session_id != dossier.offering.session_id or sitting.is_closed:
        raise DomainError(_("Choose an open sitting of the dossier's session."), code="sitting")
    if dossier.sitting_id == sitting.pk:
        return dossier
    decision = Decision.objects.filter(dossier=dossier).select_related("sitting").first()
    if decision is not None:
        if decision.is_final:
            raise DomainError(_("The decision is final."), code="final")
        decision.delete()  # a provisional decision stays with the sitting that took it
    dropped = decision.outcome if decision is not None else ""
    previous_sitting = dossier.sitting_id
    dossier.sitting = sitting
    dossier_transition(
        dossier,
        to=DossierStatus.AT_JURY,
        by=by,
        action="dossier.move",
        reason=reason,
        fields=("sitting",),
        data={
            "from_sitting": previous_sitting,
            "to_sitting": sitting.pk,
            "dropped_provisional_decision": dropped,
        },
    )
    return dossier


# ---- interviews (R2.4) ------------------------------------------------------------------------


def interview_invitation_ics(interview: Interview) -> bytes:
    dossier = interview.dossier
    institution = dossier.offering.session.institution
    location = interview.link if interview.mode == InterviewMode.VIDEO else (interview.phone or _("Phone"))
    return rules.ics_invitation(
        uid=f"interview-{interview.pk}@cursus",
        starts_at=interview.starts_at,
        minutes=interview.duration_minutes,
        summary=_("Interview — MS %(code)s") % {"code": dossier.offering.program.code},
        description=_("Interview about your application to MS %(code)s (%(mode)s).")
        % {"code": dossier.offering.program.code, "mode": interview.get_mode_display()},
        location=location,
        organizer_email=institution.email or settings.DEFAULT_FROM_EMAIL,
        attendee_email=dossier.candidate.email,
        stamp=timezone.now(),
    ).encode()


def _send_interview_email(interview: Interview, template: str) -> None:
    from django.utils import translation

    dossier = interview.dossier
    with translation.override(dossier.candidate.language):
        ics = interview_invitation_ics(interview)
    email_send(
        template=template,
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={"dossier": dossier, "program": dossier.offering.program, "interview": interview},
        related=dossier,
        attachments=[("invitation.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")],
    )


def interview_propose(
    *,
    dossier: Dossier,
    by: Any,
    starts_at: dt.datetime,
    mode: str,
    link: str = "",
    phone: str = "",
    minutes: int = 30,
    at: dt.datetime | None = None,
) -> Interview:
    at = at or timezone.now()
    if starts_at.tzinfo is None:
        raise DomainError(_("Give the time in Paris time."), code="naive")
    if starts_at <= at:
        raise DomainError(_("The interview must be in the future."), code="past")
    if mode == InterviewMode.VIDEO and not link:
        raise DomainError(_("A video interview needs its link."), code="link")
    if mode not in InterviewMode.values:
        raise DomainError(_("Choose phone or video."), code="mode")
    with transaction.atomic():
        dossier = _lock(dossier)
        if not (_is_director(by, dossier) or by.has_perm(ADMISSIONS_OFFICE)):
            raise DomainError(
                _("Only a director of this program or the office proposes interviews."), code="forbidden"
            )
        _expect(dossier, DossierStatus.COMPLETE)
        # A new slot replaces a pending one.
        Interview.objects.filter(
            dossier=dossier,
            status__in=[InterviewStatus.PROPOSED, InterviewStatus.OTHER_SLOT, InterviewStatus.CONFIRMED],
        ).update(status=InterviewStatus.CANCELLED)
        interview = Interview.objects.create(
            dossier=dossier,
            starts_at=starts_at,
            duration_minutes=minutes,
            mode=mode,
            link=link,
            phone=phone,
            proposed_by=by,
        )
        audit_record(
            actor=by,
            action="interview.propose",
            obj=dossier,
            to_state=InterviewStatus.PROPOSED,
            data={"interview": interview.pk, "starts_at": starts_at.isoformat(), "mode": mode},
        )
        _send_interview_email(interview, "interview_invitation")
        reminder_at = starts_at - dt.timedelta(hours=24)
        transaction.on_commit(lambda: _schedule_reminders(reminder_at))
    return interview


def _schedule_reminders(when: dt.datetime) -> None:
    """With the durable queue, a reminder run is queued for the day before; `manage.py
    send_reminders` (cron) does the same job where no deferred task can be queued."""
    from admission.tasks import send_interview_reminders

    if send_interview_reminders.get_backend().supports_defer:
        send_interview_reminders.using(run_after=max(when, timezone.now())).enqueue()


@transaction.atomic
def interview_respond(*, interview: Interview, by: Any, confirm: bool, message: str = "") -> Interview:
    """The candidate confirms the slot or asks for another one."""
    interview = Interview.objects.select_for_update().select_related("dossier").get(pk=interview.pk)
    if interview.dossier.candidate_id != by.pk:
        raise DomainError(_("This interview is not yours."), code="forbidden")
    if interview.status not in (
        InterviewStatus.PROPOSED,
        InterviewStatus.CONFIRMED,
        InterviewStatus.OTHER_SLOT,
    ):
        raise DomainError(_("This interview can no longer be answered."), code="state")
    # Convention 26: once the director has given the opinion (or the jury decided) the slot is moot.
    if (
        interview.dossier.status != DossierStatus.COMPLETE
        or Decision.objects.filter(dossier_id=interview.dossier_id).exists()
    ):
        raise DomainError(
            _("Your dossier has moved past the interview stage: this slot no longer needs an answer."),
            code="state",
        )
    previous = interview.status
    interview.status = InterviewStatus.CONFIRMED if confirm else InterviewStatus.OTHER_SLOT
    interview.candidate_message = message.strip()[:1000]
    interview.save(update_fields=["status", "candidate_message"])
    audit_record(
        actor=by,
        action="interview.respond",
        obj=interview.dossier,
        from_state=previous,
        to_state=interview.status,
        reason=interview.candidate_message,
        data={"interview": interview.pk},
    )
    # Whoever proposed the slot hears the answer.
    proposer = interview.proposed_by
    email_send(
        template="interview_answer",
        to=proposer.email,
        language=proposer.language,
        context={
            "dossier": interview.dossier,
            "program": interview.dossier.offering.program,
            "interview": interview,
        },
        related=interview.dossier,
    )
    return interview


@transaction.atomic
def interview_record(*, interview: Interview, by: Any, notes: str) -> Interview:
    """The outcome of the interview, as notes for the jury."""
    interview = (
        Interview.objects.select_for_update()
        .select_related("dossier__offering__program")
        .get(pk=interview.pk)
    )
    if not (_is_director(by, interview.dossier) or by.has_perm(ADMISSIONS_OFFICE)):
        raise DomainError(
            _("Only a director of this program or the office records interviews."), code="forbidden"
        )
    if not notes.strip():
        raise DomainError(_("Write the notes of the interview."), code="notes")
    if interview.status == InterviewStatus.CANCELLED:
        raise DomainError(_("This interview was cancelled."), code="state")
    previous = interview.status
    interview.status = InterviewStatus.HELD
    interview.notes = notes.strip()
    interview.save(update_fields=["status", "notes"])
    audit_record(
        actor=by,
        action="interview.record",
        obj=interview.dossier,
        from_state=previous,
        to_state=interview.status,
        data={"interview": interview.pk},
    )
    return interview


PENDING_INTERVIEW = (InterviewStatus.PROPOSED, InterviewStatus.CONFIRMED, InterviewStatus.OTHER_SLOT)


def _interview_cancel(interview: Interview, *, by: Any, reason: str) -> None:
    previous = interview.status
    interview.status = InterviewStatus.CANCELLED
    interview.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="interview.cancel",
        obj=interview.dossier,
        from_state=previous,
        to_state=interview.status,
        reason=reason,
        data={"interview": interview.pk},
    )
    _send_interview_cancelled(interview)


def _send_interview_cancelled(interview: Interview) -> None:
    dossier = interview.dossier
    email_send(
        template="interview_cancelled",
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={"dossier": dossier, "program": dossier.offering.program, "interview": interview},
        related=dossier,
    )


@transaction.atomic
def interview_cancel(*, interview: Interview, by: Any, reason: str = "") -> Interview:
    """The director or the office cancels a proposed interview; the candidate is told. Safe twice."""
    interview = (
        Interview.objects.select_for_update()
        .select_related("dossier__offering__program", "dossier__candidate")
        .get(pk=interview.pk)
    )
    if not (_is_director(by, interview.dossier) or by.has_perm(ADMISSIONS_OFFICE)):
        raise DomainError(
            _("Only a director of this program or the office cancels interviews."), code="forbidden"
        )
    if interview.status == InterviewStatus.CANCELLED:
        return interview
    if interview.status == InterviewStatus.HELD:
        raise DomainError(_("This interview was held: it cannot be cancelled."), code="state")
    _interview_cancel(interview, by=by, reason=reason.strip())
    return interview


def interview_send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the candidate the day before (interviews starting within 24 hours). Safe to run often."""
    now = now or timezone.now()
    due = Interview.objects.filter(
        status__in=[InterviewStatus.PROPOSED, InterviewStatus.CONFIRMED],
        dossier__status=DossierStatus.COMPLETE,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=24),
    ).select_related("dossier__candidate", "dossier__offering__program")
    sent = 0
    for interview in due:
        with transaction.atomic():
            locked = Interview.objects.select_for_update().get(pk=interview.pk)
            if locked.reminder_sent_at is not None:
                continue
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            _send_interview_email(interview, "interview_reminder")
            sent += 1
    return sent


# ---- decisions (I5, I6) -----------------------------------------------------------------------


def places(offering: Offering) -> tuple[int, int]:
    """(capacity, places held): one definition with registration's offers (I6, issue 8 item 1)."""
    from registration.selectors import places as held_places

    return held_places(offering)


def decision_record(
    *, dossier: Dossier, by: Any, outcome: str, comment: str = "", waitlist_rank: int | None = None
) -> Decision:
    """A jury member of the dossier's sitting decides. Places are taken under a lock on the
    program's offering and re-counted after it (I6), so simultaneous admissions never exceed it."""
    if outcome not in Outcome.values:
        raise DomainError(_("Unknown decision."), code="outcome")
    with transaction.atomic():
        dossier = _lock(dossier)
        sitting = dossier.sitting
        if sitting is None or dossier.status != DossierStatus.AT_JURY:
            raise DomainError(_("This dossier is not before a jury."), code="state")
        sitting = JurySitting.objects.select_for_update().get(pk=sitting.pk)
        if sitting.is_closed:
            raise DomainError(_("The sitting is closed: its decisions are final."), code="final")
        if not (sitting.members.filter(pk=by.pk).exists() or sitting.president_id == by.pk):
            raise DomainError(_("Only a member of this sitting decides."), code="forbidden")
        if outcome == Outcome.ADMITTED and dossier.bac5_in_progress:
            raise DomainError(
                _("The BAC+5 is still in progress: admit on condition (R1.2)."), code="conditional"
            )
        if outcome == Outcome.CONDITIONAL and not dossier.bac5_in_progress:
            raise DomainError(
                _("Admission on condition is for a BAC+5 in progress (R1.2)."), code="conditional"
            )
        # The quota: lock the offering row, then count (convention 5).
        offering = Offering.objects.select_for_update().get(pk=dossier.offering_id)
        existing = Decision.objects.filter(dossier=dossier).first()
        if outcome in HOLDS_A_PLACE and not (existing and existing.outcome in HOLDS_A_PLACE):
            capacity, held = places(offering)
            if held >= capacity:
                raise DomainError(
                    _(
                        "No place left in MS %(code)s: %(held)d of %(capacity)d places are taken. Put the candidate on the waiting list."
                    )
                    % {"code": dossier.offering.program.code, "held": held, "capacity": capacity},
                    code="capacity",
                )
        if outcome == Outcome.WAITING_LIST and not waitlist_rank:
            top = (
                Decision.objects.filter(offering=offering, outcome=Outcome.WAITING_LIST)
                .exclude(dossier=dossier)
                .aggregate(m=Max("waitlist_rank"))["m"]
            )
            waitlist_rank = (top or 0) + 1
        if outcome != Outcome.WAITING_LIST:
            waitlist_rank = None
        previous = existing.outcome if existing else ""
        now = timezone.now()
        if existing is None:
            decision = Decision.objects.create(
                dossier=dossier,
                offering=offering,
                sitting=sitting,
                outcome=outcome,
                waitlist_rank=waitlist_rank,
                comment=comment.strip(),
                decided_by=by,
                decided_at=now,
            )
        else:
            decision = existing
            decision.outcome, decision.waitlist_rank, decision.comment = (
                outcome,
                waitlist_rank,
                comment.strip(),
            )
            decision.decided_by, decision.decided_at, decision.sitting = by, now, sitting
            decision.save()
        audit_record(
            actor=by,
            action="decision.record",
            obj=dossier,
            from_state=previous,
            to_state=outcome,
            reason=comment.strip(),
            data={"sitting": sitting.pk, "rank": waitlist_rank},
        )
    return decision


def sitting_undecided(sitting: JurySitting) -> list[Dossier]:
    return list(
        Dossier.objects.filter(
            sitting=sitting, status=DossierStatus.AT_JURY, decision__isnull=True
        ).select_related("offering__program")
    )


def sitting_close(
    *, sitting: JurySitting, by: Any, reason: str = "", at: dt.datetime | None = None
) -> JurySitting:
    """I5: from now on the decisions are final. Each candidate is told, with the letter.
    Convention 26: not before the sitting's date, unless a reason is written (audited)."""
    at = at or timezone.now()
    reason = reason.strip()
    with transaction.atomic():
        sitting = JurySitting.objects.select_for_update().get(pk=sitting.pk)
        if sitting.is_closed:
            return sitting
        if not (by.has_perm(ADMISSIONS_OFFICE) or sitting.president_id == by.pk):
            raise DomainError(
                _("Only the office or the jury's president closes a sitting."), code="forbidden"
            )
        undecided = sitting_undecided(sitting)
        if undecided:
            raise DomainError(
                ngettext(
                    "%(n)d dossier has no decision yet: decide or move it first.",
                    "%(n)d dossiers have no decision yet: decide or move them first.",
                    len(undecided),
                )
                % {"n": len(undecided)},
                code="undecided",
            )
        early = timezone.localdate(at) < sitting.sits_on
        if early and not reason:
            raise DomainError(
                _(
                    "This sitting is planned for %(date)s: it is closed on or after that day. To "
                    "close it early, write why."
                )
                % {"date": formats.date_format(sitting.sits_on, "DATE_FORMAT")},
                code="early",
            )
        sitting.status = SittingStatus.CLOSED
        sitting.closed_at = at
        sitting.closed_by = by
        sitting.close_reason = reason if early else ""
        sitting.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
        audit_record(
            actor=by,
            action="sitting.close",
            obj=sitting,
            from_state=SittingStatus.OPEN,
            to_state=SittingStatus.CLOSED,
            reason=reason,
            data={"early": early, "sits_on": sitting.sits_on.isoformat()},
        )
        _sitting_decisions_final(sitting, by=by)
        from admission.tasks import notify_sitting

        # One task, whatever the number of letters: it queues one letter each from the worker.
        transaction.on_commit(lambda: notify_sitting.enqueue(sitting.pk))
    return sitting


def _sitting_decisions_final(sitting: JurySitting, *, by: Any) -> int:
    """Every decided dossier of ``sitting`` takes its decision's status: what ``dossier_transition``
    does for one dossier, here in a fixed number of queries for any number (issue 11 item 5).

    The caller holds the sitting's lock. The rows are locked and read in one query, moved with one
    UPDATE per status, and audited with the same row ``dossier_transition`` writes for each dossier."""
    path = institution_path(Dossier)
    locked = list(
        Dossier.objects.select_for_update(of=("self",))
        .filter(decision__sitting=sitting)
        .values_list("pk", "status", "decision__outcome", path or "pk")
        .order_by("pk")
    )
    now = timezone.now()
    for outcome, status in DECISION_STATUS.items():
        if any(row[2] == outcome for row in locked):
            Dossier.objects.filter(decision__sitting=sitting, decision__outcome=outcome).update(
                status=status, updated_at=now
            )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=by if getattr(by, "pk", None) else None,
                institution_id=institution if path else None,
                action="decision.final",
                object_type=Dossier._meta.label_lower,
                object_id=str(pk),
                from_state=previous,
                to_state=DECISION_STATUS[Outcome(outcome)],
                reason="",
                data={"sitting": sitting.pk},
            )
            for pk, previous, outcome, institution in locked
        ]
    )
    return len(locked)


def sitting_letters_queue(*, sitting_id: int) -> int:
    """Queue one letter task per decision of the closed sitting not sent yet; returns how many.
    Run from the worker (``notify_sitting``); a letter queued twice is sent once (``decision_notify``)."""
    from admission.tasks import notify_decision

    ids = list(
        Decision.objects.filter(
            sitting_id=sitting_id, sitting__status=SittingStatus.CLOSED, notified_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        notify_decision.enqueue(pk)
    return len(ids)


def sitting_letters_retry(*, sitting: JurySitting, by: Any) -> int:
    """Send again the letters whose email failed (the office or the president); returns how many."""
    from admission.selectors import sitting_letters_failed
    from admission.tasks import notify_decision

    if not (by.has_perm(ADMISSIONS_OFFICE) or sitting.president_id == by.pk):
        raise DomainError(_("Only the office or the jury's president sends the letters."), code="forbidden")
    ids = [d.pk for d in sitting_letters_failed(sitting)]
    transaction.on_commit(lambda: [notify_decision.enqueue(pk) for pk in ids])
    return len(ids)


def decision_notify(*, decision_id: int) -> Decision:
    """Email the final decision with its letter; record when it was sent (it starts R2.6's 15 days)."""
    from admission.documents import decision_letter_pdf

    decision = Decision.objects.select_related(
        "dossier__candidate",
        "dossier__offering__program",
        "dossier__offering__session__institution",
        "sitting",
    ).get(pk=decision_id)
    if not decision.is_final or decision.notified_at is not None:
        return decision
    dossier = decision.dossier
    pdf = decision_letter_pdf(decision)
    email = email_send(
        template="decision",
        to=dossier.candidate.email,
        language=dossier.candidate.language,
        context={"dossier": dossier, "program": dossier.offering.program, "decision": decision},
        related=dossier,
        attachments=[
            (f"decision-MS-{dossier.offering.program.code}-{dossier.number}.pdf", pdf, "application/pdf")
        ],
        deliver_now=True,
    )
    if email.sent_at is not None:
        from registration.services.offers import offer_from_decision

        with transaction.atomic():
            decision.notified_at = email.sent_at
            decision.save(update_fields=["notified_at"])
            audit_record(
                actor=None,
                action="decision.notified",
                obj=dossier,
                data={"email": email.pk, "outcome": decision.outcome},
            )
            # The sending starts the 15 days of an admission, or puts the candidate on the list (I7).
            offer_from_decision(decision=decision)
    return decision


# (name, month, day of sitting, day of cut-off, international) — the notice gives no dates (I16):
# editable placeholders, four sittings between March and June (R2.5), March for internationals (R2.7).
DEFAULT_SITTINGS = [
    ("Jury de mars", 3, 28, 21, True),
    ("Jury d'avril", 4, 25, 18, False),
    ("Jury de mai", 5, 23, 16, False),
    ("Jury de juin", 6, 27, 20, False),
]


def sittings_install_defaults(session: Any) -> list[JurySitting]:
    """Four placeholder sittings in the spring that ends the session's application window. Safe twice."""
    year = session.closes_on.year
    out = []
    for name, month, day, cutoff_day, international in DEFAULT_SITTINGS:
        sitting, _created = JurySitting.objects.get_or_create(
            session=session,
            name=f"{name} {year}",
            defaults={
                "sits_on": dt.date(year, month, day),
                "cutoff": dt.date(year, month, cutoff_day),
                "for_international": international,
            },
        )
        out.append(sitting)
    return out


@transaction.atomic
def dossier_set_international(*, dossier: Dossier, by: Any, value: bool | None, reason: str) -> Dossier:
    """I2: the office may override the flag that follows from the nationalities, with a reason.
    ``None`` goes back to the computed flag."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason for the change."), code="reason")
    dossier = _lock(dossier)
    if dossier.status in DECISION_STATUS.values():
        raise DomainError(_("The jury has decided: the flag can no longer change."), code="final")
    before = dossier.is_international
    was_late = dossier.late_after_flag_change
    dossier.international_override = value
    dossier.international_override_reason = reason if value is not None else ""
    # R2.7, I2: the flag decides the deadline. A submission in time for the old deadline may be late
    # for the new one; it is flagged to the office, which decides what follows (nothing moves here).
    dossier.late_after_flag_change = submitted_after_deadline(dossier)
    dossier.save(
        update_fields=[
            "international_override",
            "international_override_reason",
            "late_after_flag_change",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="dossier.international",
        obj=dossier,
        from_state=str(before),
        to_state=str(dossier.is_international),
        reason=reason,
    )
    if dossier.late_after_flag_change != was_late:
        audit_record(
            actor=by,
            action="dossier.late_after_flag_change",
            obj=dossier,
            from_state=str(was_late),
            to_state=str(dossier.late_after_flag_change),
            reason=reason,
            data={
                "deadline": dossier.deadline().isoformat(),
                "submitted_at": dossier.submitted_at.isoformat() if dossier.submitted_at else None,
            },
        )
    return dossier


def submitted_after_deadline(dossier: Dossier) -> bool:
    """R2.7, I1, I2: the dossier was submitted after the deadline its current flag gives it."""
    return dossier.submitted_at is not None and is_late(dossier.deadline(), dossier.submitted_at)
