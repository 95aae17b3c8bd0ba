"""The sandbox side of the population benchmark, run in a process whose DATABASE_URL is the sandbox's:

    python -m bench.population_setup --referrals N --patients P --origin URL --ways-json PATH --out PATH

Seeds the panel (bench/population_seed.py) and registers each way's clients under its vendor (a public app
client and a Backend Services client reading the app's JWKS URL). Writes the seed counts as JSON.
"""

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path


def main(argv=None) -> int:
    args = _parse(argv)
    import django

    django.setup()
    from bench.population_seed import seed_population

    started = time.perf_counter()
    counts = seed_population(args.referrals, patients=args.patients, anchor=date.fromisoformat(args.anchor))
    seed_s = time.perf_counter() - started
    _analyze()
    for way in json.loads(Path(args.ways_json).read_text()):
        _register(way, origin=args.origin)
    result = {"seeded": counts, "seed_s": round(seed_s, 1)}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _register(way: dict, *, origin: str) -> None:
    from smartapp.sandbox.auth import clients
    from smartapp.sandbox.models import ClientProfile

    vendor = "" if way["vendor"] == "sandbox" else way["vendor"]
    clients.register(way["public_client"], name=f"bench {way['vendor']} app")
    clients.register(
        way["backend_client"],
        client_type=clients.CONFIDENTIAL,
        grant_type=clients.CLIENT_CREDENTIALS,
        jwks={"jwks_uri": f"{origin}/.well-known/jwks.json"},
        scopes="system/*.rs",
        name=f"bench {way['vendor']} backend",
    )
    names = [way["public_client"], way["backend_client"]]
    ClientProfile.objects.filter(application__client_id__in=names).update(vendor=vendor)


def _analyze() -> None:
    """As autovacuum soon would on PostgreSQL: plans from statistics, not guesses."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.population_setup")
    parser.add_argument("--referrals", type=int, required=True)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--anchor", required=True, help="YYYY-MM-DD")
    parser.add_argument("--origin", required=True)
    parser.add_argument("--ways-json", required=True)
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
