"""Pages: sign in and out, change password, and the admin's user management."""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service, signin, sso
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
from app.auth.entry import enter
from app.auth.forms import (
    REGION_OPTIONS,
    ROLE_OPTIONS,
    NewUserForm,
    OrganisationForm,
    PasswordForm,
    SignInForm,
    SsoSettingsForm,
    SsoStartForm,
    UserForm,
    weight_field,
)
from app.auth.models import Organisation, Role
from app.auth.schemas import WEIGHT_LABELS
from app.auth.security import new_token
from app.db import DbSession
from app.exceptions import Invalid, NotAuthenticated, TooManyRequests
from app.forms import show_again
from app.middleware import CSP
from app.web import (
    FormData,
    PathId,
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


def _login_page(
    request: Request, db: DbSession, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    context.setdefault("errors", {})
    context["sso_label"] = sso.sign_in_label(db)
    context["kept"] = kept_entries(request) is not None
    response = render(
        request, "auth/login.html", {"login_csrf": token, **context}, status_code=status_code
    )
    set_site_cookie(response, CSRF_COOKIE, token, max_age=None)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    db: DbSession,
    principal: OptionalPrincipal,
    next: str | None = None,
    sso_problem: Annotated[str | None, Query(alias="sso")] = None,
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    # A single sign-on that did not sign the person in says why (app/auth/sso.py PROBLEMS).
    problem = sso.PROBLEMS.get(sso_problem or "")
    errors = {"form": problem} if problem else {}
    return _login_page(request, db, next=safe_next(next) if next else None, errors=errors)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: DbSession, form: FormData, csrf_ok: SignInCsrfOk) -> Response:
    submission = SignInForm.read(form)
    email = submission.values["email"]
    target = safe_next(submission.values["next"])
    if not csrf_ok:
        return _login_page(
            request, db, status_code=403, email=email, next=target, errors={"form": EXPIRED}
        )
    if submission.data is None:
        return _login_page(
            request, db, status_code=400, email=email, next=target, errors=submission.errors
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
            request, db, status_code=401, email=email, next=target, errors={"email": exc.detail}
        )
    except TooManyRequests as exc:
        response = _login_page(
            request,
            db,
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


# Single sign-on (app/auth/sso.py) ------------------------------------------------------------

SSO_COOKIE = "tandem_sso"  # the browser's half of a sign-in under way (ten minutes)
logger = logging.getLogger("app.auth.sso")


def _sso_page(
    request: Request, db: DbSession, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    context.setdefault("errors", {})
    response = render(
        request, "auth/sso_login.html", {"login_csrf": token, **context}, status_code=status_code
    )
    set_site_cookie(response, CSRF_COOKIE, token, max_age=None)
    # The form's post is answered with a redirect to the provider, which the browser checks
    # against this page's form-action.
    if origins := sso.sign_in_origins(db):
        allowed = " ".join(["'self'", *origins])
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action {allowed}"
        )
    return response


@router.get("/login/sso", response_class=HTMLResponse)
def sso_form(
    request: Request, db: DbSession, principal: OptionalPrincipal, next: str | None = None
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sso_page(request, db, email="", next=safe_next(next) if next else None)


@router.post("/login/sso", response_class=HTMLResponse)
def sso_start(request: Request, db: DbSession, form: FormData, csrf_ok: SignInCsrfOk) -> Response:
    submission = SsoStartForm.read(form)
    email = submission.values["email"]
    target = safe_next(submission.values["next"])
    if not csrf_ok:
        return _sso_page(
            request, db, status_code=403, email=email, next=target, errors={"form": EXPIRED}
        )
    if submission.data is None:
        return _sso_page(
            request, db, status_code=400, email=email, next=target, errors=submission.errors
        )
    try:
        url, browser = sso.begin(db, email=submission.data.email, target=target)
    except Invalid as exc:
        return _sso_page(
            request, db, status_code=400, email=email, next=target, errors={"email": exc.detail}
        )
    except sso.SsoProblem as exc:
        logger.info("single sign-on not started: %s", exc.reason)
        status = 503 if exc.code == "unavailable" else 400
        return _sso_page(
            request, db, status_code=status, email=email, next=target, errors={"email": exc.message}
        )
    response = RedirectResponse(url, status_code=303)
    set_site_cookie(response, SSO_COOKIE, browser, max_age=sso.LOGIN_MINUTES * 60)
    return response


@router.get("/login/sso/callback")
def sso_callback(
    request: Request,
    db: DbSession,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
    iss: str | None = None,
) -> Response:
    """Where the provider sends the browser back. Whatever the outcome, the sign-in under
    way is used up; a refusal goes back to the sign-in page with the reason in words."""
    try:
        outcome = sso.finish(
            db,
            state=state,
            code=code,
            error=error,
            browser=request.cookies.get(SSO_COOKIE),
            issuer=iss,
        )
    except sso.SsoProblem as exc:
        logger.info("single sign-on refused: %s", exc.reason)
        response: Response = RedirectResponse(f"/login?sso={exc.code}", status_code=303)
    else:
        response = enter(request, db, user=outcome.user, target=outcome.target, method="sso")
    response.delete_cookie(SSO_COOKIE, path="/")
    return response


def _sso_settings_page(db: DbSession, actor: AdminUser, **extra: Any) -> dict[str, Any]:
    current = sso.view_settings(db, actor=actor)
    return {
        "sso": current,
        "secret_variable": "TANDEM_SSO_CLIENT_SECRETS",
        "org_key": str(actor.org_id),
        **extra,
    }


def _sso_values(current: sso.SettingsView) -> dict[str, Any]:
    return SsoSettingsForm.initial(
        enabled="yes" if current.enabled else "no",
        issuer=current.issuer,
        client_id=current.client_id,
        domains="\n".join(current.domains),
        button_label=current.button_label,
        trust_provider_emails=current.trust_provider_emails,
    )


@router.get("/admin/sso", response_class=HTMLResponse)
def sso_settings(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    context = _sso_settings_page(db, actor)
    return render(
        request,
        "auth/sso_settings.html",
        {**context, "values": _sso_values(context["sso"]), "errors": {}},
    )


@router.get("/admin/sso/check", response_class=HTMLResponse)
def sso_check(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    """Fetch the saved provider's discovery document and keys, and say what was found."""
    context = _sso_settings_page(db, actor, check=sso.check_provider(db, actor=actor))
    return render(
        request,
        "auth/sso_settings.html",
        {**context, "values": _sso_values(context["sso"]), "errors": {}},
    )


@router.post("/admin/sso", response_class=HTMLResponse)
def save_sso_settings(
    request: Request, db: DbSession, actor: AdminUser, form: FormData
) -> Response:
    submission = SsoSettingsForm.read(form)
    if data := submission.data:
        with submission.saving(conflict_field="domains"):
            sso.save_settings(
                db,
                actor=actor,
                enabled=data.enabled == "yes",
                issuer=data.issuer or "",
                client_id=data.client_id or "",
                domains=(data.domains or "").replace(",", "\n").splitlines(),
                button_label=data.button_label,
                trust_provider_emails=data.trust_provider_emails,
            )
            state = "on" if data.enabled == "yes" else "off"
            return redirect(
                request,
                "/admin/sso",
                notice=f"Single sign-on settings saved. Single sign-on is {state}.",
            )
    return show_again(
        request, db, "auth/sso_settings.html", lambda: _sso_settings_page(db, actor), submission
    )
