"""Request bodies of the records API (retention's legal hold)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

REASON_MAX = 500


class LegalHoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
    ] = Field(
        description="Why the record must be kept as it is (a claim, an inquiry, a request of "
        "the court): 1 to 500 characters, in the audit log"
    )
