"""Everything held on one child, for a subject access request (UK GDPR, article 15).

Records come after every other domain: it reads the rows each of them holds about a child,
so that none of them has to know about the others.

`gather` reads it all in a fixed number of queries, however much there is (one per kind of
row, then one for the names of the staff it mentions and one per kind of record the audit
trail names); `export_child` turns it into the JSON document and `export_page` into what the
printable page shows. Both are audited ("export").

Coverage notes that mention the child: the lesson checklist's notes (coverage rows) of the
sessions on whose register the child is, when the note holds the child's first name or
reference as a whole word, whatever the case ("Sam led the role-play" mentions Sam; "Samuel"
does not).

`COVERED` names every table the export reads about the child, and `EXCLUDED` the tables that
hold a child's id but are left out, with the reason: tests/records/test_export_complete.py
fails when a table gains a child id (or a link to a covered table) and is in neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit import words as audit_words
from app.audit.models import AuditEvent, RecordView
from app.auth.models import User
from app.auth.service import require_staff
from app.children import service as children
from app.children.models import Child
from app.children.schemas import ChildPublic
from app.cohorts.models import Cohort, Enrolment, GroupSession
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.fidelity.models import FlagAcknowledgement
from app.mentoring.models import CheckIn, Match, MentorVisit, VisitAssignment
from app.outcomes.models import Assessment, LifeEvent, Measure
from app.sessions.models import Attendance, Coverage, PracticeAssignment

# table -> where the export shows it.
COVERED: dict[str, str] = {
    "child": "child (profile) and consent",
    "enrolment": "enrolments",
    "attendance": "register",
    "coverage": "coverage_notes (the notes that mention the child)",
    "practice_assignment": "practice_assignments",
    "mentor_match": "matches",
    "match_check_in": "matches[].check_ins",
    "mentor_visit": "visits",
    "visit_assignment": "visits[].assignment_ids and tasks_worked_on",
    "assessment": "assessments",
    "life_event": "life_events",
    "flag_acknowledgement": "flags_acknowledged (subjects naming child=ID)",
    "audit_event": "history (the child's own record) and audit (every row about them)",
    "record_view": "record_views",
}
# table -> why the export leaves it out.
EXCLUDED: dict[str, str] = {
    "concern_review": (
        "a lead's review of a safeguarding concern is social-work data that may be withheld "
        "where disclosure would cause serious harm (DPA 2018, schedule 3): the lead adds it "
        "by hand after deciding; the visit shows that a concern was raised"
    ),
}

# Audit events about the rows held on the child (entity -> the table of its ids).
_AUDITED_ROWS: dict[str, Any] = {
    "enrolment": Enrolment,
    "match": Match,
    "visit": MentorVisit,
    "practice_assignment": PracticeAssignment,
    "assessment": Assessment,
    "life_event": LifeEvent,
}


def flag_subjects(child_id: int) -> ColumnElement[bool]:
    """A flag acknowledgement's subject names the child ("child=7", "child=7,measure=..."):
    the subject is `key=value` pairs joined by commas (app/fidelity/flags.py)."""
    subject = col(FlagAcknowledgement.subject)
    me = f"child={child_id}"
    return or_(
        subject == me,
        subject.startswith(me + ","),
        subject.endswith("," + me),
        subject.contains("," + me + ","),
    )


def about_the_child(child_id: int) -> ColumnElement[bool]:
    """The audit events about the child's record and about every row held on them."""
    rows = [
        and_(
            col(AuditEvent.entity) == entity,
            col(AuditEvent.entity_id).in_(select(model.id).where(model.child_id == child_id)),
        )
        for entity, model in _AUDITED_ROWS.items()
    ]
    acknowledgements = and_(
        col(AuditEvent.entity) == "flag_acknowledgement",
        col(AuditEvent.entity_id).in_(
            select(FlagAcknowledgement.id).where(flag_subjects(child_id))
        ),
    )
    return or_(
        and_(col(AuditEvent.entity) == "child", col(AuditEvent.entity_id) == child_id),
        acknowledgements,
        *rows,
    )


def mentions(note: str | None, child: Child) -> bool:
    """The note names the child: their first name or reference as a whole word, any case."""
    if not note:
        return False
    for word in (child.first_name, child.reference):
        word = (word or "").strip()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", note, re.IGNORECASE):
            return True
    return False


@dataclass
class Gathered:
    """Every row held on one child, and the names of the staff those rows mention."""

    child: Child
    enrolments: Sequence[tuple[Enrolment, str]]
    register: Sequence[tuple[Attendance, GroupSession, str, str | None]]
    coverage: list[tuple[Coverage, GroupSession, str, str]]
    matches: Sequence[Match]
    check_ins: Sequence[CheckIn]
    visits: Sequence[MentorVisit]
    worked_on: dict[int, list[int]]
    assignments: Sequence[tuple[PracticeAssignment, str, GroupSession]]
    assessments: Sequence[tuple[Assessment, Measure | None]]
    life_events: Sequence[LifeEvent]
    flags: Sequence[FlagAcknowledgement]
    history: Sequence[AuditEvent]
    events: Sequence[AuditEvent]
    views: Sequence[RecordView]
    staff: dict[int, str] = field(default_factory=dict)
    audit_names: dict[str, dict[int, tuple[Any, ...]]] = field(default_factory=dict)

    def who(self, user_id: int | None) -> str | None:
        return self.staff.get(user_id) if user_id is not None else None


def gather(db: Session, *, actor: User, child_id: int) -> Gathered:
    """Every row held on the child, in a fixed number of queries (see the module's doc)."""
    require_staff(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="export")  # JSON and page alike
    org = actor.org_id
    enrolments = db.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(Enrolment.child_id == child_id, Enrolment.org_id == org)
        .order_by(col(Enrolment.start_date))
    ).all()
    register = db.exec(
        select(Attendance, GroupSession, Cohort.name, CurriculumWeek.title)
        .join(GroupSession, col(GroupSession.id) == col(Attendance.session_id))
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .outerjoin(
            CurriculumWeek,
            and_(
                col(CurriculumWeek.curriculum_id) == col(Cohort.curriculum_id),
                col(CurriculumWeek.week) == col(GroupSession.week),
            ),
        )
        .where(Attendance.child_id == child_id, Attendance.org_id == org)
        .order_by(col(GroupSession.date), col(GroupSession.id))
    ).all()
    noted = db.exec(
        select(Coverage, GroupSession, Cohort.name, Activity.title)
        .join(Attendance, col(Attendance.session_id) == col(Coverage.session_id))
        .join(GroupSession, col(GroupSession.id) == col(Coverage.session_id))
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .join(Activity, col(Activity.id) == col(Coverage.activity_id))
        .where(
            Attendance.child_id == child_id,
            Coverage.org_id == org,
            col(Coverage.note).is_not(None),
        )
        .order_by(col(GroupSession.date), col(Coverage.id))
    ).all()
    coverage = [(c, s, cohort, title) for c, s, cohort, title in noted if mentions(c.note, child)]
    matches = db.exec(
        select(Match)
        .where(Match.child_id == child_id, Match.org_id == org)
        .order_by(col(Match.start_date), col(Match.id))
    ).all()
    check_ins = db.exec(
        select(CheckIn)
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(CheckIn.org_id == org, Match.child_id == child_id)
        .order_by(col(CheckIn.date), col(CheckIn.id))
    ).all()
    visits = db.exec(
        select(MentorVisit)
        .where(MentorVisit.child_id == child_id, MentorVisit.org_id == org)
        .order_by(col(MentorVisit.date), col(MentorVisit.start_time), col(MentorVisit.id))
    ).all()
    worked_on: dict[int, list[int]] = {}
    for visit_id, assignment_id in db.exec(
        select(VisitAssignment.visit_id, VisitAssignment.assignment_id)
        .join(MentorVisit, col(MentorVisit.id) == col(VisitAssignment.visit_id))
        .where(VisitAssignment.org_id == org, MentorVisit.child_id == child_id)
        .order_by(col(VisitAssignment.assignment_id))
    ).all():
        worked_on.setdefault(visit_id, []).append(assignment_id)
    assignments = db.exec(
        select(PracticeAssignment, PracticeTask.title, GroupSession)
        .join(PracticeTask, col(PracticeTask.id) == col(PracticeAssignment.task_id))
        .join(GroupSession, col(GroupSession.id) == col(PracticeAssignment.session_id))
        .where(PracticeAssignment.child_id == child_id, PracticeAssignment.org_id == org)
        .order_by(col(GroupSession.date), col(PracticeAssignment.id))
    ).all()
    assessments = db.exec(
        select(Assessment, Measure)
        .outerjoin(
            Measure,
            and_(
                col(Measure.key) == col(Assessment.measure_key),
                col(Measure.version) == col(Assessment.measure_version),
            ),
        )
        .where(Assessment.child_id == child_id, Assessment.org_id == org)
        .order_by(col(Assessment.completed_on), col(Assessment.id))
    ).all()
    life_events = db.exec(
        select(LifeEvent)
        .where(LifeEvent.child_id == child_id, LifeEvent.org_id == org)
        .order_by(col(LifeEvent.date), col(LifeEvent.id))
    ).all()
    flags = db.exec(
        select(FlagAcknowledgement)
        .where(FlagAcknowledgement.org_id == org, flag_subjects(child_id))
        .order_by(col(FlagAcknowledgement.acknowledged_at))
    ).all()
    events = db.exec(
        select(AuditEvent)
        .where(AuditEvent.org_id == org, about_the_child(child_id))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    history = [e for e in events if e.entity == "child" and e.entity_id == child_id]
    views = db.exec(
        select(RecordView)
        .where(RecordView.org_id == org, RecordView.child_id == child_id)
        .order_by(col(RecordView.at))
    ).all()
    found = Gathered(
        child=child,
        enrolments=enrolments,
        register=register,
        coverage=coverage,
        matches=matches,
        check_ins=check_ins,
        visits=visits,
        worked_on=worked_on,
        assignments=assignments,
        assessments=assessments,
        life_events=life_events,
        flags=flags,
        history=history,
        events=events,
        views=views,
    )
    found.staff = _staff_names(db, org, found)
    return found


def _staff_names(db: Session, org_id: int, found: Gathered) -> dict[int, str]:
    ids: set[int | None] = {m.mentor_id for m in found.matches}
    ids |= {c.recorded_by for c in found.check_ins}
    ids |= {v.mentor_id for v in found.visits}
    ids |= {a.mentor_id for a, _, _ in found.assignments}
    ids |= {a.created_by for a, _ in found.assessments}
    ids |= {e.created_by for e in found.life_events}
    ids |= {f.acknowledged_by for f in found.flags}
    ids |= {e.actor_id for e in found.events}
    ids |= {v.user_id for v in found.views}
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = db.exec(
        select(User.id, User.name).where(col(User.id).in_(wanted), User.org_id == org_id)
    ).all()
    return {int(user_id or 0): name for user_id, name in rows}


def _audited(db: Session, actor: User, child_id: int, form: str) -> None:
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="export",
        entity="child",
        entity_id=child_id,
        changes={"format": form} if form != "json" else None,
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def export_child(db: Session, *, actor: User, child_id: int) -> dict[str, Any]:
    """Everything held on one child (a subject access request), in one document."""
    g = gather(db, actor=actor, child_id=child_id)
    _audited(db, actor, child_id, "json")
    child = g.child
    titles = {a.id: title for a, title, _ in g.assignments}
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "child": ChildPublic.model_validate(child).model_dump(mode="json"),
        "consent": {
            "given_by": child.consent_given_by,
            "given_on": _iso(child.consent_given_on),
        },
        "enrolments": [
            {
                "id": e.id,
                "cohort_id": e.cohort_id,
                "cohort": name,
                "start_date": e.start_date.isoformat(),
                "end_date": e.end_date.isoformat() if e.end_date else None,
                "status": e.status.value,
                "withdraw_reason": e.withdraw_reason,
                "eligibility_override": e.eligibility_override,
            }
            for e, name in g.enrolments
        ],
        "register": [
            {
                "session_id": s.id,
                "date": s.date.isoformat(),
                "cohort": cohort,
                "week": s.week,
                "lesson": lesson,
                "status": a.status.value,
                "attended": a.status.value in ("present", "late"),
                "note": a.note,
            }
            for a, s, cohort, lesson in g.register
        ],
        "coverage_notes": [
            {
                "session_id": s.id,
                "date": s.date.isoformat(),
                "cohort": cohort,
                "week": s.week,
                "activity": title,
                "status": c.status.value,
                "note": c.note,
            }
            for c, s, cohort, title in g.coverage
        ],
        "matches": [
            m.model_dump(mode="json")
            | {
                "mentor": g.who(m.mentor_id),
                "check_ins": [
                    c.model_dump(mode="json") | {"recorded_by_name": g.who(c.recorded_by)}
                    for c in g.check_ins
                    if c.match_id == m.id
                ],
            }
            for m in g.matches
        ],
        "visits": [
            v.model_dump(mode="json")
            | {
                "mentor": g.who(v.mentor_id),
                "assignment_ids": g.worked_on.get(v.id or 0, []),
                "tasks_worked_on": [titles.get(i) for i in g.worked_on.get(v.id or 0, [])],
            }
            for v in g.visits
        ],
        "practice_assignments": [
            a.model_dump(mode="json")
            | {
                "task": title,
                "session_date": s.date.isoformat(),
                "week": s.week,
                "mentor": g.who(a.mentor_id),
            }
            for a, title, s in g.assignments
        ],
        "assessments": [
            {
                "id": a.id,
                "measure_key": a.measure_key,
                "measure_version": a.measure_version,
                "measure": m.name if m else a.measure_key,
                "informant": a.informant,
                "timepoint": a.timepoint.value,
                "completed_on": a.completed_on.isoformat(),
                "scores": a.scores,
                "items": a.items,
                "entered_by": g.who(a.created_by),
            }
            for a, m in g.assessments
        ],
        "life_events": [
            {
                "id": e.id,
                "kind": e.kind.value,
                "date": e.date.isoformat(),
                "note": e.note,
                "recorded_by": g.who(e.created_by),
            }
            for e in g.life_events
        ],
        "flags_acknowledged": [
            {
                "kind": f.kind,
                "subject": f.subject,
                "note": f.note,
                "on_date": f.on_date.isoformat(),
                "acknowledged_by": g.who(f.acknowledged_by),
                "acknowledged_at": f.acknowledged_at.isoformat(),
            }
            for f in g.flags
        ],
        "history": [
            {"at": ev.at.isoformat(), "action": ev.action, "changes": ev.changes}
            for ev in g.history
        ],
        "audit": [
            {
                "at": ev.at.isoformat(),
                "action": ev.action,
                "entity": ev.entity,
                "entity_id": ev.entity_id,
                "by": g.who(ev.actor_id),
                "changes": ev.changes,
            }
            for ev in g.events
        ],
        "record_views": [
            {"at": v.at.isoformat(), "by": g.who(v.user_id), "what": v.what} for v in g.views
        ],
        "coverage_rule": (
            "Coverage notes of the sessions on the child's register that hold the child's "
            "first name or reference as a whole word, whatever the case."
        ),
    }


def export_page(db: Session, *, actor: User, child_id: int) -> Gathered:
    """What the printable page shows (the same rows as the JSON), audited as an export."""
    g = gather(db, actor=actor, child_id=child_id)
    wanted = audit_words.wanted(g.events)
    g.audit_names = audit.names(db, org_id=actor.org_id, wanted=wanted)
    _audited(db, actor, child_id, "page")
    return g
