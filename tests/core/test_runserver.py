"""bin/run's web process: runserver, listening as gunicorn does (core/management/commands/runserver.py)."""

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler

from smartapp.core.management.commands.runserver import LISTEN_BACKLOG, DevelopmentServer
from tests.core.sqlite_app import migrated_sqlite_fixture, sqlite_app_fixture  # noqa: F401 (fixtures)


def test_manage_py_runserver_is_the_tuned_one_and_still_leaves_static_files_to_whitenoise():
    assert get_commands()["runserver"] == "smartapp.core"
    command = load_command_class("smartapp.core", "runserver")
    assert command.server_cls is DevelopmentServer
    assert command.create_parser("manage.py", "runserver").get_default("use_static_handler") is False


def test_every_accepted_connection_has_nagle_off():
    server = DevelopmentServer(("127.0.0.1", 0), WSGIRequestHandler)
    try:
        with socket.create_connection(server.server_address, timeout=5):
            accepted, _ = server.get_request()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        server.server_close()


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs iproute2's ss to read a listen backlog")
def test_the_running_server_listens_with_gunicorns_backlog_not_djangos_ten(sqlite_app):
    sqlite_app.web()
    port = sqlite_app.url.rsplit(":", 1)[1]
    listening = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, timeout=10, check=True
    ).stdout.split()
    # ss prints State, Recv-Q, Send-Q, ...; for a listening socket Send-Q is its backlog, which the kernel
    # caps at net.core.somaxconn.
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    assert listening[0] == "LISTEN" and int(listening[2]) == min(LISTEN_BACKLOG, somaxconn)
