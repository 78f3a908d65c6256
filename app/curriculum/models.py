"""Curriculum tables: shared reference content, versioned, not owned by an organisation."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from app.db import UTCDateTime


class Curriculum(SQLModel, table=True):
    __tablename__ = "curriculum"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64)
    version: int = Field(ge=1)
    title: str = Field(max_length=200)
    description: str = ""
    content_hash: str = Field(max_length=64)
    # The programme model (weeks, cohort size, ages, caseload, hours) that every rule reads.
    programme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    units: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    weeks: list["CurriculumWeek"] = Relationship(
        back_populates="curriculum",
        sa_relationship_kwargs={"order_by": "CurriculumWeek.week"},
    )


class CurriculumWeek(SQLModel, table=True):
    __tablename__ = "curriculum_week"
    __table_args__ = (UniqueConstraint("curriculum_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    curriculum_id: int | None = Field(
        default=None, foreign_key="curriculum.id", ondelete="CASCADE", nullable=False
    )
    week: int = Field(ge=1)
    unit: str = Field(max_length=64)
    title: str = Field(max_length=200)
    summary: str = ""

    curriculum: Curriculum = Relationship(back_populates="weeks")
    activities: list["Activity"] = Relationship(
        back_populates="week_ref",
        sa_relationship_kwargs={"order_by": "Activity.position"},
    )
    practice_tasks: list["PracticeTask"] = Relationship(
        back_populates="week_ref",
        sa_relationship_kwargs={"order_by": "PracticeTask.position"},
    )


class Activity(SQLModel, table=True):
    __tablename__ = "curriculum_activity"
    __table_args__ = (UniqueConstraint("week_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    week_id: int | None = Field(
        default=None, foreign_key="curriculum_week.id", ondelete="CASCADE", nullable=False
    )
    position: int
    key: str = Field(max_length=64)
    title: str = Field(max_length=200)
    minutes: int = Field(gt=0)
    core: bool
    guidance: str = ""

    week_ref: CurriculumWeek = Relationship(back_populates="activities")


class PracticeTask(SQLModel, table=True):
    __tablename__ = "curriculum_practice_task"
    __table_args__ = (UniqueConstraint("week_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    week_id: int | None = Field(
        default=None, foreign_key="curriculum_week.id", ondelete="CASCADE", nullable=False
    )
    position: int
    key: str = Field(max_length=64)
    title: str = Field(max_length=200)
    description: str = ""

    week_ref: CurriculumWeek = Relationship(back_populates="practice_tasks")
