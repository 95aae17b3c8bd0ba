"""The synthetic sandbox for live-server tests, seeded fast.

A live-server test's database is flushed after it, so each test that wants the seeded sandbox (`app_url`)
seeds it again. `load_all()` generates ~1,400 resources and saves them through the ORM (~0.5 s of CPU a
test); `seed()` runs it once per anchor day (the generator's dates follow it) and afterwards inserts the
rows it wrote, unchanged but for fresh timestamps, with a few raw statements. Only into an empty sandbox on
SQLite; otherwise it is `load_all()` itself. tests/test_seeding.py shows both give the same sandbox.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from smartapp.sandbox.models import Resource, SandboxIdentity
from smartapp.sandbox.synthetic import load_all


@dataclass(frozen=True)
class _Copy:
    """The rows load_all() wrote into an empty sandbox, ready for INSERT."""

    stamp: datetime  # their last_updated, also in each body's meta.lastUpdated
    resources: list[tuple]
    users: list[tuple]
    identities: list[tuple[str, str, str]]  # (fhir_user, role, username)


_copies: dict[date, _Copy] = {}


def seed(anchor: date | None = None) -> None:
    """Leave the database as `load_all(anchor=anchor)` would (but for row ids): the synthetic resources and
    their users."""
    today = anchor or date.today()  # load_all()'s default anchor
    copy = _copies.get(today)
    if copy is not None and _empty() and not _taken(copy):
        _insert(copy)
    elif connection.vendor == "sqlite" and _empty():
        last_user = get_user_model().objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        load_all(anchor=today)
        copy = _copied(last_user)
        if copy is not None:
            _copies[today] = copy
    else:
        load_all(anchor=today)


def _empty() -> bool:
    return not Resource.objects.exists() and not SandboxIdentity.objects.exists()


def _taken(copy: _Copy) -> bool:
    usernames = [username for _, _, username in copy.identities]
    return get_user_model().objects.filter(username__in=usernames).exists()


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields if not field.primary_key]


def _stored(value):
    """A value as Django stores it in SQLite (raw reads give back datetimes)."""
    return str(value) if isinstance(value, datetime) else value


def _meta_stamp(instant: datetime) -> str:
    """meta.lastUpdated as the loader writes it (smartapp/sandbox/synthetic/loader.py)."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _copied(last_user: int) -> _Copy | None:
    """The rows just loaded, or None if they do not have the shape `_insert` relies on (then nothing is
    kept, and every test loads for itself)."""
    user_model = get_user_model()
    stamps = set(Resource.objects.values_list("last_updated", flat=True))
    identities = list(SandboxIdentity.objects.order_by("pk").values_list("fhir_user", "role", "user_id"))
    if len(stamps) != 1 or any(user_id <= last_user for _, _, user_id in identities):
        return None  # not one load into an empty sandbox: users existed before it
    stamp = stamps.pop()
    marker = f'"lastUpdated": "{_meta_stamp(stamp)}"'
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_columns(Resource))} FROM {Resource._meta.db_table} ORDER BY id")
        resources = [tuple(_stored(value) for value in row) for row in cursor.fetchall()]
        user_ids = [user_id for _, _, user_id in identities]
        cursor.execute(
            f"SELECT {', '.join(_columns(user_model))} FROM {user_model._meta.db_table} "
            f"WHERE id IN ({', '.join(['%s'] * len(user_ids))}) ORDER BY id",
            user_ids,
        )
        users = [tuple(_stored(value) for value in row) for row in cursor.fetchall()]
    body = _columns(Resource).index("body")
    if any(row[body].count(marker) != 1 for row in resources):
        return None
    usernames = dict(user_model.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return _Copy(stamp, resources, users, [(fhir, role, usernames[pk]) for fhir, role, pk in identities])


def _insert(copy: _Copy) -> None:
    user_model = get_user_model()
    now = timezone.now()
    new = connection.ops.adapt_datetimefield_value(now)
    old_meta, new_meta = (f'"lastUpdated": "{_meta_stamp(instant)}"' for instant in (copy.stamp, now))
    resource_columns, user_columns = _columns(Resource), _columns(user_model)
    updated, body = resource_columns.index("last_updated"), resource_columns.index("body")
    joined = user_columns.index("date_joined")

    def fresh_resource(row: tuple) -> tuple:
        row = list(row)
        row[updated], row[body] = new, row[body].replace(old_meta, new_meta)
        return tuple(row)

    def fresh_user(row: tuple) -> tuple:
        return row[:joined] + (new,) + row[joined + 1 :]

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            _insert_sql(Resource._meta.db_table, resource_columns), map(fresh_resource, copy.resources)
        )
        cursor.executemany(_insert_sql(user_model._meta.db_table, user_columns), map(fresh_user, copy.users))
        usernames = [username for _, _, username in copy.identities]
        ids = dict(user_model.objects.filter(username__in=usernames).values_list("username", "pk"))
        cursor.executemany(
            _insert_sql(SandboxIdentity._meta.db_table, ["fhir_user", "role", "user_id"]),
            [(fhir_user, role, ids[username]) for fhir_user, role, username in copy.identities],
        )


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
