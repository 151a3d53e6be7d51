"""What changes personal data: the notice's defaults, the export, erasure and the purge (issue 6 item 7)."""

import datetime as dt
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Decision, Interview, Opinion
from applications.models import Dossier, DossierStatus, FeePayment, PaymentStatus
from audit.services import audit_record
from catalog.models import Institution
from cursus.errors import DomainError
from notifications.models import OutgoingEmail
from notifications.services import email_send
from privacy import selectors
from privacy.defaults import notice_defaults, statement_defaults
from privacy.models import (
    AccessibilityStatement,
    ErasedDossier,
    ErasureCause,
    ErasureRequest,
    PrivacyNotice,
)

log = logging.getLogger(__name__)

ERASED_EMAIL_DOMAIN = "erased.invalid"

# Personal fields of a dossier blanked when it is erased; what remains is the minimal record.
_BLANKED: dict[str, Any] = {
    "last_name": "",
    "first_names": "",
    "search_name": "",
    "birth_date": None,
    "birth_place": "",
    "nationality": "",
    "second_nationality": "",
    "international_override": None,
    "international_override_reason": "",
    "phone": "",
    "address": "",
    "postal_code": "",
    "city": "",
    "country": "",
    "eligibility_path": "",
    "diploma_title": "",
    "diploma_institution": "",
    "diploma_year": None,
    "experience_years": None,
    "bac5_in_progress": False,
    "financing_intention": "",
    "missing": [],
}


def privacy_notice_install_defaults(institution: Institution) -> PrivacyNotice:
    """Install the default notice for an institution. Safe to run twice: a saved notice is left as is."""
    notice, _created = PrivacyNotice.objects.get_or_create(
        institution=institution,
        defaults=notice_defaults(name=institution.name, address=institution.address, email=institution.email),
    )
    return notice


def accessibility_statement_install_defaults(institution: Institution) -> AccessibilityStatement:
    """Install the default accessibility statement (RGAA). Safe to run twice: a saved one is left as is."""
    statement, _created = AccessibilityStatement.objects.get_or_create(
        institution=institution,
        defaults=statement_defaults(address=institution.address, email=institution.email),
    )
    return statement


# — Access and portability —


def data_export(*, user: Any) -> IO[bytes]:
    """The person's data as a zip (``data.json`` and their files under ``files/``), built in a
    temporary file that disappears when closed. Audited."""
    user = get_user_model().objects.get(pk=user.pk)  # the row itself, not request.user's lazy wrapper
    data = selectors.personal_data(user)
    archive = tempfile.TemporaryFile()  # noqa: SIM115 — handed to the response, which closes it
    files = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        dossiers = (
            selectors.live_dossiers(user).prefetch_related("files", "registration_files").order_by("pk")
        )
        for dossier in dossiers:
            stored: list[Any] = [*dossier.files.all(), *dossier.registration_files.all()]
            for f in stored:
                try:
                    with (
                        f.file.open("rb") as src,
                        zf.open(selectors.export_file_name(dossier, f), "w") as dst,
                    ):
                        while chunk := src.read(1024 * 1024):
                            dst.write(chunk)
                    files += 1
                except FileNotFoundError:
                    log.warning("export: file %s of dossier %s is missing on disk", f.pk, dossier.pk)
    audit_record(
        actor=user,
        action="privacy.export",
        obj=user,
        data={"dossiers": len(data["dossiers"]), "files": files},
    )
    archive.seek(0)
    return archive


# — Erasure —


def _delete_files_after_commit(names: list[tuple[Any, str | None]]) -> None:
    def delete() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def dossier_erase(
    *, dossier: Dossier, by: Any, cause: str, now: dt.datetime | None = None
) -> ErasedDossier | None:
    """Erase a dossier's files and personal data; keep the minimal record of its decision. A draft is
    deleted outright (unless a fee was confirmed: accounting keeps the payment). Refuses an admitted
    candidate's dossier. Safe to call twice: the second call erases nothing and returns None."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update()
            .select_related("offering__program", "offering__session")
            .filter(pk=dossier.pk)
            .first()
        )
        if locked is None or ErasedDossier.objects.filter(dossier_id=dossier.pk).exists():
            return None
        dossier = locked
        if selectors.is_kept(dossier):
            raise DomainError(
                _("An admitted candidate's dossier is kept for their registration."), code="kept"
            )
        decision = Decision.objects.filter(dossier=dossier).first()
        files = list(dossier.files.all())
        record = ErasedDossier.objects.create(
            dossier_id=dossier.pk,
            institution_id=dossier.offering.session.institution_id,
            program_code=dossier.offering.program.code,
            session_name=dossier.offering.session.name,
            status=dossier.status,
            outcome=decision.outcome if decision else "",
            created_at=dossier.created_at,
            submitted_at=dossier.submitted_at,
            decided_at=decision.decided_at if decision else None,
            notified_at=decision.notified_at if decision else None,
            cause=cause,
            erased_at=now,
            files_erased=len(files),
        )
        audit_record(
            actor=by,
            action="privacy.dossier_erase",
            obj=dossier,
            from_state=dossier.status,
            to_state="erased",
            data={"cause": cause, "files": len(files)},
        )
        _delete_files_after_commit([(f.file.storage, f.file.name) for f in files])
        dossier.files.all().delete()
        Interview.objects.filter(dossier=dossier).delete()
        OutgoingEmail.objects.filter(related_object=f"{dossier._meta.label_lower}:{dossier.pk}").delete()
        confirmed = FeePayment.objects.filter(dossier=dossier, status=PaymentStatus.CONFIRMED).exists()
        # Issue 9: the fee page makes the fee's due (with its opening line) before anything is paid;
        # money received or a bank line pointing at it keeps the dossier, as a confirmed fee does.
        from django.db.models import Q

        from billing.models import BankLine, Due, LedgerLine, LineKind

        dues = Due.objects.filter(dossier=dossier)
        in_the_books = (
            LedgerLine.objects.filter(due__in=dues).exclude(kind=LineKind.DUE).exists()
            or BankLine.objects.filter(Q(due__in=dues) | Q(proposed_due__in=dues)).exists()
        )
        if dossier.status == DossierStatus.DRAFT and decision is None and not confirmed and not in_the_books:
            FeePayment.objects.filter(dossier=dossier).delete()
            LedgerLine.objects.filter(due__in=dues).delete()
            dues.delete()
            dossier.delete()
        else:
            # Queryset updates on purpose: erasing the free-text comments of a final decision is not a
            # change of the decision (I5), whose outcome, rank and dates stay as they were.
            Opinion.objects.filter(dossier=dossier).update(comment="")
            Decision.objects.filter(dossier=dossier).update(comment="")
            # The reference carries the surname (R2.10): the dossier number is enough to match the books.
            FeePayment.objects.filter(dossier=dossier).update(reference=dossier.number, note="")
            Dossier.objects.filter(pk=dossier.pk).update(**_BLANKED, updated_at=now)
    log.info(
        "privacy: dossier %s (MS %s, %s, %s) erased, %s file(s), cause %s",
        record.dossier_id,
        record.program_code,
        record.session_name,
        record.outcome or record.status,
        record.files_erased,
        cause,
    )
    return record


def account_erase(*, user: Any, by: Any, cause: str, now: dt.datetime | None = None) -> bool:
    """Blank an account's personal fields and close it; its recorded emails go. The row stays, inactive,
    because audit rows and decisions point at it (PROTECT). Safe to call twice."""
    now = now or timezone.now()
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_staff or user.is_superuser:
            raise DomainError(_("Staff accounts are closed by an administrator."), code="staff")
        if ErasureRequest.objects.filter(user=user, completed_at__isnull=False).exists():
            return False
        if selectors.live_dossiers(user).exists():
            raise DomainError(_("This account still has dossiers."), code="dossiers")
        emails = (
            OutgoingEmail.objects.filter(to__iexact=user.email).delete()[1].get(OutgoingEmail._meta.label, 0)
        )
        from allauth.account.models import EmailAddress

        EmailAddress.objects.filter(user=user).delete()
        if apps.is_installed("allauth.mfa"):
            from allauth.mfa.models import Authenticator

            Authenticator.objects.filter(user=user).delete()
        user.email = f"erased-{user.pk}@{ERASED_EMAIL_DOMAIN}"
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        pending = ErasureRequest.objects.filter(user=user, completed_at__isnull=True).first()
        if pending is None:
            pending = ErasureRequest(user=user, cause=cause, requested_at=now)
        pending.completed_at = now
        pending.save()
        audit_record(
            actor=by, action="privacy.account_erase", obj=user, data={"cause": cause, "emails": emails}
        )
    log.info("privacy: account %s erased (%s recorded email(s)), cause %s", user.pk, emails, cause)
    return True


@dataclass(frozen=True)
class ErasureOutcome:
    erased_now: bool
    erase_on: dt.date | None = None
    kept: list[Dossier] = field(default_factory=list)


def erasure_request(*, user: Any, now: dt.datetime | None = None) -> ErasureOutcome:
    """The person asks for erasure. Drafts go at once; with nothing else, the account goes too. A
    submitted dossier is erased at the end of its session's retention period (the person is told the
    date); an admitted candidate's dossier is kept for registration. Safe to call twice."""
    now = now or timezone.now()
    user = get_user_model().objects.get(pk=user.pk)  # the row itself, not request.user's lazy wrapper
    if user.is_staff or user.is_superuser:
        raise DomainError(_("Staff accounts are closed by an administrator."), code="staff")
    pending = selectors.pending_erasure(user)
    if pending is None:
        with transaction.atomic():
            pending = ErasureRequest.objects.create(user=user, cause=ErasureCause.REQUEST, requested_at=now)
            audit_record(actor=user, action="privacy.erasure_request", obj=user)
    for draft in selectors.live_dossiers(user).filter(status=DossierStatus.DRAFT):
        dossier_erase(dossier=draft, by=user, cause=ErasureCause.REQUEST, now=now)
    remaining = list(selectors.live_dossiers(user).select_related("offering__session"))
    if not remaining:
        account_erase(user=user, by=user, cause=ErasureCause.REQUEST, now=now)
        return ErasureOutcome(erased_now=True)
    kept = [d for d in remaining if selectors.is_kept(d)]
    waiting = [d for d in remaining if d not in kept]
    erase_on = max((selectors.session_last_day_kept(d.offering.session) for d in waiting), default=None)
    if pending.erase_on != erase_on:
        pending.erase_on = erase_on
        pending.save(update_fields=["erase_on"])
        email_send(
            template="privacy_erasure_scheduled",
            to=user.email,
            language=user.language,
            context={"erase_on": erase_on, "kept": kept, "waiting": waiting},
        )
    return ErasureOutcome(erased_now=False, erase_on=erase_on, kept=kept)


# — Retention —


@dataclass
class PurgeReport:
    dossiers: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    audit_rows: int | None = None


def purge_expired(*, now: dt.datetime | None = None) -> PurgeReport:
    """Erase what is past its retention period: dossiers of candidates not admitted, then the accounts
    left with no dossier, then audit rows past theirs. Idempotent: a second run erases nothing."""
    now = now or timezone.now()
    report = PurgeReport()
    for dossier in selectors.dossiers_to_purge(now):
        try:
            record = dossier_erase(dossier=dossier, by=None, cause=ErasureCause.RETENTION, now=now)
        except DomainError:
            continue  # admitted meanwhile
        if record is not None:
            report.dossiers.append(record.dossier_id)
    for user in _accounts_left_empty():
        pending = selectors.pending_erasure(user)
        cause = pending.cause if pending else ErasureCause.RETENTION
        if account_erase(user=user, by=None, cause=cause, now=now):
            report.accounts.append(user.pk)
    report.audit_rows = _audit_purge(now)
    log.info(
        "privacy: purge at %s erased %s dossier(s), %s account(s), %s audit row(s)",
        now.isoformat(),
        len(report.dossiers),
        len(report.accounts),
        report.audit_rows,
    )
    return report


def _accounts_left_empty() -> list[Any]:
    """Candidates whose every dossier has been erased (and who had at least one), not erased yet."""
    erased = ErasedDossier.objects.values("dossier_id")
    live = Dossier.objects.exclude(pk__in=erased).values("candidate_id")
    return list(
        get_user_model()
        .objects.filter(is_staff=False, is_superuser=False, dossiers__pk__in=erased)
        .exclude(pk__in=live)
        .exclude(erasure_requests__completed_at__isnull=False)
        .distinct()
        .order_by("pk")
    )


def _audit_purge(now: dt.datetime) -> int | None:
    """Audit rows past their retention period go through the audit app's own service (which the
    PostgreSQL trigger lets through)."""
    from audit.services import audit_purge_expired

    return int(audit_purge_expired(now=now))
