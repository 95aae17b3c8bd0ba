"""The population benchmark's databases: one for the sandbox EHR, one migrated app template, and a fresh
copy of that template for each way of syncing (each way starts from an empty app state).

SQLite: files in the run's temporary directory, copied from the template. PostgreSQL: databases named
`smartapp_bench_pop_<pid>_<role>` created next to the admin URL's (the app copies with `CREATE DATABASE
... TEMPLATE`), all dropped when the run ends.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


class Databases:
    """Where the run's databases live, and how to make another app database from the template."""

    def __init__(self, *, tmp: Path, admin_url: str = ""):
        self.tmp, self.admin_url = tmp, admin_url
        self.prefix = f"smartapp_bench_pop_{os.getpid()}"
        self.created: list[str] = []

    @property
    def vendor(self) -> str:
        return "PostgreSQL" if self.admin_url else "SQLite"

    def new(self, role: str) -> str:
        """An empty database for `role` ("sandbox", "template"); its URL."""
        if not self.admin_url:
            return f"sqlite:///{self.tmp / f'{role}.sqlite3'}"
        return self._create(f"{self.prefix}_{role}", template="")

    def copy_template(self, role: str) -> str:
        """A copy of the migrated template database, for one way's app state; its URL."""
        if not self.admin_url:
            shutil.copyfile(self.tmp / "template.sqlite3", self.tmp / f"{role}.sqlite3")
            return f"sqlite:///{self.tmp / f'{role}.sqlite3'}"
        return self._create(f"{self.prefix}_{role}", template=f"{self.prefix}_template")

    def _create(self, name: str, *, template: str) -> str:
        import psycopg
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(statement)
        self.created.append(name)
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def drop_all(self) -> None:
        if not self.admin_url:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            for name in reversed(self.created):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.created.clear()


@contextmanager
def databases(*, tmp: Path, admin_url: str = ""):
    """The run's Databases (SQLite when `admin_url` is ""), every one dropped on exit."""
    dbs = Databases(tmp=tmp, admin_url=admin_url)
    try:
        yield dbs
    finally:
        dbs.drop_all()


def unreachable(url: str) -> str:
    """Why PostgreSQL at `url` cannot be used ("" when it can)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url, connect_timeout=3):
            return ""
    except psycopg.Error as error:
        parts = urlsplit(url)
        return f"cannot connect to {parts.hostname}:{parts.port or 5432} ({type(error).__name__})"
