"""Why the SQLite options are what they are (smartapp/core/sqlite.py): two connections to one file, as a
web request and the worker have. A transaction that reads and then writes while the other connection
writes must wait for it, not fail with "database is locked"; the busy timeout alone does not do that."""

import threading

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

from smartapp.core.sqlite import sqlite_options

TIMEOUT = 5


@pytest.fixture
def shared_file(tmp_path, django_db_blocker):
    """open(options) -> the alias of a connection to one SQLite file with `options` (each thread that uses
    the alias gets a connection of its own, as each process does)."""
    aliases = []

    def open_with(options: dict) -> str:
        alias = f"shared-file-{len(aliases)}"
        database = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "db.sqlite3"),
            "OPTIONS": options,
        }
        connections.settings[alias] = connections.configure_settings({"default": database})["default"]
        aliases.append(alias)
        return alias

    with django_db_blocker.unblock():
        yield open_with
        for alias in aliases:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]


def read_then_write_while_another_writes(alias: str) -> list[BaseException]:
    """This thread reads, another thread writes, this thread writes: the errors raised, if any."""
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE chain (seq INTEGER PRIMARY KEY, prev INTEGER)")
    errors, other_started = [], threading.Event()

    def other_writer():
        try:
            other_started.set()
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("INSERT INTO chain (prev) VALUES (0)")
        except OperationalError as error:
            errors.append(error)
        finally:
            connections[alias].close()

    other = threading.Thread(target=other_writer)
    try:
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("SELECT max(seq) FROM chain")  # as audit_record reads the chain head
            other.start()
            other_started.wait()
            other.join(0.5)  # the other commits now if this one holds no write lock yet, else waits
            cursor.execute("INSERT INTO chain (prev) VALUES (1)")
    except OperationalError as error:
        errors.append(error)
    finally:
        other.join()
    return errors


def test_the_settings_use_the_shared_file_options():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("not on SQLite")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert {name: options[name] for name in sqlite_options()} == sqlite_options()


def test_with_the_options_a_transaction_waits_for_the_other_writer(shared_file):
    assert read_then_write_while_another_writes(shared_file(sqlite_options(timeout=TIMEOUT))) == []


def test_a_file_opened_with_the_options_is_in_wal_mode(shared_file):
    with connections[shared_file(sqlite_options())].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    assert (mode, synchronous) == ("wal", 1)  # 1 = NORMAL


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": TIMEOUT},  # the setting before issue 11: rollback journal, DEFERRED
        {"timeout": TIMEOUT, "init_command": "PRAGMA journal_mode=WAL"},  # WAL alone
    ],
    ids=["busy-timeout-only", "wal-without-immediate"],
)
def test_without_immediate_transactions_the_busy_timeout_does_not_help(shared_file, options):
    errors = read_then_write_while_another_writes(shared_file(options))
    assert [str(error) for error in errors] == ["database is locked"]
