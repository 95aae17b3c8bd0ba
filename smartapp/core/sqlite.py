"""SQLite shared by processes: web, worker and beat of bin/run write to one file (var/smartapp.sqlite3).

The connection options that make them wait for each other instead of failing with "database is locked":
- `transaction_mode: IMMEDIATE` (Django 5.1+): a transaction takes the write lock at BEGIN, where the busy
  timeout applies. A DEFERRED one that reads first and writes later (audit_record reads the chain head,
  then appends; the token refresh claims a grant it has just read) asks for the lock mid-transaction,
  and SQLite then answers SQLITE_BUSY at once, without waiting: in WAL mode when another connection
  committed since the read (its snapshot is stale), in rollback mode when another holds the write lock
  (waiting could deadlock). https://sqlite.org/lang_transaction.html, https://sqlite.org/wal.html#busy
- `journal_mode=WAL`: readers and the one writer no longer block each other; kept in the file.
- `synchronous=NORMAL`: in WAL mode a commit no longer waits for fsync; still consistent after a crash
  (a power loss may lose the last commits). https://sqlite.org/pragma.html#pragma_synchronous
- `timeout`: how long a connection waits for the write lock (Python sqlite3's busy handler).
Production uses PostgreSQL, where none of this applies.
"""

BUSY_TIMEOUT_SECONDS = 20


def sqlite_options(*, timeout: int = BUSY_TIMEOUT_SECONDS) -> dict:
    """DATABASES[...]["OPTIONS"] for a SQLite file that several processes write to."""
    return {
        "timeout": timeout,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
