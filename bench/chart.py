"""The chart benchmark (issue 4 §4): smartapp's chart assembly against a naive fhirclient baseline.

    .venv/bin/python -m bench.chart [--latency-ms 50] [--rounds 3] [--patients typical,large] [--json PATH]

Starts a seeded sandbox on loopback with `--latency-ms` added to every FHIR request, measures both ways for
each patient (median of `--rounds`), prints a table and the issue's targets with PASS/MISS. It reports, it
does not judge: the exit code is 0 whatever the numbers.
"""

import argparse
import json
import sys
from pathlib import Path

from bench.sandbox_server import running_sandbox

PATIENT_KINDS = ("typical", "large")
SPEEDUP_TARGET = 4.0  # naive / smartapp, large patient, at least
CRITICAL_RATIO_TARGET = 1.5  # smartapp / critical path, at most
RENDER_CPU_TARGET_MS = 150.0  # large patient, under

COLUMNS = (
    ("patient", "patient", "{}"),
    ("smartapp ms", "smartapp_ms", "{:.0f}"),
    ("smartapp req", "smartapp_requests", "{}"),
    ("naive ms", "naive_ms", "{:.0f}"),
    ("naive req", "naive_requests", "{}"),
    ("speedup", "speedup", "{:.1f}x"),
    ("critical ms", "critical_ms", "{:.0f}"),
    ("smartapp/critical", "critical_ratio", "{:.2f}x"),
    ("render CPU ms", "render_cpu_ms", "{:.1f}"),
)


def main(argv=None) -> int:
    args = _parse(argv)
    with running_sandbox(latency_ms=args.latency_ms) as sandbox:
        patient_ids = _setup_django_and_patients(args.patients)
        from bench.measure import measure_patient

        rows = {
            kind: measure_patient(sandbox.fhir_base, pid, latency_ms=args.latency_ms, rounds=args.rounds)
            for kind, pid in patient_ids.items()
        }
    report = build_report(rows, latency_ms=args.latency_ms, rounds=args.rounds)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def build_report(rows: dict, *, latency_ms: int, rounds: int) -> dict:
    """The numbers as plain data: settings, one row per patient, and each target's verdict."""
    return {
        "latency_ms": latency_ms,
        "rounds": rounds,
        "patients": {kind: row.as_dict() for kind, row in rows.items()},
        "targets": _targets(rows),
    }


def format_report(report: dict) -> str:
    """The report as a text table followed by the targets."""
    header = [title for title, _, _ in COLUMNS]
    body = [[_cell(row[key], fmt) for _, key, fmt in COLUMNS] for row in report["patients"].values()]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [f"latency {report['latency_ms']} ms per request, median of {report['rounds']} round(s)", ""]
    lines += [
        "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
        for line in [header, *body]
    ]
    lines += ["", "targets:"]
    lines += [f"  {t['status']:<4}  {t['name']}: {_cell(t['value'], '{}')}" for t in report["targets"]]
    return "\n".join(lines)


def _targets(rows: dict) -> list[dict]:
    targets = []
    if "large" in rows:
        large = rows["large"]
        speedup = f"speedup on the large patient >= {SPEEDUP_TARGET}x"
        render = f"render CPU on the large patient < {RENDER_CPU_TARGET_MS:.0f} ms"
        targets.append(_target(speedup, large.speedup, ">=", SPEEDUP_TARGET))
        targets.append(_target(render, large.render_cpu_ms, "<", RENDER_CPU_TARGET_MS))
    for kind, row in rows.items():
        name = f"smartapp within {CRITICAL_RATIO_TARGET}x of the critical path ({kind} patient)"
        targets.append(_target(name, row.critical_ratio, "<=", CRITICAL_RATIO_TARGET))
    return targets


def _target(name: str, value, comparison: str, limit: float) -> dict:
    if value is None:  # e.g. no latency: no critical path to compare against
        status = "N/A"
    else:
        met = {">=": value >= limit, "<": value < limit, "<=": value <= limit}[comparison]
        status = "PASS" if met else "MISS"
    return {"name": name, "value": value, "limit": limit, "comparison": comparison, "status": status}


def _cell(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _setup_django_and_patients(kinds: list[str]) -> dict[str, str]:
    """django.setup() against the sandbox's database (its env is exported by then); {kind: patient id}."""
    import django

    django.setup()
    from smartapp.sandbox.synthetic import catalog

    ids = {"typical": catalog.TYPICAL_PATIENT_ID, "large": catalog.LARGE_PATIENT_ID}
    return {kind: ids[kind] for kind in kinds}


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chart", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50, help="added to every FHIR request (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measurement; the median is shown")
    parser.add_argument("--patients", default=",".join(PATIENT_KINDS), help="typical,large (default: both)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    args.patients = [kind.strip() for kind in args.patients.split(",") if kind.strip()]
    unknown = set(args.patients) - set(PATIENT_KINDS)
    if unknown or not args.patients or args.rounds < 1 or args.latency_ms < 0:
        parser.error("--patients takes typical and/or large; --rounds >= 1; --latency-ms >= 0")
    return args


if __name__ == "__main__":
    sys.exit(main())
