"""Request bodies of the records API: retention's legal hold, and erasing a record made in
error."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

REASON_MAX = 500

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
]


class LegalHoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(
        description="Why the record must be kept as it is (a claim, an inquiry, a request of "
        "the court): 1 to 500 characters, in the audit log"
    )


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(
        description="Why the record was made in error (1-500 characters); kept in the audit"
    )
