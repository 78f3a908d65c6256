"""Recording a session of 10 children and 6 activities, 500 times, through the real service
(validation, optimistic lock, register, coverage, practice assignments, audit) against bare
SQLAlchemy Core that writes the same rows in the same run."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session, col, select

from app.auth import service as auth
from app.auth.models import Role, User
from app.children import service as children
from app.children.schemas import ChildCreate
from app.cohorts import enrolments
from app.cohorts import service as cohorts
from app.cohorts.models import GroupSession
from app.cohorts.schemas import CohortCreate, EnrolmentCreate
from app.curriculum.service import latest_curricula, load_path
from app.sessions import recording
from app.sessions import service as sessions
from app.sessions.models import Attendance, Coverage, PracticeAssignment, SessionFacilitatorPresent
from app.sessions.schemas import RecordIn
from bench.harness import ROOT, Result, backend, count_statements, table

NAME = "record_session"
GOAL = 3.0
SAVES = 500
TODAY = dt.date(2026, 11, 26)
# Recording is allowed once a session has started: the evening of TODAY, in London.
NOW = dt.datetime(2026, 11, 26, 21, 0, tzinfo=dt.timezone(dt.timedelta(0)))


def _setup(engine: Engine) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as db:
        load_path(db, ROOT / "curriculum")
        org, _ = auth.get_or_create_organisation(db, "Bench")

        def make(role: Role, email: str) -> User:
            return auth.create_user(
                db,
                actor=None,
                org_id=org.id or 0,
                email=email,
                name=email,
                role=role,
                password="bench password 1",
            )

        lead = make(Role.lead, "lead@bench.example.org")
        f1 = make(Role.facilitator, "f1@bench.example.org")
        f2 = make(Role.facilitator, "f2@bench.example.org")
        curriculum = latest_curricula(db)[0]
        cohort = cohorts.create_cohort(
            db,
            actor=lead,
            data=CohortCreate(
                name="Bench group",
                curriculum_id=curriculum.id or 0,
                start_date=dt.date(2026, 9, 7),
                start_time=dt.time(16),
                venue="Hall",
                facilitator_ids=[f1.id or 0, f2.id or 0],
            ),
        )
        kids = []
        for n in range(10):
            child = children.create_child(
                db,
                actor=lead,
                today=TODAY,
                data=ChildCreate(
                    reference=f"B-{n}",
                    first_name=f"C{n}",
                    date_of_birth=dt.date(2016, 3, 1),
                    placement_type="foster",
                    consent_given_by="SW",
                    consent_given_on=dt.date(2026, 9, 1),
                ),
            )
            enrolments.enrol(
                db,
                actor=lead,
                cohort_id=cohort.id or 0,
                today=TODAY,
                data=EnrolmentCreate(child_id=child.id or 0, start_date=dt.date(2026, 9, 7)),
            )
            kids.append(child.id or 0)
        all_sessions = cohorts.sessions_of(db, actor=lead, cohort_id=cohort.id or 0)
        real, base = all_sessions[0], all_sessions[1]
        lesson_real = sessions.lesson_of(db, real, cohort)
        lesson_base = sessions.lesson_of(db, base, cohort)
        db.commit()
        return {
            "lead": lead,
            "f1": f1.id,
            "org": org.id,
            "kids": kids,
            "real": real.id,
            "base": base.id,
            "activities_real": [a.id for a in lesson_real.activities],
            "activities_base": [a.id for a in lesson_base.activities],
            "tasks_base": [t.id for t in lesson_base.tasks],
        }


def _payload(ctx: dict[str, Any], i: int, version: int, activities: list[int]) -> RecordIn:
    # Every save changes something (one child's attendance), so every save writes.
    return RecordIn.model_validate(
        {
            "version": version,
            "facilitators_present": [ctx["f1"]],
            "attendance": [
                {"child_id": c, "status": "absent" if n == i % 10 else "present"}
                for n, c in enumerate(ctx["kids"])
            ],
            "coverage": [{"activity_id": a, "status": "delivered"} for a in activities],
            "notes": "A good group.",
        }
    )


def _real(engine: Engine, ctx: dict[str, Any], saves: range) -> float:
    with Session(engine) as db:
        version = db.get_one(GroupSession, ctx["real"]).version
    start = time.perf_counter()
    for i in saves:
        # A client sends the version it last saw (here: the one its previous save returned).
        with Session(engine, expire_on_commit=False) as db:
            session, _ = recording.record_session(
                db,
                actor=ctx["lead"],
                session_id=ctx["real"],
                now=NOW,
                payload=_payload(ctx, i, version, ctx["activities_real"]),
            )
            db.commit()
            version = session.version
    return time.perf_counter() - start


def _baseline(engine: Engine, ctx: dict[str, Any], saves: range) -> float:
    """The same rows, written with Core: version bump, register, coverage, facilitators,
    and the practice assignments (inserted once, then their kinds updated)."""
    sid, org = ctx["base"], ctx["org"]
    start = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    sessions_t, assignments_t = table(GroupSession), table(PracticeAssignment)
    for i in saves:
        with engine.begin() as conn:
            conn.execute(
                update(sessions_t)
                .where(sessions_t.c.id == sid)
                .values(version=sessions_t.c.version + 1, status="delivered")
            )
            for model in (Attendance, Coverage, SessionFacilitatorPresent):
                conn.execute(delete(model).where(col(model.session_id) == sid))
            statuses = ["absent" if n == i % 10 else "present" for n in range(10)]
            conn.execute(
                insert(Attendance),
                [
                    {"org_id": org, "session_id": sid, "child_id": c, "status": s, "note": None}
                    for c, s in zip(ctx["kids"], statuses, strict=True)
                ],
            )
            conn.execute(
                insert(Coverage),
                [
                    {
                        "org_id": org,
                        "session_id": sid,
                        "activity_id": a,
                        "status": "delivered",
                        "note": None,
                    }
                    for a in ctx["activities_base"]
                ],
            )
            conn.execute(
                insert(SessionFacilitatorPresent),
                [{"org_id": org, "session_id": sid, "user_id": ctx["f1"]}],
            )
            if i == 0:
                conn.execute(
                    insert(PracticeAssignment),
                    [
                        {
                            "org_id": org,
                            "session_id": sid,
                            "child_id": c,
                            "task_id": t,
                            "kind": "regular",
                            "status": "open",
                            "mentor_id": None,
                            "created_at": now,
                        }
                        for c in ctx["kids"]
                        for t in ctx["tasks_base"]
                    ],
                )
            else:
                conn.execute(
                    update(assignments_t)
                    .where(assignments_t.c.session_id == sid)
                    .values(kind="regular")
                )
    return time.perf_counter() - start


ROUNDS = 5


def run(engine: Engine, *, rounds: int) -> Result:
    """500 saves each, in 5 interleaved rounds of 100 (baseline, then real), so that both
    meet the same disk and machine state; the median round of each is compared."""
    del rounds
    ctx = _setup(engine)
    per_round = SAVES // ROUNDS
    base_times, real_times = [], []
    for r in range(ROUNDS):
        saves = range(r * per_round, (r + 1) * per_round)
        base_times.append(_baseline(engine, ctx, saves))
        real_times.append(_real(engine, ctx, saves))
    base_s = statistics.median(base_times) * ROUNDS
    real_s = statistics.median(real_times) * ROUNDS

    def one() -> None:
        with Session(engine, expire_on_commit=False) as db:
            version = db.get_one(GroupSession, ctx["real"]).version
            recording.record_session(
                db,
                actor=ctx["lead"],
                session_id=ctx["real"],
                now=NOW,
                payload=_payload(ctx, SAVES + 1, version, ctx["activities_real"]),
            )
            db.commit()

    queries = count_statements(engine, one)
    return Result(NAME, SAVES, GOAL, real_s, base_s, queries, backend(engine))


__all__ = ["run", "select"]
