from django.tasks import task


@task()
def process_statement(import_id: int) -> None:
    """Import the lines of an uploaded statement (issue 9 item 3); safe to run twice."""
    from billing.services.statements import statement_process

    statement_process(import_id=import_id)


@task()
def mandate_prenotify(mandate_id: int) -> None:
    """The pre-notification of a signed mandate, with its PDF (issue 9 item 7, I10); safe twice."""
    from billing.services.mandates import mandate_prenotification_send

    mandate_prenotification_send(mandate_id=mandate_id)


@task()
def process_flywire_event(event_id: int) -> None:
    """Apply a stored Flywire notification to its payment (issue 9 item 5); safe twice."""
    from billing.services.flywire import flywire_event_process

    flywire_event_process(event_id)
