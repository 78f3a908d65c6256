"""What happened at a group session: the register, the coverage checklist, who
facilitated, the process checklist, and the practice each child takes to their mentor."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class AttendanceStatus(StrEnum):
    present = "present"
    late = "late"
    absent = "absent"
    excused = "excused"


ATTENDED = frozenset({AttendanceStatus.present, AttendanceStatus.late})


class CoverageStatus(StrEnum):
    delivered = "delivered"
    partial = "partial"
    skipped = "skipped"


class AssignmentKind(StrEnum):
    regular = "regular"
    catch_up = "catch_up"


class AssignmentStatus(StrEnum):
    open = "open"
    practised = "practised"
    completed = "completed"


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "child_id"),
        Index(None, "org_id", "child_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    session_id: int = Field(foreign_key="group_session.id", ondelete="CASCADE")
    child_id: int = Field(foreign_key="child.id")
    status: AttendanceStatus = Field(
        sa_column=Column(str_enum(AttendanceStatus, "attendance_status"), nullable=False)
    )
    note: str | None = Field(default=None, max_length=500)


class Coverage(SQLModel, table=True):
    __tablename__ = "coverage"
    __table_args__ = (UniqueConstraint("session_id", "activity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    session_id: int = Field(foreign_key="group_session.id", ondelete="CASCADE")
    activity_id: int = Field(foreign_key="curriculum_activity.id")
    status: CoverageStatus = Field(
        sa_column=Column(str_enum(CoverageStatus, "coverage_status"), nullable=False)
    )
    note: str | None = Field(default=None, max_length=500)


class SessionFacilitatorPresent(SQLModel, table=True):
    __tablename__ = "session_facilitator"

    session_id: int = Field(foreign_key="group_session.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")


class SessionRecord(SQLModel, table=True):
    """Who recorded the session and when, the notes, and the facilitators' process
    checklist ({item key: true/false})."""

    __tablename__ = "session_record"

    session_id: int = Field(foreign_key="group_session.id", primary_key=True, ondelete="CASCADE")
    org_id: int = Field(foreign_key="organisation.id")
    notes: str | None = Field(default=None, max_length=4000)
    checklist: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Who saved last (the first recorder until someone corrects it).
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")


class PracticeAssignment(SQLModel, table=True):
    """One practice task of a lesson for one child, created when the session is recorded.
    The unique constraint makes a duplicate impossible, even under concurrent saves."""

    __tablename__ = "practice_assignment"
    __table_args__ = (
        UniqueConstraint("session_id", "child_id", "task_id"),
        Index(None, "org_id", "mentor_id", "status"),
        Index(None, "org_id", "child_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    session_id: int = Field(foreign_key="group_session.id", ondelete="CASCADE")
    child_id: int = Field(foreign_key="child.id")
    task_id: int = Field(foreign_key="curriculum_practice_task.id")
    kind: AssignmentKind = Field(
        sa_column=Column(str_enum(AssignmentKind, "assignment_kind"), nullable=False)
    )
    status: AssignmentStatus = Field(
        default=AssignmentStatus.open,
        sa_column=Column(str_enum(AssignmentStatus, "assignment_status"), nullable=False),
    )
    mentor_id: int | None = Field(default=None, foreign_key="user_account.id")
    # The mentor's note when they mark it practised or completed.
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class SessionObservation(SQLModel, table=True):
    """A programme lead's observation of a session: adherence and quality, 1 to 5."""

    __tablename__ = "session_observation"
    __table_args__ = (Index(None, "org_id", "session_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    session_id: int = Field(foreign_key="group_session.id", ondelete="CASCADE")
    observer_id: int = Field(foreign_key="user_account.id")
    adherence: int = Field(ge=1, le=5)
    quality: int = Field(ge=1, le=5)
    comments: str | None = Field(default=None, max_length=2000)
    observed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
