"""The page form for placing a legal hold on a child's record."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.forms import Form, Msg, Text
from app.records.schemas import REASON_MAX


class LegalHoldForm(Form):
    reason: Annotated[
        Text,
        Field(title="Reason for the legal hold", max_length=REASON_MAX),
        Msg(
            empty="Enter the reason for the legal hold",
            too_long=f"The reason must be {REASON_MAX} characters or fewer",
        ),
    ]
