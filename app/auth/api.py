"""JSON API: tokens, the caller, and (for admins) the organisation's users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.auth import devices, links, mfa, notifications, service, signin, sso
from app.auth.deps import AdminUser, CurrentPrincipal, CurrentUser, bearer_token, client_address
from app.auth.models import Organisation
from app.auth.schemas import (
    EndOthersBody,
    ForgotRequest,
    LinkSent,
    MePublic,
    MfaCode,
    MfaSetupPublic,
    MfaStatusPublic,
    NotificationsPublic,
    NotificationsUpdate,
    OrganisationPublic,
    OrganisationUpdate,
    RecoveryCodesPublic,
    ResetRequestBody,
    SignedInPublic,
    SsoSettingsPublic,
    SsoSettingsUpdate,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.auth.service import Principal
from app.db import DbSession
from app.errors import problem_responses
from app.exceptions import NotAuthenticated
from app.mail.service import preferences
from app.web import PathId

router = APIRouter(tags=["auth and people"])


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    response_model_exclude_none=True,
    summary="Exchange an email and password for a bearer token (OAuth2 password form)",
    responses=problem_responses(401, 429),
)
def issue_token(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(min_length=1, max_length=254, description="The email address.")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[
        str | None, Form(max_length=32, description="OAuth2's 'password' (optional).")
    ] = None,
    otp: Annotated[
        str | None,
        Form(
            max_length=64,
            description="With two-step sign-in on: the code from the app, or a recovery code.",
        ),
    ] = None,
) -> TokenPublic:
    user = signin.authenticate(
        db, email=username, password=password, address=client_address(request)
    )
    standing = mfa.note_sign_in(db, user)
    if user.mfa_enabled_at is not None:
        mfa.token_second_factor(db, user=user, otp=otp)
    elif standing == "overdue":
        raise NotAuthenticated(mfa.SETUP_NEEDED, mfa_setup_required=True)
    raw, token = service.issue_token(db, user=user)
    return TokenPublic(
        access_token=raw,
        expires_at=token.expires_at,
        mfa_setup_required=True if standing == "grace" else None,
    )


@router.post(
    "/auth/logout",
    status_code=204,
    summary="Revoke the token (or end the browser session) used for this request",
    responses=problem_responses(401, 403),
)
def logout(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    raw = bearer_token(request)
    if principal.via == "token" and raw:
        service.revoke_token(db, raw=raw, user=principal.user)
    elif principal.session is not None:
        service.end_session(db, session=principal.session, user=principal.user)
    return Response(status_code=204)


@router.post(
    "/auth/forgot",
    status_code=202,
    response_class=Response,
    summary="Ask for a password reset link (the same answer whatever the address)",
    responses=problem_responses(422, 429),
)
def forgot(request: Request, db: DbSession, body: ForgotRequest) -> Response:
    """A known, active address gets a link valid for an hour (at most 3 an hour); any other
    gets nothing, and the answer is the same. 429 with Retry-After when this client address
    has asked more than 10 times in an hour."""
    links.forgot(db, email=body.email, address=client_address(request))
    return Response(status_code=202)


@router.post(
    "/auth/reset",
    status_code=204,
    summary="Set a password with a reset or invitation link's token (it works once)",
    responses=problem_responses(422),
)
def reset(db: DbSession, body: ResetRequestBody) -> Response:
    """Ends all the person's sessions and tokens. 422 with the field `token` at fault for
    an unknown, used or expired link, or `password` for a password the rules refuse."""
    links.use(db, raw=body.token, password=body.password)
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, summary="Who I am", responses=problem_responses(401))
def me(user: CurrentUser) -> MePublic:
    return MePublic.model_validate(user)


# My email choices ----------------------------------------------------------------------------


@router.get(
    "/me/notifications",
    response_model=NotificationsPublic,
    summary="Which emails I get: every kind, on or off",
    responses=problem_responses(401),
)
def my_notifications(user: CurrentUser) -> NotificationsPublic:
    return NotificationsPublic(email=preferences(user))


@router.put(
    "/me/notifications",
    response_model=NotificationsPublic,
    summary="Turn kinds of email on or off (kinds left out keep their value)",
    responses=problem_responses(401, 422),
)
def set_my_notifications(
    db: DbSession, user: CurrentUser, body: NotificationsUpdate
) -> NotificationsPublic:
    return NotificationsPublic(
        email=notifications.set_preferences(db, actor=user, changes=body.email)
    )


# The organisation's users --------------------------------------------------------------------


@router.get(
    "/users",
    response_model=list[UserPublic],
    summary="The organisation's users (admin)",
    responses=problem_responses(401, 403),
)
def list_users(db: DbSession, actor: AdminUser) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in service.list_users(db, actor=actor)]


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    summary="Add a user to the organisation (admin)",
    responses=problem_responses(401, 403, 409, 422),
)
def create_user(db: DbSession, actor: AdminUser, body: UserCreate) -> UserPublic:
    user = links.add_user(
        db,
        actor=actor,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
    )
    return UserPublic.model_validate(user)


@router.get(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="One user (admin)",
    responses=problem_responses(401, 403, 404),
)
def get_user(db: DbSession, actor: AdminUser, user_id: PathId) -> UserPublic:
    return UserPublic.model_validate(service.get_user(db, actor=actor, user_id=user_id))


@router.post(
    "/users/{user_id}/password-reset",
    status_code=202,
    response_model=LinkSent,
    summary="Email a user a password reset link (admin); a new invitation if they never "
    "accepted theirs",
    responses=problem_responses(401, 403, 404, 409),
)
def send_password_reset(db: DbSession, actor: AdminUser, user_id: PathId) -> LinkSent:
    return LinkSent(sent=links.send_reset(db, actor=actor, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="Change a user's name or role, or (de)activate them (admin)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_user(db: DbSession, actor: AdminUser, body: UserUpdate, user_id: PathId) -> UserPublic:
    user = service.update_user(
        db, actor=actor, user_id=user_id, name=body.name, role=body.role, active=body.active
    )
    return UserPublic.model_validate(user)


@router.get(
    "/organisation",
    response_model=OrganisationPublic,
    summary="My organisation's settings",
    responses=problem_responses(401),
)
def get_organisation(db: DbSession, user: CurrentUser) -> OrganisationPublic:
    return OrganisationPublic.model_validate(db.get(Organisation, user.org_id))


@router.patch(
    "/organisation",
    response_model=OrganisationPublic,
    summary="Change my organisation's settings (admin): bank-holiday region, thresholds",
    responses=problem_responses(401, 403, 422),
)
def update_organisation(
    db: DbSession, actor: AdminUser, body: OrganisationUpdate
) -> OrganisationPublic:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return OrganisationPublic.model_validate(
        service.update_organisation(db, actor=actor, changes=changes)
    )


# Two-step sign-in (app/auth/mfa.py) --------------------------------------------------------


@router.get(
    "/me/mfa",
    response_model=MfaStatusPublic,
    summary="My two-step sign-in: on or off, recovery codes left, my organisation's requirement",
    responses=problem_responses(401),
)
def mfa_status(db: DbSession, user: CurrentUser) -> MfaStatusPublic:
    return MfaStatusPublic(
        enabled=user.mfa_enabled,
        pending=mfa.pending_secret(user) is not None,
        recovery_codes_left=mfa.remaining_recovery_codes(db, user),
        required=user.mfa_required_since is not None,
        setup_due=user.mfa_setup_due if not user.mfa_enabled else None,
    )


@router.post(
    "/me/mfa",
    response_model=MfaSetupPublic,
    summary="Start setting up two-step sign-in: a new secret for an authenticator app",
    responses=problem_responses(401, 409),
)
def start_mfa(db: DbSession, user: CurrentUser) -> MfaSetupPublic:
    secret, uri = mfa.begin_setup(db, actor=user)
    return MfaSetupPublic(secret=secret, otpauth_uri=uri)


@router.post(
    "/me/mfa/confirm",
    status_code=204,
    summary="Turn two-step sign-in on with a code from the app (then ask for recovery codes)",
    responses=problem_responses(401, 409, 422),
)
def confirm_mfa(db: DbSession, user: CurrentUser, body: MfaCode) -> Response:
    mfa.confirm(db, actor=user, code=body.code)
    return Response(status_code=204)


@router.delete(
    "/me/mfa",
    status_code=204,
    summary="Turn two-step sign-in off, with a code from the app or a recovery code",
    responses=problem_responses(401, 409, 422, 429),
)
def disable_mfa(db: DbSession, user: CurrentUser, body: MfaCode) -> Response:
    mfa.disable(db, actor=user, code=body.code)
    return Response(status_code=204)


@router.post(
    "/me/mfa/recovery-codes",
    response_model=RecoveryCodesPublic,
    summary="A new set of ten single-use recovery codes, shown once (the old set ends)",
    responses=problem_responses(401, 409, 422, 429),
)
def renew_recovery_codes(db: DbSession, user: CurrentUser, body: MfaCode) -> RecoveryCodesPublic:
    return RecoveryCodesPublic(codes=mfa.renew_recovery_codes(db, actor=user, code=body.code))


@router.delete(
    "/users/{user_id}/mfa",
    status_code=204,
    summary="Reset a person's two-step sign-in, for a lost phone (admin); they are emailed",
    responses=problem_responses(401, 403, 404, 409),
)
def reset_mfa(db: DbSession, actor: AdminUser, user_id: PathId) -> Response:
    mfa.admin_reset(db, actor=actor, user_id=user_id)
    return Response(status_code=204)


# Single sign-on settings (app/auth/sso.py) ---------------------------------------------------


@router.get(
    "/organisation/sso",
    response_model=SsoSettingsPublic,
    summary="My organisation's single sign-on (OpenID Connect) settings (admin)",
    responses=problem_responses(401, 403),
)
def get_sso_settings(db: DbSession, actor: AdminUser) -> SsoSettingsPublic:
    return SsoSettingsPublic.model_validate(sso.view_settings(db, actor=actor))


@router.put(
    "/organisation/sso",
    response_model=SsoSettingsPublic,
    summary="Set my organisation's single sign-on provider (admin); the client secret comes "
    "only from TANDEM_SSO_CLIENT_SECRETS",
    responses=problem_responses(401, 403, 409, 422),
)
def put_sso_settings(db: DbSession, actor: AdminUser, body: SsoSettingsUpdate) -> SsoSettingsPublic:
    sso.save_settings(db, actor=actor, **body.model_dump())
    return SsoSettingsPublic.model_validate(sso.view_settings(db, actor=actor))


# Signed-in browsers and API tokens (app/auth/devices.py) -------------------------------------


def _current_ids(
    request: Request, db: DbSession, principal: Principal
) -> tuple[int | None, int | None]:
    """The session or token this request came with: (session id, token id)."""
    if principal.via == "token":
        return None, devices.current_token_id(db, bearer_token(request))
    return (principal.session.id if principal.session else None), None


@router.get(
    "/me/sessions",
    response_model=list[SignedInPublic],
    summary="The browsers I am signed in on, then my API tokens (never their values)",
    responses=problem_responses(401),
)
def my_sessions(
    request: Request, db: DbSession, principal: CurrentPrincipal
) -> list[SignedInPublic]:
    session_id, token_id = _current_ids(request, db, principal)
    return [
        SignedInPublic.model_validate(item)
        for item in devices.list_signed_in(
            db,
            actor=principal.user,
            current_session_id=session_id,
            current_token_id=token_id,
        )
    ]


@router.delete(
    "/me/sessions/{session_id:int}",
    status_code=204,
    summary="Sign one of my browsers out (404 if it is not mine or has ended)",
    responses=problem_responses(401, 404),
)
def end_my_session(db: DbSession, user: CurrentUser, session_id: PathId) -> Response:
    devices.end_one(db, actor=user, kind="browser", item_id=session_id)
    return Response(status_code=204)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=204,
    summary="Revoke one of my API tokens (404 if it is not mine or has ended)",
    responses=problem_responses(401, 404),
)
def end_my_token(db: DbSession, user: CurrentUser, token_id: PathId) -> Response:
    devices.end_one(db, actor=user, kind="token", item_id=token_id)
    return Response(status_code=204)


@router.post(
    "/me/sessions/end-others",
    status_code=204,
    summary="Sign out everywhere else: every browser and API token but this one, with my "
    "password (or, without one, a code) again",
    responses=problem_responses(401, 422, 429),
)
def end_other_sessions(
    request: Request, db: DbSession, principal: CurrentPrincipal, body: EndOthersBody
) -> Response:
    session_id, token_id = _current_ids(request, db, principal)
    devices.end_others(
        db,
        actor=principal.user,
        session=principal.session if session_id is not None else None,
        token_id=token_id,
        password=body.password,
        code=body.code,
    )
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/sign-out",
    status_code=204,
    summary="Sign a person out of every browser and revoke their API tokens (admin)",
    responses=problem_responses(401, 403, 404),
)
def sign_user_out(db: DbSession, actor: AdminUser, user_id: PathId) -> Response:
    devices.sign_out_everywhere(db, actor=actor, user_id=user_id)
    return Response(status_code=204)
