"""manage.py sandbox_import PATH...: load FHIR R4 Bundles, resources or NDJSON files into the sandbox."""

import time

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.importer import ImportFailed, resources_import


class Command(BaseCommand):
    help = (
        "Import FHIR R4 data into the sandbox: Bundles (transaction, batch, collection, searchset), single "
        "resources and NDJSON files; a directory means its *.json and *.ndjson files. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="a .json or .ndjson file or a directory")

    def handle(self, *args, paths, **options):
        started = time.monotonic()
        try:
            counts = resources_import(paths=paths)
        except ImportFailed as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        for resource_type, count in counts.items():
            self.stdout.write(f"{resource_type:<22}{count:>6}")
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Imported {sum(counts.values())} resources in {elapsed:.1f}s"))
