"""Django's `flush`, allowed past the audit table's DELETE/TRUNCATE triggers (guard.py).

Test teardown (TransactionTestCase, pytest-django's transactional_db and live_server) empties every table
with this command. Under production settings the triggers still refuse, so a flush there fails.
"""

from django.conf import settings
from django.core.management.commands import flush

from smartapp.audit.guard import purge_allowed


class Command(flush.Command):
    def handle(self, **options):
        if getattr(settings, "PRODUCTION", False):
            return super().handle(**options)
        with purge_allowed(options["database"]):
            return super().handle(**options)
