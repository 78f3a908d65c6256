"""RFC 9457 problem details for the API, error pages for people."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db import database_busy, database_unreachable, outage
from app.exceptions import DomainError, Invalid, NotAuthenticated, TooManyRequests

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemFieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="For 422: every field at fault."
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries describing problem+json errors."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        code: {
            "description": HTTPStatus(code).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for code in codes
    }


def wants_json(request: Request) -> bool:
    """API paths always answer JSON; elsewhere, a client that asks for JSON gets it."""
    path = request.url.path
    if path.startswith("/api/") or path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    if not wants_json(request):
        from app.web import render_error_page  # the page layer imports this module

        return render_error_page(request, status, detail, title=title, headers=headers)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [part for part in err.get("loc", ()) if isinstance(part, str | int)]
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": err.get("type")})
    return out


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = "There is nothing at this address."
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405 and request.method == "GET" and not wants_json(request):
        # A person on an address that only takes a form (a reload after a failed save, a
        # bookmark): the page the form is on, not "Method Not Allowed".
        return RedirectResponse(nearest_page(request), status_code=303)
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed here."
        headers["Allow"] = ", ".join(_allowed_methods(request))
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # Bytes that are not even text: the same answer as any other malformed body.
        return problem(
            request,
            422,
            "The request body is not valid JSON.",
            title="Invalid input",
            errors=[{"loc": ["body"], "msg": "cannot be decoded", "type": "json_invalid"}],
        )
    return problem(request, exc.status_code, detail, headers=headers or None)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette names only the first route's)."""
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            allowed |= set(route.methods or ())
    return sorted(allowed)


async def _validation_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = "The request body is not valid JSON."
    else:
        detail = "The request has invalid fields; see errors."
    return problem(request, 422, detail, title="Invalid input", errors=errors)


async def _domain_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if getattr(exc, "keeps_entries", False) and _kept_for_the_page(request):
        back = await _back_to_the_page(request)
        if back is not None:
            return back
    if isinstance(exc, NotAuthenticated):
        if not wants_json(request):
            return await _to_sign_in(request)
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    errors = exc.errors if isinstance(exc, Invalid) else None
    return problem(
        request,
        exc.status_code,
        exc.detail,
        title=exc.title,
        errors=errors,
        headers=headers or None,
        **exc.extra,
    )


async def _to_sign_in(request: Request) -> Response:
    """People who are not signed in go to the sign-in page, and come back afterwards.

    A form posted after the session ended comes back to the page it was on, never to the
    address it posted to (which may answer POST alone), with what was typed kept until
    they have signed in (app/web.py `keep_entries`; only from a page of this site)."""
    from app.web import keep_entries  # the page layer imports this module

    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    posted = request.method not in ("GET", "HEAD")
    if posted:
        target = _page_of_form(request)
    location = "/login" if target == "/" else f"/login?next={quote(target, safe='')}"
    response: Response
    if request.headers.get("HX-Request") == "true":
        response = Response(status_code=204, headers={"HX-Redirect": location})
    else:
        response = RedirectResponse(location, status_code=303)
    if posted and target != "/" and _same_origin(request) and _is_form(request):
        form = await request.form()
        keep_entries(request, response, target, form.multi_items())
    return response


def _kept_for_the_page(request: Request) -> bool:
    """A person's form from a page of this site (not the API, not another site's form)."""
    return (
        not wants_json(request)
        and request.method not in ("GET", "HEAD")
        and _same_origin(request)
        and _is_form(request)
    )


async def _back_to_the_page(request: Request) -> Response | None:
    """A signed-in person's form that cannot be taken as it is (from an earlier session):
    back to its page with what was typed, to check and send again (None: nothing to keep,
    or too much)."""
    from app.web import keep_entries, redirect  # the page layer imports this module

    page = _page_of_form(request)
    response = redirect(request, page)
    form = await request.form()
    if page == "/" or not keep_entries(request, response, page, form.multi_items()):
        return None
    return response


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _same_origin(request: Request) -> bool:
    """The request came from a page of this site (its Origin, else its Referer, names this
    host): a form on another site cannot leave entries for someone's next sign-in."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    return bool(source) and urlsplit(source).netloc == request.url.netloc


def _answers_get(request: Request, path: str) -> bool:
    scope = {**request.scope, "path": path, "method": "GET"}
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return True
    return False


def _page_of_form(request: Request) -> str:
    """The page a posted form was on: the Referer when it is a page of this site, else the
    address posted to when it is a page too, else the nearest page above it, else home."""
    referer = request.headers.get("referer")
    if referer and urlsplit(referer).netloc == request.url.netloc:
        parts = urlsplit(referer)
        page = parts.path
        # "//host/..." would be another site to a browser: never a page of this one.
        local = page.startswith("/") and not page.startswith("//")
        if local and page != "/login" and _answers_get(request, page):
            return page + (f"?{parts.query}" if parts.query else "")
    return nearest_page(request)


def nearest_page(request: Request) -> str:
    """This address when it answers GET, else the nearest one above it that does
    (/sessions/5/record: /sessions/5), else home."""
    path = request.url.path.rstrip("/") or "/"
    while path != "/":
        if _answers_get(request, path):
            return path
        path = path.rsplit("/", 1)[0] or "/"
    return "/"


async def _data_exception(request: Request, exc: Exception) -> Response:
    """PostgreSQL refuses text holding a NUL character (SQLite stores it): that is the
    client's input, so a 422 like any other invalid field, not a 500."""
    if "NUL" in str(getattr(exc, "orig", "")) or "0x00" in str(getattr(exc, "orig", "")):
        return problem(
            request,
            422,
            "Text cannot contain the NUL character.",
            title="Invalid input",
            errors=[{"loc": ["body"], "msg": "contains a NUL character", "type": "string_nul"}],
        )
    return await _unhandled_exception(request, exc)


async def _database_exception(request: Request, exc: Exception) -> Response:
    """The database busy or out of reach: 503 with Retry-After (problem+json for the API,
    an error page for people), and an outage logged once when it starts."""
    if database_busy(exc):
        log.warning("database_busy", path=request.url.path, error=type(exc).__name__)
        return problem(
            request,
            503,
            "Tandem is busy just now and nothing was saved. Try again in a moment.",
            title="Busy",
            headers={"Retry-After": "2"},
        )
    if database_unreachable(exc):
        if outage.started():
            log.error("database_unreachable", error=type(getattr(exc, "orig", exc)).__name__)
        return problem(
            request,
            503,
            "Tandem cannot reach its database just now. Try again in a minute.",
            title="Service unavailable",
            headers={"Retry-After": "30"},
        )
    if _reference_gone(exc):
        # A row written while what it points to was deleted at the same moment (a child's
        # record erased while their register was saved, say): nothing was saved.
        return problem(
            request,
            409,
            "Something this change refers to was removed at the same moment, so nothing "
            "was saved. Reload the page and check.",
        )
    return await _unhandled_exception(request, exc)


def _reference_gone(exc: Exception) -> bool:
    """A foreign key refused (PostgreSQL's SQLSTATE 23503, SQLite's message)."""
    if not isinstance(exc, IntegrityError):
        return False
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == "23503" or "FOREIGN KEY constraint failed" in str(orig)


async def _unhandled_exception(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, method=request.method)
    return problem(request, 500, "Something went wrong on our side. It has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_exception)
    app.add_exception_handler(DomainError, _domain_exception)
    app.add_exception_handler(DataError, _data_exception)
    app.add_exception_handler(DBAPIError, _database_exception)
    app.add_exception_handler(SATimeoutError, _database_exception)
    app.add_exception_handler(Exception, _unhandled_exception)
