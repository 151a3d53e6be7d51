from django.tasks import task


@task()
def process_statement(import_id: int) -> None:
    """Import the lines of an uploaded statement (issue 9 item 3); safe to run twice."""
    from billing.services.statements import statement_process

    statement_process(import_id=import_id)
