"""Append-only in the database itself: triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) of audit
events, whatever the client. The ORM guard (models.py) stops the app; these stop raw SQL too.

The one way past the DELETE/TRUNCATE refusal is a connection-level purge flag (smartapp/audit/guard.py),
which only `manage.py flush` raises (test teardown, development; never in production). UPDATE is never
allowed. Production's database role should also lack UPDATE, DELETE and TRUNCATE (docs/security.md).

On SQLite, a later migration that rebuilds this table (Django's SQLite ALTER TABLE copies it into a new
one) drops the triggers: recreate them there. tests/audit/test_append_only.py checks they exist.
"""

from django.db import migrations

TABLE = "audit_auditevent"

POSTGRESQL_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE')
         AND current_setting('smartapp.audit_purge', true) IS NOT DISTINCT FROM 'on' THEN
        RETURN NULL;
      END IF;
      RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()
    """,
]
POSTGRESQL_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]

# smartapp_audit_purge() is registered on each connection the app opens (guard.py); any other client
# (the sqlite3 shell) lacks it, so its DELETE fails too.
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    WHEN NOT smartapp_audit_purge()
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END
    """,
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={"base_manager_name": "objects"},
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
