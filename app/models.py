"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from sqlmodel import SQLModel

from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask

metadata = SQLModel.metadata

__all__ = ["Activity", "Curriculum", "CurriculumWeek", "PracticeTask", "metadata"]
