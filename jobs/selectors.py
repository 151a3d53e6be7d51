from typing import Any

from django.http import Http404

from jobs.models import Job


def get_job_for_user(user: Any, pk: Any) -> Job:
    """A job is its owner's alone: anyone else, staff included, gets a 404 (convention 9)."""
    try:
        return Job.objects.get(pk=pk, owner_id=user.pk)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
