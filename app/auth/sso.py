"""Single sign-on by OpenID Connect (issue 16): each organisation's provider (Microsoft Entra
ID for most councils), and the authorization code flow that maps the provider's verified
email address to an existing, active user of that organisation. Sign-in creates no account.

The protocol is Authlib's (authorization URL, state, nonce, PKCE S256) and joserfc's (the ID
token's signature against the provider's JWKS, and its iss, aud, exp, iat and nonce); every
HTTP call goes through httpx2 with a timeout. The client secret comes only from the
environment (TANDEM_SSO_CLIENT_SECRETS, by organisation id)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]
    prepare_grant_uri,
)
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
    create_s256_code_challenge,
)
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import SSO_BUTTON_LABEL, Role, SsoConfig, SsoLogin, User
from app.auth.security import token_digest
from app.auth.service import _require, normalise_email, now
from app.config import get_settings
from app.exceptions import Conflict, Invalid

CALLBACK_PATH = "/login/sso/callback"
LOGIN_MINUTES = 10
HTTP_TIMEOUT = 10.0  # seconds for each call to the provider
DISCOVERY_SECONDS = 300  # how long a discovery document (and its keys) is reused
CLOCK_LEEWAY = 120  # seconds of clock difference allowed with the provider
SCOPES = "openid email profile"
# Asymmetric signatures only: a token signed with the client secret (HS256) is refused.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
MAX_DOMAINS = 20
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

# Why a single sign-on did not sign someone in, in words for the sign-in page. The page is
# given only the key, never text from the request.
PROBLEMS = {
    "not_set_up": ("Single sign-on is not set up for that address. Sign in with your password."),
    "unavailable": (
        "Your organisation's sign-in service cannot be reached just now. Try again in a few "
        "minutes, or sign in with your password."
    ),
    "expired": (
        "Your sign-in took too long, was already used, or was started in another browser. "
        "Start again."
    ),
    "refused": (
        "Your organisation's sign-in service did not sign you in. Start again, or sign in "
        "with your password."
    ),
    "invalid": (
        "Tandem could not confirm the answer from your organisation's sign-in service. "
        "Start again, or ask your Tandem admin to check the single sign-on settings."
    ),
    "unverified": (
        "Your organisation's sign-in service has not confirmed your email address, so Tandem "
        "cannot use it. Ask your IT team, or sign in with your password."
    ),
    "locked": (
        "This account is locked after too many failed sign-ins. Try again later, or ask your "
        "organisation's Tandem admin to send you a password reset."
    ),
    "no_account": (
        "There is no active Tandem account for the address you signed in with. Ask your "
        "organisation's Tandem admin to add you or to reactivate your account."
    ),
}


class SsoProblem(Exception):
    """A sign-in that cannot go on; `code` is a key of PROBLEMS."""

    def __init__(self, code: str, reason: str | None = None) -> None:
        super().__init__(reason or code)
        self.code = code
        self.reason = reason or code

    @property
    def message(self) -> str:
        return PROBLEMS[self.code]


# Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsView:
    """An organisation's single sign-on settings as the admin sees them."""

    enabled: bool
    issuer: str
    client_id: str
    domains: list[str]
    button_label: str
    trust_provider_emails: bool
    trust_provider_mfa: bool
    client_secret_set: bool
    redirect_uri: str


def redirect_uri() -> str:
    """The address to register with the provider: TANDEM_BASE_URL + /login/sso/callback."""
    return get_settings().base_url.rstrip("/") + CALLBACK_PATH


def client_secret(org_id: int) -> str | None:
    secret = get_settings().sso_client_secrets.get(str(org_id))
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def _stored(db: Session, org_id: int) -> SsoConfig | None:
    return db.exec(select(SsoConfig).where(SsoConfig.org_id == org_id)).first()


def view_settings(db: Session, *, actor: User) -> SettingsView:
    _require(actor, Role.admin)
    config = _stored(db, actor.org_id)
    return SettingsView(
        enabled=config.enabled if config else False,
        issuer=config.issuer if config else "",
        client_id=config.client_id if config else "",
        domains=list(config.domains) if config else [],
        button_label=config.button_label if config else SSO_BUTTON_LABEL,
        trust_provider_emails=config.trust_provider_emails if config else False,
        trust_provider_mfa=config.trust_provider_mfa if config else False,
        client_secret_set=client_secret(actor.org_id) is not None,
        redirect_uri=redirect_uri(),
    )


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


def issuer_problem(issuer: str) -> str | None:
    """Why an issuer URL cannot be used, or None: https, or plain http to this machine
    (localhost, 127.0.0.1) in development and test only."""
    if not issuer:
        return "Enter the issuer URL"
    if len(issuer) > 500:
        return "The issuer URL must be 500 characters or fewer"
    try:
        parts = urlsplit(issuer)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        return "Enter the issuer URL as https://..., like https://login.microsoftonline.com/ID/v2.0"
    if parts.query or parts.fragment or parts.username or parts.password or not host:
        return "Enter the issuer URL as https://... with no query, fragment or user name"
    if parts.scheme == "https":
        return None
    local = host in LOCAL_HOSTS or _is_loopback(host)
    if parts.scheme == "http" and local and get_settings().environment != "production":
        return None
    return "The issuer URL must start with https://"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_domains(raw: list[str]) -> tuple[list[str], list[str]]:
    """Domains lower-cased, "@" dropped, duplicates removed; and the ones that are not
    domain names."""
    domains: list[str] = []
    bad: list[str] = []
    for item in raw:
        domain = item.strip().lower().removeprefix("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            bad.append(item.strip()[:100])
        elif domain not in domains:
            domains.append(domain)
    return domains, bad


def save_settings(
    db: Session,
    *,
    actor: User,
    enabled: bool,
    issuer: str,
    client_id: str,
    domains: list[str],
    button_label: str | None,
    trust_provider_emails: bool,
    trust_provider_mfa: bool = False,
) -> SsoConfig:
    """Set the organisation's provider (admin). Every problem at once (422); a domain that
    another organisation's single sign-on serves is a conflict (409)."""
    _require(actor, Role.admin)
    issuer = issuer.strip()
    client_id = client_id.strip()
    label = (button_label or "").strip() or SSO_BUTTON_LABEL
    problems: list[dict[str, Any]] = []
    if message := issuer_problem(issuer):
        problems.append(_problem("issuer", message))
    if not client_id:
        problems.append(_problem("client_id", "Enter the client ID (application ID)"))
    elif len(client_id) > 255 or not client_id.isprintable():
        problems.append(_problem("client_id", "Enter the client ID as the provider shows it"))
    cleaned, bad = clean_domains(domains)
    if bad:
        verb = "is not an email domain" if len(bad) == 1 else "are not email domains"
        message = f"{', '.join(bad[:3])} {verb}: enter domains like council.gov.uk"
        problems.append(_problem("domains", message))
    elif not cleaned:
        problems.append(_problem("domains", "Enter at least one email domain, like council.gov.uk"))
    elif len(cleaned) > MAX_DOMAINS:
        problems.append(_problem("domains", f"Enter at most {MAX_DOMAINS} email domains"))
    if len(label) > 80:
        problems.append(_problem("button_label", "The button label must be 80 characters or fewer"))
    if problems:
        raise Invalid("The single sign-on settings are not valid", problems)
    taken = sorted(
        {
            domain
            for other in db.exec(select(SsoConfig).where(SsoConfig.org_id != actor.org_id))
            for domain in other.domains
        }
        & set(cleaned)
    )
    if taken:
        message = (
            f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already used for single "
            "sign-on by another organisation"
        )
        raise Conflict(message)
    values: dict[str, Any] = {
        "enabled": enabled,
        "issuer": issuer,
        "client_id": client_id,
        "domains": cleaned,
        "button_label": label,
        "trust_provider_emails": trust_provider_emails,
        "trust_provider_mfa": trust_provider_mfa,
    }
    config = _stored(db, actor.org_id)
    if config is None:
        config = SsoConfig(org_id=actor.org_id, updated_at=now(), **values)
        db.add(config)
        db.flush()
        audit.record(
            db,
            org_id=actor.org_id,
            actor=actor,
            action="create",
            entity="sso_config",
            entity_id=config.id,
            changes={key: [None, value] for key, value in values.items()},
        )
    elif audit.update(db, config, values, actor=actor, entity="sso_config", entity_id=config.id):
        config.updated_at = now()
        db.add(config)
    return config


# The provider: discovery and keys, cached briefly ----------------------------------------

_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _get_json(url: str) -> Any:
    try:
        response = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
        raise SsoProblem("unavailable", f"{url}: {type(exc).__name__}") from None


def _cached(url: str, *, fresh: bool = False) -> Any:
    stamp = time.monotonic()
    with _cache_lock:
        hit = _cache.get(url)
    if hit is not None and not fresh and stamp - hit[0] < DISCOVERY_SECONDS:
        return hit[1]
    value = _get_json(url)
    with _cache_lock:
        _cache[url] = (stamp, value)
    return value


ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def discover(issuer: str, *, fresh: bool = False) -> dict[str, Any]:
    """The provider's discovery document, checked: it names this issuer exactly, and the
    endpoints the code flow needs."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _cached(url, fresh=fresh)
    if not isinstance(document, dict):
        raise SsoProblem("unavailable", "the discovery document is not a JSON object")
    if document.get("issuer") != issuer:
        raise SsoProblem(
            "invalid",
            f"the provider calls itself {str(document.get('issuer'))[:200]!r}, not {issuer!r}",
        )
    missing = [key for key in ENDPOINTS if not isinstance(document.get(key), str)]
    if missing:
        raise SsoProblem("invalid", f"the discovery document has no {', '.join(missing)}")
    return document


@dataclass(frozen=True)
class ProviderCheck:
    ok: bool
    message: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    keys: int = 0


def check_provider(db: Session, *, actor: User) -> ProviderCheck:
    """Fetch the saved provider's discovery document and keys afresh and say what was found
    (admin). Changes nothing."""
    _require(actor, Role.admin)
    config = _stored(db, actor.org_id)
    if config is None:
        return ProviderCheck(False, "Save the provider's settings first, then check them.")
    try:
        document = discover(config.issuer, fresh=True)
        keys = _cached(document["jwks_uri"], fresh=True)
        count = len(keys.get("keys", [])) if isinstance(keys, dict) else 0
        if not count:
            raise SsoProblem("invalid", "its key set (jwks_uri) holds no keys")
    except SsoProblem as exc:
        if exc.code == "unavailable":
            return ProviderCheck(
                False,
                f"Tandem could not fetch {config.issuer.rstrip('/')}/.well-known/"
                "openid-configuration. Check the issuer URL, and that this server can reach it.",
            )
        return ProviderCheck(False, f"The provider answered, but {exc.reason}.")
    secret = client_secret(actor.org_id) is not None
    message = "The provider answered: its discovery document and signing keys are in order."
    if not secret:
        message += (
            " The client secret is not in the environment yet: sign-in will not work until it is."
        )
    return ProviderCheck(
        True,
        message,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        keys=count,
    )


# Signing in ---------------------------------------------------------------------------------


def provider_for(db: Session, email: str) -> SsoConfig | None:
    """The enabled single sign-on that serves this address's domain, if any."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for config in db.exec(select(SsoConfig).where(col(SsoConfig.enabled).is_(True))):
        if domain in config.domains:
            return config
    return None


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if _ORIGIN.match(origin) else None


def sign_in_origins(db: Session) -> list[str]:
    """Where the single sign-on form may send the browser (its page's CSP form-action: a
    browser applies it to the redirect after the form's post): every enabled provider's
    origin, and its sign-in page's when discovery put that elsewhere. No network call."""
    origins: set[str] = set()
    for config in db.exec(select(SsoConfig).where(col(SsoConfig.enabled).is_(True))):
        origins.add(_origin(config.issuer) or "")
        with _cache_lock:
            hit = _cache.get(config.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if hit is not None and isinstance(hit[1], dict):
            origins.add(_origin(str(hit[1].get("authorization_endpoint", ""))) or "")
    return sorted(origins - {""})


def sign_in_label(db: Session) -> str:
    """The sign-in page's single sign-on link: the organisation's own label when one
    organisation (or several with the same label) has single sign-on on."""
    labels = set(db.exec(select(SsoConfig.button_label).where(col(SsoConfig.enabled).is_(True))))
    return labels.pop() if len(labels) == 1 else SSO_BUTTON_LABEL


def _verifier(browser: str) -> str:
    """The PKCE code verifier, derived from the browser's cookie (43 characters)."""
    digest = hashlib.sha256(f"pkce:{browser}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def begin(db: Session, *, email: str, target: str) -> tuple[str, str]:
    """Start a sign-in for `email`: (the provider's authorization URL, the value of the
    browser's cookie). SsoProblem when no enabled provider serves the address's domain or
    the provider cannot be reached."""
    address = normalise_email(email)
    config = provider_for(db, address)
    if config is None or client_secret(config.org_id) is None:
        raise SsoProblem("not_set_up")
    document = discover(config.issuer)
    db.execute(delete(SsoLogin).where(col(SsoLogin.expires_at) < now()))
    state, nonce, browser = generate_token(43), generate_token(43), generate_token(43)
    db.add(
        SsoLogin(
            org_id=config.org_id,
            state_hash=token_digest(state),
            browser_hash=token_digest(browser),
            nonce=nonce,
            target=target if len(target) <= 2000 else "/",
            expires_at=now() + timedelta(minutes=LOGIN_MINUTES),
        )
    )
    url = prepare_grant_uri(
        document["authorization_endpoint"],
        client_id=config.client_id,
        response_type="code",
        redirect_uri=redirect_uri(),
        scope=SCOPES,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(_verifier(browser)),
        code_challenge_method="S256",
        login_hint=address,
    )
    return url, browser


@dataclass
class Outcome:
    """A finished sign-in: the user, and where they were going."""

    user: User
    target: str
    # The provider ran a second factor (its ID token's `amr`, or the organisation's word for
    # it): the sign-in meets the organisation's two-step requirement (app/auth/entry.py).
    provider_mfa: bool = False


def _take_login(db: Session, *, state: str | None, browser: str | None) -> SsoLogin:
    """The sign-in this callback finishes, used up: it must exist, be this browser's and be
    under ten minutes old."""
    if not state or not browser or len(state) > 200 or len(browser) > 200:
        raise SsoProblem("expired", "no state or no browser cookie")
    login = db.exec(select(SsoLogin).where(SsoLogin.state_hash == token_digest(state))).first()
    if login is None:
        raise SsoProblem("expired", "unknown or used state")
    if login.browser_hash != token_digest(browser):
        raise SsoProblem("expired", "state from another browser")
    db.delete(login)
    db.flush()
    if login.expires_at < now():
        raise SsoProblem("expired", "state older than ten minutes")
    return login


def _token_request(
    document: dict[str, Any], config: SsoConfig, secret: str, code: str, verifier: str
) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": verifier,
    }
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth: tuple[str, str] | None = None
    if "client_secret_basic" in methods:
        auth = (config.client_id, secret)
    else:
        data |= {"client_id": config.client_id, "client_secret": secret}
    try:
        response = httpx2.post(
            document["token_endpoint"],
            data=data,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
    except httpx2.HTTPError as exc:
        raise SsoProblem("unavailable", f"token endpoint: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or not isinstance(body, dict):
        raise SsoProblem("unavailable", f"token endpoint answered {response.status_code}")
    if response.status_code != 200 or not isinstance(body.get("id_token"), str):
        error = str(body.get("error", "no id_token"))[:100]
        raise SsoProblem("refused", f"token endpoint refused the code: {error}")
    return body


def _id_claims(
    document: dict[str, Any], config: SsoConfig, id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce check."""
    for fresh in (False, True):  # a key not yet seen: the provider may have rotated its keys
        try:
            keys = KeySet.import_key_set(_cached(document["jwks_uri"], fresh=fresh))
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            break
        except SsoProblem:
            raise
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            if fresh:
                raise SsoProblem("invalid", f"ID token signature: {type(exc).__name__}") from None
    claims = dict(token.claims)
    registry = JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise SsoProblem("invalid", f"ID token claims: {exc}") from None
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise SsoProblem("invalid", "ID token for several audiences without azp")
    return claims


def _userinfo(document: dict[str, Any], access_token: str, sub: str) -> dict[str, Any]:
    """The userinfo claims (a provider may keep email out of the ID token), for the same
    subject only."""
    url = document.get("userinfo_endpoint")
    if not isinstance(url, str) or not access_token:
        return {}
    try:
        response = httpx2.get(
            url, headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT
        )
        response.raise_for_status()
        info = response.json()
    except (httpx2.HTTPError, ValueError):
        raise SsoProblem("unavailable", "userinfo endpoint") from None
    if not isinstance(info, dict) or info.get("sub") != sub:
        raise SsoProblem("invalid", "userinfo for another subject")
    return info


def email_verified(claims: dict[str, Any], *, trust_provider: bool) -> bool:
    """Whether the provider vouches for the address: `email_verified` true; or Microsoft
    Entra ID's `xms_edov` (the address's domain is verified in the tenant); or the
    organisation's choice to trust its provider's addresses."""
    if claims.get("email_verified") in (True, "true"):
        return True
    if claims.get("xms_edov") in (True, "true", 1, "1"):
        return True
    return trust_provider and claims.get("email_verified") is None


def _refuse(db: Session, user: User | None, reason: str, code: str) -> SsoProblem:
    """A refusal, audited against the person when there is one."""
    if user is not None:
        audit.record(
            db,
            org_id=user.org_id,
            actor=None,
            action="sign_in_refused",
            entity="user",
            entity_id=user.id,
            changes={"method": [None, "sso"], "reason": [None, reason]},
        )
    return SsoProblem(code, reason)


def finish(
    db: Session,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    browser: str | None,
    issuer: str | None = None,
) -> Outcome:
    """The provider's answer: the sign-in under way is used up whatever happens; the user
    to let in, or SsoProblem. Nothing else changes, but the refusal's audit event."""
    login = _take_login(db, state=state, browser=browser)
    if error or not code:
        raise SsoProblem("refused", f"provider error {str(error)[:50]!r}")
    config = _stored(db, login.org_id)
    secret = client_secret(login.org_id)
    if config is None or not config.enabled or secret is None:
        raise SsoProblem("not_set_up", "single sign-on turned off while signing in")
    if issuer is not None and issuer != config.issuer:
        # RFC 9207: the answer came from another provider than the one asked (mix-up).
        raise SsoProblem("invalid", "the answer names another issuer")
    document = discover(config.issuer)
    tokens = _token_request(document, config, secret, code[:2000], _verifier(browser or ""))
    claims = _id_claims(document, config, tokens["id_token"], login.nonce)
    if "email" not in claims:
        info = _userinfo(document, str(tokens.get("access_token") or ""), str(claims["sub"]))
        claims |= {k: v for k, v in info.items() if k in ("email", "email_verified", "xms_edov")}
    raw_email = claims.get("email")
    if not isinstance(raw_email, str) or "@" not in raw_email:
        raise SsoProblem("unverified", "no email claim")
    try:
        email = normalise_email(raw_email)
    except Invalid:
        raise SsoProblem("invalid", "email claim is not an address") from None
    user = db.exec(select(User).where(User.email == email)).first()
    if not email_verified(claims, trust_provider=config.trust_provider_emails):
        raise _refuse(db, user, "email not verified by the provider", "unverified")
    if email.rpartition("@")[2] not in config.domains:
        raise _refuse(db, user, "email outside the provider's domains", "no_account")
    if user is None:
        raise SsoProblem("no_account", "no account")
    if user.org_id != config.org_id:
        raise _refuse(db, user, "account of another organisation", "no_account")
    if not user.active:
        raise _refuse(db, user, "account inactive", "no_account")
    if user.locked_until is not None and user.locked_until > now():
        # A lock holds whatever the way in: someone guessing the password may hold the
        # person's provider account too.
        raise _refuse(db, user, "account locked", "locked")
    return Outcome(
        user=user,
        target=login.target,
        provider_mfa=config.trust_provider_mfa or provider_asserts_mfa(claims),
    )


# RFC 8176 authentication method references, by kind of factor: something known, held or
# been. "mfa" says outright that more than one factor was used.
AMR_FACTORS = {
    **dict.fromkeys(("pwd", "pin", "kba"), "known"),
    **dict.fromkeys(("otp", "sms", "tel", "hwk", "swk", "sc", "pop"), "held"),
    **dict.fromkeys(("fpt", "face", "iris", "retina", "vbm", "geo"), "been"),
}


def provider_asserts_mfa(claims: dict[str, Any]) -> bool:
    """Whether the ID token says a second factor was used (OpenID Connect `amr`, RFC 8176):
    "mfa", or methods of two kinds (a password and a one-time code, say). No `amr` counts as
    one factor (ASVS 5.0 V6.8.4: assume the weakest method when the provider does not say)."""
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = [amr]
    if not isinstance(amr, list):
        return False
    methods = {value.lower() for value in amr if isinstance(value, str)}
    return "mfa" in methods or len({AMR_FACTORS[m] for m in methods if m in AMR_FACTORS}) >= 2
