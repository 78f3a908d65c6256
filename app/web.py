"""Templates, page-or-fragment rendering and htmx helpers for the HTML routers."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup, escape
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData as StarletteForm

from app.clock import time_words
from app.config import get_settings

APP_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = APP_DIR / "templates"
STATIC_DIR = APP_DIR / "static"
DISPLAY_TZ = ZoneInfo("Europe/London")

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))


# Dates as people in the UK read them (GOV.UK style): 26 November 2026, 6:30pm.
def date_long(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(DISPLAY_TZ) if value.tzinfo else value
    return f"{value.day} {value:%B %Y}"


def date_short(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def date_weekday(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value:%A} {date_long(value)}"


def time_12h(value: time | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo:
        value = value.astimezone(DISPLAY_TZ)
    return time_words(value)


def datetime_long(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{date_long(value)} at {time_12h(value)}"


def minutes_human(value: int) -> str:
    hours, minutes = divmod(value, 60)
    if not hours:
        return f"{minutes} minutes" if minutes != 1 else "1 minute"
    h = f"{hours} hour" + ("s" if hours != 1 else "")
    return h if not minutes else f"{h} {minutes} minutes"


def child_name(child: Any) -> str:
    """A child on an internal page: first name beside the reference, "Ben (DEMO-02)" (a
    row, a mapping or anything with `first_name` and `reference`); the reference alone when
    no first name is known. Exports carry the reference only, never this."""
    if isinstance(child, Mapping):
        first, reference = child.get("first_name"), child.get("reference")
    else:
        first, reference = getattr(child, "first_name", None), getattr(child, "reference", None)
    first = (first or "").strip()
    reference = (reference or "").strip()
    if first and reference:
        return f"{first} ({reference})"
    return first or reference


templates.env.filters.update(
    child_name=child_name,
    date_long=date_long,
    date_short=date_short,
    date_weekday=date_weekday,
    time_12h=time_12h,
    datetime_long=datetime_long,
    minutes_human=minutes_human,
)
templates.env.globals["service_name"] = get_settings().service_name
templates.env.globals["child_name"] = child_name


PathId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
"""A row's id in a path (1 to 2**31-1, what the integer columns hold): `child_id: PathId`.
FastAPI copies Annotated metadata per parameter, so one alias serves every id."""


# Inputs the API's schemas share: what the database columns and date arithmetic can hold.

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _iso_day(value: object) -> object:
    # Only what the document promises (YYYY-MM-DD): pydantic would also take a number of
    # seconds since 1970 or a date and time.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", "Give a date as YYYY-MM-DD, like 2026-09-07")


def _within_years(value: date) -> date:
    # A week or a year either side of the day must still be a date (date.max is 9999-12-31),
    # and PostgreSQL and SQLite must read it back alike.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_range", "Give a date between 1900 and 2100")
    return value


def _wall_clock(value: object) -> object:
    # Times are wall-clock times where the organisation is: an offset would be dropped, or
    # fail when compared with a local time. Text only (a number would be read as seconds).
    if isinstance(value, time):
        if value.tzinfo is None:
            return value
    elif isinstance(value, str) and re.fullmatch(LOCAL_TIME, value):
        return value
    raise PydanticCustomError("time_offset", "Give the time without a timezone, like 16:30")


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_within_years),
    Field(description="A date between 1900-01-01 and 2100-12-31 (YYYY-MM-DD)"),
]
"""A date from a client: YYYY-MM-DD between 1900 and 2100, else a 422 that says so."""

WallTime = Annotated[
    time,
    BeforeValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_TIME,
            "description": "A local time without a timezone (HH:MM or HH:MM:SS)",
            "examples": ["16:30:00"],
        }
    ),
]
"""A time of day where the organisation is, without a UTC offset (JSON Schema's "time"
format would demand one): in requests, and documented so in responses."""

Version = Annotated[
    int,
    Field(
        ge=1,
        le=2**31 - 2,
        description="The version last read (optimistic locking)",
    ),
]
"""A row's version from a client: the next version (this one + 1) must fit the integer
column too."""


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (a boosted request wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


NAV_BY_ROLE: dict[str, list[tuple[str, str]]] = {
    "admin": [
        ("/", "Home"),
        ("/cohorts", "Cohorts"),
        ("/children", "Children"),
        ("/closures", "Closures"),
        ("/fidelity", "Fidelity"),
        ("/outcomes", "Outcomes"),
        ("/mentors", "Mentors"),
        ("/matches", "Matches"),
        ("/admin/programmes", "Programmes"),
        ("/admin/users", "Users"),
        ("/admin/email", "Email"),
        ("/admin/organisation", "Settings"),
        ("/audit", "Audit"),
        ("/curriculum", "Curriculum"),
    ],
    "lead": [
        ("/", "Home"),
        ("/cohorts", "Cohorts"),
        ("/children", "Children"),
        ("/closures", "Closures"),
        ("/fidelity", "Fidelity"),
        ("/outcomes", "Outcomes"),
        ("/mentors", "Mentors"),
        ("/matches", "Matches"),
        ("/audit", "Audit"),
        ("/curriculum", "Curriculum"),
    ],
    "facilitator": [
        ("/", "My sessions"),
        ("/cohorts", "My cohorts"),
        ("/fidelity", "Fidelity"),
        ("/curriculum", "Curriculum"),
    ],
    "mentor": [("/mentor", "My week"), ("/curriculum", "Curriculum")],
}


# A count beside a navigation item, by its href: badge(request, viewer) -> Markup or None.
# The feature that owns the count registers it (app/fidelity/views.py: the flags). A badge
# must not query the database while the page renders (it reads a cache, or leaves htmx a
# placeholder); if it fails anyway, the item shows no count.
NAV_BADGES: dict[str, Callable[[Request, Any], Markup | None]] = {}


def _nav_text(request: Request, viewer: Any, href: str, text: str) -> str | Markup:
    badge = NAV_BADGES.get(href)
    if badge is None:
        return text
    try:
        extra = badge(request, viewer)
    except Exception:  # a badge never breaks the page
        return text
    return Markup("{} {}").format(escape(text), extra) if extra else text


def current_viewer(request: Request) -> Any:
    """The signed-in person the auth dependency found for this request, if any."""
    return getattr(request.state, "viewer", None)


def nav_items(request: Request) -> list[dict[str, Any]]:
    """The navigation for the signed-in user's role; none before sign-in."""
    viewer = current_viewer(request)
    if viewer is None:
        return []
    links = NAV_BY_ROLE[viewer.role]
    path = request.url.path
    return [
        {
            "href": href,
            "text": _nav_text(request, viewer, href, text),
            "current": path == href or (href != "/" and path.startswith(href + "/")),
        }
        for href, text in links
    ]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a whole page, or only `block` when htmx asks for a fragment."""
    viewer = current_viewer(request)
    notice = None if block and is_htmx(request) else pending_notice(request)
    kept = _offered.get()
    restored = kept is not None and kept.used and viewer is not None
    ctx = {
        "notice_banner": notice,
        "kept_banner": KEPT_MESSAGE if restored else None,
        "nav_items": nav_items(request),
        "current_user": viewer,
        "csrf_token": viewer.csrf_token if viewer else None,
        **(context or {}),
    }
    kwargs: dict[str, Any] = {}
    if block and is_htmx(request):
        kwargs["block_name"] = block
    response = templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers=headers, **kwargs
    )
    if block:
        response.headers["Vary"] = "HX-Request"
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    if restored:
        forget_entries(request, response)
        _offered.set(None)
    assert isinstance(response, HTMLResponse)
    return response


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as text fields (files and repeated keys are not used by Tandem)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]


async def whole_form(request: Request) -> StarletteForm:
    """The submitted form with its repeated fields (a group of checkboxes of one name)."""
    return await request.form()


WholeFormData = Annotated[StarletteForm, Depends(whole_form)]


def redirect(
    request: Request, url: str, status_code: int = 303, *, notice: str | None = None
) -> Response:
    """After a form post: a 303 for browsers, HX-Redirect for htmx; `notice` is the success
    banner the next page shows ("Cohort created"), once."""
    response: Response
    if request.headers.get("HX-Request") == "true":
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=status_code)
    if notice:
        set_notice(response, notice)
    return response


def set_site_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    """A cookie of the whole site that scripts cannot read, sent on same-site requests and
    top-level links (Lax), and only over HTTPS when the site is (TANDEM_SECURE_COOKIES)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )


# The success banner after a redirect (the "flash" of Rails and Django): a short-lived cookie
# the next full page shows and clears. It holds only the sentence, escaped when shown; a
# page rendered as an htmx fragment leaves it for the page the browser goes to next.
NOTICE_COOKIE = "tandem_notice"
_NOTICE_LIMIT = 300


def set_notice(response: Response, text: str) -> None:
    set_site_cookie(response, NOTICE_COOKIE, quote(text[:_NOTICE_LIMIT]), max_age=120)


def pending_notice(request: Request) -> str | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    return unquote(raw)[:_NOTICE_LIMIT] or None if raw else None


# Entries kept across a sign-in (a session that ended while a form was being filled): the
# posted text fields, minus the CSRF token and passwords, wait in short-lived cookies while
# the person signs in again, then go back to the page's form (app/forms.py `Form.initial`
# overlays them on what is stored) with KEPT_MESSAGE. Nothing is saved until they save.
KEPT_COOKIE = "tandem_kept"
KEPT_MINUTES = 30
KEPT_MESSAGE = (
    "Your session ended, so we signed you out. We kept what you entered: check it and save again."
)
_KEPT_CHUNK = 3800  # characters a cookie: browsers keep at least 4096 bytes a cookie
# Two cookies (a register of twelve with a note each compresses to about 2 KB): every
# request carries them until sign-in, and a server refuses headers much over 16 KB.
_KEPT_CHUNKS = 2
_NOT_KEPT = re.compile(r"csrf|password|^next$", re.IGNORECASE)


@dataclass
class Kept:
    """The entries kept for a page, read like a posted form (get, getlist)."""

    page: str
    fields: list[tuple[str, str]]
    used: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        return next((value for name, value in self.fields if name == key), default)

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self.fields if name == key]

    def names(self) -> set[str]:
        return {name for name, _ in self.fields}


# The kept entries this request offers to its forms (set by the sign-in check on a page
# that answers GET; each request runs in its own context).
_offered: ContextVar[Kept | None] = ContextVar("tandem_kept", default=None)


def _kept_cookie_names(request: Request) -> list[str]:
    return [name for name in request.cookies if name.startswith(KEPT_COOKIE)]


def keep_entries(
    request: Request, response: Response, page: str, items: Iterable[tuple[str, Any]]
) -> bool:
    """Keep a post's text fields for `page` (a path on this site) on the response; False
    when there was nothing to keep or too much."""
    fields = [(k, v) for k, v in items if isinstance(v, str) and not _NOT_KEPT.search(k)]
    if not fields:
        return False
    payload = json.dumps({"page": page, "fields": fields}, separators=(",", ":"))
    text = base64.urlsafe_b64encode(zlib.compress(payload.encode(), 9)).decode().rstrip("=")
    chunks = [text[i : i + _KEPT_CHUNK] for i in range(0, len(text), _KEPT_CHUNK)]
    if len(chunks) > _KEPT_CHUNKS:
        return False
    forget_entries(request, response)
    for index, chunk in enumerate(chunks):
        set_site_cookie(response, f"{KEPT_COOKIE}{index}", chunk, max_age=KEPT_MINUTES * 60)
    return True


def kept_entries(request: Request) -> Kept | None:
    """The entries waiting in this browser, if any (None when absent or unreadable)."""
    parts = []
    for index in range(_KEPT_CHUNKS):
        chunk = request.cookies.get(f"{KEPT_COOKIE}{index}")
        if chunk is None:
            break
        parts.append(chunk)
    if not parts:
        return None
    text = "".join(parts)
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        data = json.loads(raw)
        page, fields = data["page"], data["fields"]
        if not isinstance(page, str) or not page.startswith("/"):
            return None
        kept = [(str(k), str(v)) for k, v in fields]
    except (ValueError, TypeError, KeyError, zlib.error):
        return None
    return Kept(page=page, fields=kept)


def forget_entries(request: Request, response: Response) -> None:
    for name in _kept_cookie_names(request):
        response.delete_cookie(name, path="/")


def offer_kept_entries(request: Request) -> None:
    """On a page (GET) for someone signed in: offer the entries kept for this very page to
    its forms (the path, with or without its query)."""
    kept = kept_entries(request) if _kept_cookie_names(request) else None
    here = request.url.path
    if kept is not None and kept.page not in (here, f"{here}?{request.url.query}"):
        kept = None
    _offered.set(kept)


def offered_entries() -> Kept | None:
    """The kept entries this request offers, for `Form.initial`."""
    return _offered.get()


ERROR_TITLES = {
    404: "Page not found",
    403: "You cannot do this",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def render_error_page(
    request: Request,
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    if status in (404, 500, 503) or not title:
        title = ERROR_TITLES.get(status) or HTTPStatus(status).phrase
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail},
        block="content",
        status_code=status,
        headers=headers,
    )
