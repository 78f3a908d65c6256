"""Programmes (issue 19): the kinds of service an organisation runs on Tandem side by side.

FHF-PT is one (a weekly skills group with mentoring); mentoring-only, befriending and
Independent Visitor services are others. A programme fixes what its matches are held to: the
mentor's caseload in it, the visit band (hours a week, or a month), the children's ages and
how long a match is expected to last. Cohorts and matches (and so visits) belong to one."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class ProgrammeKind(StrEnum):
    group_and_mentoring = "group_and_mentoring"
    mentoring_only = "mentoring_only"
    befriending = "befriending"
    independent_visitor = "independent_visitor"

    @property
    def has_groups(self) -> bool:
        return self is ProgrammeKind.group_and_mentoring


class BandPer(StrEnum):
    week = "week"
    month = "month"


# FHF-PT as the first version ran it: what `tandem db upgrade` gives existing data and every
# new organisation (the band comes from the organisation's own settings). A match that runs
# the 30 weeks of the programme lasts at least 6 whole months, so 6 is its expected length.
FHF_PT_NAME = "Fostering Healthy Futures (FHF-PT)"
FHF_PT_AGES = (9, 11)
# The most a mentor profile allows: each mentor's own limit (2 by default, FHF-PT's "two
# mentees each") decides, as it did before programmes.
FHF_PT_CASELOAD = 4
FHF_PT_MATCH_MONTHS = 6


class Programme(SQLModel, table=True):
    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("org_id", "name"), Index(None, "org_id", "kind"))

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    name: str = Field(max_length=120)
    kind: ProgrammeKind = Field(
        sa_column=Column(str_enum(ProgrammeKind, "programme_kind"), nullable=False)
    )
    # The curriculum its cohorts follow (a programme with groups) or its mentors use.
    curriculum_id: int | None = Field(default=None, foreign_key="curriculum.id")
    # The most active matches one mentor has in this programme (their own profile's limit
    # applies too: the smaller wins).
    caseload_max: int = Field(default=2, ge=1, le=10)
    band_per: BandPer = Field(
        default=BandPer.week,
        sa_column=Column(str_enum(BandPer, "programme_band_per"), nullable=False),
    )
    band_min_hours: float = Field(default=2.0, ge=0, le=200)
    band_max_hours: float = Field(default=4.0, ge=0, le=200)
    # The children it serves, by age in whole years on the match's (or cohort's) start date.
    age_min: int = Field(default=9, ge=0, le=25)
    age_max: int = Field(default=11, ge=0, le=25)
    # How long a match is expected to last; None: open-ended (no ending is early).
    match_length_months: int | None = Field(default=None, ge=1, le=240)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int = 1
