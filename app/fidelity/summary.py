"""The whole fidelity report for a scope, as the API, the CSV export and the pages use it."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlmodel import Session

from app.auth.models import Organisation, User
from app.fidelity import flags, service
from app.fidelity.schemas import (
    ChildFigures,
    CohortFigures,
    FidelityReport,
    FlagOut,
    MentorFigures,
    Metrics,
)

MENTOR_METRICS = (
    "mentoring_hours_per_week",
    "weeks_with_visit_rate",
    "weeks_in_band_rate",
    "practice_completion_rate",
)


def fidelity(
    db: Session, *, actor: User, as_of: dt.date, cohort_id: int | None = None
) -> FidelityReport:
    """Leads: the organisation or one cohort; a facilitator: their own cohorts. A fixed
    number of queries (about 22), whatever the number of cohorts, children or visits."""
    scope = service.scope_for(db, actor=actor, as_of=as_of, cohort_id=cohort_id)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    found = service.report(db, scope)
    raised = flags.flags(db, scope, children=found.children, renewal_years=org.dbs_renewal_years)
    return FidelityReport(
        as_of=as_of,
        cohort_id=cohort_id,
        metrics=Metrics(**found.organisation),
        benchmarks=service.BENCHMARKS,
        dosage_threshold=scope.threshold,
        mentoring_band=scope.band,
        cohorts=[CohortFigures(**c) for c in found.cohorts],
        children=[ChildFigures(**vars(c)) for c in found.children],
        mentors=[
            MentorFigures(
                mentor_id=m["mentor_id"],
                name=m["name"],
                **{key: m["metrics"][key] for key in MENTOR_METRICS},
            )
            for m in found.mentors
        ],
        flags=[FlagOut(**f.as_dict()) for f in raised],
    )


def flag_count(db: Session, *, actor: User, as_of: dt.date) -> int:
    """The number of flags as of a day in the actor's scope, for the navigation's badge:
    the flags alone (about twelve queries), without the rest of the report."""
    scope = service.scope_for(db, actor=actor, as_of=as_of)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    children = service.child_dosage(db, scope)
    return len(flags.flags(db, scope, children=children, renewal_years=org.dbs_renewal_years))


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def as_csv(report: FidelityReport) -> str:
    """One row per cohort, then one per child (pseudonymous references only), with a
    header row. Empty cells are figures with nothing to divide by."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    metrics = list(service.METRICS)
    writer.writerow(
        [
            "as_of",
            "level",
            "cohort_id",
            "cohort",
            "child_reference",
            *metrics,
            "lessons_delivered",
            "lessons_attended",
            "dosage",
            "below_threshold",
        ]
    )
    names = {c.id: c.name for c in report.cohorts}
    as_of = report.as_of.isoformat()
    for cohort in report.cohorts:
        values = cohort.metrics.model_dump()
        writer.writerow(
            [as_of, "cohort", cohort.id, cohort.name, ""]
            + [_cell(values[m]) for m in metrics]
            + ["", "", "", ""]
        )
    for child in report.children:
        writer.writerow(
            [as_of, "child", child.cohort_id, names.get(child.cohort_id, ""), child.reference]
            + [""] * len(metrics)
            + [
                child.lessons_delivered,
                child.lessons_attended,
                _cell(child.dosage),
                "yes" if child.below_threshold else "no",
            ]
        )
    return out.getvalue()
