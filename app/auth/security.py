"""Passwords and tokens: Argon2id hashes, random tokens stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import get_settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    if get_settings().password_hash_fast:
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash if the parameters changed). With no hash (unknown email) a dummy
    hash is checked anyway, so the answer takes the same time either way."""
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False, None
    try:
        return _hasher().verify_and_update(password, password_hash)
    except Exception:  # a corrupt or foreign hash never signs anyone in
        return False, None


def password_problem(password: str, email: str) -> str | None:
    """Why this password may not be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.strip().lower() == email.strip().lower():
        return "Password must not be the same as the email address"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
