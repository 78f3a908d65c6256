"""Outcomes for the scale data: each child's assessments on every measure loaded (baseline
near their start, end after the cohort's last lesson, follow-ups 6 and 12 months later,
each only once its date has passed and most of them done) and a few life events.

Drawn from a generator of its own, seeded from the run's seed, the cohort's number and
as_of, so that adding outcomes leaves every other row of a run as it was. Scores go through
app/outcomes/scoring.score, as the assessment form's do (derived scales worked out, every
score in range). No measure loaded: no assessments (the events still)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from app.demo.scale.rows import DAY, Batch, Child, Org, Run, at
from app.outcomes import scoring
from app.outcomes.models import EventKind, Timepoint
from app.outcomes.schemas import MeasureFile

COMPLETION = {
    Timepoint.baseline: 0.95,
    Timepoint.end: 0.85,
    Timepoint.follow_up_6m: 0.7,
    Timepoint.follow_up_12m: 0.6,
}
EVENTS_A_YEAR = 1.2  # life events a child, on average


def _dates(child: Child, last_live: dt.date, rng: random.Random) -> dict[Timepoint, dt.date]:
    end = (child.end or last_live) + rng.randint(0, 28) * DAY
    return {
        Timepoint.baseline: child.start - rng.randint(0, 20) * DAY,
        Timepoint.end: end,
        Timepoint.follow_up_6m: end + (182 + rng.randint(-21, 21)) * DAY,
        Timepoint.follow_up_12m: end + (365 + rng.randint(-21, 21)) * DAY,
    }


def _entered(
    definition: MeasureFile, rng: random.Random, level: float
) -> tuple[dict[str, float], dict[str, int]]:
    """A set of answers around `level` (0 to 1 of the range, toward worse)."""
    if definition.entry == "items":
        scale = definition.item_scale
        assert scale is not None
        span = scale.max - scale.min
        items = {
            item.key: min(
                scale.max, max(scale.min, round(scale.min + span * rng.gauss(1 - level, 0.2)))
            )
            for item in definition.items
        }
        return {}, items
    scores: dict[str, float] = {}
    for s in definition.scales:
        if s.derived != "entered":
            continue
        worse = level if s.higher_is == "worse" else 1 - level
        value = s.min + (s.max - s.min) * min(1.0, max(0.0, rng.gauss(worse, 0.15)))
        scores[s.key] = float(round(value))
    return scores, {}


def outcomes(
    run: Run,
    batch: Batch,
    org: Org,
    number: int,
    children: Sequence[Child],
    *,
    last_live: dt.date,
) -> None:
    rng = random.Random(f"{run.seed}:{number}:{run.as_of}")  # noqa: S311
    for child in children:
        level = rng.uniform(0.2, 0.7)  # how hard things are at baseline
        gain = rng.gauss(0.08, 0.1) * child.attends  # better with more lessons
        for key, version, definition in run.measures:
            dates = _dates(child, last_live, rng)
            for informant in definition.informants:
                if rng.random() < 0.2:
                    continue  # not every informant answers
                for timepoint in definition.timepoints:
                    day = dates[timepoint]
                    if day > run.as_of or rng.random() >= COMPLETION[timepoint]:
                        continue
                    moved = level if timepoint == Timepoint.baseline else level - gain
                    entered, items = _entered(definition, rng, moved)
                    scores = scoring.score(definition, informant, scores=entered, items=items)
                    batch.add(
                        "assessment",
                        {
                            "org_id": org.id,
                            "child_id": child.id,
                            "measure_key": key,
                            "measure_version": version,
                            "informant": informant,
                            "timepoint": timepoint.value,
                            "completed_on": day,
                            "scores": scores,
                            "items": items,
                            "created_by": org.lead_id,
                            "created_at": at(day, 17),
                            "updated_at": at(day, 17),
                            "version": 1,
                        },
                    )
        first = child.start - 365 * DAY
        span = (run.as_of - first).days
        for _ in range(rng.choices((0, 1, 2, 3, 4), (30, 30, 20, 12, 8))[0]):
            day = first + rng.randint(0, max(span, 0)) * DAY
            batch.add(
                "life_event",
                {
                    "org_id": org.id,
                    "child_id": child.id,
                    "kind": rng.choice(list(EventKind)).value,
                    "date": day,
                    "note": None,
                    "created_by": org.lead_id,
                    "created_at": at(min(day, run.as_of), 18),
                },
            )
