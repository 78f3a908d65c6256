"""The fidelity pages' forms: the date the figures run to (a GET form, on every page), and
a lead's acknowledgement of a past flag on the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated

from pydantic import Field

from app.forms import (
    DATE_PARTS,
    Errors,
    Form,
    Msg,
    OptionalDateInput,
    OptionalText,
    OptionalWholeNumber,
    Submission,
    Text,
)

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
NOT_A_DATE = "Enter a real date, for example 27 3 2026"


class AsOfForm(Form):
    as_of: Annotated[OptionalDateInput, Field(title="Date")] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.as_of is not None and not EARLIEST <= self.as_of <= LATEST:
            yield "as_of", "The date must be between 2000 and 2099"

    @classmethod
    def read_query(cls, query: Mapping[str, str]) -> Submission[AsOfForm]:
        """The date typed in the form (as_of-day, -month, -year), or a link's
        ?as_of=YYYY-MM-DD; no date at all is today's figures."""
        link = (query.get("as_of") or "").strip()
        if not link or any(query.get(f"as_of-{part}") for part in DATE_PARTS):
            return cls.read(query)
        errors = Errors(cls.field_order())
        try:
            form = cls(as_of=dt.date.fromisoformat(link))
        except ValueError:
            errors.add("as_of", NOT_A_DATE)
            return Submission(values=cls.initial(), data=None, errors=errors)
        errors.add_all(form.problems())
        return Submission(
            values=cls.initial(as_of=form.as_of), data=None if errors else form, errors=errors
        )


NOTE_MAX = 1000


class AcknowledgeForm(Form):
    """A lead's note on a past flag: which flag (hidden fields the page fills in: the
    session of a session's flag; the child, measure and timepoint of a missed assessment)
    and why it needs no action. One form per flag on the dashboard, so the page names each
    note box after its flag (`note_id`)."""

    kind: Annotated[str, Field(title="Kind of flag", max_length=40)]
    session_id: Annotated[OptionalWholeNumber, Field(title="Session", ge=1, le=2**31 - 1)] = None
    child_id: Annotated[OptionalWholeNumber, Field(title="Child", ge=1, le=2**31 - 1)] = None
    match_id: Annotated[OptionalWholeNumber, Field(title="Match", ge=1, le=2**31 - 1)] = None
    measure: Annotated[OptionalText, Field(title="Measure", max_length=64)] = None
    timepoint: Annotated[OptionalText, Field(title="Timepoint", max_length=20)] = None
    note: Annotated[
        Text,
        Msg(
            empty="Enter why the flag needs no action",
            too_long=f"The note must be {NOTE_MAX} characters or fewer",
        ),
        Field(title="Why it needs no action", min_length=1, max_length=NOTE_MAX),
    ]


def note_id(kind: str, *ids: object) -> str:
    """The id of a flag's note box on the dashboard (unique on the page): its kind and the
    ids that pick it out ("note-session_not_recorded-12",
    "note-assessment_missed-7-sdq-baseline")."""
    return "-".join(["note", kind, *(str(i) for i in ids if i not in (None, ""))])
