from django.tasks import task


@task()
def notify_decision(decision_id: int) -> None:
    from admission.services import decision_notify

    decision_notify(decision_id=decision_id)


@task()
def send_interview_reminders() -> None:
    from admission.services import interview_send_reminders

    interview_send_reminders()
