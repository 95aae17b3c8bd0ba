"""The ADT benchmark's figures and table: each setup x mode's throughput and ACK latencies, whether every
ACKed message was stored exactly once, the durable / ack-before-store ratios, and the issue's target.
Plain data in, text out: nothing here gates (the exit code is 0 whatever the numbers)."""

from bench.adt_listener import Inbox
from bench.adt_load import Load

DURABLE, BASELINE = "durable", "ack-before-store"
TARGET_SETUP, TARGET_CONNECTIONS = "postgres", 4
TARGET_RATE, TARGET_P99_MS = 1000.0, 50.0  # issue 14 §6: >= 1,000 msg/s over 4 connections, p99 < 50 ms


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def summarise(
    setup: str, mode: str, load: Load, *, connections: int, snapshot: int, inbox: Inbox, listener_cpu_s
) -> dict:
    """One run's row: `snapshot` is the rows committed right after the last ACK, `inbox` the database
    once the listener stopped."""
    acked, stored = set(load.acked), set(inbox.control_ids)
    return {
        "setup": setup,
        "mode": mode,
        "connections": connections,
        "messages": load.measured,
        "msgs_per_s": round(load.measured / load.window_s, 1) if load.window_s > 0 else 0.0,
        "p50_ms": round(percentile(load.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(load.latencies, 0.99) * 1000, 2),
        "max_ms": round(max(load.latencies, default=0.0) * 1000, 2),
        "acked": len(load.acked),  # warm-up included
        "refused": load.refused,
        # Committed when the last ACK was read: every ACKed message in the durable mode, by definition.
        "unstored_at_last_ack": max(0, len(load.acked) - snapshot),
        "rows": len(inbox.control_ids),
        "audit_events": inbox.audit_events,
        "exactly_once": len(load.acked) == len(acked) == len(stored) == len(inbox.control_ids)
        and acked == stored,
        "generator_cpu_pct": round(100 * load.generator_cpu_s / load.wall_s, 1) if load.wall_s else 0.0,
        "listener_cpu_pct": round(100 * listener_cpu_s / load.wall_s, 1) if listener_cpu_s else None,
    }


def build_report(meta: dict, runs: list[dict], notes: list[str]) -> dict:
    return {**meta, "runs": runs, "notes": notes, "ratios": _ratios(runs), "target": _target(runs)}


def _ratios(runs: list[dict]) -> dict:
    """Per setup: durable / ack-before-store for throughput and p99 (what storing before the ACK costs)."""
    by_key = {(run["setup"], run["mode"]): run for run in runs}
    ratios = {}
    for setup in dict.fromkeys(run["setup"] for run in runs):
        durable, baseline = by_key.get((setup, DURABLE)), by_key.get((setup, BASELINE))
        if durable and baseline and baseline["msgs_per_s"] and baseline["p99_ms"]:
            ratios[setup] = {
                "throughput": round(durable["msgs_per_s"] / baseline["msgs_per_s"], 2),
                "p99": round(durable["p99_ms"] / baseline["p99_ms"], 2),
            }
    return ratios


def _target(runs: list[dict]) -> dict:
    run = next((r for r in runs if (r["setup"], r["mode"]) == (TARGET_SETUP, DURABLE)), None)
    wanted = f">= {TARGET_RATE:,.0f} msg/s over {TARGET_CONNECTIONS} connections on PostgreSQL, p99 < "
    wanted += f"{TARGET_P99_MS:.0f} ms (durable)"
    if run is None:
        return {"target": wanted, "status": "NOT RUN"}
    met = (
        run["connections"] >= TARGET_CONNECTIONS
        and run["msgs_per_s"] >= TARGET_RATE
        and run["p99_ms"] < TARGET_P99_MS
        and run["exactly_once"]
    )
    return {"target": wanted, "status": "PASS" if met else "MISS"}


def format_report(report: dict) -> str:
    lines = [
        f"ADT over MLLP: {report['connections']} connections, one message in flight each, "
        f"{report['message_bytes']} B A03 messages, {report['measure']} after a "
        f"{report['warmup_s']} s warm-up ({report['cpus']} CPUs)",
        "",
        f"{'setup':<10}{'mode':<18}{'conns':>6}{'messages':>10}{'msgs/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'once':>6}{'late':>6}{'gen CPU':>9}{'lsn CPU':>9}",
    ]
    for run in report["runs"]:
        listener_cpu = "-" if run["listener_cpu_pct"] is None else f"{run['listener_cpu_pct']:.0f}%"
        lines.append(
            f"{run['setup']:<10}{run['mode']:<18}{run['connections']:>6}{run['messages']:>10}"
            f"{run['msgs_per_s']:>10.0f}{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}{run['max_ms']:>9.2f}"
            f"{'yes' if run['exactly_once'] else 'NO':>6}{run['unstored_at_last_ack']:>6}"
            f"{run['generator_cpu_pct']:>8.0f}%{listener_cpu:>9}"
        )
    lines += _footnotes(report)
    return "\n".join(lines)


def _footnotes(report: dict) -> list[str]:
    lines = [
        "",
        "once: every ACKed message is stored exactly once (rows == ACKs, same control ids) after the stop",
    ]
    lines += ["late: ACKed but not yet committed when the last ACK was read (0 by definition when durable)"]
    for run in report["runs"]:
        if run["refused"] or run["rows"] != run["audit_events"]:
            lines.append(
                f"  {run['setup']} {run['mode']}: refused {run['refused']}, {run['rows']} rows, "
                f"{run['audit_events']} audit events"
            )
    if report["ratios"]:
        lines += ["", "durable / ack-before-store:"]
        lines += [
            f"  {setup}: throughput {r['throughput']:.2f}x, p99 {r['p99']:.2f}x"
            for setup, r in report["ratios"].items()
        ]
    lines += ["", f"target: {report['target']['target']}: {report['target']['status']}"]
    lines += [f"note: {note}" for note in report["notes"]]
    return lines
