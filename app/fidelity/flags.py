"""Flags: what needs a lead's attention as of a date, each with a link to the place to act
(DESIGN.md, "Fidelity"). One query per kind of flag, whatever the data size."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlmodel import Session

from app.clock import week_of
from app.curriculum.models import Curriculum
from app.fidelity.models import FlagAcknowledgement
from app.fidelity.service import ChildDosage, Scope, matches_in_scope
from app.fidelity.sql import (
    ASSIGNMENTS,
    ATTENDANCE,
    ATTENDED,
    CHILDREN,
    COHORTS,
    ENROLMENTS,
    MATCHES,
    PRESENT,
    PROFILES,
    PROGRAMMES,
    SESSIONS,
    USERS,
    VISITS,
    month_first,
    month_number,
    on_register,
    reached_length,
    withdrawn_by,
)
from app.hooks import Hook
from app.mentoring.profiles.service import dbs_run_out_by

KINDS: dict[str, str] = {
    "safeguarding_concern": "Safeguarding concerns to review",
    "session_not_recorded": "Sessions not recorded",
    "absent_twice": "Children absent twice in a row",
    "below_threshold": "Children below the dosage threshold",
    "no_visit_two_weeks": "Matches with no visit for two weeks",
    "match_ended_early": "Matches ended before their expected length",
    "dbs_expiring": "DBS checks running out",
    "small_cohort": "Cohorts with fewer than 8 children",
    "one_facilitator": "Sessions with fewer than two facilitators",
    "unassigned_practice": "Practice tasks with no mentor",
    "assessment_due": "Outcome assessments due",
    "assessment_missed": "Outcome assessments missed (window closed)",
}
NOT_RECORDED_AFTER_DAYS = 2
DBS_WARNING_DAYS = 60
COHORT_MIN = 8  # when a programme model does not say (its `cohort_min`)
CURRICULA = Curriculum.__table__  # type: ignore[attr-defined]
ACKNOWLEDGEMENTS = FlagAcknowledgement.__table__  # type: ignore[attr-defined]

# The kinds a lead may acknowledge: those whose cause is over, a session on a day that has
# passed (never recorded, or delivered with fewer than two facilitators), or an outcome
# assessment whose window has closed with nothing recorded (entry is refused outside the
# window). Nothing done now changes that, so a lead may say why ("carer declined") and take
# the flag off the list. Every other kind is current (a concern not reviewed, a child
# enrolled and still below the threshold or absent, a match still running without visits, a
# DBS check, a cohort still running, a task still without a mentor, an assessment whose
# window is open): it leaves the list only when the cause is dealt with.
# Each maps to the fields that pick one flag out among those of its kind (its `subject`).
ACKNOWLEDGEABLE: dict[str, tuple[str, ...]] = {
    "session_not_recorded": ("session_id",),
    "one_facilitator": ("session_id",),
    "assessment_missed": ("child_id", "measure", "timepoint"),
    "match_ended_early": ("match_id",),
}
ENDED_EARLY_DAYS = 90  # a match ended early shows for this long after its end
# What a facilitator can act on, in their own cohorts: the registers of their sessions
# (not recorded, or the facilitators present), the children's attendance and the outcome
# assessments due for them (a facilitator may enter those). The rest is a lead's (concerns,
# mentoring, DBS checks, enrolment, matching, missed assessments to explain).
FACILITATOR_KINDS = frozenset(
    {
        "session_not_recorded",
        "absent_twice",
        "below_threshold",
        "one_facilitator",
        "assessment_due",
    }
)
SUBJECT_MAX = 80  # flag_acknowledgement.subject


@dataclass(frozen=True)
class Flag:
    kind: str
    message: str
    href: str
    cohort_id: int | None = None
    child_id: int | None = None
    session_id: int | None = None
    mentor_id: int | None = None
    match_id: int | None = None
    measure: str | None = None  # the assessment kinds: which measure and timepoint
    timepoint: str | None = None

    @property
    def subject(self) -> str:
        """The ids that pick this flag out among those of its kind ("session=12")."""
        keys: tuple[str, ...] = ("cohort_id", "child_id", "session_id", "mentor_id", "match_id")
        if self.kind in ACKNOWLEDGEABLE:
            keys = ACKNOWLEDGEABLE[self.kind]
        return _subject({k: getattr(self, k) for k in keys})

    @property
    def past(self) -> bool:
        """Whether a lead may acknowledge it (see ACKNOWLEDGEABLE)."""
        return self.kind in ACKNOWLEDGEABLE

    def as_dict(self) -> dict[str, Any]:
        # The measure and timepoint stay out: the flags' JSON has a fixed set of keys
        # (API.md); an assessment flag's href carries them (`assessment_in`).
        out: dict[str, Any] = {"kind": self.kind, "message": self.message, "href": self.href}
        for key in IDS:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.past:
            out["acknowledgeable"] = True
        return out


IDS = ("cohort_id", "child_id", "session_id", "mentor_id", "match_id")


def assessment_in(href: str) -> tuple[str, str] | None:
    """The measure and timepoint an assessment flag's link carries in its query
    ("/children/7?measure=sdq&timepoint=end#outcomes"), or None."""
    query = parse_qs(urlsplit(href).query)
    measure, timepoint = query.get("measure"), query.get("timepoint")
    return (measure[0], timepoint[0]) if measure and timepoint else None


def _subject(values: dict[str, object]) -> str:
    """ "session=12", "child=7,measure=sdq,timepoint=end": the fields given, in order. A
    subject longer than the column (a measure key may have 64 characters) keeps the child
    and timepoint and replaces the measure key by a digest of it: still one per flag."""
    text = ",".join(f"{k.removesuffix('_id')}={v}" for k, v in values.items() if v)
    if len(text) > SUBJECT_MAX:
        key = str(values.get("measure", ""))
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        text = f"child={values.get('child_id')},timepoint={values.get('timepoint')},md={digest}"
    return text


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


@dataclass(frozen=True)
class Acknowledged:
    """A past flag a lead has acknowledged: who, when and why."""

    flag: Flag
    by: str
    at: dt.datetime
    note: str


def subject_for(kind: str, ids: dict[str, Any]) -> str | None:
    """The subject of a flag of an acknowledgeable kind from the ids (and, for a missed
    assessment, the measure and timepoint) given, or None when one it needs is missing."""
    keys = ACKNOWLEDGEABLE[kind]
    if any(ids.get(key) is None for key in keys):
        return None
    return _subject({key: ids[key] for key in keys})


AssessmentFlags = Callable[[Session, Scope], list[Flag]]
ASSESSMENT_FLAGS: Hook[AssessmentFlags] = Hook(
    "the outcome assessments due and missed", "app.outcomes.assessments.due"
)
"""The `assessment_due` and `assessment_missed` flags in a scope, as of its date: outcomes
knows the measures, the windows and what is recorded (app/outcomes/assessments/due.py), and
sits above fidelity, so it supplies them. A fixed number of queries."""


def flags(
    db: Session,
    scope: Scope,
    *,
    children: list[ChildDosage],
    renewal_years: int,
    kinds: frozenset[str] | None = None,
) -> list[Flag]:
    """Every flag not acknowledged, most urgent kind first (`kinds`: only those)."""
    return flags_and_acknowledged(
        db, scope, children=children, renewal_years=renewal_years, kinds=kinds
    )[0]


def flags_and_acknowledged(
    db: Session,
    scope: Scope,
    *,
    children: list[ChildDosage],
    renewal_years: int,
    kinds: frozenset[str] | None = None,
) -> tuple[list[Flag], list[Acknowledged]]:
    """The flags still to act on, most urgent kind first, and those a lead acknowledged on
    or before `as_of` (one query more for the acknowledgements, whatever their number)."""
    raised = [
        f for f in _raised(db, scope, children, renewal_years) if kinds is None or f.kind in kinds
    ]
    seen = acknowledgements(db, scope)  # always: the same queries whatever is raised
    current, acknowledged = [], []
    for f in raised:
        found = seen.get((f.kind, f.subject)) if f.past else None
        if found is None:
            current.append(f)
        else:
            acknowledged.append(Acknowledged(f, *found))
    return current, acknowledged


def acknowledgements(
    db: Session, scope: Scope
) -> dict[tuple[str, str], tuple[str, dt.datetime, str]]:
    """(kind, subject) -> (who, when, note) of the flags acknowledged on or before as_of."""
    k = ACKNOWLEDGEMENTS.c
    rows = db.execute(
        select(k.kind, k.subject, USERS.c.name, k.acknowledged_at, k.note)
        .select_from(ACKNOWLEDGEMENTS.join(USERS, USERS.c.id == k.acknowledged_by))
        .where(k.org_id == scope.org_id, k.on_date <= scope.as_of)
    ).all()
    return {(kind, subject): (name, at, note) for kind, subject, name, at, note in rows}


def current_flag(db: Session, scope: Scope, kind: str, subject: str) -> Flag | None:
    """The flag of an acknowledgeable kind with this subject raised as of `scope.as_of`."""
    find: dict[str, Callable[[Session, Scope], list[Flag]]] = {
        "session_not_recorded": _not_recorded,
        "one_facilitator": _one_facilitator,
        "assessment_missed": ASSESSMENT_FLAGS(),
        "match_ended_early": _ended_early,
    }
    return next((f for f in find[kind](db, scope) if f.kind == kind and f.subject == subject), None)


def _raised(
    db: Session, scope: Scope, children: list[ChildDosage], renewal_years: int
) -> list[Flag]:
    out: list[Flag] = []
    out += _concerns(db, scope)
    out += _not_recorded(db, scope)
    out += _absent_twice(db, scope)
    out += [
        Flag(
            "below_threshold",
            f"{c.reference} attended {c.lessons_attended} of {c.lessons_delivered} lessons,"
            f" below the threshold of {scope.threshold:.0%}",
            f"/fidelity/children/{c.child_id}",
            cohort_id=c.cohort_id,
            child_id=c.child_id,
        )
        for c in children
        if c.below_threshold and not c.withdrawn  # nothing to act on once a child has left
    ]
    out += _no_visits(db, scope)
    out += _ended_early(db, scope)
    if scope.cohort_ids is None:  # the organisation's mentors: for leads, not per cohort
        out += _dbs(db, scope, renewal_years)
    out += _small_cohorts(db, scope)
    out += _one_facilitator(db, scope)
    out += _unassigned(db, scope)
    out += ASSESSMENT_FLAGS()(db, scope)
    return out


def _concerns(db: Session, scope: Scope) -> list[Flag]:
    v = VISITS.c
    rows = db.execute(
        select(v.id, v.match_id, v.child_id, v.date, CHILDREN.c.reference)
        .select_from(
            VISITS.join(CHILDREN, CHILDREN.c.id == v.child_id).join(
                MATCHES, MATCHES.c.id == v.match_id
            )
        )
        .where(
            v.org_id == scope.org_id,
            v.safeguarding_concern.is_(True),
            v.concern_reviewed_at.is_(None),
            v.date <= scope.as_of,
            matches_in_scope(scope),
        )
        .order_by(v.date.desc())
    ).all()
    return [
        Flag(
            "safeguarding_concern",
            f"A safeguarding concern about {ref} from the visit on {_day(day)}",
            f"/visits/{visit_id}#concern-review",  # the visit page's review form
            child_id=child_id,
            match_id=match_id,
        )
        for visit_id, match_id, child_id, day, ref in rows
    ]


def _not_recorded(db: Session, scope: Scope) -> list[Flag]:
    s = SESSIONS.c
    rows = db.execute(
        select(s.id, s.cohort_id, s.week, s.date, COHORTS.c.name)
        .select_from(SESSIONS.join(COHORTS, COHORTS.c.id == s.cohort_id))
        .where(
            s.org_id == scope.org_id,
            s.status == "scheduled",
            s.date < scope.as_of - dt.timedelta(days=NOT_RECORDED_AFTER_DAYS),
            scope.cohorts(s.cohort_id),
        )
        .order_by(s.date)
    ).all()
    return [
        Flag(
            "session_not_recorded",
            f"{name}: week {week} on {_day(day)} is not recorded",
            f"/sessions/{sid}",
            cohort_id=cohort_id,
            session_id=sid,
        )
        for sid, cohort_id, week, day, name in rows
    ]


def _absent_twice(db: Session, scope: Scope) -> list[Flag]:
    """Children who missed (absent or excused) each of the last two delivered sessions
    they were expected at."""
    s, a = SESSIONS.c, ATTENDANCE.c
    ranked = (
        select(
            a.child_id,
            s.cohort_id,
            a.status,
            func.row_number()
            .over(partition_by=a.child_id, order_by=(s.date.desc(), s.id.desc()))
            .label("n"),
        )
        .select_from(ATTENDANCE.join(SESSIONS, s.id == a.session_id))
        .where(
            s.org_id == scope.org_id,
            s.status == "delivered",
            s.date <= scope.as_of,
            scope.cohorts(s.cohort_id),
            on_register(a.child_id),
        )
        .subquery()
    )
    missed = case((ranked.c.status.in_(ATTENDED), 0), else_=1)
    rows = db.execute(
        select(ranked.c.child_id, func.max(ranked.c.cohort_id), CHILDREN.c.reference)
        .select_from(ranked.join(CHILDREN, CHILDREN.c.id == ranked.c.child_id))
        .where(ranked.c.n <= 2)
        .group_by(ranked.c.child_id, CHILDREN.c.reference)
        .having(and_(func.count() == 2, func.sum(missed) == 2))
        .order_by(CHILDREN.c.reference)
    ).all()
    return [
        Flag(
            "absent_twice",
            f"{ref} missed the last two sessions",
            f"/fidelity/children/{child_id}",
            cohort_id=cohort_id,
            child_id=child_id,
        )
        for child_id, cohort_id, ref in rows
    ]


def _no_visits(db: Session, scope: Scope) -> list[Flag]:
    """Active matches with no completed visit in their programme's last full band periods
    up to `as_of`: for a weekly band, from the start of the two full weeks before this one;
    for a monthly band, from the first of the last full calendar month (the match already
    running on the first day of them). The message gives the match's last completed visit
    on or before `as_of`, or says there has been none since the match began."""
    m, v = MATCHES.c, VISITS.c
    this_monday, _ = week_of(scope.as_of)
    first_week = this_monday - dt.timedelta(days=14)
    first_month = month_first(month_number(scope.as_of) - 1)
    first = case(
        (PROGRAMMES.c.band_per == "month", literal(first_month)), else_=literal(first_week)
    )
    last_visit = (
        select(v.match_id, func.max(v.date).label("last"))
        .where(v.org_id == scope.org_id, v.status == "completed", v.date <= scope.as_of)
        .group_by(v.match_id)
        .subquery()
    )
    rows = db.execute(
        select(
            m.id,
            m.child_id,
            m.mentor_id,
            m.start_date,
            last_visit.c.last,
            CHILDREN.c.reference,
            USERS.c.name,
        )
        .select_from(
            MATCHES.join(CHILDREN, CHILDREN.c.id == m.child_id)
            .join(USERS, USERS.c.id == m.mentor_id)
            .join(PROGRAMMES, PROGRAMMES.c.id == m.programme_id)
            .outerjoin(last_visit, last_visit.c.match_id == m.id)
        )
        .where(
            m.org_id == scope.org_id,
            m.start_date <= first,
            or_(m.end_date.is_(None), m.end_date >= scope.as_of),
            or_(last_visit.c.last.is_(None), last_visit.c.last < first),
            matches_in_scope(scope),
        )
        .order_by(CHILDREN.c.reference)
    ).all()
    return [
        Flag(
            "no_visit_two_weeks",
            f"{mentor} has not visited {ref} since {_day(last)}"
            if last is not None
            else f"{mentor} has had no completed visit with {ref}"
            f" since the match began on {_day(began)}",
            f"/matches/{match_id}",
            child_id=child_id,
            mentor_id=mentor_id,
            match_id=match_id,
        )
        for match_id, child_id, mentor_id, began, last, ref, mentor in rows
    ]


def _ended_early(db: Session, scope: Scope) -> list[Flag]:
    """Matches that ended in the last 90 days up to `as_of` before their programme's
    expected length (DESIGN.md, "Match length"); none in an open-ended programme. Past: the
    ending cannot be undone, so a lead may acknowledge one with a note."""
    m, p = MATCHES.c, PROGRAMMES.c
    rows = db.execute(
        select(
            m.id,
            m.child_id,
            m.mentor_id,
            m.start_date,
            m.end_date,
            p.match_length_months,
            CHILDREN.c.reference,
            USERS.c.name,
        )
        .select_from(
            MATCHES.join(PROGRAMMES, p.id == m.programme_id)
            .join(CHILDREN, CHILDREN.c.id == m.child_id)
            .join(USERS, USERS.c.id == m.mentor_id)
        )
        .where(
            m.org_id == scope.org_id,
            m.end_date.is_not(None),
            m.end_date <= scope.as_of,
            m.end_date > scope.as_of - dt.timedelta(days=ENDED_EARLY_DAYS),
            p.match_length_months.is_not(None),
            ~reached_length(m.start_date, m.end_date, p.match_length_months),
            matches_in_scope(scope),
        )
        .order_by(m.end_date.desc(), m.id)
    ).all()
    return [
        Flag(
            "match_ended_early",
            f"{mentor} and {ref}'s match ended on {_day(end)}, before its expected"
            f" {months} month{'' if months == 1 else 's'} (it began on {_day(began)})",
            f"/matches/{match_id}",
            child_id=child_id,
            mentor_id=mentor_id,
            match_id=match_id,
        )
        for match_id, child_id, mentor_id, began, end, months, ref, mentor in rows
    ]


def _serving_in(scope: Scope, mentor_id: Any) -> list[ColumnElement[bool]]:
    """One programme's dashboard: only mentors with a match in it running on as_of (the
    organisation's dashboard has every mentor)."""
    if scope.programme_id is None:
        return []
    m = MATCHES.c
    return [
        exists().where(
            m.mentor_id == mentor_id,
            m.programme_id == scope.programme_id,
            m.start_date <= scope.as_of,
            or_(m.end_date.is_(None), m.end_date >= scope.as_of),
        )
    ]


def _dbs(db: Session, scope: Scope, renewal_years: int) -> list[Flag]:
    p = PROFILES.c
    soon = dbs_run_out_by(scope.as_of + dt.timedelta(days=DBS_WARNING_DAYS), renewal_years)
    gone = dbs_run_out_by(scope.as_of, renewal_years)
    rows = db.execute(
        select(p.user_id, p.dbs_checked_on, USERS.c.name)
        .select_from(PROFILES.join(USERS, USERS.c.id == p.user_id))
        .where(
            p.org_id == scope.org_id,
            USERS.c.active.is_(True),
            p.dbs_checked_on.is_not(None),
            p.dbs_checked_on <= soon,
            *_serving_in(scope, p.user_id),
        )
        .order_by(p.dbs_checked_on)
    ).all()
    return [
        Flag(
            "dbs_expiring",
            f"{name}'s DBS check "
            + ("has run out" if checked <= gone else "runs out within 60 days")
            + f" (checked {_day(checked)})",
            f"/mentors/{mentor_id}",
            mentor_id=mentor_id,
        )
        for mentor_id, checked, name in rows
    ]


def _small_cohorts(db: Session, scope: Scope) -> list[Flag]:
    """Cohorts still running (a live session on or after as_of) with fewer children enrolled
    as of then than their programme's `cohort_min` (8 for FHF-PT): the number comes from the
    curriculum's programme model, never a literal (DESIGN.md, "Domain model")."""
    e, s = ENROLMENTS.c, SESSIONS.c
    active = (
        select(e.cohort_id, func.count().label("n"))
        .where(
            e.org_id == scope.org_id,
            e.start_date <= scope.as_of,
            or_(e.status == "active", e.end_date > scope.as_of),
        )
        .group_by(e.cohort_id)
        .subquery()
    )
    running = select(s.cohort_id).where(
        s.org_id == scope.org_id, s.status != "cancelled", s.date >= scope.as_of
    )
    n = func.coalesce(active.c.n, 0)
    rows = db.execute(
        select(COHORTS.c.id, COHORTS.c.name, n, CURRICULA.c.programme)
        .select_from(
            COHORTS.join(CURRICULA, CURRICULA.c.id == COHORTS.c.curriculum_id).outerjoin(
                active, active.c.cohort_id == COHORTS.c.id
            )
        )
        .where(
            COHORTS.c.org_id == scope.org_id,
            scope.cohorts(COHORTS.c.id),
            COHORTS.c.id.in_(running),
        )
        .order_by(COHORTS.c.name)
    ).all()
    out = []
    for cohort_id, name, count, programme in rows:
        low = int((programme or {}).get("cohort_min", COHORT_MIN))
        high = int((programme or {}).get("cohort_max", low))
        if count < low:
            out.append(
                Flag(
                    "small_cohort",
                    f"{name} has {count} {'child' if count == 1 else 'children'};"
                    f" a group needs {low} to {high}",
                    f"/cohorts/{cohort_id}",
                    cohort_id=cohort_id,
                )
            )
    return out


def _one_facilitator(db: Session, scope: Scope) -> list[Flag]:
    s = SESSIONS.c
    present = (
        select(PRESENT.c.session_id, func.count().label("n"))
        .where(PRESENT.c.org_id == scope.org_id)
        .group_by(PRESENT.c.session_id)
        .subquery()
    )
    n = func.coalesce(present.c.n, 0)
    rows = db.execute(
        select(s.id, s.cohort_id, s.week, s.date, COHORTS.c.name, n)
        .select_from(
            SESSIONS.join(COHORTS, COHORTS.c.id == s.cohort_id).outerjoin(
                present, present.c.session_id == s.id
            )
        )
        .where(
            s.org_id == scope.org_id,
            s.status == "delivered",
            s.date <= scope.as_of,
            scope.cohorts(s.cohort_id),
            n < 2,
        )
        .order_by(s.date.desc())
    ).all()
    return [
        Flag(
            "one_facilitator",
            f"{name}: week {week} on {_day(day)} had {count} facilitator"
            + ("" if count == 1 else "s"),
            f"/sessions/{sid}",
            cohort_id=cohort_id,
            session_id=sid,
        )
        for sid, cohort_id, week, day, name, count in rows
    ]


def _unassigned(db: Session, scope: Scope) -> list[Flag]:
    a, s = ASSIGNMENTS.c, SESSIONS.c
    rows = db.execute(
        select(a.child_id, func.max(s.cohort_id), CHILDREN.c.reference, func.count())
        .select_from(
            ASSIGNMENTS.join(SESSIONS, s.id == a.session_id).join(
                CHILDREN, CHILDREN.c.id == a.child_id
            )
        )
        .where(
            a.org_id == scope.org_id,
            a.mentor_id.is_(None),
            a.status != "completed",
            s.date <= scope.as_of,
            scope.cohorts(s.cohort_id),
            # Only children still in a cohort: a child who has left needs no mentor.
            a.child_id.in_(
                select(ENROLMENTS.c.child_id).where(
                    ENROLMENTS.c.org_id == scope.org_id,
                    ENROLMENTS.c.start_date <= scope.as_of,
                    ~withdrawn_by(scope.as_of),
                )
            ),
        )
        .group_by(a.child_id, CHILDREN.c.reference)
        .order_by(CHILDREN.c.reference)
    ).all()
    return [
        Flag(
            "unassigned_practice",
            f"{ref} has {count} practice task{'s' if count != 1 else ''} with no mentor",
            f"/children/{child_id}/match",
            cohort_id=cohort_id,
            child_id=child_id,
        )
        for child_id, cohort_id, ref, count in rows
    ]
