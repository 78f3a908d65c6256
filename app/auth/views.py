"""Pages: sign in and out, change password, and the admin's user management."""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.auth import devices, links, mfa, notifications, service, signin, sso
from app.auth.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AdminUser,
    CurrentOrg,
    CurrentPrincipal,
    CurrentUser,
    OptionalPrincipal,
    SignInCsrfOk,
    client_address,
)
from app.auth.entry import MFA_COOKIE, complete, enter
from app.auth.forms import (
    CHILD_LABEL_OPTIONS,
    MFA_ROLE_OPTIONS,
    REGION_OPTIONS,
    ROLE_OPTIONS,
    CodeForm,
    EndOthersForm,
    ForgotForm,
    MfaSettingsForm,
    NewPasswordForm,
    NewUserForm,
    NotificationsForm,
    OrganisationForm,
    PasswordForm,
    RenewCodesForm,
    SetupCodeForm,
    SignInForm,
    SsoSettingsForm,
    SsoStartForm,
    TurnOffForm,
    UserForm,
    weight_field,
)
from app.auth.models import Organisation, Role, SignInMethod, User
from app.auth.schemas import WEIGHT_LABELS
from app.auth.security import new_token, tokens_match
from app.db import DbSession
from app.exceptions import Conflict, Invalid, NotAuthenticated, TooManyRequests
from app.forms import show_again
from app.middleware import CSP
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
EXPIRED_FORM = "This page had expired. Try again."


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _public_page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page anyone may use (signing in, a forgotten password): its form carries the
    double-submit token of the cookie set with it."""
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    context.setdefault("errors", {})
    response = render(
        request,
        template,
        {"login_csrf": token, **context},
        status_code=status_code,
        headers=headers,
    )
    set_site_cookie(response, CSRF_COOKIE, token, max_age=None)
    return response


def _login_page(
    request: Request, db: DbSession, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context["kept"] = kept_entries(request) is not None
    context["sso_label"] = sso.sign_in_label(db)
    return _public_page(request, "auth/login.html", status_code=status_code, **context)


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


# My email choices ----------------------------------------------------------------------------


def _notifications_page(user: User) -> dict[str, Any]:
    choices = notifications.choices_for(user)
    return {
        "choices": [c for c in choices if not c.always],
        "always": [c for c in choices if c.always],
    }


SAVED_CHOICES = "Your email choices are saved."


@router.get("/account/notifications", response_class=HTMLResponse)
def notifications_form(request: Request, user: CurrentUser) -> HTMLResponse:
    context = _notifications_page(user)
    values = NotificationsForm.initial(email=[c.kind.value for c in context["choices"] if c.on])
    return render(request, "auth/notifications.html", {**context, "values": values, "errors": {}})


@router.post("/account/notifications", response_class=HTMLResponse)
def save_notifications(
    request: Request, db: DbSession, user: CurrentUser, form: WholeFormData
) -> Response:
    submission = NotificationsForm.read(form)
    if data := submission.data:
        # Every box on the page: ticked is on, left clear is off. Kinds the page does not
        # show (another role's) keep their value.
        shown = [c.kind.value for c in notifications.choices_for(user) if not c.always]
        changes = {kind: kind in data.email for kind in shown}
        changes.update(dict.fromkeys(data.email, True))
        with submission.saving():
            notifications.set_preferences(db, actor=user, changes=changes)
            return redirect(request, "/account/notifications", notice=SAVED_CHOICES)
    return show_again(
        request, db, "auth/notifications.html", lambda: _notifications_page(user), submission
    )


# A forgotten password, invitation and reset links ------------------------------------------

FORGOT_SENT = "If that address has an account, we have sent a link. It works for an hour."
# The link's token is in the address: no other site may see it, no cache may keep it.
LINK_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


async def _public_csrf_ok(request: Request, principal: OptionalPrincipal) -> bool:
    """The double-submit token of a public page, or, for someone signed in, their session's."""
    given = (await request.form()).get("csrf_token")
    if not isinstance(given, str) or not given:
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if cookie and tokens_match(given, cookie):
        return True
    session = principal.session if principal else None
    return session is not None and tokens_match(given, session.csrf_token)


PublicCsrfOk = Annotated[bool, Depends(_public_csrf_ok)]


@router.get("/account/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> HTMLResponse:
    return _public_page(request, "auth/forgot.html", values={})


@router.post("/account/forgot", response_class=HTMLResponse)
def forgot(request: Request, db: DbSession, form: FormData, csrf_ok: PublicCsrfOk) -> Response:
    submission = ForgotForm.read(form)
    values = submission.values
    if not csrf_ok:
        return _public_page(
            request,
            "auth/forgot.html",
            status_code=403,
            values=values,
            errors={"form": EXPIRED_FORM},
        )
    if submission.data is None:
        return _public_page(
            request, "auth/forgot.html", status_code=422, values=values, errors=submission.errors
        )
    try:
        links.forgot(db, email=submission.data.email, address=client_address(request))
    except TooManyRequests as exc:
        return _public_page(
            request,
            "auth/forgot.html",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            values=values,
            errors={"form": exc.detail},
        )
    return _public_page(request, "auth/forgot_sent.html", message=FORGOT_SENT)


def _link_problem(request: Request, problem: links.LinkProblem) -> HTMLResponse:
    return render(
        request,
        "auth/link_problem.html",
        {"problem": problem.detail, "reason": problem.reason},
        status_code=400,
        headers=LINK_HEADERS,
    )


@router.get("/account/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, db: DbSession, token: str) -> HTMLResponse:
    try:
        found = links.find(db, token)
    except links.LinkProblem as problem:
        return _link_problem(request, problem)
    return _public_page(
        request,
        "auth/reset.html",
        headers=LINK_HEADERS,
        token=token,
        invitation=found.invitation,
        email=found.user.email,
    )


@router.post("/account/reset/{token}", response_class=HTMLResponse)
def reset(
    request: Request, db: DbSession, form: FormData, csrf_ok: PublicCsrfOk, token: str
) -> Response:
    try:
        found = links.find(db, token)
    except links.LinkProblem as problem:
        return _link_problem(request, problem)
    page = {"token": token, "invitation": found.invitation, "email": found.user.email}
    if not csrf_ok:
        return _public_page(
            request,
            "auth/reset.html",
            status_code=403,
            headers=LINK_HEADERS,
            errors={"form": EXPIRED_FORM},
            **page,
        )
    submission = NewPasswordForm.read(form)
    errors: dict[str, str] = dict(submission.errors)
    status_code = submission.status_code
    if data := submission.data:
        try:
            links.use(db, raw=token, password=data.password)
        except links.LinkProblem as problem:  # another tab used it a moment ago
            db.rollback()
            return _link_problem(request, problem)
        except Invalid as exc:  # the password rules
            errors, status_code = {"password": exc.detail}, 422
        else:
            notice = (
                "Your password is set. Sign in with it."
                if found.invitation
                else "Your password has been changed and you have been signed out "
                "everywhere. Sign in with your new password."
            )
            response = redirect(request, "/login", notice=notice)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
    db.rollback()
    return _public_page(
        request,
        "auth/reset.html",
        status_code=status_code,
        headers=LINK_HEADERS,
        errors=errors,
        **page,
    )


# Admin: users -----------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    users = service.list_users(db, actor=actor)
    return render(
        request,
        "admin/users.html",
        {"users": users, "invited": {u.id for u in users if links.invited(u)}},
    )


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
            password = data.password or None
            user = links.add_user(
                db,
                actor=actor,
                email=data.email,
                name=data.name,
                role=data.role,
                password=password,
            )
            notice = (
                f"{user.name} has been added."
                if password
                else f"{user.name} has been added. We have sent an invitation to {user.email}."
            )
            return redirect(request, "/admin/users", notice=notice)
    return show_again(request, db, "admin/user_new.html", {"roles": ROLE_OPTIONS}, submission)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def edit_user_form(
    request: Request, db: DbSession, actor: AdminUser, user_id: PathId
) -> HTMLResponse:
    return _edit_user_page(request, db, actor=actor, user_id=user_id)


def _edit_user_page(
    request: Request, db: DbSession, *, actor: User, user_id: int, problem: str | None = None
) -> HTMLResponse:
    user = service.get_user(db, actor=actor, user_id=user_id)
    values = UserForm.initial(name=user.name, role=user.role, active="yes" if user.active else "no")
    return render(
        request,
        "admin/user_edit.html",
        {
            "user": user,
            "invited": links.invited(user),
            "errors": {"form": problem} if problem else {},
            "values": values,
            "roles": ROLE_OPTIONS,
        },
        status_code=409 if problem else 200,
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
        lambda: _user_context(db, actor=actor, user_id=user_id),
        submission,
    )


@router.post("/admin/users/{user_id}/password-reset", response_class=HTMLResponse)
def send_password_reset(
    request: Request, db: DbSession, actor: AdminUser, user_id: PathId
) -> Response:
    user = service.get_user(db, actor=actor, user_id=user_id)  # another organisation's: 404
    try:
        sent = links.send_reset(db, actor=actor, user_id=user_id)
    except Conflict as exc:
        db.rollback()
        return _edit_user_page(request, db, actor=actor, user_id=user_id, problem=exc.detail)
    notice = (
        f"We have sent {user.name} a new invitation at {user.email}."
        if sent == "invitation"
        else f"We have sent a reset link to {user.email}."
    )
    return redirect(request, f"/admin/users/{user_id}", notice=notice)


def _user_context(db: DbSession, *, actor: User, user_id: int) -> dict[str, Any]:
    user = service.get_user(db, actor=actor, user_id=user_id)
    return {"user": user, "invited": links.invited(user), "roles": ROLE_OPTIONS}


# Admin: organisation settings --------------------------------------------------------------


def _organisation_page(org: Organisation, **extra: Any) -> dict[str, Any]:
    return {
        "org": org,
        "regions": REGION_OPTIONS,
        "child_labels": CHILD_LABEL_OPTIONS,
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
    # So does one without the calendar feeds' setting.
    weights["calendar_child_label"] = stored["calendar_child_label"]
    for name in ("outcome_baseline_weeks", "outcome_end_weeks", "outcome_follow_up_weeks"):
        weights[name] = stored[name]  # and one without the outcomes' windows
    # and one without the retention period
    weights["retention_years_after_last_involvement"] = stored[
        "retention_years_after_last_involvement"
    ]
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
        return _login_page(request, db, errors={"form": CODE_EXPIRED})
    return _code_page(request, found[0].csrf_token, recovery=bool(recovery))


@router.post("/login/code", response_class=HTMLResponse)
def login_code(request: Request, db: DbSession, form: FormData) -> Response:
    recovery = form.get("recovery") == "1"
    found = mfa.find_challenge(db, request.cookies.get(MFA_COOKIE))
    if found is None:
        return _login_page(request, db, status_code=403, errors={"form": CODE_EXPIRED})
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
        method: SignInMethod = "sso_mfa" if outcome.provider_mfa else "sso"
        response = enter(request, db, user=outcome.user, target=outcome.target, method=method)
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
        trust_provider_mfa=current.trust_provider_mfa,
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
                trust_provider_mfa=data.trust_provider_mfa,
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


# Signed-in browsers (app/auth/devices.py) ----------------------------------------------------

SIGNED_OUT_ONE = "That browser has been signed out."
SIGNED_OUT_OTHERS = "You have been signed out everywhere else."
NOTHING_ELSE = "You were not signed in anywhere else."


def _sessions_page(db: DbSession, principal: Any, **extra: Any) -> dict[str, Any]:
    session_id = principal.session.id if principal.session else None
    items = devices.list_signed_in(db, actor=principal.user, current_session_id=session_id)
    browsers = [i for i in items if i.kind == "browser"]
    return {
        "browsers": browsers,
        "others": [b for b in browsers if not b.current],
        "tokens": [i for i in items if i.kind == "token"],
        "proof": devices.proof_needed(principal.user),
        "errors": {},
        "values": {},
        **extra,
    }


@router.get("/account/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "auth/sessions.html", _sessions_page(db, principal))


@router.post("/account/sessions/{session_id}/end", response_class=HTMLResponse)
def end_session_page(
    request: Request, db: DbSession, principal: CurrentPrincipal, session_id: PathId
) -> Response:
    devices.end_one(db, actor=principal.user, kind="browser", item_id=session_id)
    return redirect(request, "/account/sessions", notice=SIGNED_OUT_ONE)


@router.post("/account/sessions/end-others", response_class=HTMLResponse)
def end_others_page(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: FormData
) -> Response:
    submission = EndOthersForm.read(form)
    if data := submission.data:
        try:
            with submission.saving():
                sessions, tokens = devices.end_others(
                    db,
                    actor=principal.user,
                    session=principal.session,
                    token_id=None,
                    password=data.password,
                    code=data.code,
                )
                notice = SIGNED_OUT_OTHERS if sessions or tokens else NOTHING_ELSE
                return redirect(request, "/account/sessions", notice=notice)
        except TooManyRequests as exc:
            return render(
                request,
                "auth/sessions.html",
                _sessions_page(db, principal, errors={"form": exc.detail}),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
    return show_again(
        request,
        db,
        "auth/sessions.html",
        lambda: _sessions_page(db, principal),
        submission,
    )


@router.post("/admin/users/{user_id}/sign-out", response_class=HTMLResponse)
def sign_user_out(request: Request, db: DbSession, actor: AdminUser, user_id: PathId) -> Response:
    user = devices.sign_out_everywhere(db, actor=actor, user_id=user_id)
    return redirect(
        request,
        f"/admin/users/{user_id}",
        notice=f"{user.name} has been signed out of every browser, and their API tokens "
        "no longer work.",
    )
