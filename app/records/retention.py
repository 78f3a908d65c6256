"""Retention (UK GDPR storage limitation): a child's identifiable record is kept for the
organisation's `retention_years_after_last_involvement` (N, default 6) after their last
involvement, then anonymised; ended mentors' and deactivated accounts' personal details
follow the same rule. Legal hold keeps a child's record as it is.

Definitions (dates are calendar dates; "N years after" a date is the same day N years on,
29 February becoming 28 February when that year has none):

- A child's *last involvement* is the latest of: a scheduled or delivered session on their
  register (a session of a cohort they were enrolled in, dated while that enrolment ran:
  app/fidelity/sql.py `on_register`), a mentor visit's date, an assessment's completed_on,
  a life event's date, an enrolment's start or end, a match's start or end, and the day the
  record was created (UTC), so that a child never enrolled still ages out. Dates in the
  future count (a child with a session planned is still involved).
- On day D a child is *past retention* when D is later than their last involvement plus N
  years (D > last + N years), they are not on legal hold, and they are not anonymised yet.
  Equivalently every involvement date is on or before `cutoff(D, N)`, the last day whose
  N-years-later day is before D: that is how the SQL asks it (NOT EXISTS a later date).
- A *user* is past retention when they are a mentor or their account is deactivated, they
  have no active match, they are not anonymised yet, and every sign of activity is on or
  before the cutoff: account created, password changed, a browser session last seen, an
  API token issued, an audit event they made or about them (deactivation is one), a visit
  they made, a match of theirs started or ended.

Anonymising a child keeps every figure for past dates (who attended what, hours, dosage,
scores, events by kind and date, the age at the first session) and removes what identifies
them: the reference becomes "ANON-" and random hex, the first name "Anonymised", the date
of birth goes (age_at_first_session, whole years at the first session of the assessment
windows, is kept), the preferences, interests, languages, gender and ethnicity (coded and
own words: no figure reads them, only matching), the consent giver's words, the legal hold
reason; the notes on their register rows, their visits' summaries and cancel reasons, the
reviews of concerns raised in those visits, their matches' closure notes and check-in
notes, their practice tasks' notes, their life events' notes, their enrolments' withdrawal
reason and eligibility override (the fact that there was one stays, as "Removed"). Text of
a session that names several children (the session's notes, coverage notes, observation
comments, flag acknowledgements of its cohort) cannot be split: it is cleared when it
contains the child's first name or reference, case-insensitively (a substring search: a
short first name inside a longer word clears it too, the safe side; the candidate texts are
read in one query and matched in Python against every name at once). Audit events about the child
keep their keys with every value "removed"; events about their rows (enrolments, matches,
visits, events, assessments, sessions they were on) lose the child's free text. Emails in
the outbox that mention the first name or reference have their subject and body replaced.

A run is a constant number of statements whatever the number of children (set-based UPDATEs
over the ids chosen, and a few executemany statements for what differs per row).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    String,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.models import ApiToken, Organisation, Role, User, WebSession
from app.auth.service import require_staff
from app.children import service as children
from app.children.models import Child
from app.cohorts.models import Enrolment, GroupSession, SessionStatus, enrolled_on
from app.exceptions import Conflict
from app.fidelity.models import FlagAcknowledgement
from app.mail.models import OutboxMessage
from app.mentoring.models import (
    CheckIn,
    ConcernReview,
    Match,
    MentorProfile,
    MentorVisit,
)
from app.outcomes.assessments.windows import load_anchors
from app.outcomes.models import Assessment, LifeEvent
from app.sessions.models import (
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionObservation,
    SessionRecord,
)

REMOVED = "removed"
ANON_NAME = "Anonymised"
# Free-text keys in audit events' changes: what a person typed about a child.
FREE_TEXT_KEYS = frozenset(
    {
        "note",
        "notes",
        "summary",
        "closure_note",
        "cancel_reason",
        "withdraw_reason",
        "eligibility_override",
        "reason",
        "comments",
        "first_name",
        "reference",
        "date_of_birth",
        "consent_given_by",
        "preferences",
        "interests",
        "languages",
        "languages_other",
        "gender_other",
        "ethnicity_other",
        "legal_hold_reason",
    }
)
# The user's details that identify them, in events about them.
USER_KEYS = frozenset({"name", "email"})
PROFILE_KEYS = frozenset({"about", "availability", "gender", "ethnicity"})
# Ids are used in IN lists of at most this many (SQLite's limit on variables is 32,766).
CHUNK = 5000


def _t(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def cutoff(day: dt.date, years: int) -> dt.date:
    """The last date L with add_years(L, years) < day: a record whose every involvement is
    on or before it is past retention on `day`."""
    latest = day - dt.timedelta(days=1)  # add_years(L) must be on or before this
    year = latest.year - years
    if (latest.month, latest.day) == (2, 29):
        return dt.date(year, 2, 28) if not _leap(year) else dt.date(year, 2, 29)
    candidate = dt.date(year, latest.month, latest.day)
    if (latest.month, latest.day) == (2, 28) and _leap(year):
        return dt.date(year, 2, 29)  # 29 February + N years is 28 February
    return candidate


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class utc_day(FunctionElement[dt.date]):
    """The UTC date of a stored timestamp, alike on SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"date({compiler.process(arg, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(({compiler.process(arg, **kw)} AT TIME ZONE 'UTC') AS DATE)"


# Involvement ---------------------------------------------------------------------------------

CHILDREN, ENROLMENTS, SESSIONS = _t(Child), _t(Enrolment), _t(GroupSession)
VISITS, ASSESSMENTS, EVENTS, MATCHES = _t(MentorVisit), _t(Assessment), _t(LifeEvent), _t(Match)


def _involvements(org_id: int, child_id: Any) -> list[Any]:
    """One SELECT of (child_id, day) per kind of involvement, for the children `child_id`
    matches (a column, for a correlated EXISTS; or an IN clause's values)."""
    e, s = ENROLMENTS.c, SESSIONS.c
    live = s.status != SessionStatus.cancelled.value
    return [
        select(e.child_id.label("child_id"), s.date.label("day"))
        .select_from(ENROLMENTS.join(SESSIONS, and_(s.cohort_id == e.cohort_id, live)))
        .where(e.org_id == org_id, child_id(e.child_id), enrolled_on(s.date, e)),
        select(VISITS.c.child_id, VISITS.c.date).where(
            VISITS.c.org_id == org_id, child_id(VISITS.c.child_id)
        ),
        select(ASSESSMENTS.c.child_id, ASSESSMENTS.c.completed_on).where(
            ASSESSMENTS.c.org_id == org_id, child_id(ASSESSMENTS.c.child_id)
        ),
        select(EVENTS.c.child_id, EVENTS.c.date).where(
            EVENTS.c.org_id == org_id, child_id(EVENTS.c.child_id)
        ),
        select(e.child_id, e.start_date).where(e.org_id == org_id, child_id(e.child_id)),
        select(e.child_id, e.end_date).where(
            e.org_id == org_id, child_id(e.child_id), e.end_date.is_not(None)
        ),
        select(MATCHES.c.child_id, MATCHES.c.start_date).where(
            MATCHES.c.org_id == org_id, child_id(MATCHES.c.child_id)
        ),
        select(MATCHES.c.child_id, MATCHES.c.end_date).where(
            MATCHES.c.org_id == org_id,
            child_id(MATCHES.c.child_id),
            MATCHES.c.end_date.is_not(None),
        ),
        select(CHILDREN.c.id, utc_day(CHILDREN.c.created_at)).where(
            CHILDREN.c.org_id == org_id, child_id(CHILDREN.c.id)
        ),
    ]


def past_retention(org_id: int, day: dt.date, years: int) -> ColumnElement[bool]:
    """The child row (the `child` table) is past retention on `day` (module docstring)."""
    last_kept = cutoff(day, years)
    c = CHILDREN.c
    # The last of _involvements is the child row's own creation: asked of the row itself.
    *others, _created = _involvements(org_id, lambda column: column == c.id)
    later = [~exists(stmt.where(stmt.selected_columns[1] > last_kept)) for stmt in others]
    return and_(
        c.org_id == org_id,
        c.legal_hold.is_(False),
        c.anonymised_at.is_(None),
        utc_day(c.created_at) <= last_kept,
        *later,
    )


def last_involvement(db: Session, *, org_id: int, child_ids: Sequence[int]) -> dict[int, dt.date]:
    """Each child's last involvement (module docstring), in one query."""
    found: dict[int, dt.date] = {}
    for chunk in _chunks(child_ids):
        union = union_all(
            *_involvements(org_id, lambda column, ids=chunk: column.in_(ids))
        ).subquery("involvement")
        stmt = select(union.c.child_id, func.max(union.c.day)).group_by(union.c.child_id)
        for child_id, day in db.execute(stmt).all():
            found[child_id] = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    return found


def kept_until(db: Session, *, child: Child, org: Organisation) -> tuple[dt.date, dt.date] | None:
    """(last involvement, the last day the record is kept) for a child's page; None when
    anonymised or on legal hold."""
    if child.id is None or child.anonymised_at is not None or child.legal_hold:
        return None
    last = last_involvement(db, org_id=child.org_id, child_ids=[child.id]).get(child.id)
    if last is None:
        return None
    return last, add_years(last, org.retention_years_after_last_involvement)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


# Users -----------------------------------------------------------------------------------------

USERS = _t(User)


def users_past_retention(org_id: int, day: dt.date, years: int) -> ColumnElement[bool]:
    """The user row is past retention on `day` (module docstring)."""
    last_kept = cutoff(day, years)
    u = USERS.c
    ws, tok, ev = _t(WebSession).c, _t(ApiToken).c, _t(AuditEvent).c
    m, v = MATCHES.c, VISITS.c
    after = _end_of_day(last_kept)
    return and_(
        u.org_id == org_id,
        u.anonymised_at.is_(None),
        or_(u.role == Role.mentor.value, u.active.is_(False)),
        u.created_at < after,
        u.password_changed_at < after,
        ~exists().where(m.org_id == org_id, m.mentor_id == u.id, m.end_date.is_(None)),
        ~exists().where(
            m.org_id == org_id,
            m.mentor_id == u.id,
            or_(m.start_date > last_kept, m.end_date > last_kept),
        ),
        ~exists().where(v.mentor_id == u.id, v.org_id == org_id, v.date > last_kept),
        ~exists().where(ws.user_id == u.id, ws.last_seen_at >= after),
        ~exists().where(tok.user_id == u.id, tok.created_at >= after),
        ~exists().where(ev.org_id == org_id, ev.actor_id == u.id, ev.at >= after),
        ~exists().where(
            ev.org_id == org_id, ev.entity == "user", ev.entity_id == u.id, ev.at >= after
        ),
    )


def _end_of_day(day: dt.date) -> dt.datetime:
    """The first instant (UTC) after `day`."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


# The run -------------------------------------------------------------------------------------


@dataclass
class Due:
    """A child who would be anonymised, and why."""

    child_id: int
    reference: str
    last_involvement: dt.date
    kept_until: dt.date


@dataclass
class DueUser:
    user_id: int
    name: str
    role: str
    active: bool


@dataclass
class Outcome:
    """What a run found (dry) or did, for one organisation."""

    org_id: int
    org_name: str
    day: dt.date
    years: int
    children: list[Due] = field(default_factory=list)
    users: list[DueUser] = field(default_factory=list)
    dry_run: bool = True


def find_due(db: Session, *, org: Organisation, day: dt.date) -> Outcome:
    """Who is past retention on `day` in the organisation (changes nothing)."""
    org_id, years = org.id or 0, org.retention_years_after_last_involvement
    rows = db.execute(
        select(CHILDREN.c.id, CHILDREN.c.reference)
        .where(past_retention(org_id, day, years))
        .order_by(CHILDREN.c.id)
    ).all()
    lasts = last_involvement(db, org_id=org_id, child_ids=[r[0] for r in rows])
    due = [
        Due(cid, ref, lasts[cid], add_years(lasts[cid], years)) for cid, ref in rows if cid in lasts
    ]
    u = USERS.c
    users = [
        DueUser(uid, name, role.value if isinstance(role, Role) else str(role), bool(active))
        for uid, name, role, active in db.execute(
            select(u.id, u.name, u.role, u.active)
            .where(users_past_retention(org_id, day, years))
            .order_by(u.id)
        ).all()
    ]
    return Outcome(org_id, org.name, day, years, due, users)


def run(
    db: Session,
    *,
    now: dt.datetime,
    day: dt.date | None = None,
    dry_run: bool = False,
    org_name: str | None = None,
    record_empty: bool = True,
) -> list[Outcome]:
    """Find (and unless `dry_run`, anonymise) who is past retention on `day` (by default
    each organisation's own today at `now`) in each organisation (or the one named), in the
    caller's transaction. One audit event per
    organisation's run (counts only), and one per child and per user ("anonymise")."""
    stmt = select_rows(Organisation).order_by(col(Organisation.id))
    if org_name is not None:
        stmt = stmt.where(Organisation.name == org_name)
    outcomes = []
    for org in db.exec(stmt).all():
        found = find_due(db, org=org, day=day or now.astimezone(ZoneInfo(org.timezone)).date())
        if not dry_run and (record_empty or found.children or found.users):
            anonymise_children(
                db, org_id=found.org_id, child_ids=[d.child_id for d in found.children], now=now
            )
            anonymise_users(
                db, org_id=found.org_id, user_ids=[u.user_id for u in found.users], now=now
            )
            audit.record(
                db,
                org_id=found.org_id,
                actor=None,
                action="retention_run",
                entity="organisation",
                entity_id=found.org_id,
                changes={
                    "children_anonymised": len(found.children),
                    "users_anonymised": len(found.users),
                    "retention_years": found.years,
                    "day": found.day.isoformat(),
                },
            )
            found.dry_run = False
        outcomes.append(found)
    return outcomes


def anonymise_children(db: Session, *, org_id: int, child_ids: list[int], now: dt.datetime) -> None:
    """Remove what identifies these children (module docstring), set-based."""
    if not child_ids:
        return
    db.flush()
    anchors = load_anchors(db, org_id=org_id, child_ids=child_ids)
    for ids in _chunks(child_ids):
        names = _names(db, ids)
        _scrub_audit(db, org_id=org_id, child_ids=ids, names=names)
        _clear_shared_text(db, org_id=org_id, child_ids=ids, names=names)
        _clear_own_text(db, org_id=org_id, child_ids=ids)
    # The child rows last: the searches above read their names and references.
    c = CHILDREN.c
    taken = set(db.execute(select(c.reference).where(c.org_id == org_id)).scalars().all())
    rows = []
    for ids in _chunks(child_ids):
        for child_id, born, kept_age in db.execute(
            select(c.id, c.date_of_birth, c.age_at_first_session).where(c.id.in_(ids))
        ).all():
            first = anchors.get(child_id)
            age = (
                children.age_on(born, first.first)
                if born is not None and first is not None
                else kept_age
            )
            rows.append({"b_id": child_id, "b_reference": _random_reference(taken), "b_age": age})
    db.execute(
        update(CHILDREN)
        .where(c.id == bindparam("b_id"))
        .values(
            reference=bindparam("b_reference"),
            age_at_first_session=bindparam("b_age"),
            first_name=ANON_NAME,
            date_of_birth=None,
            gender=None,
            gender_other=None,
            ethnicity=None,
            ethnicity_other=None,
            languages=[],
            languages_other=None,
            interests=[],
            preferences={},
            consent_given_by="Removed",
            legal_hold_reason=None,
            anonymised_at=now,
            updated_at=now,
        ),
        rows,
    )
    _audit_anonymised(db, org_id=org_id, now=now, entity="child", ids=child_ids)
    db.expire_all()


def _audit_anonymised(
    db: Session, *, org_id: int, now: dt.datetime, entity: str, ids: Sequence[int]
) -> None:
    """One "anonymise" audit event per child or person, by the system, in one INSERT."""
    db.execute(
        insert(_t(AuditEvent)),
        [
            {
                "org_id": org_id,
                "actor_id": None,
                "at": now,
                "action": "anonymise",
                "entity": entity,
                "entity_id": entity_id,
                "changes": {"reason": "retention"},
                "request_id": None,
            }
            for entity_id in ids
        ],
    )


def _random_reference(taken: set[str]) -> str:
    while True:
        reference = "ANON-" + secrets.token_hex(8).upper()
        if reference not in taken:
            taken.add(reference)
            return reference


def _clear_own_text(db: Session, *, org_id: int, child_ids: list[int]) -> None:
    """Free text on rows that are the child's own."""
    a, v, m = _t(Attendance).c, VISITS.c, MATCHES.c
    db.execute(
        update(_t(Attendance))
        .where(a.org_id == org_id, a.child_id.in_(child_ids), a.note.is_not(None))
        .values(note=None)
    )
    db.execute(
        update(VISITS)
        .where(
            v.org_id == org_id,
            v.child_id.in_(child_ids),
            or_(v.summary.is_not(None), v.cancel_reason.is_not(None)),
        )
        .values(summary=None, cancel_reason=None)
    )
    their_visits = select(v.id).where(v.org_id == org_id, v.child_id.in_(child_ids))
    r = _t(ConcernReview).c
    db.execute(
        update(_t(ConcernReview))
        .where(r.org_id == org_id, r.visit_id.in_(their_visits))
        .values(note="Removed")
    )
    db.execute(
        update(MATCHES)
        .where(m.org_id == org_id, m.child_id.in_(child_ids), m.closure_note.is_not(None))
        .values(closure_note=None)
    )
    their_matches = select(m.id).where(m.org_id == org_id, m.child_id.in_(child_ids))
    ci = _t(CheckIn).c
    db.execute(
        update(_t(CheckIn))
        .where(ci.org_id == org_id, ci.match_id.in_(their_matches), ci.notes.is_not(None))
        .values(notes=None)
    )
    p = _t(PracticeAssignment).c
    db.execute(
        update(_t(PracticeAssignment))
        .where(p.org_id == org_id, p.child_id.in_(child_ids), p.note.is_not(None))
        .values(note=None)
    )
    ev = EVENTS.c
    db.execute(
        update(EVENTS)
        .where(ev.org_id == org_id, ev.child_id.in_(child_ids), ev.note.is_not(None))
        .values(note=None)
    )
    e = ENROLMENTS.c
    db.execute(
        update(ENROLMENTS)
        .where(e.org_id == org_id, e.child_id.in_(child_ids), e.withdraw_reason.is_not(None))
        .values(withdraw_reason="Removed")
    )
    db.execute(
        update(ENROLMENTS)
        .where(e.org_id == org_id, e.child_id.in_(child_ids), e.eligibility_override.is_not(None))
        .values(eligibility_override="Removed")
    )


def _names(db: Session, child_ids: list[int]) -> set[str]:
    """The children's first names and references, lower-cased (one SELECT, before the child
    rows change)."""
    return {
        text.lower()
        for row in db.execute(
            select(CHILDREN.c.first_name, CHILDREN.c.reference).where(CHILDREN.c.id.in_(child_ids))
        ).all()
        for text in row
        if text
    }


def _matcher(names: Iterable[str]) -> Callable[[str | None], bool]:
    """Whether a text contains one of `names` (lower-cased), case-insensitively: one regular
    expression shaped as a trie of the names, so a text is read once whatever their number
    (a name that another begins with is enough on its own)."""
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        branches = [re.escape(char) + pattern(rest) for char, rest in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    if not trie:
        return lambda text: False
    search = re.compile(pattern(trie)).search
    return lambda text: bool(text) and search(text.lower()) is not None  # type: ignore[union-attr]


SHARED_TEXT = (  # (kind, table, key, text column, what a matching text becomes)
    ("session_record", SessionRecord, "session_id", "notes", None),
    ("coverage", Coverage, "id", "note", None),
    ("session_observation", SessionObservation, "id", "comments", None),
    ("flag_acknowledgement", FlagAcknowledgement, "id", "note", "Removed"),
)


def _clear_shared_text(db: Session, *, org_id: int, child_ids: list[int], names: set[str]) -> None:
    """Text of the sessions and cohorts they were in, and emails, that name them (module
    docstring): the candidate texts in one SELECT, matched here against every name at once,
    then one UPDATE by id per table (a LIKE per child and row was most of a run's time)."""
    e, s = ENROLMENTS.c, SESSIONS.c
    their_cohorts = select(e.cohort_id).where(e.org_id == org_id, e.child_id.in_(child_ids))
    their_sessions = select(s.id).where(s.org_id == org_id, s.cohort_id.in_(their_cohorts))
    parts = []
    for kind, model, key, column, _blank in SHARED_TEXT:
        t = _t(model).c
        where = (
            or_(t.cohort_id.in_(their_cohorts), t.session_id.in_(their_sessions))
            if model is FlagAcknowledgement
            else t.session_id.in_(their_sessions)
        )
        parts.append(
            select(
                literal(kind).label("kind"),
                t[key].label("id"),
                t[column].label("text"),
                cast(null(), String).label("other"),
            ).where(t.org_id == org_id, where, t[column].is_not(None), t[column] != "")
        )
    o = _t(OutboxMessage).c
    parts.append(
        select(literal("outbox_message"), o.id, o.subject, o.body_text).where(o.org_id == org_id)
    )
    mentions = _matcher(names)
    hits: dict[str, list[int]] = {kind: [] for kind, *_ in SHARED_TEXT}
    hits["outbox_message"] = []
    for kind, row_id, text, other in db.execute(union_all(*parts)).all():
        if mentions(text) or mentions(other):
            hits[kind].append(row_id)
    for kind, model, key, column, blank in SHARED_TEXT:
        table = _t(model)
        db.execute(update(table).where(table.c[key].in_(hits[kind])).values({column: blank}))
    db.execute(
        update(_t(OutboxMessage))
        .where(o.id.in_(hits["outbox_message"]))
        .values(subject="(removed)", body_text="(removed: it named an anonymised child)")
    )


def _scrub_audit(db: Session, *, org_id: int, child_ids: list[int], names: set[str]) -> None:
    """Audit events about the child: every value "removed"; events about their rows (and the
    sessions they were on): their free text "removed". One SELECT, one executemany."""
    ev = _t(AuditEvent).c
    e, m, v = ENROLMENTS.c, MATCHES.c, VISITS.c
    a = _t(Attendance).c
    rows_of = {
        "enrolment": select(e.id).where(e.org_id == org_id, e.child_id.in_(child_ids)),
        "match": select(m.id).where(m.org_id == org_id, m.child_id.in_(child_ids)),
        "visit": select(v.id).where(v.org_id == org_id, v.child_id.in_(child_ids)),
        "life_event": select(EVENTS.c.id).where(
            EVENTS.c.org_id == org_id, EVENTS.c.child_id.in_(child_ids)
        ),
        "assessment": select(ASSESSMENTS.c.id).where(
            ASSESSMENTS.c.org_id == org_id, ASSESSMENTS.c.child_id.in_(child_ids)
        ),
        "practice_assignment": select(_t(PracticeAssignment).c.id).where(
            _t(PracticeAssignment).c.org_id == org_id,
            _t(PracticeAssignment).c.child_id.in_(child_ids),
        ),
        "session": select(a.session_id).where(a.org_id == org_id, a.child_id.in_(child_ids)),
    }
    about = or_(
        and_(ev.entity == "child", ev.entity_id.in_(child_ids)),
        *(and_(ev.entity == kind, ev.entity_id.in_(ids)) for kind, ids in rows_of.items()),
    )
    found = db.execute(select(ev.id, ev.entity, ev.changes).where(ev.org_id == org_id, about)).all()
    ids = set(child_ids)
    changed = []
    for event_id, entity, changes in found:
        if entity == "child":
            new = dict.fromkeys(changes or {}, REMOVED)
        else:
            new = _scrubbed(changes or {}, ids, names, mine=entity != "session")
        if new != changes:
            changed.append({"b_id": event_id, "b_changes": new})
    if changed:
        db.execute(
            update(_t(AuditEvent))
            .where(ev.id == bindparam("b_id"))
            .values(changes=bindparam("b_changes")),
            changed,
        )


def _scrubbed(value: Any, ids: set[int], names: set[str], *, mine: bool) -> Any:
    """The changes with the child's free text "removed": every free-text key when the row is
    theirs (`mine`), else in the rows of a list that name their id; any string holding
    their first name or reference."""
    if isinstance(value, dict):
        theirs = mine or value.get("child_id") in ids
        return {
            key: (
                REMOVED
                if theirs and key in FREE_TEXT_KEYS and item not in (None, "")
                else _scrubbed(item, ids, names, mine=mine)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed(item, ids, names, mine=mine) for item in value]
    if isinstance(value, str) and any(name and name in value.lower() for name in names):
        return REMOVED
    return value


def anonymise_users(db: Session, *, org_id: int, user_ids: list[int], now: dt.datetime) -> None:
    """Replace these people's name and email, clear a mentor profile's personal details, end
    their sign-ins. Their visits, matches and figures stay."""
    if not user_ids:
        return
    db.flush()
    u = USERS.c
    for ids in _chunks(user_ids):
        db.execute(
            update(USERS)
            .where(u.id.in_(ids))
            .values(
                name=literal("Former ") + cast(u.role, String) + literal(" ") + cast(u.id, String),
                email=literal("anonymised-") + cast(u.id, String) + literal("@invalid"),
                password_hash=None,
                active=False,
                mfa_secret=None,
                mfa_enabled_at=None,
                notification_email={},
                anonymised_at=now,
            )
        )
        p = _t(MentorProfile).c
        db.execute(
            update(_t(MentorProfile))
            .where(p.user_id.in_(ids))
            .values(
                gender=None,
                gender_other=None,
                ethnicity=None,
                ethnicity_other=None,
                languages=[],
                languages_other=None,
                interests=[],
                availability=None,
                about=None,
                updated_at=now,
            )
        )
        for model in (WebSession, ApiToken):
            t = _t(model).c
            db.execute(
                update(_t(model))
                .where(t.user_id.in_(ids), t.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        ev = _t(AuditEvent).c
        found = db.execute(
            select(ev.id, ev.changes).where(
                ev.org_id == org_id,
                ev.entity.in_(("user", "mentor_profile")),
                ev.entity_id.in_(ids),
            )
        ).all()
        changed = [
            {
                "b_id": event_id,
                "b_changes": {
                    k: (
                        REMOVED
                        if k in USER_KEYS | FREE_TEXT_KEYS | {"about", "availability"}
                        else x
                    )
                    for k, x in (changes or {}).items()
                },
            }
            for event_id, changes in found
        ]
        if changed:
            db.execute(
                update(_t(AuditEvent))
                .where(ev.id == bindparam("b_id"))
                .values(changes=bindparam("b_changes")),
                changed,
            )
    _audit_anonymised(db, org_id=org_id, now=now, entity="user", ids=user_ids)
    db.expire_all()


# Legal hold --------------------------------------------------------------------------------------


def place_legal_hold(db: Session, *, actor: User, child_id: int, reason: str) -> Child:
    """Keep the child's record from anonymisation (lead, admin), audited with the reason."""
    require_staff(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    if child.anonymised_at is not None:
        raise Conflict(
            f"{child.reference}'s record is already anonymised: there is nothing to hold."
        )
    audit.update(
        db,
        child,
        {"legal_hold": True, "legal_hold_reason": reason},
        actor=actor,
        entity="child",
        entity_id=child.id,
    )
    return child


def lift_legal_hold(db: Session, *, actor: User, child_id: int) -> Child:
    """Let retention apply to the child again (lead, admin), audited with the old reason."""
    require_staff(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    audit.update(
        db,
        child,
        {"legal_hold": False, "legal_hold_reason": None},
        actor=actor,
        entity="child",
        entity_id=child.id,
    )
    return child


# The worker's daily run ----------------------------------------------------------------------


def ran_today(db: Session, *, org_id: int, since: dt.datetime) -> bool:
    """Whether the organisation's retention has run since `since` (its local midnight)."""
    ev = _t(AuditEvent).c
    return (
        db.execute(
            select(ev.id)
            .where(
                ev.org_id == org_id,
                ev.entity == "organisation",
                ev.entity_id == org_id,
                ev.action == "retention_run",
                ev.at >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


__all__ = [
    "DailyRun",
    "Due",
    "DueUser",
    "Outcome",
    "add_years",
    "cutoff",
    "find_due",
    "kept_until",
    "last_involvement",
    "lift_legal_hold",
    "place_legal_hold",
    "run",
]


class DailyRun:
    """The worker's job: each organisation's run once a day, at the first tick of its
    (local) day; the number of children anonymised. Each process remembers the days it has
    run; across processes and restarts, a run that anonymised anyone leaves its audit event,
    which the next worker finds (an empty run writes nothing, so a worker that only reads
    never waits on a writer: it asks again once a day, in each process)."""

    def __init__(self) -> None:
        self.done: dict[int, dt.date] = {}

    def __call__(self, db: Session, now: dt.datetime) -> int:
        count = 0
        for org in db.exec(select_rows(Organisation).order_by(col(Organisation.id))).all():
            zone = ZoneInfo(org.timezone)
            today = now.astimezone(zone).date()
            org_id = org.id or 0
            if self.done.get(org_id) == today:
                continue
            midnight = dt.datetime.combine(today, dt.time(), tzinfo=zone)
            if not ran_today(db, org_id=org_id, since=midnight):
                for outcome in run(db, now=now, day=today, org_name=org.name, record_empty=False):
                    count += len(outcome.children)
            self.done[org_id] = today
        return count
