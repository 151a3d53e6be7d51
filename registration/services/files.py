"""Files given at registration and for a visa (issue 8 items 4, 5): checked by content like the
dossier's documents (`applications.uploads.check_upload`), stored under a generated name outside the
web root, served only through checked views (`applications.views.document_response`)."""

from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Dossier
from applications.uploads import check_upload
from audit.services import audit_record
from cursus.errors import DomainError
from registration.models import FileKind, FileVerdict, RegistrationFile


def registration_file_upload(
    *, dossier: Dossier, by: Any, kind: str, fileobj: IO[bytes], name: str, size: int
) -> RegistrationFile:
    """Store a checked file of ``kind`` for the dossier; the earlier one of the kind stays, superseded.
    The caller has checked that the person may give this file now."""
    if kind not in FileKind.values:
        raise DomainError(_("Unknown document."), code="kind")
    checked = check_upload(fileobj, name=name, size=size, max_bytes=settings.UPLOAD_MAX_BYTES)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        now = timezone.now()
        earlier = list(
            RegistrationFile.objects.filter(
                dossier=dossier, kind=kind, superseded_at__isnull=True
            ).values_list("pk", flat=True)
        )
        RegistrationFile.objects.filter(pk__in=earlier).update(superseded_at=now)
        f = RegistrationFile(
            dossier=dossier,
            kind=kind,
            original_name=checked.display_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=by,
        )
        f.file.save(f"upload{checked.extension}", File(fileobj), save=False)
        try:
            f.save()
            audit_record(
                actor=by,
                action="registration.file.upload",
                obj=dossier,
                data={"kind": kind, "file": f.pk, "replaces": earlier},
            )
        except BaseException:
            f.file.delete(save=False)  # no row, no bytes left behind
            raise
    return f


def current_file(dossier: Dossier, kind: str) -> RegistrationFile | None:
    return (
        RegistrationFile.objects.filter(dossier=dossier, kind=kind, superseded_at__isnull=True)
        .order_by("-uploaded_at", "-pk")
        .first()
    )


def registration_file_verdict(
    *, file: RegistrationFile, by: Any, accept: bool, reason: str = ""
) -> RegistrationFile:
    """Staff accept or refuse a file (a refused one must be replaced); the caller checks the role."""
    reason = reason.strip()
    if not accept and not reason:
        raise DomainError(_("Say why the file is refused: the candidate reads it."), code="reason")
    with transaction.atomic():
        file = RegistrationFile.objects.select_for_update().select_related("dossier").get(pk=file.pk)
        if file.superseded_at is not None:
            raise DomainError(_("This file has been replaced: check the current one."), code="state")
        previous = file.verdict
        file.verdict = FileVerdict.ACCEPTED if accept else FileVerdict.REFUSED
        file.verdict_reason, file.verdict_by, file.verdict_at = reason, by, timezone.now()
        file.save(update_fields=["verdict", "verdict_reason", "verdict_by", "verdict_at"])
        audit_record(
            actor=by,
            action="registration.file.verdict",
            obj=file.dossier,
            from_state=previous,
            to_state=file.verdict,
            reason=reason,
            data={"kind": file.kind, "file": file.pk},
        )
    return file
