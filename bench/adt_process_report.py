"""The processing benchmark's table: each setup x scenario x parse cache, and the cache on / off ratios
measured side by side in the same run. Plain data in, text out: nothing here gates."""

SCENARIOS = ("burst", "long_stay")
LABELS = {"burst": "(a) burst", "long_stay": "(b) long stay"}
HEADER = ("setup", "scenario", "parse cache", "messages", "runs", "msgs/s", "p50 ms/msg", "p99 ms/msg",
          "A08s: first → last tenth ms/msg", "all processed")  # fmt: skip


def all_processed(run: dict) -> bool:
    """Every message the scenario stored ended processed (none parked, ignored or left for a retry)."""
    return run["statuses"] == {"processed": run["messages"]} and run["discharges"] == run["visits"]


def rows(setups: dict[str, dict]) -> list[dict]:
    """One row per setup, scenario and cache mode, in that order."""
    out = []
    for setup, result in setups.items():
        for scenario in SCENARIOS:
            for mode, run in result[scenario].items():
                out.append({"setup": setup, "scenario": scenario, "cache": mode, **run,
                            "all_processed": all_processed(run)})  # fmt: skip
    return out


def ratios(setups: dict[str, dict]) -> dict:
    """Per setup and scenario, cache on / off: throughput (higher is better) and, for the long stay, the
    last tenth's time per message off / on (how much of the growth the cache removed)."""
    out = {}
    for setup, result in setups.items():
        for scenario in SCENARIOS:
            if set(result[scenario]) != {"off", "on"}:
                continue  # no baseline on this setup
            off, on = result[scenario]["off"], result[scenario]["on"]
            entry = {
                "throughput": round(on["msgs_per_s"] / off["msgs_per_s"], 2) if off["msgs_per_s"] else None
            }
            if scenario == "long_stay" and on["end_ms"]:
                entry["last_tenth"] = round(off["end_ms"] / on["end_ms"], 1)
            out.setdefault(setup, {})[scenario] = entry
    return out


def format_report(report: dict) -> str:
    lines = [
        f"ADT processing benchmark: burst of {report['visits']:,} visits (A01 + A03 each) in runs of "
        f"{report['limit']}; long stay of one visit, A01 + {report['updates']} A08 + A03, one message a run",
        "Patient matching: every identifier recorded beforehand as a PatientMatch (matched, searched now), "
        "so every match is reused; the EHR search is replaced by one that raises: no network.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in report["rows"]:
        lines.append("| " + " | ".join(_cells(row)) + " |")
    lines.append("")
    for setup, by_scenario in report["ratios"].items():
        stay, burst = by_scenario.get("long_stay", {}), by_scenario.get("burst", {})
        lines.append(
            f"{setup}: cache on / off: long stay {stay.get('throughput')}x msgs/s, last tenth "
            f"{stay.get('last_tenth')}x faster per message; burst {burst.get('throughput')}x msgs/s"
        )
    lines += [f"{setup}: cache on only (not in --baseline)" for setup in report["setups"]
              if setup not in report["ratios"]]  # fmt: skip
    lines += report["notes"]
    return "\n".join(lines)


def _cells(row: dict) -> tuple[str, ...]:
    growth = ""
    if row["scenario"] == "long_stay":
        growth = f"{row['start_ms']:.2f} → {row['end_ms']:.2f} ({row['growth']:g}x)"
    processed = "yes" if row["all_processed"] else f"NO {row['statuses']}"
    times = (f"{row['msgs_per_s']:,.0f}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}", growth)
    return (row["setup"], LABELS[row["scenario"]], row["cache"], f"{row['messages']:,}", str(row["runs"]),
            *times, processed)  # fmt: skip
