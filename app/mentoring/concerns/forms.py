"""The lead's review form on the visit page: what was done about a safeguarding concern,
a note, and whether it was escalated (the API's ConcernReviewCreate, in page words)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.forms import Choice, Form, Msg, Text
from app.mentoring.concerns.service import ACTION_WORDS
from app.mentoring.models import ReviewAction
from app.mentoring.schemas import REVIEW_NOTE_MAX, ConcernReviewCreate

ACTION_CHOICES = [(action.value, words) for action, words in ACTION_WORDS.items()]
ESCALATED_CHOICES = [("yes", "Yes"), ("no", "No")]


class ReviewForm(Form):
    review_action: Annotated[
        Choice[ReviewAction],
        Msg(empty="Choose what was done about the concern"),
        Field(title="What was done"),
    ]
    review_note: Annotated[
        Text,
        Msg(empty="Write a note: what was done, with whom, and what happens next"),
        Field(title="Note", max_length=REVIEW_NOTE_MAX),
    ]
    review_escalated: Annotated[
        Literal["yes", "no"],
        Msg(empty="Say whether the concern was escalated", invalid="Choose yes or no"),
        Field(title="Escalated"),
    ]

    def to_create(self) -> ConcernReviewCreate:
        return ConcernReviewCreate(
            action=self.review_action,
            note=self.review_note,
            escalated=self.review_escalated == "yes",
        )


# The service's field names, as this form calls them.
REVIEW_FIELD_OF = {
    "action": "review_action",
    "note": "review_note",
    "escalated": "review_escalated",
}
