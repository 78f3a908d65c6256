"""The whole fidelity report for a scope, as the API, the CSV export and the pages use it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit.service import record
from app.auth.models import Organisation, Role, User
from app.csvout import csv_text, safe_cell
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.fidelity import flags, service
from app.fidelity.models import FlagAcknowledgement
from app.fidelity.schemas import (
    AcknowledgedFlag,
    AcknowledgementIn,
    AcknowledgementOut,
    ChildFigures,
    CohortFigures,
    Counts,
    FidelityReport,
    FlagOut,
    MentorFigures,
    Metrics,
    ProgrammeFigures,
    VisitBandOut,
)

MENTOR_METRICS = (
    "mentoring_hours_per_week",
    "weeks_with_visit_rate",
    "weeks_in_band_rate",
    "practice_completion_rate",
)


def programme_figures(p: service.ProgrammeBand, metrics: dict[str, Any]) -> ProgrammeFigures:
    return ProgrammeFigures(
        id=p.id,
        name=p.name,
        kind=p.kind,
        has_groups=p.has_groups,
        visit_band=VisitBandOut(per=p.per, min_hours=p.low, max_hours=p.high),
        match_length_months=p.months,
        metrics=Metrics(**metrics),
        not_applicable=service.not_applicable(p),
    )


def fidelity(
    db: Session,
    *,
    actor: User,
    as_of: dt.date,
    cohort_id: int | None = None,
    programme_id: int | None = None,
) -> FidelityReport:
    """Leads: the organisation, one programme or one cohort; a facilitator: their own
    cohorts. A fixed number of queries (about 28), whatever the number of programmes,
    cohorts, children or visits."""
    scope = service.scope_for(
        db, actor=actor, as_of=as_of, cohort_id=cohort_id, programme_id=programme_id
    )
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    found = service.report(db, scope)
    raised, acknowledged = flags.flags_and_acknowledged(
        db,
        scope,
        children=found.children,
        renewal_years=org.dbs_renewal_years,
        kinds=kinds_for(actor),
    )
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
                **{key: m["metrics"][key] for key in service.MONTHLY},
            )
            for m in found.mentors
        ],
        flags=[FlagOut(**f.as_dict()) for f in raised],
        counts=Counts(
            children_served=len({c.child_id for c in found.children}),
            sessions_delivered=found.total.delivered,
            mentoring_hours=round((found.total.minutes + found.total.month_minutes) / 60, 2),
            mentors_active=len(found.mentors),
        ),
        programme_id=programme_id,
        programme=None
        if scope.programme is None
        else programme_figures(scope.programme, found.organisation),
        programmes=[programme_figures(p["programme"], p["metrics"]) for p in found.programmes]
        or None,
        not_applicable=found.not_applicable,
        acknowledged=[
            AcknowledgedFlag(
                **a.flag.as_dict(), acknowledged_by=a.by, acknowledged_at=a.at, note=a.note
            )
            for a in acknowledged
        ],
    )


def kinds_for(actor: User) -> frozenset[str] | None:
    """The kinds of flag the actor can act on: a facilitator their registers and their
    children's attendance (flags.FACILITATOR_KINDS); a lead or admin every kind."""
    return flags.FACILITATOR_KINDS if actor.role == Role.facilitator else None


def flag_count(db: Session, *, actor: User, as_of: dt.date) -> int:
    """The number of flags as of a day in the actor's scope, for the navigation's badge:
    the flags alone (about sixteen queries), without the rest of the report."""
    scope = service.scope_for(db, actor=actor, as_of=as_of)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    children = service.child_dosage(db, scope)
    return len(
        flags.flags(
            db,
            scope,
            children=children,
            renewal_years=org.dbs_renewal_years,
            kinds=kinds_for(actor),
        )
    )


def acknowledge(
    db: Session, *, actor: User, today: dt.date, body: AcknowledgementIn
) -> AcknowledgementOut:
    """A lead's note on a past flag raised today (flags.ACKNOWLEDGEABLE): from today on it
    leaves the flags for the "acknowledged" ones. Refused: a facilitator or mentor (403); a
    kind that is not a flag, or a current one, or without the id it needs (422); ids that
    pick out no flag of that kind in the organisation today (404); a flag already
    acknowledged (409). Audited in the same transaction."""
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("Only a programme lead can acknowledge a flag.")
    if body.kind not in flags.KINDS:
        raise Invalid(
            f"There is no kind of flag called {body.kind[:40]!r}.",
            [{"loc": ["body", "kind"], "msg": "Choose a kind of flag", "type": "value_error"}],
        )
    if body.kind not in flags.ACKNOWLEDGEABLE:
        raise Invalid(
            "This flag is current: deal with its cause and it goes. Only a past flag (a "
            "session not recorded, or delivered with fewer than two facilitators, or an "
            "assessment whose window has closed) can be acknowledged.",
            [
                {
                    "loc": ["body", "kind"],
                    "msg": "This kind of flag cannot be acknowledged",
                    "type": "value_error",
                }
            ],
        )
    ids: dict[str, Any] = {
        "cohort_id": body.cohort_id,
        "child_id": body.child_id,
        "session_id": body.session_id,
        "mentor_id": body.mentor_id,
        "match_id": body.match_id,
        "measure": body.measure,
        "timepoint": body.timepoint,
    }
    subject = flags.subject_for(body.kind, ids)
    if subject is None:
        missing = [key for key in flags.ACKNOWLEDGEABLE[body.kind] if ids[key] is None]
        raise Invalid(
            f"Give the {' and the '.join(missing)} of the flag.",
            [
                {"loc": ["body", key], "msg": f"Give the {key}", "type": "missing"}
                for key in missing
            ],
        )
    k = flags.ACKNOWLEDGEMENTS.c
    done = db.execute(
        select(k.id).where(k.org_id == actor.org_id, k.kind == body.kind, k.subject == subject)
    ).first()
    if done is not None:
        raise Conflict("This flag has already been acknowledged.")
    scope = service.scope_for(db, actor=actor, as_of=today)
    flag = flags.current_flag(db, scope, body.kind, subject)
    if flag is None or any(
        value is not None and getattr(flag, key) != value for key, value in ids.items()
    ):
        raise NotFound("There is no such flag today: it may have been dealt with already.")
    row = FlagAcknowledgement(
        org_id=actor.org_id,
        kind=body.kind,
        subject=subject,
        cohort_id=flag.cohort_id,
        session_id=flag.session_id,
        note=body.note,
        on_date=today,
        acknowledged_by=actor.id or 0,
        acknowledged_at=dt.datetime.now(dt.UTC),
    )
    db.add(row)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # the same flag acknowledged at the same moment elsewhere
        raise Conflict("This flag has already been acknowledged.") from None
    changes: dict[str, Any] = {
        "kind": [None, body.kind],
        "cohort_id": [None, flag.cohort_id],
        "session_id": [None, flag.session_id],
        "note": [None, body.note],
        "on_date": [None, today.isoformat()],
    }
    if flag.measure is not None:  # a missed assessment: whose, which measure and timepoint
        changes.update(
            child_id=[None, flag.child_id],
            measure=[None, flag.measure],
            timepoint=[None, flag.timepoint],
        )
    record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="flag_acknowledgement",
        entity_id=row.id,
        changes=changes,
    )
    return AcknowledgementOut(
        id=row.id or 0,
        kind=row.kind,
        cohort_id=row.cohort_id,
        session_id=row.session_id,
        message=flag.message,
        note=row.note,
        acknowledged_by=actor.name,
        acknowledged_at=row.acknowledged_at,
        on_date=today,
    )


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def _tables(report: FidelityReport) -> tuple[list[str], list[list[Any]], list[list[Any]]]:
    """The CSV's header, its cohort rows and its child rows (references only)."""
    metrics = list(service.METRICS)
    header = [
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
    names = {c.id: c.name for c in report.cohorts}
    as_of = report.as_of.isoformat()
    cohorts: list[list[Any]] = []
    for cohort in report.cohorts:
        values = cohort.metrics.model_dump()
        cohorts.append(
            [as_of, "cohort", cohort.id, cohort.name, ""]
            + [_cell(values[m]) for m in metrics]
            + ["", "", "", ""]
        )
    children: list[list[Any]] = [
        [as_of, "child", child.cohort_id, names.get(child.cohort_id, ""), child.reference]
        + [""] * len(metrics)
        + [
            child.lessons_delivered,
            child.lessons_attended,
            _cell(child.dosage),
            "yes" if child.below_threshold else "no",
        ]
        for child in report.children
    ]
    return header, cohorts, children


def as_csv(report: FidelityReport) -> str:
    """One row per cohort, then one per child (pseudonymous references only), with a
    header row. Empty cells are figures with nothing to divide by. Through app/csvout.py:
    a byte-order mark first, and a cell a spreadsheet would run as a formula made inert."""
    header, cohorts, children = _tables(report)
    return csv_text([header, *cohorts, *children])


def as_xlsx(report: FidelityReport) -> bytes:
    """The same figures as a workbook: a sheet of cohorts and a sheet of children
    (references only), each with a bold, frozen header row; figures are numbers, and text
    a spreadsheet would run as a formula is made inert as in the CSV."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    metrics = list(service.METRICS)
    names = {c.id: c.name for c in report.cohorts}
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]]) -> None:
        ws = book.create_sheet(title)
        ws.freeze_panes = "A2"
        head = []
        for text in header:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            head.append(cell)
        ws.append(head)
        for row in rows:
            ws.append([safe_cell(value) for value in row])

    sheet(
        "Cohorts",
        ["as_of", "cohort_id", "cohort", "start_date", *metrics],
        [
            [report.as_of, c.id, c.name, c.start_date]
            + [c.metrics.model_dump()[m] for m in metrics]
            for c in report.cohorts
        ],
    )
    sheet(
        "Children",
        [
            "as_of",
            "cohort_id",
            "cohort",
            "child_reference",
            "lessons_delivered",
            "lessons_attended",
            "dosage",
            "below_threshold",
            "withdrawn",
        ],
        [
            [
                report.as_of,
                c.cohort_id,
                names.get(c.cohort_id, ""),
                c.reference,
                c.lessons_delivered,
                c.lessons_attended,
                c.dosage,
                "yes" if c.below_threshold else "no",
                "yes" if c.withdrawn else "no",
            ]
            for c in report.children
        ],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
