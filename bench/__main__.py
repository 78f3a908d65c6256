"""`make bench`: run every benchmark on SQLite, and on PostgreSQL too when
TANDEM_BENCH_DATABASE_URL names a server (each benchmark gets a new database there);
print a table and write var/bench.json."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from bench import (
    curriculum_weeks,
    fidelity_dashboard,
    mentor_suggestions,
    outcomes_report,
    record_session,
    retention,
)
from bench.harness import ROOT, migrated_database

BENCHMARKS = [
    curriculum_weeks,
    record_session,
    mentor_suggestions,
    fidelity_dashboard,
    outcomes_report,
    retention,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=11, help="timing rounds (median reported)")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench.json")
    names = [module.__name__.rsplit(".", 1)[-1] for module in BENCHMARKS]
    parser.add_argument(
        "--only", action="append", choices=names, help="this benchmark (again: more)"
    )
    args = parser.parse_args()
    chosen = [
        m for m in BENCHMARKS if args.only is None or m.__name__.rsplit(".", 1)[-1] in args.only
    ]
    logging.disable(logging.INFO)

    servers = [None, os.environ.get("TANDEM_BENCH_DATABASE_URL") or None]
    results: dict[str, dict[str, object]] = {}
    print(f"{'benchmark':<28} {'n':>6} {'queries':>8} {'ratio':>7} {'goal':>6}  database")
    for server in dict.fromkeys(servers):
        for module in chosen:
            with migrated_database(server) as engine:
                result = module.run(engine, rounds=args.rounds)
            results.setdefault(result.database, {})[result.name] = result.as_json()
            verdict = "ok" if result.ratio <= result.goal else "OVER GOAL"
            print(
                f"{result.name:<28} {result.n:>6} {result.queries:>8} {result.ratio:>6.2f}x"
                f" {result.goal:>5}x  {result.database} {verdict}"
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
