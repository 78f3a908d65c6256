"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from sqlmodel import SQLModel

from app.audit.models import AuditEvent, RecordView
from app.auth.models import (  # issue 16: set-password links
    AccountLink,
    ApiToken,
    LoginFailure,
    Organisation,
    ResetRequest,
    User,
    WebSession,
)
from app.calendar.models import CalendarFeed
from app.children.models import Child
from app.cohorts.models import (
    Closure,
    Cohort,
    CohortFacilitator,
    Enrolment,
    GroupSession,
    SessionStaffing,
)
from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask
from app.fidelity.models import FlagAcknowledgement
from app.idempotency import IdempotencyKey
from app.mail.models import OutboxMessage
from app.mentoring.models import (
    CheckIn,
    ConcernReview,
    Match,
    MentorProfile,
    MentorVisit,
    VisitAssignment,
)
from app.outcomes.models import Assessment, LifeEvent, Measure
from app.programmes.models import Programme
from app.sessions.models import (
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionFacilitatorPresent,
    SessionObservation,
    SessionRecord,
)

metadata = SQLModel.metadata

__all__ = [
    "AccountLink",
    "Activity",
    "ApiToken",
    "Assessment",
    "Attendance",
    "AuditEvent",
    "CalendarFeed",
    "CheckIn",
    "Child",
    "Closure",
    "Cohort",
    "CohortFacilitator",
    "ConcernReview",
    "Coverage",
    "Curriculum",
    "CurriculumWeek",
    "Enrolment",
    "FlagAcknowledgement",
    "GroupSession",
    "IdempotencyKey",
    "LifeEvent",
    "LoginFailure",
    "Match",
    "Measure",
    "MentorProfile",
    "MentorVisit",
    "Organisation",
    "OutboxMessage",
    "PracticeAssignment",
    "PracticeTask",
    "Programme",
    "RecordView",
    "ResetRequest",
    "SessionFacilitatorPresent",
    "SessionObservation",
    "SessionRecord",
    "SessionStaffing",
    "User",
    "VisitAssignment",
    "WebSession",
    "metadata",
]
