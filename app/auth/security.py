"""Passwords and tokens: Argon2id hashes, random tokens stored only as SHA-256."""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import get_settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
# 20,000 passwords common in breaches (Django's list, BSD-3-Clause: data/README.md).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
COMMON_PASSWORD = (
    "This password is on a list of common passwords that attackers try first. "  # noqa: S105
    "Choose another: a few unrelated words make a strong one"
)


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


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords, lower-cased, read once."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    """Whether the password is on the list (ASVS 2.1.7), ignoring case and outer spaces."""
    return password.strip().lower() in common_passwords()


# Words about Tandem and the work it is used for (ASVS 5.0 V6.1.2 and V6.2.11, listed in
# docs/security.md): a password made of nothing else, with any digits and symbols, is easy
# to guess for anyone who knows where it is used.
CONTEXT_WORDS = (
    "tandem",
    "mentor",
    "mentoring",
    "mentee",
    "facilitator",
    "befriending",
    "visitor",
    "fostering",
    "foster",
    "carer",
    "children",
    "child",
    "care",
    "council",
    "social",
    "services",
    "fhfpt",
    "fidelity",
    "cohort",
    "welcome",
    "password",
    "letmein",
)
CONTEXTUAL = (
    "This password is made of words about Tandem, your work or your email address, which are "
    "easy to guess. Choose another, such as three or four random words"
)


def _context_words(email: str) -> list[str]:
    """The list above and the parts of this person's email address (name and domain)."""
    local, _, domain = email.strip().lower().partition("@")
    own = re.split(r"[^a-z]+", local + "." + domain)
    return [*CONTEXT_WORDS, *(part for part in own if part)]


def is_contextual(password: str, email: str) -> bool:
    """Whether the password's letters are only context words (repeated or together), such as
    "Tandem2026!!" or "MentorMentor1", or there are no letters at all beside them."""
    letters = re.sub(r"[^a-z]", "", password.lower())
    if not letters:
        return False  # digits and symbols alone: the common-password list and length judge
    words = sorted(set(_context_words(email)), key=len, reverse=True)
    return re.fullmatch("(?:" + "|".join(map(re.escape, words)) + ")+", letters) is not None


def password_problem(password: str, email: str) -> str | None:
    """Why this password may not be used, or None. Every way of setting a password asks
    this: adding a user, changing one's own, a reset or invitation link, the command line."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.strip().lower() == email.strip().lower():
        return "Password must not be the same as the email address"
    if is_common(password):
        return COMMON_PASSWORD
    if is_contextual(password, email):
        return CONTEXTUAL
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
