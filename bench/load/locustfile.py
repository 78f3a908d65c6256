"""The load scenario: a programme's week, compressed. Run it with `make load` (or
`python -m bench.load`), which serves a fresh Tandem, prepares the plan this file reads
(TANDEM_LOAD_PLAN: real ids fetched from the demo organisation) and writes var/load.json.

Who, in what proportion of the simulated users (Locust `weight`s 3 : 4 : 3):
- 30% facilitators saving registers: GET a past session, then PUT its record with the version
  they read (every expected child an attendance answer, every activity a coverage answer,
  themselves present). A 409 is right only when another save really came first: its body
  carries `current_version`; a 409 whose `current_version` is the version sent is a false
  409, counted apart.
- 40% mentors logging visits: POST a completed visit on a past date, each at a slot of its
  own (before 15:00, away from the mentor's other visits and the group sessions), with the
  mentee's practice tasks; a 422 for a clash is counted apart.
- 30% leads reading: the fidelity dashboard (API, 3 in 9), the fidelity page (2), a cohort
  page (2), the home page (1) and the cohort list (1).

Every user signs in once (`POST /api/v1/auth/token`; again at their next task if that
failed) and then waits 0.5 to 1.5 s between
tasks. Acknowledged writes (2xx) are appended to TANDEM_LOAD_WRITES for the runner to read
back after the run; stats go to TANDEM_LOAD_STATS when Locust quits.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(Path(os.environ["TANDEM_LOAD_PLAN"]).read_text())
WRITES = Path(os.environ["TANDEM_LOAD_WRITES"])
STATS = Path(os.environ["TANDEM_LOAD_STATS"])

ATTENDANCE = ["present", "late", "absent", "excused"]
COVERAGE = ["delivered", "partial", "skipped"]

# Counted across all users (one process, gevent: no increment yields, so no lock is needed).
status_counts: dict[str, Counter[str]] = defaultdict(Counter)
conflicts: Counter[str] = Counter()
false_409s: list[dict[str, Any]] = []
_accounts = {role: itertools.cycle(PLAN[role]) for role in ("facilitators", "mentors", "leads")}
_slots = {m["email"]: iter(m["slots"]) for m in PLAN["mentors"]}
_writes = WRITES.open("a", encoding="utf-8")


@events.request.add_listener  # type: ignore[untyped-decorator]  # locust leaves it unannotated
def _count_status(name: str, response: Any, exception: Any, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status:
        status_counts[name][str(status)] += 1
    else:  # no HTTP answer: the connection failed, was reset or timed out
        error = getattr(response, "error", None) or exception
        status_counts[name][f"no answer ({type(error).__name__})"] += 1


def _acknowledge(kind: str, **fields: Any) -> None:
    _writes.write(json.dumps({"kind": kind, **fields}) + "\n")
    _writes.flush()


class Tandem(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    connection_timeout = 10.0
    network_timeout = 60.0
    role = ""

    def on_start(self) -> None:
        self.account = next(_accounts[self.role])
        self.token: str | None = None
        self.sign_in()

    def sign_in(self) -> None:
        """Sign in; a user whose sign-in fails tries again at their next task, as people do."""
        self.client.headers.pop("Authorization", None)
        with self.client.post(
            "/api/v1/auth/token",
            data={"username": self.account["email"], "password": PLAN["password"]},
            name="POST /api/v1/auth/token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            self.token = response.json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"

    def signed_in(self) -> bool:
        if not self.token:
            self.sign_in()
            return False
        return True


class Facilitator(Tandem):
    weight = 3
    role = "facilitators"

    @task
    def save_register(self) -> None:
        if not self.signed_in():
            return
        session_id = random.choice(self.account["sessions"])
        name = "/api/v1/sessions/[id]"
        with self.client.get(
            f"/api/v1/sessions/{session_id}", name=f"GET {name}", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            session = response.json()
        version = session["version"]
        body = {
            "version": version,
            "facilitators_present": [self.account["user_id"]],
            "attendance": [
                {"child_id": child["child_id"], "status": random.choice(ATTENDANCE)}
                for child in session["roster"]
            ],
            "coverage": [
                {"activity_id": activity["id"], "status": random.choice(COVERAGE)}
                for activity in session["lesson"]["activities"]
            ],
            "notes": f"load {time.time_ns()}",
        }
        with self.client.put(
            f"/api/v1/sessions/{session_id}/record",
            json=body,
            name=f"PUT {name}/record",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                saved = response.json()
                _acknowledge("record", session_id=session_id, version=saved["version"], body=body)
                return
            if response.status_code == 409:
                try:
                    current = response.json().get("current_version")
                except ValueError:
                    current = None
                if current is None:
                    conflicts["409 without current_version"] += 1
                elif current > version:
                    conflicts["true 409"] += 1
                else:
                    conflicts["false 409"] += 1
                    false_409s.append(
                        {"session_id": session_id, "sent": version, "current": current}
                    )
            response.failure(f"{response.status_code}")


class Mentor(Tandem):
    weight = 4
    role = "mentors"

    @task
    def log_visit(self) -> None:
        if not self.signed_in():
            return
        slot = next(_slots[self.account["email"]], None)
        if slot is None:  # this mentor's free slots are all taken: nothing left to log
            return
        body = {
            "match_id": slot["match_id"],
            "date": slot["date"],
            "start_time": slot["start_time"],
            "duration_minutes": slot["minutes"],
            "status": "completed",
            "summary": f"load visit {time.time_ns()}",
            "assignment_ids": slot["assignment_ids"],
        }
        with self.client.post(
            "/api/v1/visits", json=body, name="POST /api/v1/visits", catch_response=True
        ) as response:
            if response.status_code == 201:
                _acknowledge("visit", id=response.json()["id"], body=body)
                return
            if response.status_code == 422:
                conflicts["visit 422"] += 1
            response.failure(f"{response.status_code}")


class Lead(Tandem):
    weight = 3
    role = "leads"

    def _get(self, path: str, name: str) -> None:
        if self.signed_in():
            self.client.get(path, name=name)

    @task(3)
    def dashboard(self) -> None:
        self._get("/api/v1/fidelity", "GET /api/v1/fidelity")

    @task(2)
    def fidelity_page(self) -> None:
        self._get("/fidelity", "GET /fidelity")

    @task(2)
    def cohort_page(self) -> None:
        self._get(f"/cohorts/{random.choice(PLAN['cohorts'])}", "GET /cohorts/[id]")

    @task(1)
    def home(self) -> None:
        self._get("/", "GET /")

    @task(1)
    def cohorts(self) -> None:
        self._get("/api/v1/cohorts", "GET /api/v1/cohorts")


def _entry(entry: Any, statuses: Counter[str]) -> dict[str, Any]:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50_ms": entry.get_response_time_percentile(0.50),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0, 1),
        "rps": round(entry.total_rps, 2),
        "errors_by_status": {
            status: n
            for status, n in sorted(statuses.items())
            if not (status.isdigit() and 200 <= int(status) < 300)
        },
    }


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # locust leaves it unannotated
def _write_stats(environment: Environment, **_: Any) -> None:
    stats = environment.stats
    endpoints = {
        name: _entry(entry, status_counts[name])
        for (name, _method), entry in sorted(stats.entries.items())
    }
    everything: Counter[str] = sum(status_counts.values(), Counter())
    five_xx = sum(n for status, n in everything.items() if status.startswith("5"))
    STATS.write_text(
        json.dumps(
            {
                "rps": round(stats.total.total_rps, 2),
                "endpoints": endpoints,
                "totals": _entry(stats.total, everything),
                "false_409": conflicts["false 409"],
                "true_409": conflicts["true 409"],
                "409_without_current_version": conflicts["409 without current_version"],
                "visit_422": conflicts["visit 422"],
                "5xx": five_xx,
                "false_409_examples": false_409s[:10],
            },
            indent=2,
        )
        + "\n"
    )
    _writes.close()
