from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CurriculumPublic(_Out):
    id: int
    slug: str
    version: int
    title: str
    weeks: int
    description: str
    loaded_at: datetime
    latest: bool


class ActivityPublic(_Out):
    id: int
    key: str
    title: str
    minutes: int
    core: bool
    guidance: str


class PracticeTaskPublic(_Out):
    id: int
    key: str
    title: str
    description: str


class WeekPublic(_Out):
    week: int
    unit: str
    title: str
    summary: str
    activities: list[ActivityPublic]
    practice_tasks: list[PracticeTaskPublic]
