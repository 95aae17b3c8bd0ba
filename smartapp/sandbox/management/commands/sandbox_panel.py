"""manage.py sandbox_panel seed|change --count N: a large referral panel for the follow-up benchmark.

    seed   --count N [--anchor-date D] [--spread-days S] [--history-years Y [--history-per-patient K]]
                                                       N referrals on patients of their own, their
                                                       lastUpdated spread over the S days before now;
                                                       with Y, K older referrals and discharges per
                                                       patient, their clinical dates over Y years
    change --count N --fraction F [--anchor-date D]    a new business status on that share of their Tasks

`change` rebuilds the same panel (same N and anchor date) and changes the same Tasks every time: the first
run gives them a new version and lastUpdated, a second run finds nothing new and changes nothing. It
changes Tasks of the recent referrals only, whether or not the panel was seeded with a history.
"""

import time
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from smartapp.sandbox.synthetic.groups import groups_refresh
from smartapp.sandbox.synthetic.loader import load
from smartapp.sandbox.synthetic.panel import HISTORY_PER_PATIENT, panel_changes, referral_panel


class Command(BaseCommand):
    help = "Load a referral panel of N referrals into the sandbox, or change a share of it."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("seed", "change"))
        parser.add_argument("--count", type=int, required=True, help="referrals in the panel")
        parser.add_argument("--fraction", type=float, default=0.01, help="share of Tasks to change")
        parser.add_argument("--anchor-date", help="the day all dates are relative to, YYYY-MM-DD")
        parser.add_argument(
            "--spread-days",
            type=float,
            default=0,
            help="seed: spread the resources' lastUpdated evenly over this many days before now (default 0)",
        )
        parser.add_argument(
            "--history-years",
            type=int,
            default=0,
            help="seed: also give each patient older referrals and discharges over this many years",
        )
        parser.add_argument(
            "--history-per-patient",
            type=int,
            default=HISTORY_PER_PATIENT,
            help=f"seed: how many older items each patient gets (default {HISTORY_PER_PATIENT})",
        )

    def handle(self, *args, action, count, fraction, anchor_date, spread_days, **options):
        years, per_patient = options["history_years"], options["history_per_patient"]
        if count < 1 or not 0 < fraction <= 1 or spread_days < 0 or years < 0 or per_patient < 0:
            raise CommandError(
                "--count must be at least 1, --fraction in (0, 1], and --spread-days, --history-years and "
                "--history-per-patient >= 0"
            )
        anchor = _parse_day(anchor_date) if anchor_date else date.today()
        started = time.monotonic()
        if action == "change":
            resources = panel_changes(referral_panel(count, anchor=anchor), fraction)
        else:
            resources = referral_panel(
                count, anchor=anchor, history_years=years, history_per_patient=per_patient
            )
        stamps = _spread(len(resources), timedelta(days=spread_days)) if action == "seed" else None
        with transaction.atomic():
            counts = load(resources, stamps)
            groups_refresh()  # the panel's patients join the Groups that Bulk Data $export reads
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{n} {resource_type}" for resource_type, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{action}: {summary} in {elapsed:.1f}s"))


def _spread(count: int, span: timedelta) -> list[datetime]:
    """`count` times, oldest first, evenly over `span` before now: a history, not one instant (an
    incremental sync's overlap window then re-reads a few resources, as it would in a real EHR)."""
    now = timezone.now()
    return [now - span * (count - i) / count for i in range(count)]


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--anchor-date must be a date as YYYY-MM-DD, not {value!r}") from None
