"""The audit trail is append-only at the database level on PostgreSQL (issue 6 §7, convention 4).

A trigger refuses every UPDATE and every DELETE of ``audit_auditevent``, except the DELETE of rows older
than the retention made by ``audit.services.audit_purge_expired``, which sets, inside its transaction
(SET LOCAL), ``cursus.audit_purge`` to 'on' and ``cursus.audit_purge_before`` to the limit.
TRUNCATE is left alone: it needs the table owner (the test runner's flush uses it).
Other databases (SQLite for development) have no trigger: the admin and the services never change a row.
"""

from typing import Any

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('cursus.audit_purge', true) = 'on'
       AND coalesce(current_setting('cursus.audit_purge_before', true), '') <> ''
       AND OLD.at < current_setting('cursus.audit_purge_before', true)::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % refused on audit_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_institution"),
    ]

    operations = [migrations.RunPython(install, remove, elidable=False)]
