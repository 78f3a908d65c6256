"""Calendar feeds: each user's secret iCalendar address with their group sessions."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.calendar.models import CalendarFeed
from app.cohorts.models import Cohort, CohortFacilitator, GroupSession, SessionStatus
from app.curriculum.models import CurriculumWeek

PRODID = "-//Tandem//Group sessions//EN"


def feed_for(db: Session, *, user: User) -> CalendarFeed:
    feed = db.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(
            user_id=user.id or 0,
            org_id=user.org_id,
            token=secrets.token_urlsafe(32),
            created_at=dt.datetime.now(dt.UTC),
        )
        db.add(feed)
        db.flush()
    return feed


def rotate(db: Session, *, user: User) -> CalendarFeed:
    feed = feed_for(db, user=user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = dt.datetime.now(dt.UTC)
    db.add(feed)
    audit.record(
        db,
        org_id=user.org_id,
        actor=user,
        action="rotate_calendar",
        entity="user",
        entity_id=user.id,
        changes={"calendar_token": "changed"},
    )
    return feed


def user_for_token(db: Session, token: str) -> User | None:
    row = db.exec(
        select(User)
        .join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(CalendarFeed.token == token, col(User.active).is_(True))
    ).first()
    return row


def render_feed(db: Session, *, user: User) -> bytes:
    """RFC 5545: one VEVENT per occurrence, local Europe/London times with TZID, stable
    UIDs, cancelled occurrences sent as STATUS:CANCELLED so calendars remove them."""
    org = db.get(Organisation, user.org_id)
    zone = ZoneInfo(org.timezone if org else "Europe/London")
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
        stmt = stmt.where(
            col(GroupSession.cohort_id).in_(
                select(CohortFacilitator.cohort_id).where(CohortFacilitator.user_id == user.id)
            )
        )
    elif user.role == Role.mentor:
        stmt = stmt.where(col(GroupSession.id).is_(None))  # mentees' sessions come with matching
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
        event.add(
            "summary", f"{cohort_name}: week {session.week}" + (f", {lesson}" if lesson else "")
        )
        event.add("location", session.venue)
        event.add("sequence", session.version)
        if session.status == SessionStatus.cancelled:
            event.add("status", "CANCELLED")
            if session.cancel_reason:
                event.add("description", f"Cancelled: {session.cancel_reason}")
        else:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
