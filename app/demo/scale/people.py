"""Organisations and the people in them: a lead for each organisation, facilitators for
its cohorts, and mentors with ready profiles."""

from __future__ import annotations

import datetime as dt

from app.auth.models import DEFAULT_MATCH_WEIGHTS, DEFAULT_SESSION_CHECKLIST
from app.demo.scale.rows import DAY, REGION, Batch, Org, Run, at
from app.demo.scale.vocabulary import (
    ETHNICITIES,
    FIRST_NAMES,
    GENDERS,
    INTERESTS,
    LAST_NAMES,
    SECOND_LANGUAGES,
)
from app.programmes.models import (
    FHF_PT_AGES,
    FHF_PT_CASELOAD,
    FHF_PT_MATCH_MONTHS,
    FHF_PT_NAME,
    BandPer,
    ProgrammeKind,
)


def _name(run: Run) -> str:
    return f"{run.rng.choice(FIRST_NAMES)} {run.rng.choice(LAST_NAMES)}"


def user(run: Run, batch: Batch, org_id: int, role: str, created: dt.datetime) -> int:
    uid = run.ids.take("user_account")
    batch.add(
        "user_account",
        {
            "id": uid,
            "org_id": org_id,
            "email": f"{role}{uid}@scale{org_id}.tandem.example.org",
            "name": _name(run),
            "role": role,
            "password_hash": run.password_hash,
            "active": True,
            "failed_logins": 0,
            "locked_until": None,
            "created_at": created,
            "password_changed_at": created,
        },
    )
    return uid


def organisation(run: Run, batch: Batch, name: str) -> Org:
    org_id = run.ids.take("organisation")
    batch.add(
        "organisation",
        {
            "id": org_id,
            "name": name,
            "timezone": "Europe/London",
            "holiday_region": REGION,
            "dosage_threshold": 0.75,
            "dbs_renewal_years": 3,
            "mentoring_hours_min": 2,
            "mentoring_hours_max": 4,
            "session_checklist": list(DEFAULT_SESSION_CHECKLIST),
            "match_weights": dict(DEFAULT_MATCH_WEIGHTS),
            "created_at": run.setup_at,
        },
    )
    programme_id = run.ids.take("programme")
    batch.add(
        "programme",
        {
            "id": programme_id,
            "org_id": org_id,
            "name": FHF_PT_NAME,
            "kind": ProgrammeKind.group_and_mentoring.value,
            "curriculum_id": run.curriculum_id,
            "caseload_max": FHF_PT_CASELOAD,
            "band_per": BandPer.week.value,
            "band_min_hours": 2.0,
            "band_max_hours": 4.0,
            "age_min": FHF_PT_AGES[0],
            "age_max": FHF_PT_AGES[1],
            "match_length_months": FHF_PT_MATCH_MONTHS,
            "created_at": run.setup_at,
            "version": 1,
        },
    )
    lead_id = user(run, batch, org_id, "lead", run.setup_at)
    return Org(org_id, name, lead_id, programme_id)


def mentor(run: Run, batch: Batch, org_id: int, before: dt.date) -> int:
    rng = run.rng
    created = at(min(before, run.as_of) - rng.randint(20, 60) * DAY, 10)
    uid = user(run, batch, org_id, "mentor", created)
    # A DBS check is current for three years; a few run out within 60 days.
    if rng.random() < 0.03:
        dbs = run.as_of - rng.randint(1040, 1090) * DAY
    else:
        dbs = run.as_of - rng.randint(90, 900) * DAY
    dbs = min(dbs, created.date())
    interests = rng.sample(INTERESTS, 3)
    batch.add(
        "mentor_profile",
        {
            "user_id": uid,
            "org_id": org_id,
            "gender": rng.choice((GENDERS[0], GENDERS[0], GENDERS[1])),
            "ethnicity": rng.choice(ETHNICITIES),
            "languages": ["english"]
            + ([rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.2 else []),
            "interests": interests,
            "care_experience": rng.random() < 0.15,
            "availability": "weekday evenings, weekends",
            "about": f"I like {interests[0]} and {interests[1]}.",
            "dbs_checked_on": dbs,
            "barred_list_checked": True,
            "references_checked": True,
            "interviewed_on": dbs - 21 * DAY,
            "training_completed_on": dbs + 7 * DAY,
            "max_caseload": 2,
            "version": 1,
            "created_at": created,
            "updated_at": created,
        },
    )
    return uid
