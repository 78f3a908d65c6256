"""What is due and overdue: for each child of the organisation with an enrolment, each
measure's timepoints whose window is open (due) or has closed (overdue) with no assessment
from any informant. Three queries whatever the number of children: the measures, the
children's sessions (app/outcomes/assessments/windows.py) and the assessments on record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import Session, col, select

from app.auth.models import User
from app.children import service as children
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.outcomes import service as measures
from app.outcomes.assessments.schemas import DueAssessment
from app.outcomes.assessments.service import organisation, require_enterer, windows_for
from app.outcomes.assessments.windows import (
    TIMEPOINT_NAMES,
    Widths,
    Window,
    load_anchors,
    windows,
)
from app.outcomes.models import Assessment, Timepoint


def due_assessments(
    db: Session, *, actor: User, cohort_id: int | None = None, as_of: dt.date
) -> list[DueAssessment]:
    """Assessments due or overdue on `as_of` for the children this person may assess (of
    one cohort, if given: those ever enrolled in it), by due date, then child and measure."""
    require_enterer(actor)
    found = measures.measures(db)
    if not found:
        return []
    seen = (
        select(Enrolment.child_id)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.org_id == actor.org_id, children.visible(actor))
    )
    if cohort_id is not None:
        seen = seen.where(Enrolment.cohort_id == cohort_id)
    anchors = load_anchors(db, org_id=actor.org_id, child_ids=seen)
    done = {
        (child_id, key, timepoint)
        for child_id, key, timepoint in db.exec(
            select(Assessment.child_id, Assessment.measure_key, Assessment.timepoint).where(
                Assessment.org_id == actor.org_id, col(Assessment.child_id).in_(seen)
            )
        ).all()
    }
    widths = Widths.of(organisation(db, actor))
    out: list[DueAssessment] = []
    for child_id, child_anchors in anchors.items():
        child_windows = windows(child_anchors, widths)
        for row, definition in found:
            for timepoint in definition.timepoints:
                window = child_windows[timepoint]
                if window.opens > as_of or (child_id, row.key, timepoint) in done:
                    continue
                out.append(
                    DueAssessment(
                        child_id=child_id,
                        measure=row.key,
                        timepoint=timepoint,
                        due_from=window.opens,
                        due_by=window.closes,
                        overdue=window.closes < as_of,
                    )
                )
    order = list(Timepoint)
    out.sort(key=lambda d: (d.due_by, d.child_id, d.measure, order.index(d.timepoint)))
    return out


@dataclass(frozen=True)
class PlanLine:
    """One measure at one timepoint for a child: its window and where it stands."""

    measure: str
    measure_name: str
    timepoint: Timepoint
    timepoint_name: str
    window: Window | None
    status: str  # "done", "due", "overdue", "not_yet", "no_window"
    assessments: tuple[Assessment, ...]


def child_plan(db: Session, *, actor: User, child: Child, as_of: dt.date) -> list[PlanLine]:
    """Every measure's timepoints for one child, with their windows and the assessments on
    record (for the child's page): three queries."""
    require_enterer(actor)
    found = measures.measures(db)
    child_windows = windows_for(db, actor=actor, child=child)
    rows = db.exec(
        select(Assessment)
        .where(Assessment.org_id == actor.org_id, Assessment.child_id == child.id)
        .order_by(col(Assessment.informant))
    ).all()
    out: list[PlanLine] = []
    for row, definition in found:
        for timepoint in definition.timepoints:
            taken = tuple(a for a in rows if a.measure_key == row.key and a.timepoint == timepoint)
            window = child_windows.get(timepoint)
            if taken:
                status = "done"
            elif window is None:
                status = "no_window"
            elif window.opens > as_of:
                status = "not_yet"
            else:
                status = "overdue" if window.closes < as_of else "due"
            out.append(
                PlanLine(
                    row.key,
                    definition.name,
                    timepoint,
                    TIMEPOINT_NAMES[timepoint],
                    window,
                    status,
                    taken,
                )
            )
    return out


HOME_SHOWN = 10
"""How many due or overdue assessments the lead's home lists before "and N more"."""


@dataclass(frozen=True)
class DueLine:
    child_id: int
    child: str  # "Ada (FID-0001)"
    measure_name: str
    timepoint_name: str
    due: DueAssessment

    @property
    def href(self) -> str:
        return (
            f"/children/{self.child_id}/assessments/new?measure={quote(self.due.measure)}"
            f"&timepoint={self.due.timepoint.value}"
        )


@dataclass(frozen=True)
class HomePanel:
    first: list[DueLine]
    total: int
    overdue: int


def home_panel(db: Session, *, actor: User, as_of: dt.date) -> HomePanel:
    """The lead's home: the first due and overdue assessments (overdue first), each linking
    to the form, with the child named as the children's list names them (five queries)."""
    found = due_assessments(db, actor=actor, as_of=as_of)
    ordered = sorted(found, key=lambda d: (not d.overdue, d.due_by))[:HOME_SHOWN]
    names = {row.key: definition.name for row, definition in measures.measures(db)}
    wanted = {d.child_id for d in ordered}
    kids = {
        c.id: f"{c.first_name} ({c.reference})"
        for c in db.exec(
            select(Child).where(children.visible(actor), col(Child.id).in_(wanted))
        ).all()
    }
    lines = [
        DueLine(
            d.child_id, kids.get(d.child_id, ""), names[d.measure], TIMEPOINT_NAMES[d.timepoint], d
        )
        for d in ordered
    ]
    return HomePanel(lines, len(found), sum(d.overdue for d in found))
