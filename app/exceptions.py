"""Domain errors. Services raise these; app.errors turns them into HTTP answers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class NotAuthenticated(DomainError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    status_code = 401
    title = "Not signed in"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Forbidden(DomainError):
    status_code = 403
    title = "You cannot do this"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Invalid(DomainError):
    """Input that parses but breaks a rule. `errors` lists the fields at fault."""

    status_code = 422
    title = "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []
