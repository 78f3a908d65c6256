"""Mentor suggestions for one child among 2,000 mentors, through the real service against
the bare SQL that selects the eligible mentors, in the same run.

The real path is `mentoring.matching.service.suggestions` (staff check, the child and organisation,
the eligible mentors, a score and its reasons for every one of them, the ranking, the top
10) in a fresh Session per call. It is the service, not `GET /api/v1/.../suggestions`: the
JSON route adds only HTTP and serialisation of ten rows, which `curriculum_weeks_api`
measures already. The baseline executes the very statement the service runs,
`eligible_mentors_query(...)`, built once, and fetches all its rows: nothing else.

The 2,000 mentors vary in gender, ethnicity, languages, interests and care experience;
most are ready, some are not (a check missing, or the DBS check run out) and some have a
full caseload (active matches with other children), so the query's filters all do work.
Users, profiles, children and matches are inserted in bulk with Core (one password hash
for everybody), so setup takes about a second.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, col

from app.auth import service as auth
from app.auth.models import Role, User
from app.auth.security import hash_password
from app.children import service as children
from app.children.models import Child
from app.children.schemas import ChildCreate
from app.mentoring.matching import service
from app.mentoring.models import Match, MentorProfile
from app.programmes import service as programmes
from bench.harness import Result, backend, count_statements, table

NAME = "mentor_suggestions"
GOAL = 3.0
MENTORS = 2000
REPEAT = 10  # calls per timed round
TODAY = dt.date(2026, 11, 26)
SEED = 20261126

# The controlled lists' keys (app/children/lists.py), as the API takes them.
GENDERS = ["girl_or_woman", "boy_or_man", "non_binary"]
ETHNICITIES = [
    "white_british",
    "black_caribbean",
    "black_african",
    "asian_pakistani",
    "asian_indian",
    "asian_bangladeshi",
    "mixed_white_and_black_caribbean",
    "white_other",
    "asian_chinese",
    "white_gypsy_or_irish_traveller",
]
LANGUAGES = ["urdu", "panjabi", "somali", "polish", "arabic", "bengali", "romanian", "twi"]
INTERESTS = [
    "football",
    "drawing",
    "music",
    "dancing",
    "swimming",
    "cooking",
    "gaming",
    "animals",
    "reading",
    "cycling",
    "basketball",
    "science",
    "drama",
    "fishing",
    "lego",
    "photography",
    "gardening",
    "climbing",
    "baking",
    "coding",
]


def _mentor_rows(
    rng: random.Random, org_id: int, first_user_id: int, now: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, int]]]:
    """(users, profiles, [(mentor id, active matches to give them)])."""
    password_hash = hash_password("bench password 1")  # one hash, reused by everybody
    users, profiles, caseloads = [], [], []
    for n in range(MENTORS):
        user_id = first_user_id + n
        users.append(
            {
                "id": user_id,
                "org_id": org_id,
                "email": f"mentor{n:04d}@bench.example.org",
                "name": f"Mentor {n:04d}",
                "role": Role.mentor.value,
                "password_hash": password_hash,
                "active": rng.random() > 0.02,
                "failed_logins": 0,
                "locked_until": None,
                "created_at": now,
                "password_changed_at": now,
            }
        )
        checked = TODAY - dt.timedelta(days=rng.randrange(30, 1000))
        state = rng.random()
        profile = {
            "user_id": user_id,
            "org_id": org_id,
            "gender": rng.choice(GENDERS),
            "ethnicity": rng.choice(ETHNICITIES),
            "languages": ["english", *rng.sample(LANGUAGES, rng.choice((0, 0, 1, 1, 2)))],
            "interests": rng.sample(INTERESTS, rng.randrange(2, 6)),
            "care_experience": rng.random() < 0.2,
            "availability": "weekday evenings and Saturdays",
            "about": "I like being outdoors and I am a good listener.",
            "dbs_checked_on": checked,
            "barred_list_checked": True,
            "references_checked": True,
            "interviewed_on": checked,
            "training_completed_on": checked + dt.timedelta(days=14),
            "max_caseload": 2,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        if state < 0.06:  # still waiting for references
            profile["references_checked"] = False
        elif state < 0.10:  # training not done yet
            profile["training_completed_on"] = None
        elif state < 0.15:  # the DBS check ran out (three years by default)
            profile["dbs_checked_on"] = TODAY - dt.timedelta(days=rng.randrange(1100, 1500))
        profiles.append(profile)
        load = rng.random()
        if load < 0.25:
            caseloads.append((user_id, 2))  # full
        elif load < 0.45:
            caseloads.append((user_id, 1))
    return users, profiles, caseloads


def _setup(engine: Engine) -> dict[str, Any]:
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    with Session(engine, expire_on_commit=False) as db:
        org, _ = auth.get_or_create_organisation(db, "Bench matching")
        org_id = org.id or 0
        programme = programmes.list_programmes(db, org_id)[0]
        lead = auth.create_user(
            db,
            actor=None,
            org_id=org_id,
            email="lead@matching.bench.example.org",
            name="Lead",
            role=Role.lead,
            password="bench password 1",
        )
        child = children.create_child(
            db,
            actor=lead,
            today=TODAY,
            data=ChildCreate.model_validate(
                {
                    "reference": "MATCH-1",
                    "first_name": "Aisha",
                    "date_of_birth": "2016-03-01",
                    "placement_type": "foster",
                    "gender": "girl_or_woman",
                    "ethnicity": "asian_pakistani",
                    "languages": ["english", "urdu"],
                    "interests": ["drawing", "swimming", "animals", "baking"],
                    "preferences": {"mentor_gender": "girl_or_woman", "same_ethnicity": True},
                    "consent_given_by": "Social worker",
                    "consent_given_on": "2026-09-01",
                }
            ),
        )
        db.flush()
        first_user_id = (db.scalar(select(func.max(col(User.id)))) or 0) + 1
        users, profiles, caseloads = _mentor_rows(rng, org_id, first_user_id, now)
        conn = db.connection()
        conn.execute(insert(table(User)), users)
        conn.execute(insert(table(MentorProfile)), profiles)
        # The other mentees: one child each, matched to a mentor with some caseload.
        needed = sum(n for _, n in caseloads)
        first_child = (db.scalar(select(func.max(col(Child.id)))) or 0) + 1
        conn.execute(
            insert(table(Child)),
            [
                {
                    "id": first_child + i,
                    "org_id": org_id,
                    "reference": f"OTHER-{i:04d}",
                    "first_name": f"Child {i}",
                    "date_of_birth": dt.date(2016, 1, 1),
                    "placement_type": "foster",
                    "gender": None,
                    "ethnicity": None,
                    "languages": [],
                    "interests": [],
                    "preferences": {},
                    "consent_given_by": "Social worker",
                    "consent_given_on": dt.date(2026, 9, 1),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(needed)
            ],
        )
        matches: list[dict[str, Any]] = []
        next_child = first_child
        for mentor_id, n in caseloads:
            for _ in range(n):
                matches.append(
                    {
                        "org_id": org_id,
                        "programme_id": programme.id,
                        "child_id": next_child,
                        "mentor_id": mentor_id,
                        "start_date": dt.date(2026, 9, 14),
                        "end_date": None,
                        "score": 0.5,
                        "reasons": [],
                        "chosen_by_young_person": False,
                        "created_by": lead.id,
                        "created_at": now,
                    }
                )
                next_child += 1
        conn.execute(insert(table(Match)), matches)
        db.commit()
        if backend(engine) == "postgresql":
            db.connection().exec_driver_sql("ANALYZE")
            db.commit()
        return {
            "lead": lead,
            "org": org_id,
            "programme": programme,
            "child": child.id,
            "renewal_years": org.dbs_renewal_years,
            "full": sum(1 for _, n in caseloads if n == 2),
        }


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(REPEAT):
        fn()
    return time.perf_counter() - start


def run(engine: Engine, *, rounds: int) -> Result:
    """`rounds` interleaved rounds of REPEAT calls each (baseline, then real), so that
    both meet the same cache and machine state; the median round of each is compared."""
    ctx = _setup(engine)
    statement = service.eligible_mentors_query(
        ctx["org"], programme=ctx["programme"], today=TODAY, renewal_years=ctx["renewal_years"]
    )

    def baseline() -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(statement).all())

    def real() -> list[service.Suggested]:
        with Session(engine) as db:
            return service.suggestions(
                db, actor=ctx["lead"], child_id=ctx["child"], today=TODAY, top=10
            )

    eligible = len(baseline())
    top = real()
    assert len(top) == 10, top
    assert top[0].score >= top[-1].score, top
    base_times, real_times = [], []
    for _ in range(rounds):
        base_times.append(_timed(baseline))
        real_times.append(_timed(real))
    base_s = statistics.median(base_times) / REPEAT
    queries = count_statements(engine, real)
    return Result(
        NAME,
        MENTORS,
        GOAL,
        statistics.median(real_times) / REPEAT,
        base_s,
        queries,
        backend(engine),
        extra={
            "eligible": eligible,
            "full_caseload": ctx["full"],
            "best_score": top[0].score,
        },
    )
