"""The database's refusal to change or remove audit events (migration 0002), and its one exception.

Triggers refuse UPDATE, DELETE and TRUNCATE of audit rows. Emptying the table is allowed only inside
`purge_allowed()`, a connection-level flag: on PostgreSQL the transaction-local setting
`smartapp.audit_purge = 'on'`; on SQLite the function `smartapp_audit_purge()` that every connection the
app opens gets (see `connection_prepared`). `manage.py flush` (test teardown, development) is its only
user; production's role has no DELETE or TRUNCATE privilege to begin with (docs/security.md).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections, transaction

PURGE_SETTING = "smartapp.audit_purge"
PURGE_FUNCTION = "smartapp_audit_purge"
_purging: ContextVar[bool] = ContextVar("audit_purging", default=False)


def connection_prepared(sender, connection, **kwargs):
    """connection_created receiver: give each SQLite connection the function its DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(PURGE_FUNCTION, 0, _purge_flag)


def _purge_flag() -> int:
    return int(_purging.get())


@contextmanager
def purge_allowed(using: str = "default"):
    """Within this block (one transaction), the connection `using` may delete audit rows (on SQLite, any
    connection of this thread: the function reads a context variable)."""
    postgresql = connections[using].vendor == "postgresql"
    with transaction.atomic(using=using):
        if postgresql:
            _set_purge(using, "on")
        token = _purging.set(True)
        try:
            yield
        finally:
            _purging.reset(token)
        if postgresql:
            # Inside an outer transaction the setting would outlive the block. (After an error, the
            # rollback to the block's savepoint undoes it instead.)
            _set_purge(using, "off")


def _set_purge(using: str, value: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, value])
