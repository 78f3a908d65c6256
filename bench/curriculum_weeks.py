"""GET /api/v1/curricula/{id}/weeks through the whole app, against bare SQLAlchemy Core.

The baseline runs the same three SELECTs and builds the same JSON by hand; the ratio is
what the framework, ORM and validation cost on top of the database work.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from app.auth.models import Role
from app.auth.service import create_user, get_or_create_organisation, issue_token
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.curriculum.service import latest_curricula, load_path
from app.db import get_engine
from app.main import create_app
from bench.harness import ROOT, Result, backend, count_statements, median_time, table

NAME = "curriculum_weeks_api"  # signed in with a bearer token, as clients are
GOAL = 6.0
REPEAT = 50


def _baseline(engine: Engine, curriculum_id: int) -> bytes:
    weeks_t, acts_t, tasks_t = (table(m) for m in (CurriculumWeek, Activity, PracticeTask))
    with engine.connect() as conn:
        weeks = (
            conn.execute(
                select(weeks_t)
                .where(weeks_t.c.curriculum_id == curriculum_id)
                .order_by(weeks_t.c.week)
            )
            .mappings()
            .all()
        )
        ids = [w["id"] for w in weeks]
        acts = (
            conn.execute(
                select(acts_t).where(acts_t.c.week_id.in_(ids)).order_by(acts_t.c.position)
            )
            .mappings()
            .all()
        )
        tasks = (
            conn.execute(
                select(tasks_t).where(tasks_t.c.week_id.in_(ids)).order_by(tasks_t.c.position)
            )
            .mappings()
            .all()
        )
    by_week: dict[int, dict[str, list[dict[str, Any]]]] = {i: {"a": [], "t": []} for i in ids}
    for a in acts:
        by_week[a["week_id"]]["a"].append(
            {k: a[k] for k in ("id", "key", "title", "minutes", "core", "guidance")}
        )
    for t in tasks:
        by_week[t["week_id"]]["t"].append({k: t[k] for k in ("id", "key", "title", "description")})
    body = [
        {
            "week": w["week"],
            "unit": w["unit"],
            "title": w["title"],
            "summary": w["summary"],
            "activities": by_week[w["id"]]["a"],
            "practice_tasks": by_week[w["id"]]["t"],
        }
        for w in weeks
    ]
    return json.dumps(body).encode()


def run(engine: Engine, *, rounds: int) -> Result:
    with Session(engine) as db:
        load_path(db, ROOT / "curriculum")
        org, _ = get_or_create_organisation(db, "Bench readers")
        reader = create_user(
            db,
            actor=None,
            org_id=org.id or 0,
            email="reader@bench.example.org",
            name="Reader",
            role=Role.lead,
            password="bench password 1",
        )
        token, _ = issue_token(db, user=reader)
        db.commit()
        (curriculum,) = latest_curricula(db)
        curriculum_id = curriculum.id
    assert curriculum_id is not None
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: engine
    import app.db as db_module

    db_module._engine = engine  # the request session uses the benchmark's engine
    url = f"/api/v1/curricula/{curriculum_id}/weeks"
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:

        def real() -> None:
            response = client.get(url)
            assert response.status_code == 200

        assert len(client.get(url).json()) == len(json.loads(_baseline(engine, curriculum_id)))
        real_s = median_time(real, rounds=rounds, repeat=REPEAT)
        base_s = median_time(lambda: _baseline(engine, curriculum_id), rounds=rounds, repeat=REPEAT)
        queries = count_statements(engine, real)
    return Result(NAME, REPEAT, GOAL, real_s, base_s, queries, backend(engine))
