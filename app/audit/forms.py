"""The audit page's filter (a GET form)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.forms import Form, Msg, OptionalText


class AuditFilterForm(Form):
    # A select of the kinds of record changed so far; anything else shows no events.
    entity: Annotated[
        OptionalText,
        Msg(too_long="Choose what to show changes to from the list"),
        Field(title="Show changes to", max_length=64),
    ] = None
