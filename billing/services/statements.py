"""Bank statements (issue 9 item 3): upload, processing by a task, and the triage of their lines.

A statement is stored as given, its format detected from the content; a task reads it and creates one
`BankLine` per entry unless the institution has it already (the same file twice imports nothing new),
then matches each new credit (`billing.services.matching`). Lines never change what the bank said;
only their state does, through the triage services below, each change locked and audited.
"""

import hashlib
import logging
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from billing.models import (
    BankLine,
    CsvMapping,
    Due,
    ImportStatus,
    LineState,
    StatementFormat,
    StatementImport,
)
from billing.services.matching import Matcher, apply_payment, line_match
from billing.statements.base import ParsedLine, StatementError
from catalog.models import Institution
from cursus.errors import DomainError
from cursus.institutions import institution_id_of

log = logging.getLogger(__name__)

# Lines are imported by chunks of PROGRESS_EVERY, each in one transaction ending with the counters
# that the page polling them shows.
PROGRESS_EVERY = 200
_EXTENSIONS: dict[str, str] = {"cfonb120": ".txt", "camt053": ".xml", "csv": ".csv"}


def _detect(data: bytes) -> str:
    from billing.statements.detect import detect

    return detect(data)


def _parse(data: bytes, mapping: CsvMapping | None) -> list[ParsedLine]:
    from billing.statements.detect import parse

    return parse(data, mapping=mapping).lines


def statement_upload(
    *,
    institution: Institution,
    by: Any,
    fileobj: IO[bytes],
    name: str,
    size: int,
    mapping: CsvMapping | None = None,
    enqueue: bool = True,
) -> StatementImport:
    """Keep a statement file and queue its import (after commit). The same content uploaded again is
    accepted and imports nothing new: its lines are already there."""
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise DomainError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{size / 1_048_576:.1f}", "limit": f"{limit / 1_048_576:.0f}"},
            code="size",
        )
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            _("The file is too large; the limit is %(limit)s MB.") % {"limit": f"{limit / 1_048_576:.0f}"}
        )
    if not data.strip():
        raise DomainError(_("The file is empty."), code="empty")
    try:
        fmt = _detect(data)
    except StatementError as exc:
        # The parser's message says what is wrong and what is read (CFONB 120, camt.053, CSV).
        raise DomainError(str(exc), code="format") from exc
    if fmt == StatementFormat.CSV:
        if mapping is None:
            raise DomainError(
                _("A CSV statement needs its bank's column mapping: choose it."), code="mapping"
            )
    else:
        mapping = None  # only a CSV file reads through a mapping
    if mapping is not None and mapping.institution_id != institution.pk:
        raise DomainError(_("This column mapping belongs to another institution."), code="mapping")
    display_name = "".join(c for c in name.replace("\\", "/").rsplit("/", 1)[-1] if c.isprintable())[:200]
    with transaction.atomic():
        imp = StatementImport(
            institution=institution,
            original_name=display_name or "statement",
            sha256=hashlib.sha256(data).hexdigest(),
            format=fmt,
            csv_mapping=mapping,
            uploaded_by=by,
        )
        imp.file.save(f"statement{_EXTENSIONS.get(fmt, '.txt')}", ContentFile(data), save=False)
        imp.save()
        audit_record(
            actor=by,
            action="statement.upload",
            obj=imp,
            to_state=imp.status,
            data={"format": fmt, "sha256": imp.sha256, "name": imp.original_name},
        )
        if enqueue:
            import_id = imp.pk
            transaction.on_commit(lambda: _enqueue(import_id))
    return imp


def _enqueue(import_id: int) -> None:
    from billing.tasks import process_statement

    process_statement.enqueue(import_id)


def statement_process(*, import_id: int) -> StatementImport:
    """Read the file, create its new lines, match each new credit. Safe to run twice: a finished import
    is left as it is, and an import cut short goes on where it stopped (lines already there are kept)."""
    with transaction.atomic():
        imp = StatementImport.objects.select_for_update().get(pk=import_id)
        if imp.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return imp
        imp.status = ImportStatus.RUNNING
        imp.save(update_fields=["status"])
    try:
        with imp.file.open("rb") as fh:
            data = fh.read()
        lines = _parse(data, imp.csv_mapping)
    except StatementError as exc:
        return _finish(imp, ImportStatus.FAILED, error=str(exc))
    except Exception as exc:  # a damaged file must end as "failed" with a reason, never stay "running"
        log.exception("statement %s could not be read", import_id)
        return _finish(
            imp, ImportStatus.FAILED, error=_("The file could not be read: %(why)s") % {"why": exc}
        )
    imp.total, imp.done, imp.created, imp.duplicates = len(lines), 0, 0, 0
    StatementImport.objects.filter(pk=imp.pk).update(total=imp.total, done=0, created=0, duplicates=0)
    matcher = Matcher.for_institution(imp.institution_id)
    keys = occurrence_keys(lines)
    known: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        known.update(
            BankLine.objects.filter(institution_id=imp.institution_id, dedup_key__in=chunk).values_list(
                "dedup_key", "statement_id"
            )
        )
    # One transaction per chunk: a commit per line would cost more than the import itself; the
    # counters written at the end of each chunk are what the page polls.
    for start in range(0, len(lines), PROGRESS_EVERY):
        batch = list(
            zip(lines[start : start + PROGRESS_EVERY], keys[start : start + PROGRESS_EVERY], strict=True)
        )
        with transaction.atomic():
            fresh: list[BankLine] = []
            for parsed, key in batch:
                if key in known:
                    # Ours from a run cut short: already counted as new; another import's: a duplicate.
                    if known[key] == imp.pk:
                        imp.created += 1
                    else:
                        imp.duplicates += 1
                else:
                    known[key] = imp.pk
                    fresh.append(_line(imp, parsed, key))
            made = _create_lines(fresh)
            imp.created += len(made)
            imp.duplicates += len(fresh) - len(made)
            for line in made:
                if line.amount > 0:
                    line_match(line=line, matcher=matcher)
            imp.done += len(batch)
            StatementImport.objects.filter(pk=imp.pk).update(
                done=imp.done, created=imp.created, duplicates=imp.duplicates
            )
    return _finish(imp, ImportStatus.DONE)


def occurrence_keys(lines: list[ParsedLine]) -> list[str]:
    """Each line's dedup key; two identical lines of one file without a bank reference (the same
    payer paying the same amount twice on one day) are two payments: the second gets `#2`. The same
    file imported again gives the same keys, so it still imports nothing new."""
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        key = line.dedup_key()
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key[:74]}#{seen[key]}")
    return out


def _line(imp: StatementImport, parsed: ParsedLine, key: str) -> BankLine:
    return BankLine(
        institution_id=imp.institution_id,
        statement=imp,
        dedup_key=key,
        booked_on=parsed.booked_on,
        value_on=parsed.value_on,
        amount=parsed.amount,
        currency=(parsed.currency or "EUR")[:3],
        entry_reference=parsed.entry_reference[:80],
        payer=parsed.payer[:200],
        remittance=parsed.remittance,
        account=parsed.account[:64],
        raw=parsed.raw,
    )


def _create_lines(lines: list[BankLine]) -> list[BankLine]:
    """Insert new lines at once; when another import inserted one of them meanwhile, line by line,
    leaving out those already there."""
    if not lines:
        return []
    try:
        with transaction.atomic():
            return BankLine.objects.bulk_create(lines)
    except IntegrityError:
        pass
    made = []
    for line in lines:
        try:
            with transaction.atomic():
                line.save(force_insert=True)
        except IntegrityError:
            line.pk = None
            continue
        made.append(line)
    return made


def _finish(imp: StatementImport, status: str, *, error: str = "") -> StatementImport:
    with transaction.atomic():
        locked = StatementImport.objects.select_for_update().get(pk=imp.pk)
        previous = locked.status
        locked.status = status
        locked.error = error
        locked.finished_at = timezone.now()
        if status == ImportStatus.DONE:
            locked.total, locked.done = imp.total, imp.done
            locked.created, locked.duplicates = imp.created, imp.duplicates
        locked.save()
        audit_record(
            actor=None,
            action="statement.process",
            obj=locked,
            from_state=previous,
            to_state=status,
            reason=error[:500],
            data={"total": locked.total, "created": locked.created, "duplicates": locked.duplicates},
        )
    return locked


# ---- triage ------------------------------------------------------------------------------------

# A line whose payment is recorded cannot be discarded or reassigned here: that is a refund or a
# correction of the ledger, not a triage move.
_RECORDED = (LineState.MATCHED, LineState.PARTIAL, LineState.EXCESS, LineState.ASSIGNED)
_OPEN = (LineState.PROPOSED, LineState.UNMATCHED, LineState.ALREADY_PAID)


def _locked_line(line: BankLine) -> BankLine:
    return BankLine.objects.select_for_update().get(pk=line.pk)


def _refuse_recorded(line: BankLine) -> None:
    if line.state in _RECORDED:
        raise DomainError(
            _("A payment is already recorded from this line (%(state)s).")
            % {"state": line.get_state_display()},
            code="recorded",
        )


def line_accept(*, line: BankLine, by: Any) -> BankLine:
    """Finance accepts the due proposed for a line: the payment is recorded with the booking date."""
    with transaction.atomic():
        line = _locked_line(line)
        if line.state != LineState.PROPOSED or line.proposed_due_id is None:
            _refuse_recorded(line)
            raise DomainError(_("This line has no proposed match to accept."), code="state")
        due = Due.objects.get(pk=line.proposed_due_id)
        previous = line.state
        state = apply_payment(line=line, due=due, by=by)
        if state == LineState.ALREADY_PAID:
            raise DomainError(
                _("This amount due is already paid: assign the line to another one or discard it."),
                code="paid",
            )
        line.state, line.due, line.proposed_due = state, due, None
        line.save(update_fields=["state", "due", "proposed_due", "updated_at"])
        audit_record(
            actor=by,
            action="bank_line.accept",
            obj=line,
            from_state=previous,
            to_state=state,
            data={"due": due.pk},
        )
    return line


def line_assign(*, line: BankLine, due: Due, by: Any, comment: str = "") -> BankLine:
    """Finance says which due a line pays (found by reference or name): the payment is recorded."""
    comment = comment.strip()
    with transaction.atomic():
        line = _locked_line(line)
        _refuse_recorded(line)
        if line.amount <= 0:
            raise DomainError(_("A debit pays no amount due."), code="debit")
        due = Due.objects.select_for_update().get(pk=due.pk)
        if institution_id_of(due) != line.institution_id:
            raise DomainError(_("This amount due belongs to another institution."), code="institution")
        if due.cancelled_at is not None:
            raise DomainError(_("This amount due was cancelled."), code="cancelled")
        previous = line.state
        result = apply_payment(line=line, due=due, by=by, force=True)
        # Partial and excess stay visible as such (what remains, the refund review).
        state = result if result in (LineState.PARTIAL, LineState.EXCESS) else LineState.ASSIGNED
        line.state, line.due, line.proposed_due = state, due, None
        if comment:
            line.comment = _append(line.comment, comment, by)
        line.save(update_fields=["state", "due", "proposed_due", "comment", "updated_at"])
        audit_record(
            actor=by,
            action="bank_line.assign",
            obj=line,
            from_state=previous,
            to_state=line.state,
            reason=comment,
            data={"due": due.pk},
        )
    return line


def line_discard(*, line: BankLine, by: Any, comment: str) -> BankLine:
    """Not a payment of ours (a bank fee, a misdirected transfer…): set aside, with why. Safe twice."""
    comment = comment.strip()
    if not comment:
        raise DomainError(_("Say why the line is discarded."), code="comment")
    with transaction.atomic():
        line = _locked_line(line)
        if line.state == LineState.DISCARDED:
            return line
        _refuse_recorded(line)
        previous = line.state
        line.state, line.proposed_due = LineState.DISCARDED, None
        line.comment = _append(line.comment, comment, by)
        line.save(update_fields=["state", "proposed_due", "comment", "updated_at"])
        audit_record(
            actor=by,
            action="bank_line.discard",
            obj=line,
            from_state=previous,
            to_state=line.state,
            reason=comment,
        )
    return line


def line_comment(*, line: BankLine, by: Any, comment: str) -> BankLine:
    """A note on a line (what was asked of whom, why it waits), kept with its author and date."""
    comment = comment.strip()
    if not comment:
        raise DomainError(_("Write a comment."), code="comment")
    with transaction.atomic():
        line = _locked_line(line)
        line.comment = _append(line.comment, comment, by)
        line.save(update_fields=["comment", "updated_at"])
        audit_record(actor=by, action="bank_line.comment", obj=line, reason=comment)
    return line


def _append(existing: str, comment: str, by: Any) -> str:
    who = getattr(by, "email", "") or _("system")
    entry = f"{timezone.localdate():%d/%m/%Y} {who}: {comment}"
    return f"{existing}\n{entry}" if existing else entry
