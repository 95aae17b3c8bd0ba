"""runserver (bin/run's web process), tuned as gunicorn is: a deep listen backlog and TCP_NODELAY.

In the default setup the app and its sandbox EHR share this one server, so each chart load opens more
connections to it (its FHIR searches and, after an expiry, its token refresh):
- Django's development server listens with a backlog of 10. Under a burst it overflows: the kernel drops
  the handshake's last ACK, then resets the connection the client already wrote its request on. A GET is
  retried, but a refresh-token POST is never resent (core/http.py), so the chart answered "The EHR is not
  answering". gunicorn listens with a backlog of 2048; so does this server.
- It writes a response's headers and body separately; with Nagle's algorithm on, a client that keeps the
  connection open (the app's FHIR sessions) waits for a delayed ACK (~40 ms) before each body.

Everything else is whitenoise's runserver (static files served by WhiteNoise, as in production), which
is why smartapp.core comes before whitenoise.runserver_nostatic in INSTALLED_APPS.
"""

import socket

from django.core.servers.basehttp import WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

LISTEN_BACKLOG = 2048  # gunicorn's default --backlog


class TunedListener:
    """For a socketserver.TCPServer: gunicorn's backlog, and TCP_NODELAY on every accepted connection."""

    request_queue_size = LISTEN_BACKLOG

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class DevelopmentServer(TunedListener, WSGIServer):
    pass


class Command(WhiteNoiseRunserver):
    server_cls = DevelopmentServer
