"""manage.py seed_sandbox [--seed N] [--anchor-date YYYY-MM-DD]: load the synthetic patients."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.auth import clients
from smartapp.sandbox.synthetic import catalog, load_all


class Command(BaseCommand):
    help = "Load the sandbox's deterministic synthetic patients, practitioners and their sandbox users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=catalog.DEFAULT_SEED, help="random seed (an integer)")
        parser.add_argument(
            "--anchor-date",
            help="the day all dates are relative to, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args, seed, anchor_date, **options):
        anchor = _parse_day(anchor_date) if anchor_date else date.today()
        started = time.monotonic()
        counts = load_all(seed=seed, anchor=anchor)
        for resource_type, count in counts.items():
            self.stdout.write(f"{resource_type:<22}{count:>6}")
        app, backend = clients.register_default_app(), clients.register_default_backend()
        self.stdout.write(
            f"Registered clients {app.application.client_id!r} for the app's redirect URIs"
            f" and {backend.application.client_id!r} for its background sync"
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {sum(counts.values())} resources (seed {seed}, anchor {anchor}) in {elapsed:.1f}s"
            )
        )


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--anchor-date must be a date as YYYY-MM-DD, not {value!r}") from None
