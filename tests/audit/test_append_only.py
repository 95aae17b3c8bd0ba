"""Append-only beyond the model's save/delete: the queryset, the admin and the database refuse too."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from smartapp.audit.guard import purge_allowed
from smartapp.audit.models import AppendOnly, AuditEvent
from smartapp.audit.services import audit_record
from tests.conftest import otp_verified

TABLE = "audit_auditevent"


def _raw(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: the test goes on after it
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "write",
    [
        lambda events: events.update(outcome="changed"),
        lambda events: events.delete(),
        lambda events: events.bulk_update([AuditEvent(seq=1, outcome="x")], ["outcome"]),
        lambda events: events.bulk_create([AuditEvent(action="forged", outcome="x")]),
        lambda events: events.update_or_create(seq=1, defaults={"outcome": "x"}),
    ],
    ids=["update", "delete", "bulk_update", "bulk_create", "update_or_create"],
)
def test_querysets_refuse_every_bulk_write(db, write):
    event = audit_record(action="logout", outcome="success")
    for events in (
        AuditEvent.objects.all(),
        AuditEvent.objects.filter(pk=event.pk),
        AuditEvent._base_manager,
    ):
        with pytest.raises(AppendOnly):
            write(events)
    assert AuditEvent.objects.get().outcome == "success"


def test_the_database_refuses_an_update_by_raw_sql(db):
    event = audit_record(action="fhir.read", outcome="200", patient_ref="p1")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET patient_ref = %s WHERE seq = %s", ["p2", event.seq])
    assert AuditEvent.objects.get().patient_ref == "p1"


def test_the_database_refuses_a_delete_by_raw_sql(db):
    audit_record(action="fhir.read", outcome="200")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"DELETE FROM {TABLE}")
    assert AuditEvent.objects.count() == 1


def test_the_triggers_are_in_place_after_all_migrations(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
            )
            expected = {f"{TABLE}_append_only"}
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            expected = {f"{TABLE}_no_update", f"{TABLE}_no_delete"}
        assert {name for (name,) in cursor.fetchall()} == expected


def test_only_a_purge_may_delete_and_never_update(db):
    audit_record(action="fhir.read", outcome="200")
    with purge_allowed():
        with pytest.raises(IntegrityError, match="append-only"):
            _raw(f"UPDATE {TABLE} SET outcome = 'x'")
        _raw(f"DELETE FROM {TABLE}")
    assert AuditEvent.objects.count() == 0
    audit_record(action="fhir.read", outcome="200")
    with pytest.raises(IntegrityError):  # the purge ended with its block
        _raw(f"DELETE FROM {TABLE}")


def test_flush_still_empties_the_audit_table(transactional_db):
    # Test teardown of live-server and transactional tests flushes every table this way.
    audit_record(action="fhir.read", outcome="200")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0


def test_flush_under_production_settings_leaves_the_audit_trail(transactional_db, settings):
    audit_record(action="fhir.read", outcome="200")
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 1
    settings.PRODUCTION = False  # this test's own teardown flushes


@pytest.mark.services
def test_postgresql_refuses_truncate_unless_purging(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's TRUNCATE trigger")
    audit_record(action="fhir.read", outcome="200")
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):
        _raw(f"TRUNCATE {TABLE}")
    with pytest.raises(DatabaseError, match="UPDATE refused"):
        _raw(f"UPDATE {TABLE} SET outcome = 'x'")
    assert AuditEvent.objects.count() == 1
    with purge_allowed():
        _raw(f"TRUNCATE {TABLE}")
    assert AuditEvent.objects.count() == 0


def test_the_admin_shows_events_read_only(db, admin_client):
    event = audit_record(action="fhir.read", outcome="200", patient_ref="p1")
    base = "/admin/audit/auditevent/"
    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert b"p1" in listing.content
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.get(f"{base}{event.pk}/delete/").status_code == 403
    page = admin_client.get(f"{base}{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.post(f"{base}{event.pk}/change/", {"outcome": "x"}).status_code == 403
    actions = admin_client.post(base, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert actions.status_code in (200, 302)
    assert AuditEvent.objects.get().outcome == "200"


def test_no_one_can_be_given_add_change_or_delete_in_the_admin(db, django_user_model, client):
    staff = django_user_model.objects.create_user(username="staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    otp_verified(client, staff)
    event = audit_record(action="fhir.read", outcome="200")
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 1


@pytest.mark.services
def test_the_documented_production_role_can_append_but_not_change(db):
    # The grants of docs/security.md ("Audit trail"), on a role made for this test and rolled back with it.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL roles")
    before = audit_record(action="fhir.read", outcome="200")
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE smartapp_audit_probe_app NOLOGIN")
        cursor.execute(f"REVOKE ALL ON TABLE {TABLE} FROM smartapp_audit_probe_app")
        cursor.execute(f"GRANT SELECT, INSERT ON TABLE {TABLE} TO smartapp_audit_probe_app")
        cursor.execute("SET LOCAL ROLE smartapp_audit_probe_app")
    after = audit_record(action="fhir.read", outcome="200")
    assert after.prev_mac == before.mac
    for sql in (f"UPDATE {TABLE} SET outcome = 'x'", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"):
        with pytest.raises(DatabaseError, match="permission denied"), purge_allowed():
            _raw(sql)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.count() == 2
