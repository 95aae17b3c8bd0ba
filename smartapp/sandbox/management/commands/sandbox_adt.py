"""The sandbox's ADT feed from the shell: HL7 v2 over MLLP to smartapp's listener (docs/sandbox.md).

python manage.py sandbox_adt send --event A03 --patient ID [--encounter ID] [--fault NAME ...] [--count N]
                                  [--target host:port]
python manage.py sandbox_adt discharge --encounter ID [--target host:port]
python manage.py sandbox_adt admit --patient ID [--target host:port]
"""

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.adt import wire
from smartapp.sandbox.adt.feed import FeedOutcome, adt_send, encounter_admit, encounter_discharge
from smartapp.sandbox.adt.messages import EVENTS
from smartapp.sandbox.adt.mllp import Delivery
from smartapp.sandbox.adt.stays import StayError


class Command(BaseCommand):
    help = "Send HL7 v2 ADT messages over MLLP, or admit / discharge a sandbox patient and announce it."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        send = actions.add_parser("send", help="send an event about a patient's inpatient Encounter")
        send.add_argument("--event", choices=EVENTS, required=True)
        send.add_argument("--patient", required=True)
        send.add_argument("--encounter", default="", help="default: the latest inpatient stay (made if none)")
        send.add_argument("--fault", action="append", choices=wire.FAULTS, default=[], dest="faults")
        send.add_argument(
            "--count", type=int, default=1, help="how many messages (burst: all unacknowledged)"
        )
        discharge = actions.add_parser("discharge", help="end an in-progress inpatient Encounter; send A03")
        discharge.add_argument("--encounter", required=True)
        admit = actions.add_parser("admit", help="open an inpatient Encounter for a patient; send A01")
        admit.add_argument("--patient", required=True)
        for action in (send, discharge, admit):
            action.add_argument("--target", default="", help="host:port (default: SANDBOX_ADT_TARGET)")

    def handle(self, *args, action, **options):
        try:
            {"send": self._send, "discharge": self._discharge, "admit": self._admit}[action](options)
        except (StayError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def _send(self, options):
        if options["count"] < 1:
            raise CommandError("--count must be at least 1.")
        deliveries = adt_send(
            event=options["event"],
            patient_id=options["patient"],
            encounter_id=options["encounter"],
            faults=frozenset(options["faults"]),
            count=options["count"],
            target=options["target"],
        )
        self._report(deliveries)

    def _discharge(self, options):
        self._outcome(encounter_discharge(encounter_id=options["encounter"], target=options["target"]))

    def _admit(self, options):
        self._outcome(encounter_admit(patient_id=options["patient"], target=options["target"]))

    def _outcome(self, outcome: FeedOutcome):
        self.stdout.write(f"encounter {outcome.encounter_id} saved")
        if outcome.error:
            self.stderr.write(f"not announced: {outcome.error}")
        self._report(outcome.deliveries)

    def _report(self, deliveries: list[Delivery]):
        for delivery in deliveries:
            ack = delivery.ack_code or f"none ({delivery.error})"
            self.stdout.write(f"{delivery.control_id} ack={ack} attempts={delivery.attempts}")
        if any(not d.ack_code for d in deliveries):
            raise CommandError("some messages got no ACK")
