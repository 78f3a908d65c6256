"""Who is asking: bearer tokens for the API, session cookies (with CSRF) for the pages.

Every later domain reuses these: `CurrentUser`, `LeadUser`, `AdminUser`, and the
request-scoped `CurrentOrg` and `Today` (asked once per request, however many use them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from app.auth import mfa, service
from app.auth.models import TWO_STEP_METHODS, Organisation, Role, User
from app.auth.security import tokens_match
from app.auth.service import Principal
from app.db import READ_METHODS, DbSession
from app.exceptions import Forbidden, NotAuthenticated
from app.web import offer_kept_entries

SESSION_COOKIE = "tandem_session"
CSRF_COOKIE = "tandem_csrf"  # before sign-in: double-submit for the sign-in form
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = READ_METHODS  # no CSRF check, no write transaction: one list of them


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: what the layout shows (name, role, navigation, CSRF)."""

    id: int
    name: str
    role: Role
    org_id: int
    csrf_token: str | None
    # When their time to set up two-step sign-in ends, while it runs (the banner).
    mfa_due: dt.datetime | None = None


class CsrfFailed(Forbidden):
    title = "Form expired"
    # A page's form from an earlier session (signed in again in another tab): its entries
    # go back to the page rather than an error page (app/errors.py).
    keeps_entries = True


def client_address(request: Request) -> str:
    """Where a request came from, for the per-address sign-in limit."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def optional_principal(request: Request, db: DbSession) -> Principal | None:
    """The caller, if any valid credentials came with the request."""
    raw = bearer_token(request)
    if raw is not None:
        principal = service.resolve_token(db, raw)
        if principal is None:
            raise NotAuthenticated("The token is invalid, expired or revoked.")
        if mfa.requirement(principal.user) == "overdue":
            raise NotAuthenticated(mfa.SETUP_NEEDED, mfa_setup_required=True)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = service.resolve_session(db, cookie) if cookie else None
    # A plain copy for the page layout: it must outlive the session, which an error closes.
    request.state.viewer = (
        Viewer(
            id=principal.user.id or 0,
            name=principal.user.name,
            role=principal.user.role,
            org_id=principal.user.org_id,
            csrf_token=principal.session.csrf_token if principal.session else None,
            mfa_due=_mfa_due(principal),
        )
        if principal
        else None
    )
    return principal


def _mfa_due(principal: Principal) -> dt.datetime | None:
    """When their grace period ends, while it runs (not for a single sign-on whose provider
    ran a second factor): the banner asking them to set it up."""
    session = principal.session
    if (
        session is None
        or session.method in TWO_STEP_METHODS
        or mfa.requirement(principal.user) != "grace"
    ):
        return None
    return principal.user.mfa_setup_due


# While a person the requirement covers is past their grace period, a password sign-in
# reaches these alone: setting it up, and signing out.
MFA_SETUP_PATHS = ("/account/security", "/logout", "/api/v1/me", "/api/v1/auth/logout")
SETUP_FIRST = (
    "Your organisation requires two-step sign-in for your role. Set it up on your account's "
    "security page (/account/security) before you go on."
)


def _setup_first(request: Request, principal: Principal) -> None:
    session = principal.session
    if session is None or session.method in TWO_STEP_METHODS:
        return
    if mfa.requirement(principal.user) != "overdue":
        return
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in MFA_SETUP_PATHS):
        return
    if path.startswith("/api/"):
        raise Forbidden(SETUP_FIRST, mfa_setup_required=True)
    raise HTTPException(303, SETUP_FIRST, headers={"Location": "/account/security"})


async def submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def require_csrf(request: Request, expected: str | None) -> None:
    given = await submitted_csrf(request)
    if not expected or not given or not tokens_match(given, expected):
        raise CsrfFailed(
            "This form has expired or did not come from Tandem. Go back, reload the page "
            "and try again."
        )


async def sign_in_csrf_ok(request: Request) -> bool:
    """The sign-in form's double-submit check (nobody is signed in to hold a token yet): its
    hidden field must match the cookie set with the form, field only, as typed."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = (await request.form()).get(CSRF_FIELD)
    return bool(cookie) and isinstance(given, str) and tokens_match(given, cookie)


SignInCsrfOk = Annotated[bool, Depends(sign_in_csrf_ok)]


async def current_principal(
    request: Request,
    db: DbSession,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise NotAuthenticated("Sign in to continue.")
    _setup_first(request, principal)
    if principal.via == "session" and request.method not in SAFE_METHODS:
        assert principal.session is not None
        try:
            await require_csrf(request, principal.session.csrf_token)
        except CsrfFailed as exc:
            # Entries go back to the page only when the form was this person's, from an
            # earlier sign-in of theirs: never to someone else signed in on that browser.
            given = await submitted_csrf(request)
            if not given or service.csrf_owner(db, given) != principal.user.id:
                exc.keeps_entries = False
            raise
    if principal.via == "session" and request.method == "GET":
        # A form's entries kept when the last session ended wait for this page (app/web.py).
        offer_kept_entries(request)
    return principal


async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> User:
    return principal.user


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise Forbidden("Your role cannot do this.")
        return user

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[User, Depends(current_user)]
LeadUser = Annotated[User, Depends(require_roles(Role.lead, Role.admin))]
AdminUser = Annotated[User, Depends(require_roles(Role.admin))]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_org(db: DbSession, user: CurrentUser) -> Organisation:
    org = db.get(Organisation, user.org_id)
    assert org is not None  # a user's organisation is never deleted
    return org


CurrentOrg = Annotated[Organisation, Depends(current_org)]


def today_where_they_are(org: CurrentOrg) -> dt.date:
    """Today in the signed-in person's organisation's timezone (FastAPI caches it for the
    request: every view and dependency that asks gets the same day)."""
    return dt.datetime.now(ZoneInfo(org.timezone)).date()


Today = Annotated[dt.date, Depends(today_where_they_are)]
