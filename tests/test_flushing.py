"""A transactional test's flush leaves the content types and permissions post_migrate would create
(tests/flushing.py copies them after the first flush)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command, sql
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the rows are copied on SQLite only"),
]


def _rows() -> tuple[set, set]:
    """Content types and permissions, with content types named instead of numbered."""
    types = {
        pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
    }
    permissions = Permission.objects.values_list("content_type_id", "codename", "name")
    return set(types.values()), {(types[pk], codename, name) for pk, codename, name in permissions}


def test_a_flush_leaves_the_rows_post_migrate_creates(monkeypatch):
    call_command("flush", interactive=False, verbosity=0)  # the first of the session copies them
    Permission.objects.all().delete()
    ContentType.objects.all().delete()
    sql.emit_post_migrate_signal(0, False, "default")
    created = _rows()

    def no_signal(*args, **kwargs):
        raise AssertionError("post_migrate sent, rows not copied")

    monkeypatch.setattr(sql, "emit_post_migrate_signal", no_signal)
    call_command("flush", interactive=False, verbosity=0)
    copied = _rows()

    assert copied == created
    assert len(copied[0]) > 30 and len(copied[1]) > 100
    assert ContentType.objects.get_for_model(Permission).model_class() is Permission
    assert Permission.objects.get(codename="view_auditevent").content_type.app_label == "audit"
