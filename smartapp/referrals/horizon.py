"""The tracking horizon: which follow-up expectations are recent enough to work on. Pure.

A first sync of a real EHR brings decades of referrals and hospital stays; only those whose clinical date
(a referral's authoredOn, a discharge's period.end) falls within the connection's lookback enter the
worklists. The rest are kept (evidence linking needs them) but closed as "before tracking began". The
horizon is measured from today, so it moves with time, and never on meta.lastUpdated, which says when a
record was last touched, not when the care happened. docs/follow-up-rules.md.
"""

from dataclasses import dataclass
from datetime import date, timedelta

CLOSE, REOPEN = "close", "reopen"


@dataclass(frozen=True)
class Tracked:
    """What the horizon reads of one expectation. `worked_on`: a person owns, reopened, snoozed, planned or
    wrote outreach on it; the horizon then never touches it."""

    clinical_date: date | None
    closed_reason: str = ""
    closed_by_horizon: bool = False  # closed as before tracking, by the horizon itself (no person)
    worked_on: bool = False


def tracking_start(*, today: date, days: int) -> date:
    """The first day inside the horizon: an expectation dated `days` days ago is still tracked."""
    return today - timedelta(days=days)


def is_before_tracking(clinical_date: date | None, *, today: date, days: int) -> bool:
    """True when `clinical_date` is more than `days` days before `today`. No date: nothing shows it is old,
    so False; a future date is within the horizon."""
    return clinical_date is not None and clinical_date < tracking_start(today=today, days=days)


def horizon_change(item: Tracked, *, today: date, days: int) -> str | None:
    """CLOSE an open, untouched expectation that is before tracking; REOPEN one the horizon itself closed
    that is within it again (a longer lookback, a corrected date); else None."""
    if item.worked_on:
        return None
    before = is_before_tracking(item.clinical_date, today=today, days=days)
    if before and item.closed_reason == "":
        return CLOSE
    if not before and item.closed_by_horizon:
        return REOPEN
    return None
