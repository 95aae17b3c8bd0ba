"""Fault switches from the shell.

python manage.py sandbox_fault on KIND [--value V] [--client-id C] [--remaining N]
python manage.py sandbox_fault off [KIND] [--client-id C]
python manage.py sandbox_fault list
"""

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox import faults
from smartapp.sandbox.models import Fault

KIND_CHOICES = sorted(faults.KINDS)


class Command(BaseCommand):
    help = "Switch sandbox faults on or off for every client or one client, or list them."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        on = actions.add_parser("on", help="switch one fault on")
        on.add_argument("kind", choices=KIND_CHOICES)
        on.add_argument("--value", default="")
        on.add_argument("--client-id", default="", help="only for this client (default: every client)")
        on.add_argument("--remaining", type=int, help="only for the next N requests")
        off = actions.add_parser("off", help="switch faults off (all, or of one kind)")
        off.add_argument("kind", nargs="?", choices=KIND_CHOICES)
        off.add_argument("--client-id", help='only this client\'s faults ("" = the every-client ones)')
        actions.add_parser("list", help="list the faults switched on")

    def handle(self, *args, action, **options):
        {"on": self._on, "off": self._off, "list": self._list}[action](options)

    def _on(self, options):
        remaining = options["remaining"]
        if remaining is not None and remaining < 1:
            raise CommandError("--remaining must be at least 1.")
        fault = faults.switch_on(
            options["kind"], options["value"], client_id=options["client_id"], remaining=remaining
        )
        self.stdout.write(f"on: {_describe(fault)}")

    def _off(self, options):
        count = faults.switch_off(options["kind"], client_id=options["client_id"])
        self.stdout.write(f"off: {count} fault(s) switched off")

    def _list(self, options):
        rows = Fault.objects.order_by("id")
        for fault in rows:
            self.stdout.write(_describe(fault))
        if not rows:
            self.stdout.write("no fault is switched on")


def _describe(fault: Fault) -> str:
    value = f"={fault.value}" if fault.value else ""
    client = fault.client_id or "every client"
    remaining = "until off" if fault.remaining is None else f"{fault.remaining} more"
    return f"{fault.kind}{value} · {client} · {remaining}"
