"""The admin's email page: what went out, what is waiting, what failed, and "Try again"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import AdminUser
from app.config import get_settings
from app.db import DbSession
from app.mail import delivery
from app.mail.kinds import KINDS, Kind
from app.web import PathId, redirect, render

router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    "queued": ("Waiting", "govuk-tag--blue"),
    "sending": ("Sending", "govuk-tag--light-blue"),
    "sent": ("Sent", "govuk-tag--green"),
    "failed": ("Failed", "govuk-tag--red"),
}


def _kind_label(kind: str) -> str:
    try:
        return KINDS[Kind(kind)].label
    except ValueError:
        return kind.replace("_", " ").capitalize()


@router.get("/admin/email", response_class=HTMLResponse)
def email_page(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    settings = get_settings()
    return render(
        request,
        "mail/outbox.html",
        {
            "summary": delivery.summary(db, actor=actor),
            "statuses": STATUS_WORDS,
            "kind_label": _kind_label,
            "smtp": bool(settings.smtp_host),
            "max_attempts": settings.mail_max_attempts,
        },
    )


@router.post("/admin/email/{message_id}/retry", response_class=HTMLResponse)
def retry_message(
    request: Request, db: DbSession, actor: AdminUser, message_id: PathId
) -> Response:
    message = delivery.retry(db, actor=actor, message_id=message_id)
    notice = f"The email \u201c{message.subject}\u201d to {message.to_address} will be sent again."
    return redirect(request, "/admin/email", notice=notice)
