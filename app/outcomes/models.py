"""Outcomes tables: the measures (shared reference data loaded from outcomes/, versioned, like
the curriculum), and each organisation's assessments of children and their life events."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class Timepoint(StrEnum):
    baseline = "baseline"
    end = "end"
    follow_up_6m = "follow_up_6m"
    follow_up_12m = "follow_up_12m"


class EventKind(StrEnum):
    placement_move = "placement_move"
    residential_placement = "residential_placement"
    reunification = "reunification"
    adoption = "adoption"
    special_guardianship = "special_guardianship"
    missing_episode = "missing_episode"
    police_contact = "police_contact"
    school_exclusion = "school_exclusion"


class Measure(SQLModel, table=True):
    """One version of an instrument (outcomes/<key>.yaml): its whole definition as loaded and
    checked (app/outcomes/source.py): informants, scales with ranges, direction, SD,
    reliability and their source, bands, items (where the licence allows), licence."""

    __tablename__ = "measure"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    version: int = Field(ge=1)
    name: str = Field(max_length=200)
    content_hash: str = Field(max_length=64)
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    loaded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Assessment(SQLModel, table=True):
    """A child's scores on one measure, from one informant, at one timepoint: one only (a
    correction changes it, audited). `scores` holds every scale's score ({scale: number}),
    entered or derived (a total, from the subscales, by app/outcomes/scoring.py)."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("org_id", "child_id", "measure_key", "informant", "timepoint"),
        Index(None, "org_id", "measure_key", "timepoint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    child_id: int = Field(foreign_key="child.id", index=True)
    measure_key: str = Field(max_length=64)
    measure_version: int = Field(ge=1)
    informant: str = Field(max_length=40)
    timepoint: Timepoint = Field(sa_column=Column(str_enum(Timepoint, "timepoint"), nullable=False))
    completed_on: dt.date
    scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Item responses, for a measure entered item by item ({item key: response}).
    items: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1, ge=1)  # optimistic locking for corrections (409 if stale)


class LifeEvent(SQLModel, table=True):
    """Something that happened to a child that the trials counted from records: a placement
    move, a residential placement, permanency (reunification, adoption, special
    guardianship), a missing episode, police contact, a school exclusion."""

    __tablename__ = "life_event"
    __table_args__ = (Index(None, "org_id", "child_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    child_id: int = Field(foreign_key="child.id")
    kind: EventKind = Field(sa_column=Column(str_enum(EventKind, "event_kind"), nullable=False))
    date: dt.date
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


__all__ = ["Assessment", "EventKind", "LifeEvent", "Measure", "Timepoint"]
