"""Letting someone in once they have proved who they are: the end of every way of signing in
to the pages (a password, single sign-on), so each applies the same rules (the second step,
the kept entries, the cookies)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.auth import service
from app.auth.deps import CSRF_COOKIE, SESSION_COOKIE
from app.auth.models import User
from app.config import get_settings
from app.web import forget_entries, kept_entries, set_site_cookie

SignInMethod = Literal["password", "sso"]


def enter(
    request: Request,
    db: Session,
    *,
    user: User,
    target: str,
    method: SignInMethod = "password",
) -> Response:
    """Start `user`'s session and send them to `target` (a path of this site, already
    checked), with the session cookie set. `method` is how they proved who they are: a
    password here, or their organisation's single sign-on (whose provider runs its own
    second factor)."""
    raw, _ = service.start_session(db, user=user, method=method)
    response = RedirectResponse(target, status_code=303)
    settings = get_settings()
    set_site_cookie(response, SESSION_COOKIE, raw, max_age=settings.session_absolute_hours * 3600)
    response.delete_cookie(CSRF_COOKIE, path="/")
    kept = kept_entries(request)
    # Entries wait only for the page they came from, and only for the person who typed
    # them: the sign-in that ended is still in this browser's session cookie (a shared
    # tablet's next user never sees the last one's register).
    if kept is not None and (
        kept.page != target
        or service.session_owner(db, request.cookies.get(SESSION_COOKIE)) != user.id
    ):
        forget_entries(request, response)
    return response
