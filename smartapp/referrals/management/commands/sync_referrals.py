"""Run the referral sync in the foreground, with its progress, and print what changed.

python manage.py sync_referrals [--connection NAME] [--patient ID]

Without --connection, every connection a background sync can read is synced in turn.
"""

from django.core.management.base import BaseCommand, CommandError

from smartapp.ehr.errors import EhrError, EhrUnavailable, LaunchRejected
from smartapp.ehr.ids import is_fhir_id
from smartapp.referrals.sync import (
    COUNTS,
    SyncNotPossible,
    SyncReport,
    TypeReport,
    referral_sync,
    sync_connections,
)

TRANSIENT = "The EHR is unavailable right now; run again later: the sync resumes where it stopped."


class Command(BaseCommand):
    help = "Sync referrals and their follow-up evidence from EHR connections now, and print what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--connection", help="an EHR registration's name (default: every one that can sync)"
        )
        parser.add_argument("--patient", default="", help="only this patient (a FHIR id)")

    def handle(self, *args, connection=None, patient="", **options):
        names = [connection] if connection else sync_connections()
        if not names:
            raise CommandError("No EHR registration can be synced: none has a Backend Services client.")
        if patient and len(names) > 1:
            raise CommandError("--patient needs --connection.")
        if patient and not is_fhir_id(patient):
            raise CommandError("--patient must be a FHIR id.")
        for name in names:
            self._print(self._sync(name, patient))

    def _sync(self, connection: str, patient: str) -> SyncReport:
        self.stdout.write(f"Syncing {connection}{' (one patient)' if patient else ''}...")
        try:
            return referral_sync(connection=connection, patient=patient, on_page=self._progress)
        except SyncNotPossible as error:
            raise CommandError(str(error)) from None
        except EhrUnavailable:
            raise CommandError(TRANSIENT) from None
        except LaunchRejected as error:
            raise CommandError(f"The EHR refused smartapp's credentials ({error.reason}).") from None
        except EhrError as error:
            raise CommandError(str(error)) from None

    def _progress(self, resource_type: str, report: TypeReport) -> None:
        read = sum(getattr(report, name) for name in COUNTS)
        self.stdout.write(f"  {resource_type:<18} page {report.pages:>3}  {read:>6} resources so far")

    def _print(self, report: SyncReport) -> None:
        if report.busy:
            self.stdout.write(
                f"{report.connection}: another sync of this connection is running; nothing done."
            )
            return
        self.stdout.write(f"{report.connection}: {report.requests} FHIR requests")
        self.stdout.write(f"  {'type':<18} {'pages':>5} " + " ".join(f"{name:>9}" for name in COUNTS))
        for row in report.types:
            counts = " ".join(f"{getattr(row, name):>9}" for name in COUNTS)
            note = "  (resumed)" if row.resumed else ""
            note += f"  ({row.withheld} outcomes: the EHR withheld results)" if row.withheld else ""
            note += "  (stopped early: page cap or a next link off the EHR)" if row.truncated else ""
            self.stdout.write(f"  {row.resource_type:<18} {row.pages:>5} {counts}{note}")
        states = ", ".join(f"{state} {count}" for state, count in report.states.items()) or "none"
        self.stdout.write(f"  referrals by state: {states}")
        if not report.one_patient:
            self.stdout.write(f"  states changed by the refresh: {report.states_changed}")
        self.stdout.write(self.style.SUCCESS(f"{report.connection}: done."))
