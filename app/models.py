"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from sqlmodel import SQLModel

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, LoginFailure, Organisation, User, WebSession
from app.calendar.models import CalendarFeed
from app.children.models import Child
from app.cohorts.models import Closure, Cohort, CohortFacilitator, Enrolment, GroupSession
from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "ApiToken",
    "AuditEvent",
    "CalendarFeed",
    "Child",
    "Closure",
    "Cohort",
    "CohortFacilitator",
    "Curriculum",
    "CurriculumWeek",
    "Enrolment",
    "GroupSession",
    "LoginFailure",
    "Organisation",
    "PracticeTask",
    "User",
    "WebSession",
    "metadata",
]
