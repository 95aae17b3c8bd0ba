"""The content types and permissions a transactional test's flush recreates, recreated by a copy.

After every live-server (or transactional_db) test, Django's TransactionTestCase empties every table and
sends post_migrate, whose receivers (contenttypes' and auth's) create all content types and permissions
again: ~150 queries, ~30 ms of CPU a test, for ~600 tests. They create the same rows each time, so
`emit_post_migrate` does it once per database and later inserts those rows (same ids) itself, on SQLite,
as long as those two are post_migrate's only receivers. tests/test_flushing.py shows both give the same rows.
"""

import weakref

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.core.management import sql
from django.db import connections, transaction
from django.db.models.signals import post_migrate

MODELS = (ContentType, Permission)  # in insertion order: permissions refer to content types
_copies: dict[str, list[list[tuple]]] = {}  # database alias -> rows of each of MODELS


def emit_post_migrate(verbosity, interactive, db, **kwargs):
    """Stands in for django.core.management.sql.emit_post_migrate_signal in the flush command."""
    connection = connections[db]
    copy = _copies.get(db)
    if connection.vendor != "sqlite" or kwargs or not _only_default_receivers() or not _empty(db):
        sql.emit_post_migrate_signal(verbosity, interactive, db, **kwargs)
    elif copy is None:
        sql.emit_post_migrate_signal(verbosity, interactive, db)
        _copies[db] = [_rows(connection, model) for model in MODELS]
    else:
        with transaction.atomic(using=db), connection.cursor() as cursor:
            for model, rows in zip(MODELS, copy, strict=True):
                cursor.executemany(_insert_sql(model), rows)
        ContentType.objects.clear_cache()


def _only_default_receivers() -> bool:
    receivers = set()
    for _, receiver, *_ in post_migrate.receivers:
        receivers.add(receiver() if isinstance(receiver, weakref.ReferenceType) else receiver)
    return receivers == {create_contenttypes, create_permissions}


def _empty(db: str) -> bool:
    return not any(model.objects.using(db).exists() for model in MODELS)


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _rows(connection, model) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_columns(model))} FROM {model._meta.db_table} ORDER BY id")
        return cursor.fetchall()


def _insert_sql(model) -> str:
    columns = _columns(model)
    values = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({values})"
