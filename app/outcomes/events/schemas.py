"""The API's shapes for a child's life events (API.md "Outcomes")."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from app.outcomes.models import EventKind

NOTE_MAX = 2000
# The kinds in words, as the pages and the data dictionary say them.
KIND_WORDS: dict[EventKind, str] = {
    EventKind.placement_move: "Placement move",
    EventKind.residential_placement: "Residential placement",
    EventKind.reunification: "Reunification (returned home)",
    EventKind.adoption: "Adoption",
    EventKind.special_guardianship: "Special guardianship order",
    EventKind.missing_episode: "Missing episode",
    EventKind.police_contact: "Police contact",
    EventKind.school_exclusion: "School exclusion",
}


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    date: dt.date
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class EventUpdate(BaseModel):
    """A correction: only the fields given change (`note: null` removes the note)."""

    model_config = ConfigDict(extra="forbid")

    kind: EventKind | None = None
    date: dt.date | None = None
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    child_id: int
    kind: EventKind
    date: dt.date
    note: str | None
    created_at: dt.datetime


class EventRatePublic(BaseModel):
    kind: EventKind
    rate_before: float | None
    rate_during_after: float | None
    child_years_before: float
    child_years_during_after: float
