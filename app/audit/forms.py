"""The audit pages' filter (a GET form): who made the change, the record, the days."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import Field

from app.forms import Form, Msg, OptionalDateInput, OptionalText, OptionalWholeNumber

TO_BEFORE_FROM = "The 'to' date must be the same as or after the 'from' date"


class AuditFilterForm(Form):
    # Page order: the error summary lists problems in this order.
    actor: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose who made the change from the list"),
        Field(title="Who made the change", ge=1, le=2**31 - 1),
    ] = None
    # A select of the kinds of record Tandem audits; anything else is refused.
    entity: Annotated[
        OptionalText,
        Msg(too_long="Choose what to show changes to from the list"),
        Field(title="Show changes to", max_length=64),
    ] = None
    entity_id: Annotated[
        OptionalWholeNumber,
        Field(title="Record number", ge=1, le=2**31 - 1),
    ] = None
    from_date: Annotated[OptionalDateInput, Field(title="From")] = None
    to_date: Annotated[OptionalDateInput, Field(title="To")] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.from_date and self.to_date and self.to_date < self.from_date:
            yield "to_date", TO_BEFORE_FROM
