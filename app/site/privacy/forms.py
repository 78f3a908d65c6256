"""The admin's form for the organisation's privacy notice."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.forms import Form, OptionalText
from app.site.privacy.service import NOTICE_MAX


class PrivacyForm(Form):
    privacy_notice: Annotated[
        OptionalText, Field(title="Privacy notice", max_length=NOTICE_MAX)
    ] = None
