"""manage.py seed_sandbox [--seed N] [--anchor-date YYYY-MM-DD] [--no-synthea]: load the synthetic patients,
and the Synthea patients kept in smartapp/sandbox/fixtures/synthea-r4/ unless --no-synthea."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.auth import clients
from smartapp.sandbox.importer import SYNTHEA_DIR, ImportFailed, resources_import
from smartapp.sandbox.synthetic import catalog, load_all


class Command(BaseCommand):
    help = (
        "Load the sandbox's deterministic synthetic patients, practitioners and their sandbox users, and the"
        " Synthea R4 patients of smartapp/sandbox/fixtures/synthea-r4/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=catalog.DEFAULT_SEED, help="random seed (an integer)")
        parser.add_argument(
            "--anchor-date",
            help="the day all dates are relative to, YYYY-MM-DD (default: today)",
        )
        parser.add_argument(
            "--no-synthea", action="store_false", dest="synthea", help="skip the Synthea R4 patients"
        )

    def handle(self, *args, seed, anchor_date, synthea, **options):
        anchor = _parse_day(anchor_date) if anchor_date else date.today()
        started = time.monotonic()
        counts = load_all(seed=seed, anchor=anchor)
        self._write_counts(counts)
        total = sum(counts.values())
        if synthea:
            synthea_counts = _import_synthea()
            self.stdout.write(f"Synthea patients ({SYNTHEA_DIR.name}):")
            self._write_counts(synthea_counts)
            total += sum(synthea_counts.values())
        app, backend = clients.register_default_app(), clients.register_default_backend()
        self.stdout.write(
            f"Registered clients {app.application.client_id!r} for the app's redirect URIs"
            f" and {backend.application.client_id!r} for its background sync"
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {total} resources (seed {seed}, anchor {anchor}) in {elapsed:.1f}s")
        )

    def _write_counts(self, counts: dict[str, int]) -> None:
        for resource_type, count in counts.items():
            self.stdout.write(f"{resource_type:<22}{count:>6}")


def _import_synthea() -> dict[str, int]:
    try:
        return resources_import(paths=[SYNTHEA_DIR])
    except ImportFailed as exc:
        raise CommandError(f"The Synthea fixtures were not imported: {exc}") from None


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--anchor-date must be a date as YYYY-MM-DD, not {value!r}") from None
