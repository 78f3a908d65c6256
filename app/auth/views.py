"""Pages: sign in and out, change password, and the admin's user management."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.auth import service
from app.auth.api import client_address
from app.auth.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AdminUser,
    CurrentPrincipal,
    OptionalPrincipal,
)
from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation, Role
from app.auth.schemas import OrganisationUpdate, UserCreate, UserUpdate
from app.auth.security import new_token, tokens_match
from app.config import get_settings
from app.db import DbSession
from app.exceptions import Conflict, Invalid, NotAuthenticated, TooManyRequests
from app.mentoring.service import WEIGHT_LABELS
from app.web import FormData, field_errors, render

router = APIRouter(include_in_schema=False)

ROLE_OPTIONS = [
    (Role.facilitator.value, "Facilitator"),
    (Role.mentor.value, "Mentor"),
    (Role.lead.value, "Programme lead"),
    (Role.admin.value, "Admin"),
]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _set_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )


def _login_page(request: Request, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    context.setdefault("errors", {})
    response = render(
        request, "auth/login.html", {"login_csrf": token, **context}, status_code=status_code
    )
    _set_cookie(response, CSRF_COOKIE, token, max_age=None)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next=safe_next(next) if next else None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: DbSession, form: FormData) -> Response:
    email = form.get("email", "").strip()
    password = form.get("password", "")
    target = safe_next(form.get("next"))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not tokens_match(form.get("csrf_token", ""), cookie):
        return _login_page(
            request,
            status_code=403,
            email=email,
            next=target,
            errors={"form": "This page had expired. Sign in again."},
        )
    errors = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 - a message
    if errors:
        return _login_page(request, status_code=400, email=email, next=target, errors=errors)
    try:
        user = service.authenticate(
            db, email=email, password=password, address=client_address(request)
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
    raw, _ = service.start_session(db, user=user)
    redirect = RedirectResponse(target, status_code=303)
    settings = get_settings()
    _set_cookie(redirect, SESSION_COOKIE, raw, max_age=settings.session_absolute_hours * 3600)
    redirect.delete_cookie(CSRF_COOKIE, path="/")
    return redirect


@router.post("/logout")
def logout(db: DbSession, principal: CurrentPrincipal) -> Response:
    if principal.session is not None:
        service.end_session(db, session=principal.session, user=principal.user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "auth/password.html", {"errors": {}})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> HTMLResponse:
    try:
        service.change_password(
            db,
            actor=principal.user,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            keep_session_id=principal.session.id if principal.session else None,
        )
    except Invalid as exc:
        db.rollback()
        return render(
            request, "auth/password.html", {"errors": field_errors(exc.errors)}, status_code=422
        )
    except TooManyRequests as exc:
        return render(
            request,
            "auth/password.html",
            {"errors": {"form": exc.detail}},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return render(request, "auth/password.html", {"errors": {}, "changed": True})


# Admin: users -----------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    return render(request, "admin/users.html", {"users": service.list_users(db, actor=actor)})


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, actor: AdminUser) -> HTMLResponse:
    return render(
        request,
        "admin/user_new.html",
        {"errors": {}, "values": {"role": "facilitator"}, "roles": ROLE_OPTIONS},
    )


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(request: Request, db: DbSession, actor: AdminUser, form: FormData) -> Response:
    values = {k: form.get(k, "") for k in ("email", "name", "role", "password")}
    try:
        body = UserCreate.model_validate(values)
        user = service.create_user(
            db,
            actor=actor,
            org_id=actor.org_id,
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password,
        )
    except ValidationError as exc:
        errors = field_errors([dict(e) for e in exc.errors()])
        if "role" in errors:
            errors["role"] = "Choose a role"
        return _new_user_page(request, values, errors)
    except Invalid as exc:
        db.rollback()
        return _new_user_page(request, values, field_errors(exc.errors))
    except Conflict as exc:
        db.rollback()
        return _new_user_page(request, values, {"email": exc.detail}, status_code=409)
    return RedirectResponse(f"/admin/users?added={user.id}", status_code=303)


def _new_user_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 422
) -> HTMLResponse:
    values = {k: v for k, v in values.items() if k != "password"}
    return render(
        request,
        "admin/user_new.html",
        {"errors": errors, "values": values, "roles": ROLE_OPTIONS},
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def edit_user_form(
    request: Request, db: DbSession, actor: AdminUser, user_id: int = Path(ge=1, le=2**31 - 1)
) -> HTMLResponse:
    user = service.get_user(db, actor=actor, user_id=user_id)
    values = {"name": user.name, "role": user.role.value, "active": "yes" if user.active else "no"}
    return render(
        request,
        "admin/user_edit.html",
        {"user": user, "errors": {}, "values": values, "roles": ROLE_OPTIONS},
    )


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def update_user(
    request: Request,
    db: DbSession,
    actor: AdminUser,
    form: FormData,
    user_id: int = Path(ge=1, le=2**31 - 1),
) -> Response:
    user = service.get_user(db, actor=actor, user_id=user_id)
    values = {k: form.get(k, "") for k in ("name", "role", "active")}
    errors: dict[str, str] = {}
    if values["active"] not in ("yes", "no"):
        errors["active"] = "Choose whether the account is active"
    try:
        body = UserUpdate.model_validate({"name": values["name"], "role": values["role"]})
    except ValidationError as exc:
        errors.update(field_errors([dict(e) for e in exc.errors()]))
        if "role" in errors:
            errors["role"] = "Choose a role"
        if "name" in errors:
            errors["name"] = "Enter the person's name"
    if not errors:
        try:
            service.update_user(
                db,
                actor=actor,
                user_id=user_id,
                name=body.name,
                role=body.role,
                active=values["active"] == "yes",
            )
            return RedirectResponse("/admin/users", status_code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors = field_errors(exc.errors) if isinstance(exc, Invalid) else {"form": exc.detail}
            user = service.get_user(db, actor=actor, user_id=user_id)
    return render(
        request,
        "admin/user_edit.html",
        {"user": user, "errors": errors, "values": values, "roles": ROLE_OPTIONS},
        status_code=422 if errors.keys() - {"form"} else 409,
    )


# Admin: organisation settings --------------------------------------------------------------

REGION_OPTIONS = [
    ("england", "England"),
    ("scotland", "Scotland"),
    ("wales", "Wales"),
    ("northern-ireland", "Northern Ireland"),
]
ORG_FIELDS = (
    "holiday_region",
    "dosage_threshold",
    "dbs_renewal_years",
    "mentoring_hours_min",
    "mentoring_hours_max",
)
ORG_MESSAGES = {
    "session_checklist": "Give at most 10 checks, one a line, each up to 120 characters",
    "holiday_region": "Choose where your bank holidays come from",
    "dosage_threshold": "Enter a share from 0 to 1, like 0.75",
    "dbs_renewal_years": "Enter a whole number of years from 1 to 10",
    "mentoring_hours_min": "Enter whole hours from 0 to 40",
    "mentoring_hours_max": "Enter whole hours from 0 to 40",
}


def _organisation_page(
    request: Request, org: Any, values: dict[str, str], errors: dict[str, str], **extra: Any
) -> HTMLResponse:
    weights = [(key, label, f"weight-{key}") for key, label in WEIGHT_LABELS.items()]
    return render(
        request,
        "admin/organisation.html",
        {
            "org": org,
            "values": values,
            "errors": errors,
            "regions": REGION_OPTIONS,
            "weights": weights,
            **extra,
        },
        status_code=422 if errors else 200,
    )


def _weight_values(org: Any) -> dict[str, str]:
    stored = {**DEFAULT_MATCH_WEIGHTS, **((org.match_weights if org else None) or {})}
    return {f"weight-{key}": str(stored.get(key, 0)) for key in WEIGHT_LABELS}


def values_without_weights(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if not k.startswith("weight-")}


def _parse_weights(values: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """The weights typed in the form: whole numbers from 0 to 10, one per characteristic."""
    weights: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key, label in WEIGHT_LABELS.items():
        raw = values.get(f"weight-{key}", "")
        if raw.isdigit() and 0 <= int(raw) <= 10:
            weights[key] = int(raw)
        else:
            errors[f"weight-{key}"] = f"Enter a whole number from 0 to 10 for {label.lower()}"
    return weights, errors


@router.get("/admin/organisation", response_class=HTMLResponse)
def organisation_form(
    request: Request, db: DbSession, actor: AdminUser, saved: int | None = None
) -> HTMLResponse:
    org = db.get(Organisation, actor.org_id)
    values = {key: str(getattr(org, key)) for key in ORG_FIELDS}
    values["holiday_region"] = org.holiday_region.value if org else "england"
    values["session_checklist"] = "\n".join(org.session_checklist) if org else ""
    values.update(_weight_values(org))
    return _organisation_page(request, org, values, {}, saved=bool(saved))


@router.post("/admin/organisation", response_class=HTMLResponse)
def update_organisation(
    request: Request, db: DbSession, actor: AdminUser, form: FormData
) -> Response:
    values = {key: form.get(key, "").strip() for key in ORG_FIELDS}
    values["session_checklist"] = form.get("session_checklist", "")
    checks = [line.strip() for line in values["session_checklist"].splitlines() if line.strip()]
    org = db.get(Organisation, actor.org_id)
    stored = _weight_values(org)
    for name in stored:
        # A form without the weights (an older page) leaves them as they are.
        values[name] = form[name].strip() if name in form else stored[name]
    weights, weight_errors = _parse_weights(values)
    try:
        body = OrganisationUpdate.model_validate(
            {
                **values_without_weights(values),
                "session_checklist": checks,
                "match_weights": weights,
            },
            strict=False,  # a form's numbers arrive as text; the API's JSON is strict
        )
        if weight_errors:
            return _organisation_page(request, org, values, weight_errors)
        service.update_organisation(
            db, actor=actor, changes=body.model_dump(exclude_unset=True, exclude_none=True)
        )
    except ValidationError as exc:
        found = field_errors([dict(e) for e in exc.errors()])
        errors = {k: ORG_MESSAGES.get(k, v) for k, v in found.items() if k != "match_weights"}
        return _organisation_page(request, org, values, {**errors, **weight_errors})
    except Invalid as exc:
        db.rollback()
        return _organisation_page(request, org, values, field_errors(exc.errors))
    return RedirectResponse("/admin/organisation?saved=1", status_code=303)
