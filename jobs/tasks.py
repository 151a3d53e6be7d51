from django.tasks import task


@task()
def run_export(job_id: str) -> None:
    from jobs.services import export_job_run

    export_job_run(job_id=job_id)
