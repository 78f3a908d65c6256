"""Fidelity's one table: a lead's acknowledgement of a past flag (issue 15, point 6).

A flag is identified by its kind and `subject`, the ids that pick it out ("session=12"): the
same flag raised on any later day is the same row, so it is acknowledged once."""

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class FlagAcknowledgement(SQLModel, table=True):
    """A past flag a lead has seen and explained: it leaves the flags from `on_date` onwards."""

    __tablename__ = "flag_acknowledgement"
    __table_args__ = (UniqueConstraint("org_id", "kind", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=80)  # "session=12": the ids of the flag, sorted
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id")
    session_id: int | None = Field(default=None, foreign_key="group_session.id")
    note: str = Field(max_length=1000)
    on_date: date  # the day (London) it was acknowledged: flags as of an earlier day still show it
    acknowledged_by: int = Field(foreign_key="user_account.id")
    acknowledged_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
