"""JSON API: tokens, the caller, and (for admins) the organisation's users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.auth import service, signin, sso
from app.auth.deps import AdminUser, CurrentPrincipal, CurrentUser, bearer_token, client_address
from app.auth.models import Organisation
from app.auth.schemas import (
    MePublic,
    OrganisationPublic,
    OrganisationUpdate,
    SsoSettingsPublic,
    SsoSettingsUpdate,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.db import DbSession
from app.errors import problem_responses
from app.web import PathId

router = APIRouter(tags=["auth and people"])


@router.post(
    "/auth/token",
    response_model=TokenPublic,
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
) -> TokenPublic:
    user = signin.authenticate(
        db, email=username, password=password, address=client_address(request)
    )
    raw, token = service.issue_token(db, user=user)
    return TokenPublic(access_token=raw, expires_at=token.expires_at)


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


@router.get("/me", response_model=MePublic, summary="Who I am", responses=problem_responses(401))
def me(user: CurrentUser) -> MePublic:
    return MePublic.model_validate(user)


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
    user = service.create_user(
        db,
        actor=actor,
        org_id=actor.org_id,
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
