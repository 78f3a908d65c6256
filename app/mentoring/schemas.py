"""Request and response models for mentoring."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.children.lists import Ethnicity, Gender, Language, check_described
from app.children.schemas import (
    ETHNICITY,
    ETHNICITY_OTHER,
    GENDER,
    GENDER_OTHER,
    LANGUAGES_OTHER,
    LISTS,
    OtherLanguages,
    OtherText,
)
from app.mentoring.models import CalledOffBy, EndedBy, EndReason, ReviewAction, VisitStatus
from app.programmes.models import BandPer, ProgrammeKind
from app.sessions.models import AssignmentKind, AssignmentStatus
from app.web import Day, Version, WallTime

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Minutes = Annotated[int, Field(ge=15, le=480, description="From 15 minutes to 8 hours")]
CancelReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class MentorFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = GENDER
    gender_other: OtherText | None = GENDER_OTHER
    ethnicity: Ethnicity | None = ETHNICITY
    ethnicity_other: OtherText | None = ETHNICITY_OTHER
    languages: list[Language] = Field(
        default_factory=list, max_length=10, description=f"Keys of the language list. {LISTS}"
    )
    languages_other: OtherLanguages | None = LANGUAGES_OTHER
    interests: list[Tag] = Field(default_factory=list, max_length=20)
    care_experience: bool = False
    availability: Line | None = None
    about: Line | None = Field(default=None, description="One line a child reads about them")
    barred_list_checked: bool = Field(
        default=False, description="The enhanced DBS check included the barred list"
    )
    references_checked: bool = Field(default=False, description="Two references received")
    interviewed_on: Day | None = None
    training_completed_on: Day | None = None
    max_caseload: int = Field(default=2, ge=1, le=4)

    @model_validator(mode="after")
    def _described(self) -> MentorFields:
        return check_described(self)


class MentorCreate(MentorFields):
    user_id: Id
    dbs_checked_on: Day = Field(description="Date of the enhanced DBS check")


class MentorUpdate(BaseModel):
    """Any of the profile's fields; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = GENDER
    gender_other: OtherText | None = GENDER_OTHER
    ethnicity: Ethnicity | None = ETHNICITY
    ethnicity_other: OtherText | None = ETHNICITY_OTHER
    languages: list[Language] | None = Field(
        default=None, max_length=10, description=f"Keys of the language list. {LISTS}"
    )
    languages_other: OtherLanguages | None = LANGUAGES_OTHER
    interests: list[Tag] | None = Field(default=None, max_length=20)
    care_experience: bool | None = None
    availability: Line | None = None
    about: Line | None = None
    dbs_checked_on: Day | None = None
    barred_list_checked: bool | None = None
    references_checked: bool | None = None
    interviewed_on: Day | None = None
    training_completed_on: Day | None = None
    max_caseload: int | None = Field(default=None, ge=1, le=4)

    @model_validator(mode="after")
    def _described(self) -> MentorUpdate:
        return check_described(self, partial=True)


class MentorPublic(BaseModel):
    user_id: int
    name: str
    email: str
    active: bool
    gender: str | None = Field(description="A key of the gender list (GET /api/v1/lists)")
    gender_other: str | None = None
    ethnicity: str | None = Field(description="A key of the ethnic group list")
    ethnicity_other: str | None = None
    languages: list[str] = Field(description="Keys of the language list")
    languages_other: str | None = None
    interests: list[str]
    care_experience: bool
    availability: str | None
    about: str | None
    dbs_checked_on: dt.date | None
    dbs_expires_on: dt.date | None = Field(description="When the DBS check runs out")
    barred_list_checked: bool
    references_checked: bool
    interviewed_on: dt.date | None
    training_completed_on: dt.date | None
    max_caseload: int
    active_matches: int
    ready: bool
    missing: list[str] = Field(description="The checks still to do before the mentor is ready")


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Suggestion(BaseModel):
    mentor_id: int
    name: str
    score: float = Field(ge=0, le=1)
    reasons: list[str]
    active_matches: int = Field(description="The mentor's active matches in the programme")
    max_caseload: int = Field(
        description="The most they may have in the programme: their own limit or the "
        "programme's, whichever is smaller"
    )
    interests: list[str]
    about: str | None


class MatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: Id
    mentor_id: Id
    start_date: Day
    chosen_by_young_person: bool = False
    programme_id: Id | None = Field(
        default=None,
        description="The programme it belongs to; optional while the organisation has one.",
    )
    age_override: Reason | None = Field(
        default=None,
        description="Why the child is matched though outside the programme's ages on the "
        "start date (required then)",
    )
    child_agreed_on: Day | None = Field(
        default=None,
        description="When the child said they want this (required for an Independent Visitor)",
    )
    child_agreed_how: Reason | None = Field(
        default=None,
        description="How they said so, e.g. 'asked their social worker at their LAC review' "
        "(required for an Independent Visitor)",
    )


class MatchEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_date: Day
    reason: EndReason
    ended_by: EndedBy = EndedBy.programme
    note: Notes | None = None


class CheckInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    with_mentor: bool = False
    with_child: bool = False
    with_carer: bool = False
    notes: Notes | None = None

    @model_validator(mode="after")
    def someone(self) -> CheckInCreate:
        if not (self.with_mentor or self.with_child or self.with_carer):
            raise ValueError("Say who the check-in was with: the mentor, the child or the carer")
        return self


class CheckInPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: dt.date
    with_mentor: bool
    with_child: bool
    with_carer: bool
    notes: str | None


class MatchPublic(BaseModel):
    id: int
    programme_id: int
    child_id: int
    child_first_name: str
    child_reference: str
    mentor_id: int
    mentor_name: str
    start_date: dt.date
    end_date: dt.date | None
    active: bool
    score: float
    reasons: list[str]
    chosen_by_young_person: bool
    visit_weekday: int | None
    visit_start_time: WallTime | None
    visit_minutes: int | None
    ended_by: EndedBy | None
    end_reason: EndReason | None
    closure_note: str | None
    last_check_in: dt.date | None
    check_in_due: dt.date | None = Field(description="When the next monthly check-in is due")
    check_in_overdue: bool
    programme_name: str | None = None
    age_override: str | None = None
    child_agreed_on: dt.date | None = None
    child_agreed_how: str | None = None
    ended_early: bool | None = Field(
        default=None,
        description="True when the match ended before its programme's expected length "
        "(end < start + that many calendar months); null while active or when the "
        "programme is open-ended",
    )


class MatchDetail(MatchPublic):
    check_ins: list[CheckInPublic]


class VisitPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")
    start_time: WallTime
    duration_minutes: Minutes
    from_date: Day | None = Field(default=None, alias="from")
    until: Day | None = Field(
        default=None,
        description="The last day to plan for. Default: the cohort's last session for a "
        "match in a programme with groups; otherwise the match's expected end (its start "
        "plus the programme's match length) or, when that has passed or the programme is "
        "open-ended, 12 months from `from` (at most 60 weeks or 24 months are planned by "
        "default)",
    )
    every: BandPer | None = Field(
        default=None,
        description="`week`: a visit on `weekday` every week; `month`: one visit a month, "
        "on the first `weekday` of each month that is not a bank holiday or closure (the "
        "next open one of that month if the first is closed). Default: the programme's band "
        "(`per`). Closures are the organisation's (and the cohort's, in a programme with "
        "groups): a programme without groups skips the organisation's closures too.",
    )


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match_id: Id
    date: Day
    start_time: WallTime | None = None
    duration_minutes: Minutes
    status: VisitStatus
    summary: Notes | None = None
    assignment_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Practice tasks worked on: practised"
    )
    completed_assignment_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Practice tasks the child completed"
    )
    safeguarding_concern: bool = False


class VisitUpdate(BaseModel):
    """Record how a planned visit went, move it, or cancel it."""

    model_config = ConfigDict(extra="forbid")

    version: Version | None = None
    date: Day | None = None
    start_time: WallTime | None = None
    duration_minutes: Minutes | None = None
    status: VisitStatus | None = None
    summary: Notes | None = None
    assignment_ids: list[Id] | None = Field(default=None, max_length=50)
    completed_assignment_ids: list[Id] | None = Field(default=None, max_length=50)
    safeguarding_concern: bool | None = None
    called_off_by: CalledOffBy | None = Field(
        default=None, description="When cancelling: who called the visit off"
    )
    cancel_reason: CancelReason | None = Field(
        default=None, description="When cancelling: why (the page asks for it; optional here)"
    )


class VisitRestore(BaseModel):
    """Undo the cancelling of a visit: it is planned again, if its time has not passed."""

    model_config = ConfigDict(extra="forbid")

    version: Version


class VisitPublic(BaseModel):
    id: int
    match_id: int
    programme_id: int
    mentor_id: int
    child_id: int
    date: dt.date
    start_time: WallTime | None
    end_time: WallTime | None
    minutes: int
    status: VisitStatus
    summary: str | None
    safeguarding_concern: bool
    assignment_ids: list[int]
    version: int
    called_off_by: CalledOffBy | None = Field(
        default=None, description="A cancelled visit: who called it off, when recorded"
    )
    cancel_reason: str | None = Field(default=None, description="A cancelled visit: why")


class VisitPlanOut(BaseModel):
    visits: list[VisitPublic]


class TaskPublic(BaseModel):
    id: int
    key: str
    title: str
    description: str


class AssignmentPublic(BaseModel):
    id: int
    child_id: int
    session_id: int
    week: int
    session_date: dt.date
    task: TaskPublic
    kind: AssignmentKind
    status: AssignmentStatus
    mentor_id: int | None
    note: str | None


class AssignmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AssignmentStatus
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class LastSession(BaseModel):
    session_id: int
    date: dt.date
    week: int
    title: str
    attendance: str | None = Field(description="present, late, absent, excused; null if none")
    missed_core_activities: list[str] = Field(
        description="The lesson's core activities, when the child missed it"
    )
    skipped_activities: list[str] = Field(
        default_factory=list, description="Activities the group skipped at this session"
    )
    partial_activities: list[str] = Field(
        default_factory=list, description="Activities the group did only partly"
    )
    note_about_mentee: str | None = Field(
        default=None, description="The facilitator's register note about this child"
    )


class WeekTarget(StrEnum):
    """Where a week's visit hours stand against the band (`service.week_target`)."""

    on_track = "on_track"
    on_target = "on_target"
    above_target = "above_target"
    below_target = "below_target"


class WeekBand(BaseModel):
    per: BandPer = Field(description="`week` or `month`: the period the hours are counted in")
    min_hours: float
    max_hours: float


class VisitBrief(BaseModel):
    visit_id: int
    date: dt.date
    start_time: WallTime | None
    minutes: int
    status: VisitStatus


class MenteeWeek(BaseModel):
    child_id: int
    match_id: int
    first_name: str
    last_session: LastSession | None
    assignments: list[AssignmentPublic] = Field(
        description="Open practice tasks from group sessions on or before the week's end"
    )
    visits: list[VisitPublic]
    inherited_assignment_ids: list[int] = Field(
        default_factory=list,
        description="Of `assignments`, those set before this match began (an earlier "
        "mentor's), newest first",
    )
    hours_this_week: float
    in_band: bool
    hours_planned: float = Field(
        description="Hours of this week's visits still planned (not yet recorded)"
    )
    target: WeekTarget = Field(
        description="below_target only once the completed and still-planned hours of the "
        "week cannot reach the band (or the week is over and they did not); on_track "
        "while they still can; on_target or above_target once the completed hours are. For "
        "a programme whose band is per month, the same of the month (`hours_this_month`)"
    )
    programme_id: int | None = None
    programme_name: str | None = None
    programme_kind: ProgrammeKind | None = None
    band: WeekBand | None = Field(
        default=None,
        description="The band the mentee's hours are held to (`in_band`, `target`): a "
        "programme with groups (FHF-PT) keeps the organisation's weekly band (`target_hours`); "
        "any other programme, its own, per week or per month",
    )
    last_visit: VisitBrief | None = Field(
        default=None,
        description="A programme without groups: the latest completed or missed visit dated "
        "on or before the week's end (null for a programme with groups, or none yet)",
    )
    next_visit: VisitBrief | None = Field(
        default=None,
        description="A programme without groups: the first planned visit still to come "
        "(after now; null when none is planned, or for a programme with groups)",
    )
    hours_this_month: float | None = Field(
        default=None,
        description="A programme without groups: minutes of completed visits in the calendar "
        "month of the day asked (today by default) ÷ 60 (null for a programme with groups)",
    )


class MentorWeek(BaseModel):
    week_start: dt.date
    week_end: dt.date
    mentees: list[MenteeWeek]
    target_hours: tuple[int, int] = Field(
        description="The organisation's weekly band (FHF-PT's), also for a mentor whose "
        "mentees are all in programmes with other bands: each mentee's own is `band`"
    )


REVIEW_NOTE_MAX = 2000


class ConcernReviewCreate(BaseModel):
    """A lead's review of a visit's safeguarding concern."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    note: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REVIEW_NOTE_MAX)
    ] = Field(description="What was done and why: required for every action")
    escalated: bool = Field(default=False, description="Escalated beyond the programme")


class ConcernReviewPublic(BaseModel):
    """One review. A mentor sees that the concern was reviewed, by whom and when: `action`
    and `note` are null for them (what the safeguarding lead decided is on a need-to-know
    basis)."""

    id: int
    visit_id: int
    reviewed_by: int | None
    reviewed_by_name: str | None
    reviewed_at: dt.datetime
    action: ReviewAction | None
    note: str | None
    escalated: bool | None
    follow_up: bool = Field(description="A later review of a concern already reviewed")
