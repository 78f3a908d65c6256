"""The evaluators' file: one row per child with an enrolment, pseudonymous (no name,
reference or date of birth), with delivery figures, every score at every timepoint and
life events before and since the first session; and its data dictionary.

A fixed number of queries whatever the number of children: the organisation, the children
with their first session, the cohorts' names, dosage (one), mentoring hours (two), practice
(one), the measures, the assessments and the events."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import Organisation, User
from app.auth.service import STAFF_ROLES
from app.children.models import Child
from app.children.service import age_on
from app.cohorts.models import Cohort, Enrolment
from app.csvout import csv_text
from app.exceptions import Forbidden
from app.fidelity import drilldown
from app.fidelity import service as fidelity
from app.fidelity.sql import ASSIGNMENTS, MATCHES
from app.outcomes import service as measures_service
from app.outcomes.assessments.windows import load_anchors
from app.outcomes.events import service as events
from app.outcomes.events.schemas import KIND_WORDS
from app.outcomes.models import Assessment, EventKind, Timepoint

TIMEPOINT_WORDS = {
    Timepoint.baseline: "at baseline",
    Timepoint.end: "at the end of the programme",
    Timepoint.follow_up_6m: "6 months after the last session",
    Timepoint.follow_up_12m: "12 months after the last session",
}


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    type: str  # "text", "whole number", "number", "share (0 to 1)"
    computed: str


FIXED: list[Column] = [
    Column(
        "pseudonym",
        "The child, under a pseudonym",
        "text",
        "HMAC-SHA256 of the child's internal id with the organisation's secret key, in hex, "
        "first 16 characters: the same child has the same pseudonym in every export of the "
        "organisation, another organisation's differ, and it cannot be turned back into the "
        "child without the key (which nobody is shown).",
    ),
    Column("cohort", "The group of the child's first enrolment", "text", "The cohort's name."),
    Column(
        "age_at_first_session",
        "Age in whole years on the day of the first session",
        "whole number",
        "Years completed between the date of birth and the first session (the earliest "
        "session, not cancelled, of the cohort of the first enrolment, on or after its "
        "start). Blank when that cohort has no session yet.",
    ),
    Column(
        "placement_type",
        "Type of placement as recorded now",
        "text",
        "kinship, foster, residential or other.",
    ),
    Column(
        "lessons_delivered",
        "Group sessions delivered while the child was enrolled (first enrolment's cohort)",
        "whole number",
        "As the fidelity dashboard counts them (app/fidelity child_dosage), up to the export.",
    ),
    Column(
        "lessons_attended",
        "Of those, sessions the child attended (present or late)",
        "whole number",
        "From the saved registers.",
    ),
    Column(
        "dosage",
        "Share of delivered sessions attended",
        "share (0 to 1)",
        "lessons_attended / lessons_delivered; blank when none were delivered.",
    ),
    Column(
        "dosage_met",
        "Whether the dosage reached the organisation's threshold",
        "yes/no",
        "yes when dosage is at least the dosage threshold in the organisation's settings; "
        "blank when no session was delivered.",
    ),
    Column(
        "mentoring_hours_per_week",
        "Completed mentoring hours per week of the child's matches",
        "number",
        "Completed visit minutes / 60 / match-weeks (the weeks from each match's start to "
        "the week before the export, or to its end); blank without a match.",
    ),
    Column(
        "weeks_in_band",
        "Match-weeks whose completed hours were within the organisation's band",
        "whole number",
        "Weeks of the child's matches with completed hours from the band's minimum to its "
        "maximum, inclusive (a week with no visit has 0 hours).",
    ),
    Column(
        "match_weeks", "Weeks the child had a mentor", "whole number", "As for the hours above."
    ),
    Column(
        "practice_completion",
        "Share of practice assignments completed",
        "share (0 to 1)",
        "Completed / due (assignments of sessions more than 7 days before the export, on the "
        "child's register), as the fidelity dashboard; blank when none were due.",
    ),
]


def _event_columns() -> list[Column]:
    out = []
    for kind, words in KIND_WORDS.items():
        out.append(
            Column(
                f"events_before_{kind.value}",
                f"{words}: events in the 12 months before the first session",
                "whole number",
                "Life events of this kind dated in the 365 days before the first session. "
                "Blank when the child has had no session yet.",
            )
        )
        out.append(
            Column(
                f"events_since_{kind.value}",
                f"{words}: events from the first session to the export",
                "whole number",
                "Life events of this kind dated from the first session to the day of the "
                "export, both included. Blank when the child has had no session yet.",
            )
        )
    return out


def _score_columns(db: Session) -> list[tuple[Column, str, str, str, Timepoint]]:
    """(column, measure, informant, scale, timepoint) for every loaded measure (one query)."""
    out = []
    for row, definition in measures_service.measures(db):
        for informant, who in definition.informants.items():
            for scale in definition.scales:
                for timepoint in definition.timepoints:
                    name = f"{row.key}_{informant}_{scale.key}_{timepoint.value}"
                    how = (
                        "Entered from the paper form"
                        if scale.derived == "entered"
                        else "Worked out by Tandem from the entered scores or items"
                    )
                    out.append(
                        (
                            Column(
                                name,
                                f"{definition.name}, {scale.name}, {who}, "
                                f"{TIMEPOINT_WORDS[timepoint]}",
                                "number",
                                f"{how}; {scale.min:g} to {scale.max:g}, higher is "
                                f"{scale.higher_is}. Blank when not assessed.",
                            ),
                            row.key,
                            informant,
                            scale.key,
                            timepoint,
                        )
                    )
    return out


def dictionary(db: Session, *, actor: User) -> list[Column]:
    """Every column of the file, in its order."""
    _require_lead(actor)
    return [*FIXED, *(c for c, *_ in _score_columns(db)), *_event_columns()]


def _require_lead(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("The evaluators' file is for programme leads and admins.")


def pseudonym(key: str, child_id: int) -> str:
    return hmac.new(key.encode(), str(child_id).encode(), hashlib.sha256).hexdigest()[:16]


def _met(dosage: float | None, threshold: float) -> str:
    if dosage is None:
        return ""
    return "yes" if dosage >= threshold else "no"


def _age_at_first(child: Child, first: dt.date | None) -> Any:
    """Age in whole years at the first session: kept when the record is anonymised."""
    if child.date_of_birth is None:
        return "" if child.age_at_first_session is None else child.age_at_first_session
    return age_on(child.date_of_birth, first) if first else ""


def _share(value: float | None) -> Any:
    return "" if value is None else round(value, 4)


def _first_sessions(db: Session, *, org_id: int) -> dict[int, tuple[int, dt.date | None]]:
    """{child id: (cohort, first session)} for every child with an enrolment: the first
    session and its cohort as the assessment windows count them, and for a child with no
    session yet, their first enrolment's cohort (by start date, then id) and None. Two
    queries."""
    out: dict[int, tuple[int, dt.date | None]] = {}
    for child_id, cohort_id in db.exec(
        select(Enrolment.child_id, Enrolment.cohort_id)
        .where(Enrolment.org_id == org_id)
        .order_by(col(Enrolment.child_id), col(Enrolment.start_date), col(Enrolment.id))
    ).all():
        out.setdefault(child_id, (cohort_id, None))
    for child_id, anchors in load_anchors(db, org_id=org_id, child_ids=list(out)).items():
        out[child_id] = (anchors.cohort_id, anchors.first)
    return out


def rows(db: Session, *, actor: User, as_of: dt.date) -> list[list[Any]]:
    """The header and one row per child with an enrolment, in pseudonym order."""
    _require_lead(actor)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    scope = fidelity.scope_for(db, actor=actor, as_of=as_of)
    firsts = _first_sessions(db, org_id=actor.org_id)
    child_ids = list(firsts)
    children = {
        c.id: c
        for c in db.exec(
            select(Child).where(Child.org_id == actor.org_id, col(Child.id).in_(child_ids))
        ).all()
    }
    cohorts = dict(
        db.exec(select(Cohort.id, Cohort.name).where(Cohort.org_id == actor.org_id)).all()
    )
    dosage = {(d.child_id, d.cohort_id): d for d in fidelity.child_dosage(db, scope)}
    hours = drilldown.weekly_hours(db, scope, MATCHES.c.org_id == scope.org_id)
    practice: dict[Any, fidelity.Sums] = defaultdict(fidelity.Sums)
    fidelity.practice_sums(db, scope, ASSIGNMENTS.c.child_id, practice)
    score_columns = _score_columns(db)
    scores: dict[tuple[int, str, str, Timepoint], dict[str, float]] = {}
    for a in db.exec(
        select(Assessment).where(
            Assessment.org_id == actor.org_id, col(Assessment.completed_on) <= as_of
        )
    ).all():
        scores[(a.child_id, a.measure_key, a.informant, Timepoint(a.timepoint))] = a.scores
    counts = events.event_counts(db, actor=actor, child_ids=child_ids, as_of=as_of)
    event_columns = _event_columns()
    header = [c.name for c in FIXED] + [c.name for c, *_ in score_columns]
    header += [c.name for c in event_columns]
    low, high = scope.band
    body = []
    for child_id, (cohort_id, first) in firsts.items():
        child = children.get(child_id)
        if child is None:
            continue
        d = dosage.get((child_id, cohort_id))
        weeks, match_weeks, minutes = hours.get(child_id, ([], 0, 0))
        sums = practice.get(child_id)
        row: list[Any] = [
            pseudonym(org.pseudonym_key, child_id),
            cohorts.get(cohort_id, ""),
            _age_at_first(child, first),
            child.placement_type.value,
            d.lessons_delivered if d else 0,
            d.lessons_attended if d else 0,
            _share(d.dosage if d else None),
            (
                ""
                if d is None or d.dosage is None
                else ("yes" if d.dosage >= org.dosage_threshold else "no")
            ),
            _share(fidelity.ratio(minutes / 60, match_weeks)),
            sum(1 for _, h in weeks if low <= h <= high) if match_weeks else "",
            match_weeks,
            _share(
                fidelity.ratio(sums.assignments_completed, sums.assignments_due) if sums else None
            ),
        ]
        for _, measure, informant, scale, timepoint in score_columns:
            value = scores.get((child_id, measure, informant, timepoint), {}).get(scale)
            row.append("" if value is None else value)
        c = counts.get(child_id)
        for kind in EventKind:
            row.append(c.before.get(kind, 0) if c else "")
            row.append(c.since.get(kind, 0) if c else "")
        body.append(row)
    body.sort(key=lambda r: str(r[0]))
    return [header, *body]


def evaluation_csv(db: Session, *, actor: User, as_of: dt.date) -> str:
    return csv_text(rows(db, actor=actor, as_of=as_of))
