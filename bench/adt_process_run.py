"""The processing benchmark's scenarios, in a process whose Django is set up on a fresh migrated database.

Messages are stored as the listener stores them (`inbox_store` of its quick read) and never timed; only
`adt_process_pending` is. Every patient is matched from a PatientMatch row recorded beforehand (outcome
matched, searched now), so no match searches the EHR; `matching.sync_client` is replaced by a function that
raises, so a match that was not reused would leave its messages pending for a retry, which the result
shows (`statuses`), rather than reach a network.
"""

import statistics
import time
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from bench.adt_process_messages import burst, long_stay
from bench.adt_report import percentile
from smartapp.adt import matching, process
from smartapp.adt.inbox import Received, inbox_store
from smartapp.adt.models import InboundMessage, PatientMatch
from smartapp.adt.parse_cache import ParseCache
from smartapp.adt.process import adt_process_pending
from smartapp.adt.quick_read import quick_read
from smartapp.ehr import configs
from smartapp.referrals.models import Referral

CONNECTION = "sandbox"  # the registration whose [adt] facilities holds the messages' MSH-4
LISTENER = "bench"
CACHE_MODES = ("off", "on")  # off: the parse cache of one run only (as before); on: process-wide LRU


class NoSearch(RuntimeError):
    """A match the benchmark did not record: it must never search an EHR."""


def _no_search(config, max_pages):
    raise NoSearch("benchmark: every patient must be matched from a recorded PatientMatch")


def cache_mode(mode: str) -> None:
    """Switch the process-wide parse cache off (entries=0: nothing kept between runs) or on (a new empty one
    with the module's bounds), so that each measurement starts cold."""
    process.parse_cache = ParseCache(entries=0) if mode == "off" else ParseCache()


def matches_record(messages: list[bytes]) -> int:
    """A matched PatientMatch for the first identifier search of each message's patient; how many."""
    systems = configs.by_name(CONNECTION).adt.identifier_systems
    keys = {matching.search_keys(quick_read(raw).identifiers, systems)[0] for raw in messages}
    now = timezone.now()
    rows = [
        PatientMatch(connection=CONNECTION, identifier=key, outcome=PatientMatch.MATCHED,
                     patient_ref=f"Patient/bench-{n}", candidates=1, searched_at=now)
        for n, key in enumerate(sorted(keys))
    ]  # fmt: skip
    PatientMatch.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def store(messages: list[bytes]) -> list[int]:
    """Store one batch as the listener does; the new rows' ids."""
    now = timezone.now()
    stored = inbox_store([Received(raw=raw, message=quick_read(raw), received_at=now) for raw in messages],
                         listener=LISTENER)  # fmt: skip
    return [result.message_id for result in stored]


def _claimed(report) -> int:
    return report.processed + report.parked + report.ignored + report.retry


def run_burst(*, tag: str, visits: int, limit: int, admitted: datetime) -> dict:
    """All of a burst stored first (a backlog), then `adt_process_pending(limit=...)` until it finds no more,
    as the listener's processing thread calls it; one sample per call: its time over its messages."""
    messages = burst(tag=tag, visits=visits, admitted=admitted)
    matches_record(messages)
    ids = []
    for start in range(0, len(messages), limit):
        ids += store(messages[start : start + limit])
    samples, counts = [], []
    while True:
        started = time.perf_counter()
        report = adt_process_pending(limit=limit, holder=LISTENER)
        elapsed = time.perf_counter() - started
        if not (report.processed + report.parked + report.ignored):
            break
        samples.append(elapsed / _claimed(report))
        counts.append(_claimed(report))
    wall = sum(s * n for s, n in zip(samples, counts, strict=True))
    return _result(ids, samples, wall, runs=len(samples), visits=visits)


def run_long_stay(*, tag: str, updates: int, limit: int, admitted: datetime) -> dict:
    """Store one message, process, store the next: one sample per message (one call each)."""
    messages = long_stay(tag=tag, updates=updates, admitted=admitted)
    matches_record(messages[:1])
    ids, samples = [], []
    for raw in messages:
        ids += store([raw])
        started = time.perf_counter()
        report = adt_process_pending(limit=limit, holder=LISTENER)
        samples.append((time.perf_counter() - started) / max(1, _claimed(report)))
    result = _result(ids, samples, sum(samples), runs=len(samples), visits=1)
    updates_only = samples[1:-1] or samples  # the A01 and the A03 write more than an A08: left out
    tenth = max(1, len(updates_only) // 10)
    first, last = statistics.fmean(updates_only[:tenth]), statistics.fmean(updates_only[-tenth:])
    return result | {
        "start_ms": _ms(first),
        "end_ms": _ms(last),
        "growth": round(last / first, 1),
        "tenth": tenth,
    }


def _result(ids: list[int], samples: list[float], wall: float, *, runs: int, visits: int) -> dict:
    statuses = InboundMessage.objects.filter(pk__in=ids).values("status").annotate(n=Count("pk"))
    visit_numbers = InboundMessage.objects.filter(pk__in=ids).values("visit_number").distinct()
    return {
        "messages": len(ids),
        "runs": runs,
        "wall_s": round(wall, 3),
        "msgs_per_s": round(len(ids) / wall, 1) if wall else 0.0,
        "p50_ms": _ms(percentile(samples, 0.50)),
        "p99_ms": _ms(percentile(samples, 0.99)),
        "statuses": {row["status"]: row["n"] for row in statuses},
        "discharges": Referral.objects.filter(visit_number__in=visit_numbers, kind="discharge").count(),
        "visits": visits,
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def run_all(*, visits: int, updates: int, limit: int, tag: str, modes=CACHE_MODES) -> dict:
    """Each scenario with the parse cache in each of `modes` (off, then on: fresh visits and patients each
    time); a warm-up visit first, so that no mode pays for the first queries and imports."""
    matching.sync_client = _no_search
    admitted = timezone.now().replace(microsecond=0) - timedelta(days=3)
    cache_mode("on")
    run_long_stay(tag=f"{tag}w", updates=2, limit=limit, admitted=admitted)
    results = {"long_stay": {}, "burst": {}}
    for mode in modes:
        cache_mode(mode)
        results["long_stay"][mode] = run_long_stay(tag=f"{tag}{mode}", updates=updates, limit=limit,
                                                   admitted=admitted)  # fmt: skip
        cache_mode(mode)
        results["burst"][mode] = run_burst(tag=f"{tag}{mode}", visits=visits, limit=limit, admitted=admitted)
    cache_mode("on")
    return results
