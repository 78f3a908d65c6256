"""JSON API: the organisation's privacy notice (read: anyone signed in; write: admin)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.auth.deps import AdminUser, CurrentOrg, CurrentUser
from app.db import DbSession
from app.errors import problem_responses
from app.site.privacy import service

router = APIRouter(prefix="/organisation", tags=["organisation"], responses=problem_responses(401))


class PrivacyNotice(BaseModel):
    text: str | None = Field(
        description="Plain text; paragraphs are separated by a blank line. Null: not written."
    )


class PrivacyNoticeIn(BaseModel):
    text: str | None = Field(
        max_length=service.NOTICE_MAX,
        description=(
            f"Plain text, up to {service.NOTICE_MAX:,} characters; paragraphs separated by a "
            "blank line. Blank or null removes the notice."
        ),
    )


@router.get(
    "/privacy-notice",
    response_model=PrivacyNotice,
    summary="My organisation's privacy notice (anyone signed in)",
)
def get_privacy_notice(user: CurrentUser, org: CurrentOrg) -> PrivacyNotice:
    return PrivacyNotice(text=org.privacy_notice)


@router.put(
    "/privacy-notice",
    response_model=PrivacyNotice,
    summary="Write my organisation's privacy notice (admin)",
    responses=problem_responses(403, 422),
)
def put_privacy_notice(
    db: DbSession, actor: AdminUser, org: CurrentOrg, body: PrivacyNoticeIn
) -> PrivacyNotice:
    saved = service.set_notice(db, actor=actor, org=org, text=body.text)
    return PrivacyNotice(text=saved.privacy_notice)
