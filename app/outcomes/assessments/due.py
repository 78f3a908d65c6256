"""What is due and overdue: for each child of the organisation with an enrolment, each
measure's timepoints whose window is open (due) or has closed (overdue) with no assessment
from any informant completed by then, when the measure suits the child's age in the window
(its `ages`: `suits_age`). Three queries whatever the number of children: the
measures, the children's sessions (app/outcomes/assessments/windows.py) and the assessments
on record.

The same reading gives fidelity's flags (`assessment_flags`, which sets
app.fidelity.flags.ASSESSMENT_FLAGS): `assessment_due` for an open window, linking to the
form filled in for that child, measure and timepoint; `assessment_missed` for a closed one,
linking to the child's outcome measures (the form would refuse today's date), which a lead
may acknowledge with a note ("carer declined") to take it off the list. The lead's home
lists the same: open windows and closed ones not acknowledged, so its counts are the flags'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import Organisation, User
from app.children import service as children
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.fidelity import flags as fidelity_flags
from app.fidelity import service as fidelity
from app.outcomes import service as measures
from app.outcomes.assessments.schemas import DueAssessment
from app.outcomes.assessments.service import organisation, require_enterer, windows_for
from app.outcomes.assessments.windows import (
    TIMEPOINT_NAMES,
    Widths,
    Window,
    day_words,
    load_anchors,
    suits_age,
    windows,
)
from app.outcomes.models import Assessment, Measure, Timepoint
from app.outcomes.schemas import MeasureFile


def due_assessments(
    db: Session, *, actor: User, cohort_id: int | None = None, as_of: dt.date
) -> list[DueAssessment]:
    """Assessments due or overdue on `as_of` for the children this person may assess (of
    one cohort, if given: those ever enrolled in it), by due date, then child and measure."""
    require_enterer(actor)
    seen = (
        select(Enrolment.child_id)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.org_id == actor.org_id, children.visible(actor))
    )
    if cohort_id is not None:
        seen = seen.where(Enrolment.cohort_id == cohort_id)
    return _pending(db, org=organisation(db, actor), seen=seen, as_of=as_of)


def _pending(
    db: Session,
    *,
    org: Organisation,
    seen: SelectOfScalar[int],
    as_of: dt.date,
    found: list[tuple[Measure, MeasureFile]] | None = None,
) -> list[DueAssessment]:
    """For the children `seen` selects: each measure's timepoints whose window has opened by
    `as_of` with no assessment completed by then (three queries; `found`: the measures, when
    the caller has them already)."""
    found = measures.measures(db) if found is None else found
    org_id = org.id or 0
    anchors = load_anchors(db, org_id=org_id, child_ids=seen)
    done = {
        (child_id, key, timepoint)
        for child_id, key, timepoint in db.exec(
            select(Assessment.child_id, Assessment.measure_key, Assessment.timepoint).where(
                Assessment.org_id == org_id,
                col(Assessment.child_id).in_(seen),
                Assessment.completed_on <= as_of,
            )
        ).all()
    }
    widths = Widths.of(org)
    out: list[DueAssessment] = []
    for child_id, child_anchors in anchors.items():
        child_windows = windows(child_anchors, widths)
        for row, definition in found:
            for timepoint in definition.timepoints:
                window = child_windows[timepoint]
                if (
                    window.opens > as_of
                    or (child_id, row.key, timepoint) in done
                    or not suits_age(definition.ages, child_anchors.born, window)
                ):
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


def form_href(child_id: int, measure: str, timepoint: Timepoint) -> str:
    """The entry form, filled in for this child, measure and timepoint."""
    return (
        f"/children/{child_id}/assessments/new?measure={quote(measure)}&timepoint={timepoint.value}"
    )


def plan_href(child_id: int, measure: str, timepoint: Timepoint) -> str:
    """The child's outcome measures (each timepoint's window and status); the query names
    the measure and timepoint, as the flags' links do (app.fidelity.flags.assessment_in)."""
    return f"/children/{child_id}?measure={quote(measure)}&timepoint={timepoint.value}#outcomes"


def _missed_subject(due: DueAssessment) -> str | None:
    return fidelity_flags.subject_for(
        "assessment_missed",
        {"child_id": due.child_id, "measure": due.measure, "timepoint": due.timepoint.value},
    )


@fidelity_flags.ASSESSMENT_FLAGS.set
def assessment_flags(db: Session, scope: fidelity.Scope) -> list[fidelity_flags.Flag]:
    """Fidelity's flags for outcome assessments in a scope (the organisation's children with
    an enrolment, or those ever enrolled in the scope's cohorts), as of its date: four
    queries, whatever the number of children (the measures, the children's references and
    latest enrolments, their sessions, the assessments on record)."""
    org = db.get(Organisation, scope.org_id)
    assert org is not None
    enrolments: Table = Enrolment.__table__  # type: ignore[attr-defined]
    kids: Table = Child.__table__  # type: ignore[attr-defined]
    e = enrolments.c
    seen = select(Enrolment.child_id).where(
        Enrolment.org_id == scope.org_id, scope.cohorts(e.cohort_id)
    )
    found = measures.measures(db)
    names = {row.key: definition.name for row, definition in found}
    latest: dict[int, tuple[tuple[dt.date, int], int, str]] = {}
    for child_id, cohort_id, start, enrolment_id, reference in db.execute(
        sa_select(e.child_id, e.cohort_id, e.start_date, e.id, kids.c.reference)
        .join_from(enrolments, kids, kids.c.id == e.child_id)
        .where(e.org_id == scope.org_id, scope.cohorts(e.cohort_id))
    ).all():
        key = (start, enrolment_id or 0)
        if child_id not in latest or key > latest[child_id][0]:
            latest[child_id] = (key, cohort_id, reference)
    due_first: list[fidelity_flags.Flag] = []
    missed: list[fidelity_flags.Flag] = []
    for d in _pending(db, org=org, seen=seen, as_of=scope.as_of, found=found):
        _, cohort_id, reference = latest[d.child_id]
        what = f"{reference}: {names[d.measure]}, {TIMEPOINT_NAMES[d.timepoint].lower()}"
        if d.overdue:
            kind, href = "assessment_missed", plan_href(d.child_id, d.measure, d.timepoint)
            message = f"{what}, was not taken: its window closed on {day_words(d.due_by)}"
        else:
            kind, href = "assessment_due", form_href(d.child_id, d.measure, d.timepoint)
            message = f"{what}, is due by {day_words(d.due_by)}"
        flag = fidelity_flags.Flag(
            kind,
            message,
            href,
            cohort_id=cohort_id,
            child_id=d.child_id,
            measure=d.measure,
            timepoint=d.timepoint.value,
        )
        (missed if d.overdue else due_first).append(flag)
    return due_first + missed


@dataclass(frozen=True)
class PlanLine:
    """One measure at one timepoint for a child: its window and where it stands."""

    measure: str
    measure_name: str
    timepoint: Timepoint
    timepoint_name: str
    window: Window | None
    status: str  # "done", "due", "overdue", "not_yet", "no_window", "not_for_age"
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
            elif not suits_age(definition.ages, child.date_of_birth, window):
                status = "not_for_age"
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
        """The form for an open window; for a closed one, the child's outcome measures (the
        form would refuse today's date), as the flags link them."""
        if self.due.overdue:
            return plan_href(self.child_id, self.due.measure, self.due.timepoint)
        return form_href(self.child_id, self.due.measure, self.due.timepoint)


@dataclass(frozen=True)
class HomePanel:
    first: list[DueLine]
    total: int
    overdue: int


def home_panel(db: Session, *, actor: User, as_of: dt.date) -> HomePanel:
    """The lead's home: the first due and overdue assessments (overdue first), each linking
    to where to act, with the child named as the children's list names them (six queries).
    An overdue one a lead has acknowledged on the fidelity dashboard is not listed: the
    home's counts are those of the `assessment_due` and `assessment_missed` flags."""
    found = due_assessments(db, actor=actor, as_of=as_of)
    scope = fidelity.scope_for(db, actor=actor, as_of=as_of)
    seen = fidelity_flags.acknowledgements(db, scope)
    found = [
        d for d in found if not (d.overdue and ("assessment_missed", _missed_subject(d)) in seen)
    ]
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
