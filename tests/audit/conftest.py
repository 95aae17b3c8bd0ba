"""Audit fixtures: a chain of events, raw SQL past the triggers (as a database owner could), and users
with and without the auditor role."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from smartapp.audit.services import audit_record

TABLE = "audit_auditevent"


@pytest.fixture
def chain(db):
    """Five chained events, seq 1..5 in order (a list of AuditEvent)."""
    return [
        audit_record(
            action="fhir.read",
            outcome="200",
            user_id=7,
            fhir_user="Practitioner/pr1",
            issuer="https://ehr.example/fhir",
            launch_id=f"launch-{n}",
            patient_ref=f"p{n}",
            resource_types=["Observation"],
            detail={"n": n},
        )
        for n in range(1, 6)
    ]


@pytest.fixture
def tamper(db):
    """tamper(sql, params): raw SQL on the audit table with its triggers off, as the table's owner could.
    The test's transaction rolls the trigger change back with everything else."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER {TABLE}_no_update")
            cursor.execute(f"DROP TRIGGER {TABLE}_no_delete")

    def run(sql: str, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


@pytest.fixture
def verify(db):
    """verify(*args) -> (exit status, stdout, error message) of `manage.py verify_audit`."""

    def run(*args):
        out = StringIO()
        try:
            call_command("verify_audit", *args, stdout=out)
        except CommandError as error:
            return error.returncode, out.getvalue(), str(error)
        return 0, out.getvalue(), ""

    return run


@pytest.fixture
def auditor(django_user_model):
    """A user in the admin role (the `admin` group)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="auditor")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client
