"""Listen for HL7 v2 ADT over MLLP (docs/adt.md): store each message, then ACK it; process in the background.

python manage.py adt_listen [--host H] [--port P] [--no-process] [--benchmark-ack-before-store]

Runs until SIGTERM or SIGINT, then stops accepting, stores and ACKs what it had read, and exits.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from smartapp.adt.listener import ListenerOptions, adt_listen
from smartapp.adt.tls import ListenerRefused


class Command(BaseCommand):
    help = "Receive HL7 v2 ADT messages over MLLP: stored before they are acknowledged."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="", help="address to listen on (default: ADT_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port (default: ADT_PORT; 0 = any free)")
        parser.add_argument(
            "--no-process", action="store_true", help="store and ACK only; beat's sweep processes"
        )
        parser.add_argument(
            "--benchmark-ack-before-store",
            action="store_true",
            help="benchmarks only: ACK before the commit (what durability costs). Refused in production",
        )

    def handle(
        self, *args, host="", port=None, no_process=False, benchmark_ack_before_store=False, **options
    ):
        _persistent_connections()
        listener_options = ListenerOptions(
            host=host, port=port, process=not no_process, ack_before_store=benchmark_ack_before_store
        )
        try:
            adt_listen(listener_options, on_listening=self._listening)
        except ListenerRefused as error:
            raise CommandError(str(error)) from None
        except OSError as error:  # the port is taken, the address is not ours
            raise CommandError(f"Cannot listen: {error.strerror or error}") from None
        self.stdout.write("ADT listener stopped.")

    def _listening(self, address: tuple[str, int]) -> None:
        # Tests and bin/run read this line to know the listener is up (and its port when 0 was asked for).
        self.stdout.write(f"Listening for HL7 v2 ADT (MLLP) on {address[0]}:{address[1]}")
        self.stdout.flush()


def _persistent_connections() -> None:
    """Keep each of the listener's threads (the batch writer, the processing thread) on one database
    connection for the life of the process, checked before reuse (CONN_HEALTH_CHECKS): DB_CONN_MAX_AGE
    suits web requests, but reconnecting for every batch would cost the writer more than its commit."""
    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = None
        database["CONN_HEALTH_CHECKS"] = True
