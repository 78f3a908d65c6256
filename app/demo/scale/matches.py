"""A cohort's mentoring in the scale data set: a mentor for every two children, one match
each (a few ended early, the rest at the programme's end), and visits on two days a week."""

from __future__ import annotations

import datetime as dt

from app.demo.scale.people import mentor
from app.demo.scale.rows import (
    DAY,
    WEEK,
    Batch,
    Child,
    Match,
    Org,
    Run,
    at,
    plus_minutes,
    time_of,
)
from app.demo.scale.vocabulary import VISIT_PROPENSITY, VISIT_SUMMARIES


def mentoring(
    run: Run,
    batch: Batch,
    org: Org,
    children: list[Child],
    *,
    first: dt.date,
    weekday: int,
    last_live: dt.date,
) -> dict[int, Match]:
    """A mentor for every two children; one match each; visits on two other days."""
    rng = run.rng
    matches: dict[int, Match] = {}
    for pair_start in range(0, len(children), 2):
        mentees = children[pair_start : pair_start + 2]
        mentor_id = mentor(run, batch, org.id, first)
        org.mentors.append((mentor_id, first))
        free = [d for d in range(7) if d != weekday]
        rng.shuffle(free)
        for n, child in enumerate(mentees):
            days = sorted(free[2 * n : 2 * n + 2])
            matches[child.id] = _match(
                run, batch, org, child, mentor_id, days=days, last_live=last_live
            )
    return matches


def _match(
    run: Run,
    batch: Batch,
    org: Org,
    child: Child,
    mentor_id: int,
    *,
    days: list[int],
    last_live: dt.date,
) -> Match:
    """One match, from about the child's first session (a few a little later), and its
    visits on `days` (weekday numbers) until it ends or the programme's last sessions."""
    rng, as_of = run.rng, run.as_of
    child_id = child.id
    start = min(child.start - rng.randint(0, 21) * DAY, as_of)
    if rng.random() < 0.1:
        start = min(child.start + rng.randint(1, 14) * DAY, as_of)
    end, reason, ended_by = _ending(run, child, start, last_live)
    slot_start = time_of(
        rng.choice(("16:30", "17:00", "17:30")) if days[0] < 5 else rng.choice(("10:30", "14:00"))
    )
    slot_minutes = rng.choice((60, 75, 90, 90, 120))
    match_id = run.ids.take("mentor_match")
    batch.add(
        "mentor_match",
        {
            "id": match_id,
            "org_id": org.id,
            "programme_id": org.programme_id,
            "child_id": child_id,
            "mentor_id": mentor_id,
            "start_date": start,
            "end_date": end,
            "score": round(rng.uniform(0.35, 0.95), 3),
            "reasons": ["Shared interests", "Lives nearby"],
            "chosen_by_young_person": rng.random() < 0.15,
            "visit_weekday": days[0] + 1,
            "visit_start_time": slot_start,
            "visit_minutes": slot_minutes,
            "ended_by": ended_by,
            "end_reason": reason,
            "closure_note": None if end is None else "Ended; closure session held.",
            "created_by": org.lead_id,
            "created_at": at(start, 10),
        },
    )
    completion = rng.choice(VISIT_PROPENSITY)
    match = Match(match_id, mentor_id, start, end, completion)
    until = end if end is not None else max(last_live, as_of + 13 * DAY)
    _visits(run, batch, org, match, child_id, days, slot_start, slot_minutes, until)
    return match


def _ending(
    run: Run, child: Child, start: dt.date, last_live: dt.date
) -> tuple[dt.date | None, str | None, str | None]:
    """(end date, reason, ended by): with the child's withdrawal; a few when the mentor
    left; at the programme's end once its cohort finished; otherwise not ended."""
    rng, as_of = run.rng, run.as_of
    finished = last_live + 14 * DAY < as_of
    if child.end is not None and child.left is not None:
        _why, reason, ended_by = child.left
        return max(child.end, start), reason, ended_by
    if rng.random() < 0.04 and (min(as_of, last_live) - start).days > 35:
        end = start + rng.randint(28, (min(as_of, last_live) - start).days - 1) * DAY
        return end, "mentor_left", "mentor"
    if finished:
        end = min(last_live + rng.randint(0, 14) * DAY, as_of - DAY)
        return max(end, start), "planned", "programme"
    return None, None, None


def _visits(
    run: Run,
    batch: Batch,
    org: Org,
    match: Match,
    child_id: int,
    days: list[int],
    slot_start: dt.time,
    slot_minutes: int,
    until: dt.date,
) -> None:
    rng, as_of, closed = run.rng, run.as_of, run.closed
    planned_at = at(match.start, 10)
    monday = match.start - match.start.weekday() * DAY
    second_start = plus_minutes(slot_start, 30)
    while monday <= until:
        for n, offset in enumerate(days):
            day = monday + offset * DAY
            if day < match.start or day > until or day in closed:
                continue
            start = slot_start if n == 0 else second_start
            concern = False
            reviewed_at = reviewed_by = None
            if day >= as_of:
                status, minutes, summary, when = "planned", slot_minutes, None, planned_at
            else:
                roll = rng.random()
                when = at(day, 20)
                if roll < match.completion:
                    status, minutes = "completed", rng.randint(9, 24) * 5
                    summary = rng.choice(VISIT_SUMMARIES)
                    if rng.random() < 0.0005:
                        concern = True
                        if rng.random() < 0.5:
                            reviewed_at, reviewed_by = at(day + DAY, 9), org.lead_id
                elif roll < match.completion + (1 - match.completion) / 2:
                    status, minutes, summary = "missed", slot_minutes, "Child was not in."
                else:
                    status, minutes, summary = "cancelled", slot_minutes, None
            batch.add(
                "mentor_visit",
                {
                    "org_id": org.id,
                    "programme_id": org.programme_id,
                    "match_id": match.id,
                    "mentor_id": match.mentor_id,
                    "child_id": child_id,
                    "date": day,
                    "start_time": start,
                    "minutes": minutes,
                    "status": status,
                    "summary": summary,
                    "safeguarding_concern": concern,
                    "concern_reviewed_at": reviewed_at,
                    "concern_reviewed_by": reviewed_by,
                    "version": 1,
                    "created_by": match.mentor_id,
                    "created_at": when,
                    "updated_at": when,
                },
            )
        monday += WEEK
