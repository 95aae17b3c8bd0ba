"""manage.py export_patient --list | export_patient ID: a synthetic patient's record as a FHIR Bundle."""

import json

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.synthetic.export import DEFAULT_BASE, UnknownPatient, patient_bundle, patient_index


class Command(BaseCommand):
    help = "List the sandbox patients, or print one patient's record as a FHIR collection Bundle (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("patient_id", nargs="?", help="the Patient id, e.g. pat-001")
        parser.add_argument(
            "--list", dest="list_patients", action="store_true", help="print id<TAB>name for every patient"
        )
        parser.add_argument(
            "--base-url", default=DEFAULT_BASE, help=f"FHIR base for fullUrl (default {DEFAULT_BASE})"
        )

    def handle(self, *args, patient_id, list_patients, base_url, **options):
        if list_patients:
            for fhir_id, name in patient_index():
                self.stdout.write(f"{fhir_id}\t{name}")
            return
        if not patient_id:
            raise CommandError("Give a patient id (see export_patient --list).")
        try:
            bundle = patient_bundle(patient_id, base=base_url)
        except UnknownPatient:
            raise CommandError(
                f"No sandbox patient with id {patient_id!r}; run seed_sandbox, or see export_patient --list."
            ) from None
        self.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False))
