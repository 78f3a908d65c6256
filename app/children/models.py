"""Children: the minimum a programme needs, under a pseudonymous reference."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class PlacementType(StrEnum):
    kinship = "kinship"
    foster = "foster"
    residential = "residential"
    other = "other"


class Child(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (
        UniqueConstraint("org_id", "reference"),
        Index(None, "org_id", "first_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    reference: str = Field(max_length=40)  # pseudonymous: used in exports instead of names
    first_name: str = Field(max_length=60)  # for the register, nothing more
    # None once the record is anonymised (app/records/retention.py): only the age at the
    # first session is kept then.
    date_of_birth: date | None
    placement_type: PlacementType = Field(
        sa_column=Column(str_enum(PlacementType, "placement_type"), nullable=False)
    )
    # Keys of the controlled lists in app/children/lists.py; "_other": the person's own words.
    gender: str | None = Field(default=None, max_length=40)
    gender_other: str | None = Field(default=None, max_length=80)
    ethnicity: str | None = Field(default=None, max_length=80)
    ethnicity_other: str | None = Field(default=None, max_length=80)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages_other: str | None = Field(default=None, max_length=500)
    interests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    preferences: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    consent_given_by: str = Field(max_length=120)
    consent_given_on: date
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Records (app/records): a legal hold keeps the record from retention's anonymisation
    # (with the reason, audited); anonymised_at is when retention removed what identifies
    # the child, keeping age_at_first_session (whole years) for the figures.
    legal_hold: bool = Field(
        default=False, sa_column=Column(Boolean(), nullable=False, server_default=false())
    )
    legal_hold_reason: str | None = Field(default=None, max_length=500)
    anonymised_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    age_at_first_session: int | None = None
