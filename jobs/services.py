"""Exports too large for the request are written by the worker (issue 11 item 5).

The request that finds more rows than ``EXPORT_SYNC_MAX_ROWS`` records a `Job` with what it was asked
(the export's URL name, arguments, query and language) and queues `jobs.tasks.run_export`. The worker
runs the same export view again, as the person who asked: the view checks their rights again and builds
the same rows and columns, and `cursus.exports.export_response`, seeing the running job, writes the file
to the private storage with its progress instead of answering. One mechanism for every export view.
"""

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.models import User
from jobs.models import Job, JobKind, JobStatus

log = logging.getLogger(__name__)
# Rows between two writes of the progress: a few writes a second at most, whatever the export.
PROGRESS_EVERY = 500
_running: ContextVar[Job | None] = ContextVar("running_export_job", default=None)


def running_job() -> Job | None:
    """The export job the worker is writing now, if any."""
    return _running.get()


def _back_path(request: HttpRequest) -> str:
    referer = request.headers.get("referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    # One leading slash: "//host/…" as a path would be a link to another site.
    return "/" + parts.path.lstrip("/\\") + (f"?{parts.query}" if parts.query else "")


def export_job_start(*, request: HttpRequest, total: int, title: str) -> Job:
    """Record the export asked for by ``request`` and queue it after commit."""
    from jobs.tasks import run_export

    match = request.resolver_match
    if match is None or not match.view_name:
        raise ValueError("an export job needs the URL it was asked at")
    if not isinstance(request.user, User):
        raise ValueError("an export job is asked by a signed-in person")
    job = Job.objects.create(
        kind=JobKind.EXPORT,
        owner=request.user,
        title=title,
        total=total,
        spec={
            "url_name": match.view_name,
            "args": list(match.args),
            "kwargs": match.kwargs,
            "query": request.GET.urlencode(),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            # The page the export was asked from (its list, with its filters), for the job page's
            # way back: a path of this site only.
            "back": _back_path(request),
        },
    )
    transaction.on_commit(lambda: run_export.enqueue(str(job.pk)))
    return job


def export_job_run(*, job_id: str) -> Job:
    """Run a queued export as its owner; a job already run is left as it is (safe to call twice)."""
    updated = Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(status=JobStatus.RUNNING)
    job = Job.objects.select_related("owner").get(pk=job_id)
    if not updated:
        return job
    spec = job.spec
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = reverse(spec["url_name"], args=spec["args"], kwargs=spec["kwargs"])
    request.GET = QueryDict(spec["query"])
    request.user = job.owner
    token = _running.set(job)
    try:
        with translation.override(spec["language"]):
            match = resolve(request.path_info)
            request.resolver_match = match
            match.func(request, *match.args, **match.kwargs)
    except Exception:  # any failure (rights withdrawn, a bug) is shown on the job's page
        log.exception("export job %s failed", job.pk)
        with translation.override(spec["language"]):
            error = _(
                "The export could not be written. Ask for it again; if it fails again, tell the IT team."
            )
        Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=error, finished_at=timezone.now())
    finally:
        _running.reset(token)
    job.refresh_from_db()
    if job.status == JobStatus.RUNNING:  # the view answered without writing: nothing to export
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=_("Nothing was exported."), finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


def _counted[R](job: Job, rows: Iterable[R]) -> Iterator[R]:
    n = 0
    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            Job.objects.filter(pk=job.pk).update(done=n)
        yield row
    job.done = n


def export_job_write[R](job: Job, rows: Iterable[R], render: Any, *, filename: str) -> None:
    """Write the export with ``render(rows)`` to ``exports/<owner>/<job>.<ext>`` and mark the job done."""
    body: bytes = render(_counted(job, rows))
    ext = filename.rsplit(".", 1)[-1]
    path = default_storage.save(f"exports/{job.owner_id}/{job.pk}.{ext}", ContentFile(body))
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        done=job.done,
        total=max(job.total, job.done),
        file=path,
        filename=filename,
        finished_at=timezone.now(),
    )


def jobs_purge_expired(*, now: dt.datetime) -> int:
    """Delete the jobs, and their files, older than ``EXPORT_KEEP_DAYS``; return how many. Safe twice."""
    before = now - dt.timedelta(days=settings.EXPORT_KEEP_DAYS)
    old = list(Job.objects.filter(created_at__lt=before).values_list("pk", "file"))
    for _pk, path in old:
        if path:
            with contextlib.suppress(FileNotFoundError):
                default_storage.delete(path)
    Job.objects.filter(pk__in=[pk for pk, _path in old]).delete()
    _purge_orphans(before)
    return len(old)


def _purge_orphans(before: dt.datetime) -> None:
    """Files whose job went with its owner's account (the row cascades, the file does not)."""
    try:
        owners, _files = default_storage.listdir("exports")
    except FileNotFoundError:
        return
    known = {path for path in Job.objects.values_list("file", flat=True) if path}
    for owner in owners:
        for name in default_storage.listdir(f"exports/{owner}")[1]:
            path = f"exports/{owner}/{name}"
            if path not in known and default_storage.get_modified_time(path) < before:
                default_storage.delete(path)
