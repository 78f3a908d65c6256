"""Letting someone in once they have proved who they are: the end of every way of signing in
to the pages (a password, single sign-on), so each applies the same rules (the second step,
the kept entries, the cookies)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.auth import mfa, service
from app.auth.deps import CSRF_COOKIE, SESSION_COOKIE
from app.auth.models import TWO_STEP_METHODS, SignInChallenge, SignInMethod, User
from app.config import get_settings
from app.web import forget_entries, kept_entries, set_site_cookie

MFA_COOKIE = "tandem_mfa"  # a sign-in waiting for its code (/login/code)
SETUP_PAGE = "/account/security"


def enter(
    request: Request,
    db: Session,
    *,
    user: User,
    target: str,
    method: SignInMethod = "password",
) -> Response:
    """Start `user`'s session and send them to `target` (a path of this site, already
    checked), with the session cookie set. `method` is how they proved who they are.

    Two-step sign-in (app/auth/mfa.py): someone with it on gets no session yet but a
    pending sign-in (a cookie, CHALLENGE_MINUTES) and the code page, /login/code, whichever
    way they came. Someone their organisation requires to use it, whose time to set it up
    has ended, is taken to set it up (and nowhere else, deps.py), unless their provider ran
    a second factor ("sso_mfa"): a single sign-on that does not say so counts as one factor,
    as a password does (ASVS 5.0 V6.8.4)."""
    standing = mfa.note_sign_in(db, user)
    if user.mfa_enabled_at is not None:
        raw, _ = mfa.start_challenge(db, user=user, method=method, target=target)
        response = RedirectResponse("/login/code", status_code=303)
        set_site_cookie(response, MFA_COOKIE, raw, max_age=mfa.CHALLENGE_MINUTES * 60)
        return response
    if standing == "overdue" and method not in TWO_STEP_METHODS:
        target = SETUP_PAGE
    return _start(request, db, user=user, target=target, method=method)


def complete(request: Request, db: Session, *, challenge: SignInChallenge, user: User) -> Response:
    """The second step was right: the session the first step would have started."""
    mfa.end_challenge(db, challenge)
    method: SignInMethod = "password"
    if challenge.method == "sso":
        method = "sso"
    elif challenge.method == "sso_mfa":
        method = "sso_mfa"
    response = _start(request, db, user=user, target=challenge.target, method=method)
    response.delete_cookie(MFA_COOKIE, path="/")
    return response


def _start(
    request: Request, db: Session, *, user: User, target: str, method: SignInMethod
) -> Response:
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
