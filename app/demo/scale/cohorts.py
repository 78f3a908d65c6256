"""One cohort of the scale data set: its facilitators (a pair, sometimes the organisation's
previous one), the 30 lessons planned on weekly slots, about ten children and their
enrolments; then its mentoring (matches.py) and what was recorded at each delivered
session (registers.py)."""

from __future__ import annotations

import datetime as dt

from app.cohorts.schedule import weekly_slots
from app.demo.scale.matches import mentoring
from app.demo.scale.outcomes import outcomes
from app.demo.scale.people import user
from app.demo.scale.registers import delivery
from app.demo.scale.rows import (
    DAY,
    FIRST_DATE_WINDOW,
    WEEK,
    Batch,
    Child,
    Org,
    Run,
    Sessions,
    at,
    plus_minutes,
    time_of,
)
from app.demo.scale.vocabulary import (
    ATTENDANCE_PROPENSITY,
    CANCEL_REASONS,
    ETHNICITIES,
    FIRST_NAMES,
    GENDERS,
    INTERESTS,
    SECOND_LANGUAGES,
    TOWNS,
    VENUES,
    WITHDRAW_REASONS,
)


def cohort(run: Run, batch: Batch, org: Org, number: int, position: float) -> None:
    rng, as_of = run.rng, run.as_of
    reuse = org.pair is not None and org.cohorts % 3 == 2
    weekday = rng.randrange(4)  # Monday to Thursday
    if reuse and weekday == org.weekday:
        weekday = (weekday + 1) % 4
    lo, hi = FIRST_DATE_WINDOW
    first = as_of + round(lo + position * (hi - lo)) * DAY
    first += ((weekday - first.weekday()) % 7) * DAY
    while first in run.closed:
        first += WEEK
    created = at(min(first, as_of) - 42 * DAY, 9)
    if reuse and org.pair is not None:
        pair = org.pair
    else:
        pair = (
            user(run, batch, org.id, "facilitator", created),
            user(run, batch, org.id, "facilitator", created),
        )
    org.pair, org.weekday = pair, weekday
    org.cohorts += 1

    cohort_id = run.ids.take("cohort")
    start_time = time_of(rng.choice(("15:45", "16:00", "16:30", "17:00")))
    venue = f"{rng.choice(TOWNS)} {rng.choice(VENUES)}"
    batch.add(
        "cohort",
        {
            "id": cohort_id,
            "org_id": org.id,
            "programme_id": org.programme_id,
            "name": f"Cohort {number:05d} ({first:%A}s)",
            "curriculum_id": run.curriculum_id,
            "start_date": first,
            "start_time": start_time,
            "duration_minutes": 90,
            "venue": venue,
            "created_at": created,
            "version": 1,
        },
    )
    for uid in pair:
        batch.add("cohort_facilitator", {"cohort_id": cohort_id, "user_id": uid, "org_id": org.id})

    sessions = _sessions(run, batch, org, cohort_id, first, start_time, venue)
    live = [s for s in sessions if s[3] != "cancelled"]
    last_live = live[-1][2]
    # Children and their enrolments: a few join late, a few leave part-way.
    size = rng.choice((8, 9, 10, 10, 10, 10, 10, 10, 10, 10))
    children = [
        _child(run, batch, org, number, k, cohort_id, first=first, live=live, last_live=last_live)
        for k in range(size)
    ]
    org.children.extend(children)
    matches = mentoring(
        run, batch, org, children, first=first, weekday=weekday, last_live=last_live
    )
    delivery(run, batch, org, pair, sessions, children, matches)
    outcomes(run, batch, org, number, children, last_live=last_live)


def _sessions(
    run: Run,
    batch: Batch,
    org: Org,
    cohort_id: int,
    first: dt.date,
    start_time: dt.time,
    venue: str,
) -> Sessions:
    """The 30 lessons on free weekly slots; a cancelled occurrence stays and its
    lesson (with every later one) moves to the next free slot."""
    rng, as_of = run.rng, run.as_of
    end_time = plus_minutes(start_time, 90)
    sessions: Sessions = []
    slots = weekly_slots(first, run.closed)
    week = 1
    while week <= run.weeks:
        day = next(slots)
        sid = run.ids.take("group_session")
        row = {
            "id": sid,
            "org_id": org.id,
            "cohort_id": cohort_id,
            "week": week,
            "date": day,
            "start_time": start_time,
            "end_time": end_time,
            "venue": venue,
            "status": "scheduled",
            "cancel_reason": None,
            "version": 1,
        }
        if day <= as_of + 14 * DAY and rng.random() < 0.03:
            row["status"], row["cancel_reason"] = "cancelled", rng.choice(CANCEL_REASONS)
            row["version"] = 2
            batch.add("group_session", row)
            sessions.append((sid, week, day, "cancelled"))
            continue
        if day < as_of:
            overdue = 0.3 if (as_of - day).days <= 7 else 0.01
            if rng.random() >= overdue:
                row["status"], row["version"] = "delivered", 2
        batch.add("group_session", row)
        sessions.append((sid, week, day, str(row["status"])))
        week += 1
    return sessions


def _child(
    run: Run,
    batch: Batch,
    org: Org,
    number: int,
    k: int,
    cohort_id: int,
    *,
    first: dt.date,
    live: Sessions,
    last_live: dt.date,
) -> Child:
    """The cohort's k-th child and their enrolment: from the first session, or (a few)
    from the second to the fourth; a few withdrawn part-way."""
    rng, as_of = run.rng, run.as_of
    child_id = run.ids.take("child")
    start = first
    if rng.random() < 0.05:
        start = live[rng.randint(1, 3)][2]
    end: dt.date | None = None
    withdraw = None
    window = (min(as_of - DAY, last_live) - (start + 14 * DAY)).days
    if window > 0 and rng.random() < 0.07:
        end = start + 14 * DAY + rng.randint(0, window) * DAY
        withdraw = rng.choice(WITHDRAW_REASONS)
    consent = min(first - rng.randint(14, 40) * DAY, as_of)
    gender = rng.choice(GENDERS)
    languages = ["english"] + ([rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.2 else [])
    batch.add(
        "child",
        {
            "id": child_id,
            "org_id": org.id,
            "reference": f"SC{number:05d}-{k + 1:02d}",
            "first_name": rng.choice(FIRST_NAMES),
            "date_of_birth": first - rng.randint(3290, 4380) * DAY,
            "placement_type": rng.choice(
                ("foster", "foster", "foster", "kinship", "kinship", "residential", "other")
            ),
            "gender": gender,
            "ethnicity": rng.choice(ETHNICITIES),
            "languages": languages,
            "interests": rng.sample(INTERESTS, 3),
            "preferences": {"mentor_gender": gender} if rng.random() < 0.3 else {},
            "consent_given_by": "Social worker",
            "consent_given_on": consent,
            "created_at": at(consent, 11),
            "updated_at": at(consent, 11),
        },
    )
    enrolled = at(min(start, as_of), 12)
    batch.add(
        "enrolment",
        {
            "id": run.ids.take("enrolment"),
            "org_id": org.id,
            "child_id": child_id,
            "cohort_id": cohort_id,
            "start_date": start,
            "end_date": end,
            "status": "withdrawn" if end else "active",
            "withdraw_reason": withdraw[0] if withdraw else None,
            "eligibility_override": None,
            "created_at": enrolled,
        },
    )
    return Child(child_id, start, end, rng.choice(ATTENDANCE_PROPENSITY), withdraw)
