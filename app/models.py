"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from sqlmodel import SQLModel

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, LoginFailure, Organisation, User, WebSession
from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "ApiToken",
    "AuditEvent",
    "Curriculum",
    "CurriculumWeek",
    "LoginFailure",
    "Organisation",
    "PracticeTask",
    "User",
    "WebSession",
    "metadata",
]
