"""The population benchmark's table: each way's requests, wall time, resources stored per second and peak
memory, side by side, with the ratios between the ways, whether they stored the same thing, and the bulk
export's memory at N/10 against N. Plain data in, text out: no timing is judged."""

FULL_SIZE = ("bulk", "search", "per_patient")
COUNTED = ("referrals", "expectations", "evidence", "evidence_resources")


def build_report(meta: dict, runs: list[dict]) -> dict:
    """`meta` (sizes, database, seed) and the ways' results as one report with its derived figures."""
    failed = [run for run in runs if "error" in run]
    by_way = {run["way"]: {**run, **_rates(run)} for run in runs if "error" not in run}
    full = [by_way[key] for key in FULL_SIZE if key in by_way]
    return {
        **meta,
        "ways": list(by_way.values()),
        "failed": failed,
        "counts_agree": _agree(full) and not any(run["way"] in FULL_SIZE for run in failed),
        "counts": {run["way"]: {name: run[name] for name in COUNTED} for run in full},
        "ratios": _ratios(by_way),
        "bulk_memory": _bulk_memory(by_way),
    }


def format_report(report: dict) -> str:
    seeded = ", ".join(f"{n} {kind}" for kind, n in report["seeded"].items())
    lines = [
        f"{report['referrals']} referrals over {report['patients']} patients on {report['database']}, "
        f"latency {report['latency_ms']} ms per request, page size {report['page_size']}",
        f"sandbox seeded in {report['seed_s']} s: {seeded}",
        "",
        f"{'way':<22}{'requests':>10}{'wall s':>10}{'stored':>10}{'stored/s':>10}"
        f"{'peak RSS MiB':>14}{'growth MiB':>12}{'py peak MiB':>13}",
    ]
    for run in report["ways"]:
        py_peak = run.get("tracemalloc_peak_mib")
        lines.append(
            f"{run['label']:<22}{run['http_requests']:>10}{run['wall_s']:>10.1f}{run['stored']:>10}"
            f"{run['stored_per_s']:>10.0f}{run['rss_peak_mib']:>14.1f}{run['rss_growth_mib']:>12.1f}"
            f"{'-' if py_peak is None else f'{py_peak:.1f}':>13}"
        )
    lines += [f"{run['label']:<22}FAILED: {run['error']}" for run in report["failed"]]
    lines += ["", "stored by each full-size way (expectations by kind; evidence rows, distinct resources):"]
    for run in report["ways"]:
        if run["way"] in FULL_SIZE:
            kinds = ", ".join(f"{n} {kind}s" for kind, n in run["stored_by_kind"].items())
            lines.append(
                f"  {run['label']:<20}{kinds}; {run['evidence']} evidence rows "
                f"({run['evidence_resources']} resources)"
            )
    if len(report["counts"]) > 1:
        lines.append(f"  the ways agree: {'yes' if report['counts_agree'] else 'NO'}")
    if report["ratios"]:
        lines += ["", "ratios (to the bulk export):"]
        lines += [f"  {name}: {value}" for name, value in report["ratios"].items()]
    memory = report["bulk_memory"]
    if memory:
        lines += [
            "",
            f"bulk export memory: growth {memory['growth_tenth_mib']} MiB at N/10, "
            f"{memory['growth_full_mib']} MiB at N (x{memory['growth_ratio']}); "
            f"peak RSS x{memory['peak_ratio']} for x{memory['stored_ratio']} resources stored",
        ]
    return "\n".join(lines)


def _rates(run: dict) -> dict:
    stored = run["expectations"] + run["evidence_resources"]
    return {
        "stored": stored,
        "stored_per_s": round(stored / run["wall_s"], 1) if run["wall_s"] else 0.0,
        "rss_growth_mib": round(max(run["rss_peak_mib"] - run["rss_before_mib"], 0.0), 1),
    }


def _agree(runs: list[dict]) -> bool:
    return len(runs) > 1 and all(
        [run[name] for name in COUNTED] == [runs[0][name] for name in COUNTED] for run in runs
    )


def _ratios(by_way: dict) -> dict:
    bulk = by_way.get("bulk")
    if bulk is None:
        return {}
    out = {}
    for key in ("search", "per_patient"):
        if (other := by_way.get(key)) is not None:
            out[f"{other['label']} / bulk export, requests"] = _ratio(
                other["http_requests"], bulk["http_requests"]
            )
            out[f"{other['label']} / bulk export, wall time"] = _ratio(other["wall_s"], bulk["wall_s"])
            out[f"{other['label']} / bulk export, peak RSS"] = _ratio(
                other["rss_peak_mib"], bulk["rss_peak_mib"]
            )
    return out


def _bulk_memory(by_way: dict) -> dict:
    tenth, full = by_way.get("bulk_tenth"), by_way.get("bulk")
    if tenth is None or full is None:
        return {}
    return {
        "growth_tenth_mib": tenth["rss_growth_mib"],
        "growth_full_mib": full["rss_growth_mib"],
        "growth_ratio": _ratio(full["rss_growth_mib"], tenth["rss_growth_mib"]),
        "peak_ratio": _ratio(full["rss_peak_mib"], tenth["rss_peak_mib"]),
        "stored_ratio": _ratio(full["stored"], tenth["stored"]),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None
