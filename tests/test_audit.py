"""The audit trail (convention 4): tagged with the institution of what it records (I17), append-only on
PostgreSQL, kept for AUDIT_RETENTION_DAYS and then purged (issue 6 item 7)."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import User
from admission.models import JurySitting
from applications.models import Dossier, FeePayment
from audit.models import AuditEvent
from audit.services import audit_purge_expired, audit_record
from catalog.models import AdmissionSession, CvecRate, Institution, Offering
from cursus.institutions import institution_id_of, institution_of, institution_path
from notifications.models import OutgoingEmail


def test_I17_institution_of_follows_each_kind_of_row(ready: Dossier, candidate: User) -> None:
    a = ready.offering.session.institution
    payment = FeePayment.objects.get(dossier=ready)
    file = ready.files.first()
    sitting = JurySitting.objects.filter(session=ready.offering.session).first()
    for obj in [
        a,
        ready,
        payment,
        file,
        sitting,
        ready.offering,
        ready.offering.session,
        ready.offering.program,
    ]:
        assert institution_id_of(obj) == a.pk, obj
    assert institution_of(Dossier.objects.get(pk=ready.pk)) == a
    # a candidate's account, national rates and nothing belong to no institution
    assert institution_id_of(candidate) is None
    assert institution_id_of(CvecRate.objects.first()) is None
    assert institution_of(None) is None
    email = OutgoingEmail.objects.create(
        to="x@example.org", subject="s", body_text="b", kind="k", institution=a
    )
    assert institution_of(email) == a


def test_I17_institution_of_uses_loaded_relations_and_one_query_at_most(
    ready: Dossier, django_assert_num_queries: Any
) -> None:
    expected = ready.offering.session.institution_id
    loaded = Dossier.objects.select_related("offering__session").get(pk=ready.pk)
    with django_assert_num_queries(0):
        assert institution_id_of(loaded) == expected
    bare = Dossier.objects.get(pk=ready.pk)
    with django_assert_num_queries(1):
        assert institution_id_of(bare) == expected


def test_I17_new_models_hanging_from_a_dossier_are_scoped_without_listing() -> None:
    assert institution_path(FeePayment) == "dossier__offering__session__institution"
    assert institution_path(Offering) == "session__institution"
    assert institution_path(Institution) == ""
    assert institution_path(CvecRate) is None


def test_I17_every_audit_row_carries_the_institution_of_its_object(ready: Dossier) -> None:
    from applications.services import dossier_submit

    dossier_submit(dossier=ready, by=ready.candidate)
    events = AuditEvent.objects.filter(object_type="applications.dossier", object_id=str(ready.pk))
    assert events.exists()
    assert set(events.values_list("institution_id", flat=True)) == {ready.offering.session.institution_id}


def _old_and_new_rows(obj: Any, *, retention_days: int) -> tuple[AuditEvent, AuditEvent, AuditEvent]:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=retention_days + 1), tick=False):
        old = audit_record(actor=None, action="test.old", obj=obj)
    with time_machine.travel(now - dt.timedelta(days=retention_days - 1), tick=False):
        kept = audit_record(actor=None, action="test.kept", obj=obj)
    new = audit_record(actor=None, action="test.new", obj=obj)
    return old, kept, new


def test_issue6_audit_purge_deletes_only_rows_past_retention_and_once(
    settings: Any, catalog: AdmissionSession
) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    old, kept, new = _old_and_new_rows(catalog, retention_days=30)
    assert audit_purge_expired(now=timezone.now()) == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk__in=[kept.pk, new.pk]).count() == 2
    assert audit_purge_expired(now=timezone.now()) == 0


def test_issue6_audit_retention_defaults_to_ten_years() -> None:
    from django.conf import settings

    assert settings.AUDIT_RETENTION_DAYS >= 3652


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (CI runs both)")


@pytest.mark.postgres
@pytest.mark.django_db
def test_issue6_audit_rows_cannot_be_updated_or_deleted_on_postgresql(catalog: AdmissionSession) -> None:
    _postgres_only()
    event = audit_record(actor=None, action="test", obj=catalog, reason="original")
    for sql in (
        "UPDATE audit_auditevent SET reason = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    # the purge's switch alone does not open the table to young rows
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('cursus.audit_purge', 'on', true), "
                "set_config('cursus.audit_purge_before', %s, true)",
                [(timezone.now() - dt.timedelta(days=1)).isoformat()],
            )
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.reason == "original"


@pytest.mark.postgres
@pytest.mark.django_db
def test_issue6_only_the_purge_deletes_old_rows_on_postgresql(
    settings: Any, catalog: AdmissionSession
) -> None:
    _postgres_only()
    settings.AUDIT_RETENTION_DAYS = 30
    old, kept, new = _old_and_new_rows(catalog, retention_days=30)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()
    assert audit_purge_expired(now=timezone.now()) == 1
    assert set(AuditEvent.objects.filter(action__startswith="test.").values_list("pk", flat=True)) == {
        kept.pk,
        new.pk,
    }
    # the switch is off again once the purge is done, even inside a longer transaction
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=kept.pk).delete()
    assert audit_purge_expired(now=timezone.now()) == 0
