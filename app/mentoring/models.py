"""Mentoring: mentors and their safer-recruitment checks, matches with children, the
lead's support check-ins, and the one-to-one visits."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class MentorProfile(SQLModel, table=True):
    """A user with the mentor role: who they are (for matching) and their checks."""

    __tablename__ = "mentor_profile"
    __table_args__ = (Index(None, "org_id", "dbs_checked_on"),)

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    # Keys of the controlled lists in app/children/lists.py; "_other": the person's own words.
    gender: str | None = Field(default=None, max_length=40)
    gender_other: str | None = Field(default=None, max_length=80)
    ethnicity: str | None = Field(default=None, max_length=80)
    ethnicity_other: str | None = Field(default=None, max_length=80)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages_other: str | None = Field(default=None, max_length=500)
    interests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    care_experience: bool = False
    # Weekdays and times free, in the mentor's words ("weekday evenings, Saturdays").
    availability: str | None = Field(default=None, max_length=200)
    # One line a child reads on the shortlist ("I play the guitar and love dogs").
    about: str | None = Field(default=None, max_length=200)
    # Safer recruitment: an enhanced DBS check with the barred list, two references,
    # an interview and the programme's training.
    dbs_checked_on: date | None = None
    barred_list_checked: bool = False
    references_checked: bool = False
    interviewed_on: date | None = None
    training_completed_on: date | None = None
    max_caseload: int = Field(default=2, ge=1, le=4)
    # Bumped under a row lock whenever a match is made, so two matches for the last
    # free place are serialised: the second sees the first.
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EndReason(StrEnum):
    planned = "planned"
    mentor_left = "mentor_left"
    child_moved = "child_moved"
    child_request = "child_request"
    safeguarding = "safeguarding"
    other = "other"


class EndedBy(StrEnum):
    programme = "programme"
    mentor = "mentor"
    young_person = "young_person"
    carer = "carer"
    social_worker = "social_worker"


class Match(SQLModel, table=True):
    """A mentor and a child. Active while `end_date` is empty; an ended match is read-only."""

    __tablename__ = "mentor_match"
    __table_args__ = (
        Index(None, "org_id", "mentor_id"),
        Index(None, "org_id", "child_id"),
        # One active match per child in each programme, even under concurrent requests (a
        # child in FHF-PT can also have an Independent Visitor).
        Index(
            "uq_mentor_match_active_child",
            "programme_id",
            "child_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    programme_id: int = Field(foreign_key="programme.id", index=True)
    child_id: int = Field(foreign_key="child.id")
    mentor_id: int = Field(foreign_key="user_account.id")
    start_date: date
    end_date: date | None = None
    score: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    chosen_by_young_person: bool = False
    # A child outside the programme's ages matched all the same: why (issue 19).
    age_override: str | None = Field(default=None, max_length=500)
    # An Independent Visitor is only for a child who wants one: when and how they said so.
    child_agreed_on: date | None = None
    child_agreed_how: str | None = Field(default=None, max_length=500)
    # The weekly visit slot (ISO weekday 1-7, start, minutes), once planned.
    visit_weekday: int | None = Field(default=None, ge=1, le=7)
    visit_start_time: time | None = None
    visit_minutes: int | None = None
    ended_by: EndedBy | None = Field(
        default=None, sa_column=Column(str_enum(EndedBy, "match_ended_by"), nullable=True)
    )
    end_reason: EndReason | None = Field(
        default=None, sa_column=Column(str_enum(EndReason, "match_end_reason"), nullable=True)
    )
    closure_note: str | None = Field(default=None, max_length=2000)
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CheckIn(SQLModel, table=True):
    """The lead's monthly support check-in on a match, with the mentor, child and carer."""

    __tablename__ = "match_check_in"
    __table_args__ = (Index(None, "org_id", "match_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    match_id: int = Field(foreign_key="mentor_match.id")
    date: date
    with_mentor: bool = False
    with_child: bool = False
    with_carer: bool = False
    notes: str | None = Field(default=None, max_length=2000)
    recorded_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class VisitStatus(StrEnum):
    planned = "planned"
    completed = "completed"
    missed = "missed"
    cancelled = "cancelled"


class CalledOffBy(StrEnum):
    """Who called a visit off."""

    mentor = "mentor"
    child = "child"
    carer = "carer"
    school = "school"
    social_worker = "social_worker"
    programme = "programme"


class MentorVisit(SQLModel, table=True):
    """One one-to-one visit. Only completed visits count as mentoring hours."""

    __tablename__ = "mentor_visit"
    __table_args__ = (
        Index(None, "org_id", "mentor_id", "date"),
        Index(None, "org_id", "match_id", "date"),
        Index(None, "org_id", "child_id", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    match_id: int = Field(foreign_key="mentor_match.id")
    # Copied from the match, so a mentor's week, clash checks and a programme's figures need
    # no join.
    programme_id: int = Field(foreign_key="programme.id", index=True)
    mentor_id: int = Field(foreign_key="user_account.id")
    child_id: int = Field(foreign_key="child.id")
    date: date
    start_time: time | None = None
    minutes: int = Field(ge=15, le=480)
    status: VisitStatus = Field(
        sa_column=Column(str_enum(VisitStatus, "visit_status"), nullable=False)
    )
    summary: str | None = Field(default=None, max_length=2000)
    safeguarding_concern: bool = False
    # When and by whom a lead looked at the concern (the flag stays until then).
    concern_reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    concern_reviewed_by: int | None = Field(default=None, foreign_key="user_account.id")
    # A cancelled visit: who called it off and why (cleared when the cancelling is undone).
    called_off_by: CalledOffBy | None = Field(
        default=None, sa_column=Column(str_enum(CalledOffBy, "visit_called_off_by"), nullable=True)
    )
    cancel_reason: str | None = Field(default=None, max_length=200)
    version: int = 1
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class VisitAssignment(SQLModel, table=True):
    """A practice task worked on in a visit."""

    __tablename__ = "visit_assignment"
    __table_args__ = (
        UniqueConstraint("visit_id", "assignment_id"),
        Index(None, "org_id", "assignment_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    visit_id: int = Field(foreign_key="mentor_visit.id", ondelete="CASCADE")
    assignment_id: int = Field(foreign_key="practice_assignment.id", ondelete="CASCADE")


class ReviewAction(StrEnum):
    """What a lead did about a safeguarding concern."""

    discussed_with_social_worker = "discussed_with_social_worker"
    referred_to_mash = "referred_to_mash"
    reported_to_police = "reported_to_police"
    no_further_action = "no_further_action"
    other = "other"


class ConcernReview(SQLModel, table=True):
    """A lead's review of a safeguarding concern raised in a visit. The first one closes the
    concern (the visit's concern_reviewed_at, which the flag reads, is set with it); later
    ones are follow-ups."""

    __tablename__ = "concern_review"
    __table_args__ = (Index(None, "org_id", "visit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    visit_id: int = Field(foreign_key="mentor_visit.id")
    action: ReviewAction = Field(
        sa_column=Column(str_enum(ReviewAction, "concern_review_action"), nullable=False)
    )
    note: str = Field(max_length=2000)
    escalated: bool = False
    # Empty only for reviews made before reviews were recorded (the migration's backfill).
    reviewed_by: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
