"""What was recorded for each delivered session of the scale data set: the facilitators
present and the session record, each activity's coverage, and the register with the
practice tasks each child took home."""

from __future__ import annotations

import datetime as dt

from app.auth.models import DEFAULT_SESSION_CHECKLIST
from app.demo.scale.rows import DAY, Batch, Child, Lesson, Match, Org, Run, Sessions, at
from app.demo.scale.vocabulary import ABSENCE_NOTES, SESSION_NOTES


def delivery(
    run: Run,
    batch: Batch,
    org: Org,
    pair: tuple[int, int],
    sessions: Sessions,
    children: list[Child],
    matches: dict[int, Match],
) -> None:
    """What was recorded for each delivered session."""
    for sid, week, day, status in sessions:
        if status != "delivered":
            continue
        lesson = run.lessons[week]
        recorded_at = _record(run, batch, org, pair, sid, day)
        _coverage(run, batch, org, sid, lesson)
        _register(run, batch, org, sid, day, lesson, children, matches, recorded_at)


def _record(
    run: Run, batch: Batch, org: Org, pair: tuple[int, int], sid: int, day: dt.date
) -> dt.datetime:
    """The facilitators present (now and then one alone) and the session record; returns
    when it was recorded."""
    rng = run.rng
    present = list(pair) if rng.random() < 0.9 else [rng.choice(pair)]
    for uid in present:
        batch.add("session_facilitator", {"session_id": sid, "user_id": uid, "org_id": org.id})
    recorded_at = at(min(day + rng.choice((0, 0, 0, 1, 2)) * DAY, run.as_of), 18, 30)
    batch.add(
        "session_record",
        {
            "session_id": sid,
            "org_id": org.id,
            "notes": rng.choice(SESSION_NOTES),
            "checklist": {item: rng.random() < 0.92 for item in DEFAULT_SESSION_CHECKLIST},
            "recorded_by": present[0],
            "recorded_at": recorded_at,
            "updated_at": recorded_at,
        },
    )
    return recorded_at


def _coverage(run: Run, batch: Batch, org: Org, sid: int, lesson: Lesson) -> None:
    rng = run.rng
    quality = rng.random()
    for activity_id in lesson.activities:
        roll = rng.random()
        if quality < 0.1:  # a difficult session
            roll = roll * 1.3
        coverage = "delivered" if roll < 0.93 else "partial" if roll < 0.98 else "skipped"
        batch.add(
            "coverage",
            {
                "org_id": org.id,
                "session_id": sid,
                "activity_id": activity_id,
                "status": coverage,
                "note": None,
            },
        )


def _register(
    run: Run,
    batch: Batch,
    org: Org,
    sid: int,
    day: dt.date,
    lesson: Lesson,
    children: list[Child],
    matches: dict[int, Match],
    recorded_at: dt.datetime,
) -> None:
    """A mark for each child enrolled on the day, and the week's practice tasks: with
    their mentor, further along the older the session is."""
    rng, as_of = run.rng, run.as_of
    age = (as_of - day).days
    for child in children:
        if day < child.start or (child.end is not None and day > child.end):
            continue
        child_id = child.id
        note = None
        if rng.random() < child.attends:
            mark = "late" if rng.random() < 0.06 else "present"
        elif rng.random() < 0.6:
            mark = "absent"
        else:
            mark, note = "excused", rng.choice(ABSENCE_NOTES)
        batch.add(
            "attendance",
            {
                "org_id": org.id,
                "session_id": sid,
                "child_id": child_id,
                "status": mark,
                "note": note,
            },
        )
        kind = "regular" if mark in ("present", "late") else "catch_up"
        match = matches.get(child_id)
        mentor_id = match.mentor_id if match and match.active_on(day) else None
        done = match.completion if match else 0.0
        for task_id in lesson.tasks:
            roll = rng.random()
            if mentor_id is None:
                state = "open"
            elif age > 7:
                state = (
                    "completed" if roll < done * 0.9 else ("practised" if roll < done else "open")
                )
            else:
                state = "open" if roll < 0.6 else "practised" if roll < 0.9 else "completed"
            updated = None if state == "open" else at(min(day + rng.randint(1, 7) * DAY, as_of), 19)
            batch.add(
                "practice_assignment",
                {
                    "org_id": org.id,
                    "session_id": sid,
                    "child_id": child_id,
                    "task_id": task_id,
                    "kind": kind,
                    "status": state,
                    "mentor_id": mentor_id,
                    "note": None,
                    "created_at": recorded_at,
                    "updated_at": updated,
                },
            )
