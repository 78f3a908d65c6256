"""Cohorts, their facilitators, closures, the 30 group sessions, and enrolments."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ColumnElement, Index, UniqueConstraint, and_, or_, text
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    delivered = "delivered"
    cancelled = "cancelled"


class EnrolmentStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    # The programme it runs in: one whose kind has groups (issue 19).
    programme_id: int = Field(foreign_key="programme.id", index=True)
    name: str = Field(max_length=120)
    curriculum_id: int = Field(foreign_key="curriculum.id")
    start_date: date
    start_time: time
    duration_minutes: int = Field(ge=30, le=240)
    venue: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Set when a lead archives the cohort: it leaves the lists, its figures stay.
    archived_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    version: int = 1


class CohortFacilitator(SQLModel, table=True):
    __tablename__ = "cohort_facilitator"
    __table_args__ = (Index(None, "org_id", "user_id"),)

    cohort_id: int = Field(foreign_key="cohort.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")


class Closure(SQLModel, table=True):
    """A date or inclusive range with no groups: for the organisation, or one cohort."""

    __tablename__ = "closure"
    __table_args__ = (Index(None, "org_id", "start_date"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="CASCADE")
    start_date: date
    end_date: date
    reason: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class GroupSession(SQLModel, table=True):
    """One occurrence of a cohort's weekly group. A cancelled occurrence is kept, with its
    reason; its lesson moves to a new occurrence, so at most one live row per lesson."""

    __tablename__ = "group_session"
    __table_args__ = (
        Index(None, "org_id", "date"),
        Index(None, "org_id", "cohort_id", "date"),
        Index(None, "org_id", "closure_id"),
        Index(
            "uq_group_session_live_lesson",
            "cohort_id",
            "week",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    cohort_id: int = Field(foreign_key="cohort.id", ondelete="CASCADE")
    week: int = Field(ge=1)
    date: date
    start_time: time
    end_time: time
    venue: str = Field(max_length=200)
    status: SessionStatus = Field(
        default=SessionStatus.scheduled,
        sa_column=Column(str_enum(SessionStatus, "session_status"), nullable=False),
    )
    cancel_reason: str | None = Field(default=None, max_length=200)
    # The closure that cancelled this occurrence (None for any other cancellation).
    closure_id: int | None = Field(default=None, foreign_key="closure.id", ondelete="SET NULL")
    version: int = 1


class SessionStaffing(SQLModel, table=True):
    """Who runs one session when it is not the cohort's current facilitators: a cover for
    that session, or, once the cohort's facilitators change from a date, who ran (or runs)
    each earlier session. A session with no rows here is run by its cohort's facilitators
    (app/cohorts/service.py, session_facilitators)."""

    __tablename__ = "session_staffing"
    __table_args__ = (Index(None, "org_id", "user_id"),)

    session_id: int = Field(foreign_key="group_session.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolment"
    __table_args__ = (
        Index(None, "org_id", "cohort_id"),
        Index(None, "org_id", "child_id"),  # retention's NOT EXISTS per child (i18)
        Index(
            "uq_enrolment_one_active_per_child",
            "child_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    child_id: int = Field(foreign_key="child.id")
    cohort_id: int = Field(foreign_key="cohort.id", ondelete="CASCADE")
    start_date: date
    end_date: date | None = None
    status: EnrolmentStatus = Field(
        default=EnrolmentStatus.active,
        sa_column=Column(str_enum(EnrolmentStatus, "enrolment_status"), nullable=False),
    )
    withdraw_reason: str | None = Field(default=None, max_length=200)
    eligibility_override: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def enrolled_on(
    day: date | ColumnElement[date],
    e: ReadOnlyColumnCollection[str, Any] = Enrolment.__table__.c,  # type: ignore[attr-defined]
) -> ColumnElement[bool]:
    """The enrolment runs on `day` (a date, or a column such as a session's date): it started
    by then and had not ended before. `e` is the enrolment table's columns or an alias's."""
    return and_(e.start_date <= day, or_(e.end_date.is_(None), e.end_date >= day))
