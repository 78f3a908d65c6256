"""The page form for recording a child's life event."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from app.forms import Choice, DateInput, Form, Msg, OptionalText
from app.outcomes.events.schemas import KIND_WORDS, NOTE_MAX
from app.outcomes.models import EventKind

KIND_OPTIONS = [(kind.value, words) for kind, words in KIND_WORDS.items()]
CHOOSE_KIND = "Choose what happened"


class EventForm(Form):
    kind: Annotated[
        Choice[EventKind], Field(title="What happened"), Msg(empty=CHOOSE_KIND, invalid=CHOOSE_KIND)
    ]
    date: Annotated[DateInput, Field(title="Date of the event")]
    note: Annotated[OptionalText, Field(title="Note", max_length=NOTE_MAX)] = None

    def body(self) -> dict[str, Any]:
        return {"kind": self.kind, "date": self.date, "note": self.note}
