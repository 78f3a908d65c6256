"""Each organisation's Independent Visitor programme in the scale data set, drawn after
every cohort from a generator of its own (so the FHF-PT rows of a seed do not change):
about one child in ten has a visitor (some of them FHF-PT children, the rest children in
this programme only), a volunteer for every two of them (some of the volunteers are
FHF-PT mentors too, with one child here), and a visit on a Saturday of each month, mostly
completed; a few matches ended early, the rest run for the programme's 24 months."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from app.demo.scale.people import mentor
from app.demo.scale.rows import DAY, Batch, Org, Run, at, time_of
from app.demo.scale.vocabulary import (
    ETHNICITIES,
    FIRST_NAMES,
    GENDERS,
    INTERESTS,
    SECOND_LANGUAGES,
    VISIT_SUMMARIES,
)
from app.demo.story import IV_AGES, IV_BAND_HOURS, IV_CASELOAD, IV_MATCH_MONTHS, IV_PROGRAMME
from app.mentoring.shared import add_months
from app.programmes.models import BandPer, ProgrammeKind

SHARED_CHILDREN = 0.04  # of the organisation's FHF-PT children, who have a visitor too
OWN_CHILDREN = 0.06  # children in the Independent Visitor programme only (as many again)
SHARED_MENTORS = 0.3  # chance that the next volunteer is an FHF-PT mentor (one child here)
MISSED, CANCELLED = 1 / 12, 1 / 15
ENDED_EARLY = 0.1
EARLY_ENDINGS = (
    ("child_moved", "social_worker"),
    ("child_request", "young_person"),
    ("mentor_left", "mentor"),
    ("other", "carer"),
)
SATURDAY = 6  # ISO


def generator(run: Run) -> random.Random:
    """The Independent Visitor rows' own generator, derived from the run's seed and date."""
    return random.Random(f"{run.seed}:independent-visitor:{run.as_of}")  # noqa: S311


def visitors(run: Run, batch: Batch, org: Org) -> int:
    """The organisation's Independent Visitor programme, its children, volunteers, matches
    and monthly visits. `run` draws from the generator of `generator(run)`. Returns the
    programme's id."""
    rng, as_of = run.rng, run.as_of
    programme_id = run.ids.take("programme")
    batch.add(
        "programme",
        {
            "id": programme_id,
            "org_id": org.id,
            "name": IV_PROGRAMME,
            "kind": ProgrammeKind.independent_visitor.value,
            "curriculum_id": None,
            "caseload_max": IV_CASELOAD,
            "band_per": BandPer.month.value,
            "band_min_hours": IV_BAND_HOURS[0],
            "band_max_hours": IV_BAND_HOURS[1],
            "age_min": IV_AGES[0],
            "age_max": IV_AGES[1],
            "match_length_months": IV_MATCH_MONTHS,
            "created_at": run.setup_at,
            "version": 1,
        },
    )
    iv = dataclasses.replace(org, programme_id=programme_id)
    # (child id, start of their visits): FHF-PT children a while into their groups, and
    # new children of this programme only.
    started = [c for c in org.children if (as_of - c.start).days > 60]
    shared = rng.sample(started, min(len(started), max(1, round(SHARED_CHILDREN * len(started)))))
    wanted: list[tuple[int, dt.date]] = [
        (c.id, c.start + rng.randint(0, (as_of - c.start).days - 30) * DAY) for c in shared
    ]
    for k in range(max(1, round(OWN_CHILDREN * len(org.children)))):
        start = as_of - rng.randint(30, 900) * DAY
        wanted.append((_child(run, batch, iv, k, start), start))
    rng.shuffle(wanted)
    fhf_mentors = rng.sample(org.mentors, len(org.mentors))
    first = True
    while wanted:
        # An FHF-PT mentor (the first volunteer, then some) takes one child whose visits
        # start after they joined.
        fits = []
        if fhf_mentors and (first or rng.random() < SHARED_MENTORS):
            volunteer, joined = fhf_mentors.pop()
            fits = [i for i, (_c, start) in enumerate(wanted) if start >= joined][:1]
        if fits:
            mine = [wanted.pop(fits[0])]
        else:
            mine, wanted = wanted[:IV_CASELOAD], wanted[IV_CASELOAD:]
            volunteer = mentor(run, batch, org.id, min(start for _c, start in mine))
        first = False
        for nth, (child_id, start) in enumerate(mine):
            _match(run, batch, iv, child_id, volunteer, start, nth=1 + 2 * nth)
    return programme_id


def _child(run: Run, batch: Batch, org: Org, k: int, start: dt.date) -> int:
    """A child in the Independent Visitor programme only, 5 to 17 when visits start."""
    rng = run.rng
    child_id = run.ids.take("child")
    consent = start - rng.randint(14, 40) * DAY
    gender = rng.choice(GENDERS)
    batch.add(
        "child",
        {
            "id": child_id,
            "org_id": org.id,
            "reference": f"IV{k + 1:05d}",
            "first_name": rng.choice(FIRST_NAMES),
            "date_of_birth": start - rng.randint(IV_AGES[0] * 366, IV_AGES[1] * 365) * DAY,
            "placement_type": rng.choice(("foster", "foster", "kinship", "residential", "other")),
            "gender": gender,
            "ethnicity": rng.choice(ETHNICITIES),
            "languages": ["english"]
            + ([rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.2 else []),
            "interests": rng.sample(INTERESTS, 3),
            "preferences": {},
            "consent_given_by": "Social worker",
            "consent_given_on": consent,
            "created_at": at(consent, 11),
            "updated_at": at(consent, 11),
        },
    )
    return child_id


def _nth_saturday(year: int, month: int, nth: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + ((SATURDAY - first.isoweekday()) % 7 + 7 * (nth - 1)) * DAY


def _match(
    run: Run, batch: Batch, org: Org, child_id: int, volunteer: int, start: dt.date, *, nth: int
) -> None:
    """One match from `start` and its visits on the `nth` Saturday of each month (a
    volunteer's two children on different Saturdays), until it ends; the next one planned."""
    rng, as_of = run.rng, run.as_of
    end: dt.date | None = None
    reason = ended_by = None
    expected = add_months(start, IV_MATCH_MONTHS)
    if rng.random() < ENDED_EARLY and (as_of - start).days > 90:
        end = start + rng.randint(60, min((as_of - start).days, 700) - 1) * DAY
        reason, ended_by = rng.choice(EARLY_ENDINGS)
    elif expected < as_of:
        end, reason, ended_by = expected, "planned", "programme"
    slot = time_of(rng.choice(("10:30", "13:00", "14:00")))
    match_id = run.ids.take("mentor_match")
    batch.add(
        "mentor_match",
        {
            "id": match_id,
            "org_id": org.id,
            "programme_id": org.programme_id,
            "child_id": child_id,
            "mentor_id": volunteer,
            "start_date": start,
            "end_date": end,
            "score": round(rng.uniform(0.35, 0.95), 3),
            "reasons": ["Shared interests", "Lives nearby"],
            "chosen_by_young_person": rng.random() < 0.3,
            "visit_weekday": SATURDAY,
            "visit_start_time": slot,
            "visit_minutes": 180,
            "ended_by": ended_by,
            "end_reason": reason,
            "closure_note": None if end is None else "Ended; goodbye visit held.",
            "child_agreed_on": start - rng.randint(3, 14) * DAY,
            "child_agreed_how": "Met the visitor with their social worker and said yes.",
            "created_by": org.lead_id,
            "created_at": at(start, 10),
        },
    )
    year, month = start.year, start.month
    planned = False
    while not planned:
        day = _nth_saturday(year, month, nth)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if day < start:
            continue
        if end is not None and day > end:
            break
        concern = False
        if day >= as_of:
            status, minutes, summary, when, planned = "planned", 180, None, at(start, 10), True
        else:
            roll, when = rng.random(), at(day, 20)
            if roll < MISSED:
                status, minutes, summary = "missed", 180, "Child was not in."
            elif roll < MISSED + CANCELLED:
                status, minutes, summary = "cancelled", 180, None
            else:
                status, minutes = "completed", rng.randint(18, 48) * 5
                summary = rng.choice(VISIT_SUMMARIES)
                concern = rng.random() < 0.002
        batch.add(
            "mentor_visit",
            {
                "org_id": org.id,
                "programme_id": org.programme_id,
                "match_id": match_id,
                "mentor_id": volunteer,
                "child_id": child_id,
                "date": day,
                "start_time": slot,
                "minutes": minutes,
                "status": status,
                "summary": summary,
                "safeguarding_concern": concern,
                "concern_reviewed_at": None,
                "concern_reviewed_by": None,
                "version": 1,
                "created_by": volunteer,
                "created_at": when,
                "updated_at": when,
            },
        )
