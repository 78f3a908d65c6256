"""`make load` (`python -m bench.load`): serve a fresh Tandem with N workers (a SQLite file,
or a new database on the PostgreSQL server TANDEM_DATABASE_URL names, dropped afterwards),
load the demo, run the Locust scenario in bench/load/locustfile.py headless for a bounded
time, read back every write it acknowledged, and write var/load.json:

    {"backend", "users", "workers", "duration_s", "rps",
     "endpoints": {NAME: {"requests", "p50_ms", "p95_ms", "p99_ms", "errors_by_status"}},
     "totals": {...}, "false_409", "5xx", "lost_writes", "server_log": {...}}

TANDEM_LOAD_URL (or --url) points it at a server already running instead (its database
must hold the demo, with TANDEM_DEMO_PASSWORD as the password)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx

from bench.load.server import ROOT, backend_of, fresh_database, served

LONDON = ZoneInfo("Europe/London")
DEMO_DOMAIN = "demo.tandem.example.org"
DEFAULT_PASSWORD = "load demo password 42"  # the throwaway demo's
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Visits are logged before the group sessions (16:00 onwards), one hour apart.
VISIT_HOURS = range(7, 15)
VISIT_MINUTES = 45
LOG_MARKERS = ["database is locked", "QueuePool limit", "deadlock detected", "Traceback"]
# The last line of a traceback: "package.module.SomeError: message".
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): ?(.{0,80})", re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS", 60)))
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", 2)))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", 60)))
    parser.add_argument("--url", default=os.environ.get("TANDEM_LOAD_URL") or None)
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "load.json")
    args = parser.parse_args()
    if not 1 <= args.duration <= 90:
        parser.error("--duration is bounded: 1 to 90 seconds")

    password = os.environ.get("TANDEM_DEMO_PASSWORD") or DEFAULT_PASSWORD
    database = os.environ.get("TANDEM_DATABASE_URL") or None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tandem-load-") as tmp_name:
        tmp = Path(tmp_name)
        if args.url:
            result = run(args, args.url.rstrip("/"), password, tmp, server_log=None)
        else:
            with fresh_database(database, tmp) as url:
                print(
                    f"setting up: a fresh {backend_of(url)} database, the demo, "
                    f"`tandem serve --workers {args.workers}`"
                )
                with served(url, tmp, workers=args.workers, password=password) as server:
                    result = run(args, server.base_url, password, tmp, server_log=server.log)
                    result["server_log"] = log_counts(server.output())
                args.output.parent.mkdir(parents=True, exist_ok=True)
                kept = args.output.with_suffix(".server.log")
                kept.write_text(server.output())
                result["server_log"]["file"] = str(kept)
    result = {
        "backend": backend_of(database) if not args.url else "unknown (--url)",
        "users": args.users,
        "workers": args.workers,
        "duration_s": args.duration,
        **result,
        "code": code_version(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_s": round(time.monotonic() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"written {args.output}")


def run(
    args: argparse.Namespace, base_url: str, password: str, tmp: Path, server_log: Path | None
) -> dict[str, Any]:
    plan = make_plan(base_url, password)
    plan_file, writes_file, stats_file = tmp / "plan.json", tmp / "writes.jsonl", tmp / "stats.json"
    plan_file.write_text(json.dumps(plan))
    writes_file.touch()
    env = {
        **os.environ,
        "TANDEM_LOAD_PLAN": str(plan_file),
        "TANDEM_LOAD_WRITES": str(writes_file),
        "TANDEM_LOAD_STATS": str(stats_file),
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", base_url, "-u", str(args.users), "-r", str(args.spawn_rate),
        "--run-time", f"{args.duration}s", "--stop-timeout", "10",
        "--exit-code-on-error", "0", "--loglevel", "WARNING", "--only-summary",
    ]  # fmt: skip
    print(f"running Locust: {args.users} users for {args.duration} s against {base_url}")
    with (tmp / "locust.log").open("wb") as out:
        done = subprocess.run(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            timeout=args.duration + 120, check=False,
        )  # fmt: skip
    if done.returncode != 0 or not stats_file.exists():
        raise SystemExit(
            f"Locust exited with {done.returncode}:\n{(tmp / 'locust.log').read_text()[-5000:]}"
        )
    stats: dict[str, Any] = json.loads(stats_file.read_text())
    stats["writes"] = verify_writes(base_url, password, writes_file)
    stats["lost_writes"] = stats["writes"]["lost"]
    return stats


# The plan: real ids, fetched once before the load --------------------------------------


def sign_in(base_url: str, email: str, password: str) -> httpx.Client:
    response = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": email, "password": password}, timeout=60
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def make_plan(base_url: str, password: str) -> dict[str, Any]:
    today = dt.datetime.now(LONDON).date()
    with sign_in(base_url, f"lead@{DEMO_DOMAIN}", password) as lead:
        cohorts = [c["id"] for c in lead.get("/api/v1/cohorts").raise_for_status().json()]
    facilitators = []
    for n in range(1, 7):
        email = f"facilitator{n}@{DEMO_DOMAIN}"
        with sign_in(base_url, email, password) as client:
            me = client.get("/api/v1/me").raise_for_status().json()
            sessions = [
                s["id"]
                for c in client.get("/api/v1/cohorts").raise_for_status().json()
                for s in client.get(f"/api/v1/cohorts/{c['id']}/sessions").json()
                if dt.date.fromisoformat(s["date"]) < today and s["status"] != "cancelled"
            ]
        if sessions:
            facilitators.append({"email": email, "user_id": me["id"], "sessions": sessions})
    mentors = []
    for n in range(1, 15):
        email = f"mentor{n}@{DEMO_DOMAIN}"
        with sign_in(base_url, email, password) as client:
            matches = [m for m in client.get("/api/v1/matches").json() if m["active"]]
            if not matches:
                continue
            visits = client.get("/api/v1/visits").raise_for_status().json()
            assignments = client.get("/api/v1/assignments").raise_for_status().json()
        mentors.append({"email": email, "slots": visit_slots(today, matches, visits, assignments)})
    return {
        "password": password,
        "today": today.isoformat(),
        "cohorts": cohorts,
        "facilitators": facilitators,
        "mentors": mentors,
        "leads": [{"email": f"lead@{DEMO_DOMAIN}"}],
    }


def visit_slots(
    today: dt.date,
    matches: list[dict[str, Any]],
    visits: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    limit: int = 400,
) -> list[dict[str, Any]]:
    """Free past slots for one mentor, newest first, spread over their active matches: no
    two overlap each other or the mentor's visits already there."""
    busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for visit in visits:
        if visit["status"] != "cancelled" and visit["start_time"]:
            start = minutes_of(visit["start_time"])
            busy[visit["date"]].append((start, start + visit["minutes"]))
    slots: list[dict[str, Any]] = []
    day = today - dt.timedelta(days=1)
    turn = 0
    while len(slots) < limit and day > today - dt.timedelta(days=365):
        open_matches = [m for m in matches if dt.date.fromisoformat(m["start_date"]) <= day]
        if not open_matches:
            break
        for hour in VISIT_HOURS:
            start, end = hour * 60, hour * 60 + VISIT_MINUTES
            if any(s < end and start < e for s, e in busy[day.isoformat()]):
                continue
            match = open_matches[turn % len(open_matches)]
            turn += 1
            tasks = [
                a["id"]
                for a in assignments
                if a["child_id"] == match["child_id"]
                and dt.date.fromisoformat(a["session_date"]) <= day
            ][:2]
            slots.append(
                {
                    "match_id": match["id"],
                    "date": day.isoformat(),
                    "start_time": f"{hour:02d}:00",
                    "minutes": VISIT_MINUTES,
                    "assignment_ids": tasks,
                }
            )
        day -= dt.timedelta(days=1)
    return slots


def minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 60 + int(minutes)


# After the load: is every acknowledged write stored whole? --------------------------------


def verify_writes(base_url: str, password: str, writes_file: Path) -> dict[str, Any]:
    acknowledged = [json.loads(line) for line in writes_file.read_text().splitlines() if line]
    lost: list[dict[str, Any]] = []
    records: dict[int, list[dict[str, Any]]] = defaultdict(list)
    visits = [w for w in acknowledged if w["kind"] == "visit"]
    for write in acknowledged:
        if write["kind"] == "record":
            records[write["session_id"]].append(write)
    overwritten_same_version = 0
    with sign_in(base_url, f"lead@{DEMO_DOMAIN}", password) as lead:
        for write in visits:
            response = lead.get(f"/api/v1/visits/{write['id']}")
            if response.status_code != 200 or not same_visit(response.json(), write["body"]):
                lost.append({"visit": write["id"], "status": response.status_code})
        for session_id, saves in records.items():
            versions = Counter(save["version"] for save in saves)
            # Two saves acknowledged with the same version: one silently overwrote the other.
            overwritten_same_version += sum(n - 1 for n in versions.values())
            last = max(saves, key=lambda save: save["version"])
            stored = lead.get(f"/api/v1/sessions/{session_id}").json()
            if stored.get("version", 0) < last["version"] or (
                stored["version"] == last["version"] and not same_record(stored, last["body"])
            ):
                lost.append({"session": session_id, "acknowledged": last["version"],
                             "stored": stored.get("version")})  # fmt: skip
    return {
        "acknowledged_visits": len(visits),
        "acknowledged_records": sum(len(saves) for saves in records.values()),
        "sessions_saved": len(records),
        "record_saves_overwritten_at_same_version": overwritten_same_version,
        "lost": len(lost) + overwritten_same_version,
        "lost_examples": lost[:10],
    }


def same_visit(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    return (
        stored["match_id"] == sent["match_id"]
        and stored["date"] == sent["date"]
        and (stored["start_time"] or "")[:5] == sent["start_time"]
        and stored["minutes"] == sent["duration_minutes"]
        and stored["status"] == sent["status"]
        and stored["summary"] == sent["summary"]
        and sorted(stored["assignment_ids"]) == sorted(sent["assignment_ids"])
    )


def same_record(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    def pairs(rows: list[dict[str, Any]] | None, key: str) -> set[tuple[Any, Any]]:
        return {(row[key], row["status"]) for row in rows or []}

    return (
        pairs(stored.get("attendance"), "child_id") == pairs(sent["attendance"], "child_id")
        and pairs(stored.get("coverage"), "activity_id") == pairs(sent["coverage"], "activity_id")
        and stored.get("notes") == sent["notes"]
        and sorted(stored.get("facilitators_present") or []) == sent["facilitators_present"]
    )


# Reporting ---------------------------------------------------------------------------------


def log_counts(log: str) -> dict[str, Any]:
    exceptions = Counter(f"{kind}: {message}" for kind, message in EXCEPTION_LINE.findall(log))
    return {
        **{marker: log.count(marker) for marker in LOG_MARKERS},
        "exceptions": dict(exceptions.most_common(8)),
    }


def code_version() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "-s"))}


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n{result['backend']}, {result['users']} users, {result['workers']} workers, "
        f"{result['duration_s']} s: {result['rps']} requests/s"
    )
    print(f"{'endpoint':<36} {'requests':>8} {'p50':>7} {'p95':>7} {'p99':>7}  errors by status")
    rows = [*result["endpoints"].items(), ("total", result["totals"])]
    for name, entry in rows:
        errors = ", ".join(f"{k}: {v}" for k, v in entry["errors_by_status"].items()) or "-"
        print(
            f"{name:<36} {entry['requests']:>8} {entry['p50_ms']:>7} {entry['p95_ms']:>7}"
            f" {entry['p99_ms']:>7}  {errors}"
        )
    writes = result["writes"]
    print(
        f"5xx: {result['5xx']}   false 409s: {result['false_409']} (true: {result['true_409']})"
        f"   visit 422s: {result['visit_422']}   lost writes: {result['lost_writes']}"
        f" (of {writes['acknowledged_visits']} visits and {writes['acknowledged_records']}"
        " registers acknowledged)"
    )
    if "server_log" in result:
        counts = {k: v for k, v in result["server_log"].items() if k not in ("exceptions", "file")}
        print("server log:", ", ".join(f"{k}: {v}" for k, v in counts.items()))
        for line, n in result["server_log"]["exceptions"].items():
            print(f"  {n:>5} x {line}")


if __name__ == "__main__":
    main()
