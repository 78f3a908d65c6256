"""Pages: sign in and out, change password, and the admin's user management."""

from __future__ import annotations

import math
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.auth import mfa, service, signin
from app.auth.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AdminUser,
    CurrentOrg,
    CurrentPrincipal,
    OptionalPrincipal,
    SignInCsrfOk,
    client_address,
)
from app.auth.entry import MFA_COOKIE, complete, enter
from app.auth.forms import (
    MFA_ROLE_OPTIONS,
    REGION_OPTIONS,
    ROLE_OPTIONS,
    CodeForm,
    MfaSettingsForm,
    NewUserForm,
    OrganisationForm,
    PasswordForm,
    RenewCodesForm,
    SetupCodeForm,
    SignInForm,
    TurnOffForm,
    UserForm,
    weight_field,
)
from app.auth.models import Organisation, Role, User
from app.auth.schemas import WEIGHT_LABELS
from app.auth.security import new_token, tokens_match
from app.db import DbSession
from app.exceptions import NotAuthenticated, TooManyRequests
from app.forms import show_again
from app.web import (
    FormData,
    PathId,
    WholeFormData,
    forget_entries,
    kept_entries,
    redirect,
    render,
    set_site_cookie,
)

router = APIRouter(include_in_schema=False)
EXPIRED = "This page had expired. Sign in again."


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _login_page(request: Request, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    context.setdefault("errors", {})
    context["kept"] = kept_entries(request) is not None
    response = render(
        request, "auth/login.html", {"login_csrf": token, **context}, status_code=status_code
    )
    set_site_cookie(response, CSRF_COOKIE, token, max_age=None)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next=safe_next(next) if next else None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: DbSession, form: FormData, csrf_ok: SignInCsrfOk) -> Response:
    submission = SignInForm.read(form)
    email = submission.values["email"]
    target = safe_next(submission.values["next"])
    if not csrf_ok:
        return _login_page(
            request, status_code=403, email=email, next=target, errors={"form": EXPIRED}
        )
    if submission.data is None:
        return _login_page(
            request, status_code=400, email=email, next=target, errors=submission.errors
        )
    try:
        user = signin.authenticate(
            db,
            email=submission.data.email,
            password=submission.data.password,
            address=client_address(request),
        )
    except NotAuthenticated as exc:
        return _login_page(
            request, status_code=401, email=email, next=target, errors={"email": exc.detail}
        )
    except TooManyRequests as exc:
        response = _login_page(
            request,
            status_code=429,
            email=email,
            next=target,
            locked=exc.detail,
            retry_minutes=math.ceil(exc.retry_after / 60),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return enter(request, db, user=user, target=target)


@router.post("/logout")
def logout(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    if principal.session is not None:
        service.end_session(db, session=principal.session, user=principal.user)
    response = redirect(request, "/login", notice="You have been signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    forget_entries(request, response)
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "auth/password.html", {"errors": {}})


CHANGED_NOTICE = "Your password has been changed. You have been signed out everywhere else."


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> Response:
    submission = PasswordForm.read(form)
    if submission.data:
        try:
            with submission.saving():
                signin.change_password(
                    db,
                    actor=principal.user,
                    current=submission.data.current_password or "",
                    new=submission.data.new_password or "",
                    keep_session_id=principal.session.id if principal.session else None,
                )
                return redirect(request, "/account/password", notice=CHANGED_NOTICE)
        except TooManyRequests as exc:
            # The attempt that locked the account is committed (the service counts first).
            return render(
                request,
                "auth/password.html",
                {"errors": {"form": exc.detail}},
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
    return show_again(request, db, "auth/password.html", {}, submission)


# Admin: users -----------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    return render(request, "admin/users.html", {"users": service.list_users(db, actor=actor)})


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, actor: AdminUser) -> HTMLResponse:
    values = NewUserForm.initial(role=Role.facilitator)
    return render(
        request,
        "admin/user_new.html",
        {"errors": {}, "values": values, "roles": ROLE_OPTIONS},
    )


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(request: Request, db: DbSession, actor: AdminUser, form: FormData) -> Response:
    submission = NewUserForm.read(form)
    if data := submission.data:
        with submission.saving(conflict_field="email"):
            user = service.create_user(
                db,
                actor=actor,
                org_id=actor.org_id,
                email=data.email,
                name=data.name,
                role=data.role,
                password=data.password,
            )
            return redirect(request, "/admin/users", notice=f"{user.name} has been added.")
    return show_again(request, db, "admin/user_new.html", {"roles": ROLE_OPTIONS}, submission)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def edit_user_form(
    request: Request, db: DbSession, actor: AdminUser, user_id: PathId
) -> HTMLResponse:
    user = service.get_user(db, actor=actor, user_id=user_id)
    values = UserForm.initial(name=user.name, role=user.role, active="yes" if user.active else "no")
    return render(
        request,
        "admin/user_edit.html",
        {"user": user, "errors": {}, "values": values, "roles": ROLE_OPTIONS},
    )


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def update_user(
    request: Request, db: DbSession, actor: AdminUser, form: FormData, user_id: PathId
) -> Response:
    service.get_user(db, actor=actor, user_id=user_id)  # another organisation's: 404 first
    submission = UserForm.read(form)
    if data := submission.data:
        with submission.saving():
            service.update_user(
                db,
                actor=actor,
                user_id=user_id,
                name=data.name,
                role=data.role,
                active=data.active == "yes",
            )
            return redirect(request, "/admin/users", notice=f"{data.name}'s account is saved.")
    return show_again(
        request,
        db,
        "admin/user_edit.html",
        lambda: {"user": service.get_user(db, actor=actor, user_id=user_id), "roles": ROLE_OPTIONS},
        submission,
    )


# Admin: organisation settings --------------------------------------------------------------


def _organisation_page(org: Organisation, **extra: Any) -> dict[str, Any]:
    return {
        "org": org,
        "regions": REGION_OPTIONS,
        "weights": [(key, label, weight_field(key)) for key, label in WEIGHT_LABELS.items()],
        "mfa_roles": MFA_ROLE_OPTIONS,
        **extra,
    }


@router.get("/admin/organisation", response_class=HTMLResponse)
def organisation_form(
    request: Request, actor: AdminUser, org: CurrentOrg, saved: int | None = None
) -> HTMLResponse:
    context = _organisation_page(org, values=OrganisationForm.stored(org), errors={})
    return render(request, "admin/organisation.html", {**context, "saved": bool(saved)})


@router.post("/admin/organisation", response_class=HTMLResponse)
def update_organisation(
    request: Request, db: DbSession, actor: AdminUser, org: CurrentOrg, form: FormData
) -> Response:
    # A form without the weights (an older page) leaves them as they are.
    stored = OrganisationForm.stored(org)
    weights = {weight_field(key): stored[weight_field(key)] for key in WEIGHT_LABELS}
    submission = OrganisationForm.read({**weights, **form})
    if data := submission.data:
        with submission.saving():
            service.update_organisation(db, actor=actor, changes=data.changes())
            return redirect(request, "/admin/organisation", notice="Settings saved.")
    return show_again(
        request, db, "admin/organisation.html", lambda: _organisation_page(org), submission
    )


# Two-step sign-in (app/auth/mfa.py) --------------------------------------------------------

CODE_EXPIRED = "Your sign-in took too long. Sign in again."


def _code_page(
    request: Request,
    csrf: str,
    *,
    recovery: bool,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("errors", {})
    return render(
        request,
        "auth/login_code.html",
        {"code_csrf": csrf, "recovery": recovery, **context},
        status_code=status_code,
    )


@router.get("/login/code", response_class=HTMLResponse)
def login_code_form(request: Request, db: DbSession, recovery: int = 0) -> Response:
    found = mfa.find_challenge(db, request.cookies.get(MFA_COOKIE))
    if found is None:
        return _login_page(request, errors={"form": CODE_EXPIRED})
    return _code_page(request, found[0].csrf_token, recovery=bool(recovery))


@router.post("/login/code", response_class=HTMLResponse)
def login_code(request: Request, db: DbSession, form: FormData) -> Response:
    recovery = form.get("recovery") == "1"
    found = mfa.find_challenge(db, request.cookies.get(MFA_COOKIE))
    if found is None:
        return _login_page(request, status_code=403, errors={"form": CODE_EXPIRED})
    challenge, user = found
    given = form.get("csrf_token", "")
    if not given or not tokens_match(given, challenge.csrf_token):
        return _code_page(
            request,
            challenge.csrf_token,
            recovery=recovery,
            status_code=403,
            errors={"form": EXPIRED},
        )
    submission = CodeForm.read(form)
    if submission.data is None:
        return _code_page(
            request,
            challenge.csrf_token,
            recovery=recovery,
            status_code=400,
            errors=submission.errors,
        )
    csrf = challenge.csrf_token
    try:
        mfa.second_step(db, user=user, code=submission.data.code)
    except NotAuthenticated as exc:
        return _code_page(
            request, csrf, recovery=recovery, status_code=401, errors={"code": exc.detail}
        )
    except TooManyRequests as exc:
        response = _code_page(
            request,
            csrf,
            recovery=recovery,
            status_code=429,
            locked=exc.detail,
            retry_minutes=math.ceil(exc.retry_after / 60),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return complete(request, db, challenge=challenge, user=user)


def _security_page(db: DbSession, user: User, **extra: Any) -> dict[str, Any]:
    secret = mfa.pending_secret(user)
    setup: dict[str, Any] | None = None
    if secret:
        uri = mfa.otpauth_uri(user, secret)
        qr = segno.make(uri, error="m").svg_inline(scale=5, border=2, omitsize=False)
        setup = {
            "qr": Markup(qr),  # noqa: S704 - segno's own SVG of the address, no user text
            "groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        }
    return {
        "user": user,
        "setup": setup,
        "standing": mfa.requirement(user),
        "due": user.mfa_setup_due,
        "codes_left": mfa.remaining_recovery_codes(db, user) if user.mfa_enabled else 0,
        "errors": {},
        "values": {},
        **extra,
    }


@router.get("/account/security", response_class=HTMLResponse)
def security_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "auth/security.html", _security_page(db, principal.user))


@router.post("/account/security/setup", response_class=HTMLResponse)
def security_setup(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    mfa.begin_setup(db, actor=principal.user)
    return redirect(request, "/account/security#confirm")


def _codes_page(request: Request, codes: list[str], *, first: bool) -> HTMLResponse:
    # Shown this once, as the answer to the form: the codes are not kept anywhere to show.
    response = render(request, "auth/security_codes.html", {"codes": codes, "first": first})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/security/confirm", response_class=HTMLResponse)
def security_confirm(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> Response:
    user = principal.user
    submission = SetupCodeForm.read(form)
    if data := submission.data:
        with submission.saving():
            mfa.confirm(db, actor=user, code=data.code)
            return _codes_page(request, mfa.new_recovery_codes(db, user=user), first=True)
    return show_again(
        request, db, "auth/security.html", lambda: _security_page(db, user), submission
    )


def _counted_code(
    request: Request, db: DbSession, user: User, submission: Any, save: Any, *, field: str
) -> Response:
    """A form whose code counts like a password: wrong ones are kept (committed) by the
    service; too many lock the account for a while."""
    if submission.data:
        try:
            with submission.saving(rename={"code": field}):
                return save(submission.data)  # type: ignore[no-any-return]
        except TooManyRequests as exc:
            return render(
                request,
                "auth/security.html",
                _security_page(db, user, errors={"form": exc.detail}),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
    return show_again(
        request, db, "auth/security.html", lambda: _security_page(db, user), submission
    )


@router.post("/account/security/recovery-codes", response_class=HTMLResponse)
def security_recovery_codes(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> Response:
    user = principal.user

    def save(data: RenewCodesForm) -> Response:
        codes = mfa.renew_recovery_codes(db, actor=user, code=data.renew_code)
        return _codes_page(request, codes, first=False)

    return _counted_code(request, db, user, RenewCodesForm.read(form), save, field="renew_code")


@router.post("/account/security/turn-off", response_class=HTMLResponse)
def security_turn_off(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> Response:
    user = principal.user

    def save(data: TurnOffForm) -> Response:
        mfa.disable(db, actor=user, code=data.off_code)
        return redirect(request, "/account/security", notice="Two-step sign-in is off.")

    return _counted_code(request, db, user, TurnOffForm.read(form), save, field="off_code")


@router.post("/admin/users/{user_id}/mfa-reset", response_class=HTMLResponse)
def reset_user_mfa(request: Request, db: DbSession, actor: AdminUser, user_id: PathId) -> Response:
    user = mfa.admin_reset(db, actor=actor, user_id=user_id)
    return redirect(
        request,
        f"/admin/users/{user_id}",
        notice=f"{user.name}'s two-step sign-in has been reset. We have emailed them.",
    )


@router.post("/admin/organisation/two-step", response_class=HTMLResponse)
def update_mfa_settings(
    request: Request, db: DbSession, actor: AdminUser, org: CurrentOrg, form: WholeFormData
) -> Response:
    submission = MfaSettingsForm.read(form)
    if data := submission.data:
        with submission.saving():
            service.update_organisation(
                db,
                actor=actor,
                changes={
                    "require_mfa_for": data.require_mfa_for,
                    "mfa_grace_days": data.mfa_grace_days,
                },
            )
            return redirect(
                request, "/admin/organisation", notice="Two-step sign-in settings saved."
            )
    return show_again(
        request,
        db,
        "admin/organisation.html",
        lambda: _organisation_page(org, values=OrganisationForm.stored(org)),
        submission,
    )
