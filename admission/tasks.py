from django.tasks import task


@task()
def notify_decision(decision_id: int) -> None:
    from admission.services import decision_notify

    decision_notify(decision_id=decision_id)


@task()
def notify_sitting(sitting_id: int) -> None:
    """Queue the letter of each decision of a closed sitting not sent yet (issue 11 item 5): the
    request that closes the sitting queues this one task, whatever the number of letters."""
    from admission.services import sitting_letters_queue

    sitting_letters_queue(sitting_id=sitting_id)


@task()
def send_interview_reminders() -> None:
    from admission.services import interview_send_reminders

    interview_send_reminders()
