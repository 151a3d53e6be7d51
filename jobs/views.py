"""The page of a background export: its progress while the worker writes it, then its download."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from cursus.exports import FORMATS
from jobs.models import JobStatus
from jobs.selectors import get_job_for_user


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The page polls itself while the job runs (as a statement import's page does)."""
    job = get_job_for_user(request.user, pk)
    return render(request, "jobs/job_detail.html", {"job": job, "keep_days": settings.EXPORT_KEEP_DAYS})


@login_required
@require_GET
def job_download(request: HttpRequest, pk: str) -> FileResponse:
    job = get_job_for_user(request.user, pk)
    if job.status != JobStatus.DONE or not job.file or not default_storage.exists(job.file):
        raise Http404
    ext = job.filename.rsplit(".", 1)[-1]
    response = FileResponse(default_storage.open(job.file, "rb"), content_type=FORMATS.get(ext))
    response["Content-Disposition"] = content_disposition_header(True, job.filename)
    # Exports hold personal data: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
