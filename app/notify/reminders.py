"""Scheduled reminders (README "Email"): what the worker queues by itself, every few seconds,
when its time has come in each organisation's own time zone.

- session_not_recorded: from 08:00 the morning after a scheduled session with no register,
  to the people running it (named for the session, else the cohort's facilitators); for
  sessions of the last 7 days only, so a first start sends no flood.
- visit_reminder: from 09:00 the day before a planned visit, to its mentor.
- dbs_expiring: when a mentor's DBS check comes within 60 days of running out, and again
  within 14 (one email for the nearer threshold when a run finds both crossed), to the
  mentor and the organisation's leads.
- weekly_digest: on Mondays from 07:00, the organisation's open flags counted by kind, to
  its leads, when there is at least one.

Each is queued once per (kind, object, day, recipient): its outbox row carries a unique
dedupe key, and the insert skips keys already taken, so two workers, or one restarted, never
queue it twice. Each respects the recipient's choice; inactive people get nothing; no child
is named (their reference, or "your mentee").

`run_due` sends a fixed number of SQL statements whatever the number of sessions, visits or
mentors: one per kind to find what is due, one for the leads, one for the keys already
taken and one insert (per 500 messages). The digest reads the flags of an organisation
(about sixteen queries) only on a Monday when one of its leads has not had it yet."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.auth.models import Organisation, Role, User
from app.auth.notifications import leads_to_tell
from app.children.models import Child
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, GroupSession, SessionStatus
from app.fidelity import flags as fidelity_flags
from app.fidelity import service as fidelity
from app.mail.kinds import Kind
from app.mail.models import OutboxMessage
from app.mail.service import render, wants
from app.mentoring.models import Match, MentorProfile, MentorVisit, VisitStatus
from app.mentoring.profiles.service import dbs_run_out_by
from app.mentoring.shared import add_years
from app.outcomes.assessments import due as _assessments  # noqa: F401  (flags' ASSESSMENT_FLAGS)
from app.sessions.models import SessionRecord

NOT_RECORDED_FROM = dt.time(8, 0)  # the morning after the session
NOT_RECORDED_DAYS = 7  # sessions older than this are the dashboard's, not an email's
VISIT_REMINDER_FROM = dt.time(9, 0)  # the day before the visit
DIGEST_FROM = dt.time(7, 0)  # on Mondays
DBS_THRESHOLDS = (60, 14)  # days before a DBS check runs out
INSERT_BATCH = 500  # rows per INSERT (SQLite's limit on bound parameters)


@dataclass(frozen=True)
class Local:
    """An organisation as the reminders see it: its settings and its wall clock now."""

    org: Organisation
    now: dt.datetime  # aware, in the organisation's time zone

    @property
    def id(self) -> int:
        return self.org.id or 0

    @property
    def today(self) -> dt.date:
        return self.now.date()


@dataclass(frozen=True)
class Due:
    """One email whose time has come."""

    recipient: User
    kind: Kind
    key: str  # the dedupe key: (kind, object, day, recipient)
    context: dict[str, Any]


# Organisations whose Monday digest found no flag: not asked again that Monday by this
# process (a digest is a Monday-morning summary; a flag raised in the afternoon waits).
_quiet_mondays: set[tuple[int, dt.date]] = set()


def run_due(db: Session, now: dt.datetime) -> int:
    """Queue every reminder due at `now` (aware) in the caller's transaction: the number
    queued. The caller commits."""
    now = now.astimezone(dt.UTC)
    places = [
        Local(org, now.astimezone(ZoneInfo(org.timezone)))
        for org in db.exec(select(Organisation).order_by(col(Organisation.id))).all()
    ]
    if not places:
        return 0
    leads = leads_to_tell(db, [p.id for p in places])
    due = [
        *_sessions_not_recorded(db, places),
        *_visit_reminders(db, places),
        *_dbs_expiring(db, places, leads),
    ]
    digests = _digest_candidates(places, leads)
    taken = _taken(db, [d.key for d in due] + [key for key, _, _ in digests])
    due = [d for d in due if d.key not in taken]
    due += _weekly_digests(db, [(k, u, p) for k, u, p in digests if k not in taken])
    return _queue(db, due, now)


# What is due -----------------------------------------------------------------------------


def _sessions_not_recorded(db: Session, places: list[Local]) -> list[Due]:
    windows = []
    for place in places:
        # The morning after: from 08:00 local on the day after the session.
        latest = place.today - dt.timedelta(days=1 if place.now.time() >= NOT_RECORDED_FROM else 2)
        earliest = place.today - dt.timedelta(days=NOT_RECORDED_DAYS)
        windows.append(
            and_(
                col(GroupSession.org_id) == place.id,
                col(GroupSession.date) >= earliest,
                col(GroupSession.date) <= latest,
            )
        )
    rows = db.exec(
        select(GroupSession, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            or_(false(), *windows),
            col(GroupSession.status) == SessionStatus.scheduled,
            col(Cohort.archived_at).is_(None),
            ~exists().where(col(SessionRecord.session_id) == col(GroupSession.id)),
        )
        .order_by(col(GroupSession.date), col(GroupSession.id))
    ).all()
    runners = cohorts.session_facilitators(db, [s.id or 0 for s, _ in rows])
    return [
        Due(
            person,
            Kind.session_not_recorded,
            f"session_not_recorded:session:{session.id}:{session.date}:user:{person.id}",
            {
                "session_id": session.id,
                "session_date": session.date,
                "week": session.week,
                "cohort_name": cohort_name,
            },
        )
        for session, cohort_name in rows
        for person in runners.get(session.id or 0, [])
    ]


def _visit_reminders(db: Session, places: list[Local]) -> list[Due]:
    tomorrow = [
        and_(
            col(MentorVisit.org_id) == place.id,
            col(MentorVisit.date) == place.today + dt.timedelta(days=1),
        )
        for place in places
        if place.now.time() >= VISIT_REMINDER_FROM
    ]
    if not tomorrow:
        return []
    rows = db.exec(
        select(MentorVisit, User, Child.reference)
        .join(User, col(User.id) == col(MentorVisit.mentor_id))
        .join(Child, col(Child.id) == col(MentorVisit.child_id))
        .join(Match, col(Match.id) == col(MentorVisit.match_id))
        .where(
            or_(*tomorrow),
            col(MentorVisit.status) == VisitStatus.planned,
            or_(col(Match.end_date).is_(None), col(Match.end_date) >= col(MentorVisit.date)),
            col(User.active).is_(True),
        )
        .order_by(col(MentorVisit.id))
    ).all()
    return [
        Due(
            mentor,
            Kind.visit_reminder,
            f"visit_reminder:visit:{visit.id}:{visit.date}:user:{mentor.id}",
            {
                "visit_id": visit.id,
                "visit_date": visit.date,
                "start_time": visit.start_time,
                "reference": reference,
            },
        )
        for visit, mentor, reference in rows
    ]


def _dbs_expiring(db: Session, places: list[Local], leads: dict[int, list[User]]) -> list[Due]:
    by_org = {p.id: p for p in places}
    windows = []
    for place in places:
        years = place.org.dbs_renewal_years
        # Still current (runs out after today) and running out within the widest threshold.
        windows.append(
            and_(
                col(MentorProfile.org_id) == place.id,
                col(MentorProfile.dbs_checked_on) > dbs_run_out_by(place.today, years),
                col(MentorProfile.dbs_checked_on)
                <= dbs_run_out_by(place.today + dt.timedelta(days=max(DBS_THRESHOLDS)), years),
            )
        )
    rows = db.exec(
        select(MentorProfile, User)
        .join(User, col(User.id) == col(MentorProfile.user_id))
        .where(
            or_(false(), *windows),
            col(User.active).is_(True),
            col(User.role) == Role.mentor,
        )
        .order_by(col(User.id))
    ).all()
    out = []
    for profile, mentor in rows:
        if profile.dbs_checked_on is None:
            continue
        place = by_org[mentor.org_id]
        expires = add_years(profile.dbs_checked_on, place.org.dbs_renewal_years)
        days_left = (expires - place.today).days
        threshold = min(t for t in DBS_THRESHOLDS if days_left <= t)
        context = {
            "expires_on": expires,
            "days_left": days_left,
            "mentor_id": mentor.id,
            "mentor_name": mentor.name,
        }
        for person in [mentor, *leads.get(mentor.org_id, [])]:
            out.append(
                Due(
                    person,
                    Kind.dbs_expiring,
                    f"dbs_expiring:mentor:{mentor.id}:{threshold}:{expires}:user:{person.id}",
                    {**context, "own": person.id == mentor.id},
                )
            )
    return out


def _digest_candidates(
    places: list[Local], leads: dict[int, list[User]]
) -> list[tuple[str, User, Local]]:
    """(key, lead, organisation) for the Monday digests whose time has come."""
    out = []
    for place in places:
        monday = place.today
        if monday.weekday() != 0 or place.now.time() < DIGEST_FROM:
            continue
        if (place.id, monday) in _quiet_mondays:
            continue
        for lead in leads.get(place.id, []):
            if wants(lead, Kind.weekly_digest):
                out.append((f"weekly_digest:org:{place.id}:{monday}:user:{lead.id}", lead, place))
    return out


def _weekly_digests(db: Session, candidates: list[tuple[str, User, Local]]) -> list[Due]:
    counted: dict[int, list[tuple[str, int]]] = {}
    out = []
    for key, lead, place in candidates:
        if place.id not in counted:
            counted[place.id] = _flag_counts(db, place)
            if not counted[place.id]:
                _quiet_mondays.add((place.id, place.today))
        counts = counted[place.id]
        if counts:
            out.append(
                Due(
                    lead,
                    Kind.weekly_digest,
                    key,
                    {
                        "org_name": place.org.name,
                        "as_of": place.today,
                        "counts": counts,
                        "total": sum(n for _, n in counts),
                    },
                )
            )
    return out


def _flag_counts(db: Session, place: Local) -> list[tuple[str, int]]:
    """The organisation's open flags as of today, counted by kind, most urgent first."""
    scope = fidelity.Scope(
        org_id=place.id,
        as_of=place.today,
        cohort_ids=None,
        threshold=place.org.dosage_threshold,
        band=(place.org.mentoring_hours_min, place.org.mentoring_hours_max),
    )
    raised = fidelity_flags.flags(
        db,
        scope,
        children=fidelity.child_dosage(db, scope),
        renewal_years=place.org.dbs_renewal_years,
    )
    counts = Counter(f.kind for f in raised)
    return [(label, counts[kind]) for kind, label in fidelity_flags.KINDS.items() if counts[kind]]


# Queueing --------------------------------------------------------------------------------


def _taken(db: Session, keys: list[str]) -> set[str]:
    """The dedupe keys among `keys` already in the outbox (one query)."""
    if not keys:
        return set()
    return {
        key
        for key in db.exec(
            select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(keys))
        ).all()
        if key is not None
    }


def _queue(db: Session, due: list[Due], now: dt.datetime) -> int:
    """Insert the messages of `due` that their recipients want, skipping any whose key
    another worker took meanwhile (ON CONFLICT DO NOTHING: no error, no duplicate)."""
    rows = []
    seen: set[str] = set()
    for item in due:
        if item.key in seen or not item.recipient.active or not wants(item.recipient, item.kind):
            continue
        seen.add(item.key)
        subject, body = render(item.kind, {"recipient": item.recipient, **item.context})
        message = OutboxMessage(
            org_id=item.recipient.org_id,
            user_id=item.recipient.id,
            kind=item.kind.value,
            to_address=item.recipient.email,
            subject=subject[:200],
            body_text=body,
            dedupe_key=item.key,
            next_attempt_at=now,
            created_at=now,
        )
        row = {c.name: getattr(message, c.name) for c in OutboxMessage.__table__.columns}  # type: ignore[attr-defined]
        row.pop("id")
        rows.append(row)
    if not rows:
        return 0
    db.flush()
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    queued = 0
    for start in range(0, len(rows), INSERT_BATCH):
        statement = (
            insert(OutboxMessage.__table__)  # type: ignore[attr-defined]
            .values(rows[start : start + INSERT_BATCH])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage.__table__.c.id)  # type: ignore[attr-defined]
        )
        # The rows really inserted (a driver's rowcount is not always told).
        queued += len(db.execute(statement).all())
    return queued
