"""Calendar feeds: each user's secret iCalendar address with their group sessions and, for
mentors, their visits and their mentees' group sessions."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import CalendarChildLabel, Organisation, Role, User
from app.auth.security import token_digest, tokens_match
from app.calendar.models import CalendarFeed
from app.children.models import Child
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, GroupSession, SessionStatus
from app.curriculum.models import CurriculumWeek
from app.mentoring.models import Match, MentorVisit, VisitStatus

PRODID = "-//Tandem//Group sessions//EN"


def child_label(setting: CalendarChildLabel, *, reference: str, first_name: str) -> str:
    """What stands for a child in a feed, as the organisation chose (README "Calendar
    feeds"): their reference (the default), their initials ("A." for Amira, "M.-L." for
    Mary-Lou, "A.B." for "Anna Beth") or their first name."""
    if setting == CalendarChildLabel.first_name:
        return first_name
    if setting == CalendarChildLabel.initials:
        words = first_name.split()
        return "".join(
            "-".join(f"{part[:1].upper()}." for part in word.split("-") if part) for word in words
        )
    return reference


def feed_url(base_url: str, token: str) -> str:
    """The feed's secret address on this site (`base_url`: where the request came to)."""
    return base_url.rstrip("/") + f"/calendar/{token}.ics"


def feed_of(db: Session, *, user: User) -> CalendarFeed | None:
    return db.get(CalendarFeed, user.id)


def issue(db: Session, *, user: User) -> str:
    """A new secret address for the user (the old one, if any, stops working): the token,
    which only its digest is kept of, so it is shown now or never."""
    raw = secrets.token_urlsafe(32)
    digest, now = token_digest(raw), dt.datetime.now(dt.UTC)
    feed = feed_of(db, user=user)
    if feed is None:
        feed = CalendarFeed(
            user_id=user.id or 0, org_id=user.org_id, token_hash=digest, created_at=now
        )
    feed.token_hash, feed.created_at = digest, now
    db.add(feed)
    db.flush()
    return raw


def first_address(db: Session, *, user: User) -> str | None:
    """The user's first address, made now; None when they have one already (it cannot be
    shown again: re-issue it to see a new one)."""
    return None if feed_of(db, user=user) is not None else issue(db, user=user)


def is_current(db: Session, *, user: User, token: str) -> bool:
    """Whether `token` is the user's address now (one just issued, handed back to be shown)."""
    feed = feed_of(db, user=user)
    return feed is not None and tokens_match(token_digest(token), feed.token_hash)


def rotate(db: Session, *, user: User) -> str:
    raw = issue(db, user=user)
    audit.record(
        db,
        org_id=user.org_id,
        actor=user,
        action="rotate_calendar",
        entity="user",
        entity_id=user.id,
        changes={"calendar_token": "changed"},
    )
    return raw


def user_for_token(db: Session, token: str) -> User | None:
    row = db.exec(
        select(User)
        .join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(CalendarFeed.token_hash == token_digest(token), col(User.active).is_(True))
    ).first()
    return row


def render_feed(db: Session, *, user: User) -> bytes:
    """RFC 5545: one VEVENT per occurrence, local Europe/London times with TZID, stable
    UIDs, cancelled occurrences sent as STATUS:CANCELLED so calendars remove them."""
    org = db.get(Organisation, user.org_id)
    zone = ZoneInfo(org.timezone if org else "Europe/London")
    setting = org.calendar_child_label if org else CalendarChildLabel.reference
    stmt = (
        select(GroupSession, Cohort.name, CurriculumWeek.title)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .join(
            CurriculumWeek,
            (col(CurriculumWeek.curriculum_id) == col(Cohort.curriculum_id))
            & (col(CurriculumWeek.week) == col(GroupSession.week)),
            isouter=True,
        )
        .where(GroupSession.org_id == user.org_id)
        .order_by(col(GroupSession.date))
    )
    if user.role == Role.facilitator:
        # The sessions they run: their cohorts' (not those someone covers) and their covers.
        stmt = stmt.where(cohorts.run_by_any_of(user.org_id, [user.id or 0]))
    mentees: dict[int, list[str]] = {}
    if user.role == Role.mentor:
        # The mentees' group sessions: those of their cohorts while they are enrolled.
        for session_id, reference, first_name in db.execute(
            select(GroupSession.id, Child.reference, Child.first_name)
            .join(Enrolment, col(Enrolment.cohort_id) == col(GroupSession.cohort_id))
            .join(Match, col(Match.child_id) == col(Enrolment.child_id))
            .join(Child, col(Child.id) == col(Match.child_id))
            .where(
                GroupSession.org_id == user.org_id,
                Match.org_id == user.org_id,
                Match.mentor_id == user.id,
                col(Match.end_date).is_(None),
                col(Enrolment.start_date) <= col(GroupSession.date),
                col(Enrolment.end_date).is_(None)
                | (col(Enrolment.end_date) >= col(GroupSession.date)),
            )
            .order_by(col(Child.reference))
        ).all():
            names = mentees.setdefault(session_id, [])
            label = child_label(setting, reference=reference, first_name=first_name)
            if label not in names:
                names.append(label)
        stmt = stmt.where(col(GroupSession.id).in_(list(mentees) or [0]))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Tandem: {user.name}")
    calendar.add("x-wr-timezone", str(zone))
    stamp = dt.datetime.now(dt.UTC)
    for session, cohort_name, lesson in db.exec(stmt).all():
        event = Event()
        event.add("uid", f"group-session-{session.id}@tandem")
        event.add("dtstamp", stamp)
        event.add("dtstart", dt.datetime.combine(session.date, session.start_time, tzinfo=zone))
        event.add("dtend", dt.datetime.combine(session.date, session.end_time, tzinfo=zone))
        summary = f"{cohort_name}: week {session.week}" + (f", {lesson}" if lesson else "")
        if session.id in mentees:
            who = ", ".join(mentees[session.id])
            summary = f"{cohort_name} ({who}): week {session.week}" + (
                f", {lesson}" if lesson else ""
            )
        event.add("summary", summary)
        event.add("location", session.venue)
        event.add("sequence", session.version)
        if session.status == SessionStatus.cancelled:
            event.add("status", "CANCELLED")
            if session.cancel_reason:
                event.add("description", f"Cancelled: {session.cancel_reason}")
        else:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    if user.role == Role.mentor:
        for event in _visit_events(db, user=user, zone=zone, stamp=stamp, setting=setting):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _visit_events(
    db: Session, *, user: User, zone: ZoneInfo, stamp: dt.datetime, setting: CalendarChildLabel
) -> list[Event]:
    """The mentor's visits with their active mentees, in one query: "Visit: <the child's
    reference, initials or first name, as the organisation chose>", nothing else about
    them. A cancelled visit is sent as STATUS:CANCELLED; SEQUENCE is
    the visit's version, so a moved or cancelled visit replaces the one a calendar holds."""
    rows = db.execute(
        select(MentorVisit, Child.reference, Child.first_name)
        .join(Match, col(Match.id) == col(MentorVisit.match_id))
        .join(Child, col(Child.id) == col(MentorVisit.child_id))
        .where(
            MentorVisit.org_id == user.org_id,
            MentorVisit.mentor_id == user.id,
            Match.mentor_id == user.id,
            col(Match.end_date).is_(None),
        )
        .order_by(col(MentorVisit.date), col(MentorVisit.start_time))
    ).all()
    events = []
    for visit, reference, first_name in rows:
        event = Event()
        event.add("uid", f"mentor-visit-{visit.id}@tandem")
        event.add("dtstamp", stamp)
        if visit.start_time is not None:
            start = dt.datetime.combine(visit.date, visit.start_time, tzinfo=zone)
            event.add("dtstart", start)
            event.add("dtend", start + dt.timedelta(minutes=visit.minutes))
        else:  # no time given: the day itself
            event.add("dtstart", visit.date)
            event.add("dtend", visit.date + dt.timedelta(days=1))
        label = child_label(setting, reference=reference, first_name=first_name)
        event.add("summary", f"Visit: {label}")
        event.add("sequence", visit.version)
        if visit.status == VisitStatus.cancelled:
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
            if visit.status == VisitStatus.missed:
                event.add("description", "Recorded as missed")
        events.append(event)
    return events
