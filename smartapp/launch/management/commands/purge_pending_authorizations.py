"""`manage.py purge_pending_authorizations`: what beat's launch-purge-pending does, now."""

from django.core.management.base import BaseCommand

from smartapp.launch.state import LIFETIME, pending_purge


class Command(BaseCommand):
    help = f"Delete authorization requests older than {LIFETIME} that never came back from the EHR."

    def handle(self, *args, **options):
        self.stdout.write(f"{pending_purge()} expired pending authorizations deleted")
