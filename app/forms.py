"""Page forms: declare a form once, read a submission, show every problem at once.

A page's form is a `Form` (a pydantic model): its fields in page order, each with a label
(`Field(title=...)`) and a GOV.UK field type from here (`Text`, `OptionalText`, `DateInput`,
`TimeOfDay`, `WholeNumber`, `Choice`, `Checkboxes`, `Tick`, `Secret`). `Form.read(posted)`
gives a `Submission`: what was typed (to show the form again), the parsed model when nothing
is wrong, and the errors, one plain-English message per field in page order ("Name must be
100 characters or fewer", never pydantic's own words). A field whose generic message reads
badly says its own with `Msg(...)` in its `Annotated` metadata.

The service's verdict joins the same list: `with submission.saving():` turns an `Invalid`
or a `Conflict` from the service into messages beside the fields it names, and `show_again`
rolls back what the failed save began and renders the form with all of them:

    submission = ChildForm.read(form)
    if submission.data:
        with submission.saving(rename={"date_of_birth": "date_of_birth"}):
            child = service.create_child(db, actor=actor, data=submission.data.to_create())
            return redirect(request, f"/children/{child.id}")
    return show_again(request, db, "children/form.html", context, submission)

A form whose fields depend on the data (the register: one row per child) builds its model
with `pydantic.create_model(..., __base__=Form)`.

What someone typed before their session ended comes back by itself: `Form.initial`, on the
page they return to after signing in, puts the kept entries (app/web.py `keep_entries`)
over what is stored, for the form they came from.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, Self, TypeVar, get_args, get_origin

from annotated_types import MaxLen
from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from sqlmodel import Session
from starlette.datastructures import ImmutableMultiDict

from app.exceptions import Conflict, Invalid
from app.web import FIRST_DAY, LAST_DAY, Kept, offered_entries, render

FORM = "form"
"""The key of a message about the whole form rather than one field."""

DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class Msg:
    """A field's own words where the generic ones read badly: `empty` when it is required
    and left blank, `invalid` for anything else it refuses, `too_long` over its length,
    `out_of_range` for a number outside its bounds."""

    empty: str | None = None
    invalid: str | None = None
    too_long: str | None = None
    out_of_range: str | None = None  # a number outside Field(ge=, le=), before `invalid`


@dataclass(frozen=True)
class _Parts:
    """Marks a GOV.UK date input: three boxes NAME-day, NAME-month, NAME-year."""


@dataclass(frozen=True)
class _Many:
    """Marks a field posted more than once (checkboxes)."""


@dataclass(frozen=True)
class _Tick:
    """Marks one checkbox on its own (value="yes")."""


@dataclass(frozen=True)
class _Secret:
    """Marks a secret (a password): taken exactly as typed, spaces and all, and never put
    back on the page."""


@dataclass(frozen=True)
class _Hidden:
    """Marks a hidden field: nobody can correct it on the page, so its problem is the whole
    form's (first in the summary, linked to nothing)."""


# Field types --------------------------------------------------------------------------------


def _day_from_parts(value: object) -> object:
    if isinstance(value, dt.date) or value is None:
        return value
    if not isinstance(value, Mapping):
        raise PydanticCustomError("date_invalid", "not a date")
    parts = {part: str(value.get(part) or "").strip() for part in DATE_PARTS}
    if not any(parts.values()):
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        raise PydanticCustomError(
            "date_incomplete", "missing {missing}", {"missing": " and ".join(missing)}
        )
    if not all(text.isdigit() for text in parts.values()) or len(parts["year"]) != 4:
        raise PydanticCustomError("date_invalid", "not a date")
    try:
        day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise PydanticCustomError("date_invalid", "not a date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        # As the API's dates: arithmetic on year 9999 would overflow.
        raise PydanticCustomError("date_range", "out of range")
    return day


_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(am|pm)?$")


def parse_time(text: str) -> dt.time | None:
    """A time as people type it: 16:30, 16.30, 4:30pm, 4pm, 9am; None when it is not one
    ("16" alone is not a time: is it 4pm or 16 minutes?)."""
    found = _TIME.match(text.strip().lower().replace(" ", ""))
    if not found:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif found[2] is None:
        return None
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _time_of_day(value: object) -> object:
    if isinstance(value, dt.time) or value is None:
        return value
    if isinstance(value, str):
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    raise PydanticCustomError("time_invalid", "not a time")


def _whole_number(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise PydanticCustomError("number_invalid", "not a whole number")
        return int(text)
    return value


def _ticked(value: object) -> object:
    if isinstance(value, bool):
        return value
    return value == "yes"


def _many(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return value


# A field left blank is not posted at all (Form.read drops it): a required one is "Enter
# the ..." or "Choose the ...", an optional one takes its default. So the text types need no
# validators of their own, and length limits (Field(max_length=...)) apply as pydantic's do.

Text = str
"""Required text, stripped of spaces either side."""

OptionalText = str | None
"""Text that may be left blank (None)."""

DateInput = Annotated[dt.date, _Parts(), BeforeValidator(_day_from_parts)]
"""A date in three boxes (NAME-day, NAME-month, NAME-year), 1900 to 2100."""

OptionalDateInput = Annotated[dt.date | None, _Parts(), BeforeValidator(_day_from_parts)]

TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]
"""A time as people type it (16:30, 4:30pm, 4pm), one rule on every page."""

OptionalTimeOfDay = Annotated[dt.time | None, BeforeValidator(_time_of_day)]

WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""A whole number typed in a box (bound it with Field(ge=, le=)); minutes are one."""

# Optional outside the number, so Field(ge=, le=) bounds the number and a blank stays None.
OptionalWholeNumber = WholeNumber | None

E = TypeVar("E", bound=enum.Enum)

Choice = Annotated[E, Strict(False)]
"""One of an enum's values from radios or a select: Choice[Placement]."""

Checkboxes = Annotated[list[str], _Many(), BeforeValidator(_many)]
"""The values of the ticked boxes of one name, in the order posted."""

Tick = Annotated[bool, _Tick(), BeforeValidator(_ticked)]
"""One checkbox on its own, posting "yes" when ticked; an unticked box is not posted, so
give the field `= False`."""

Secret = Annotated[str, _Secret()]
"""A password: exactly as typed (not stripped); `Submission.values` never holds it."""

OptionalSecret = Annotated[str | None, _Secret()]

OUT_OF_DATE = "This page is out of date. Reload it and try again."

PageVersion = Annotated[
    int,
    _Hidden(),
    Msg(empty=OUT_OF_DATE, invalid=OUT_OF_DATE),
    BeforeValidator(_whole_number),
    Field(ge=1, le=2**31 - 2),
]
"""A row's version in a hidden field (optimistic locking), bounded as the API's `Version`:
missing or not a number, the page is out of date."""


# Messages -----------------------------------------------------------------------------------


def _label(name: str, info: FieldInfo | None) -> str:
    return (info.title if info and info.title else name.replace("_", " ")).strip()


def _lower(label: str) -> str:
    # "Date of birth" -> "date of birth"; leave "TB reference" or "I'm" as written.
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _upper(label: str) -> str:
    return label[:1].upper() + label[1:]


def _own(info: FieldInfo | None) -> Msg:
    for meta in info.metadata if info else ():
        if isinstance(meta, Msg):
            return meta
    return Msg()


def _is_choice(info: FieldInfo | None) -> bool:
    if info is None:
        return False
    kinds = [info.annotation, *get_args(info.annotation)]
    return any(
        (isinstance(kind, type) and issubclass(kind, enum.Enum)) or get_origin(kind) is Literal
        for kind in kinds
    )


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


_BOUNDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def message_for(error: ErrorDetails, name: str, info: FieldInfo | None) -> str:
    """One field's problem in plain English (GOV.UK's patterns), from pydantic's error."""
    own = _own(info)
    label = _label(name, info)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    choice = _is_choice(info)
    if kind == "missing" and info is not None and any(isinstance(m, _Many) for m in info.metadata):
        return own.empty or f"Choose at least one {_lower(label).removesuffix('s')}"
    blank = error.get("input") is None or error.get("input") == ""
    if (
        kind == "missing"
        or (blank and kind not in ("value_error", "assertion_error"))
        or (kind == "string_too_short" and ctx.get("min_length") == 1)
    ):
        return own.empty or (
            f"Choose the {_lower(label)}" if choice else f"Enter the {_lower(label)}"
        )
    if own.out_of_range and kind in _BOUNDS:
        return own.out_of_range
    if own.invalid and kind not in ("string_too_long", "too_long"):
        return own.invalid
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        return own.too_long or f"{_upper(label)} must be {_number(limit)} {unit} or fewer"
    if kind == "string_too_short":
        return f"{_upper(label)} must be {_number(ctx.get('min_length'))} characters or more"
    if kind in ("enum", "literal_error"):
        return f"Choose the {_lower(label)} from the list"
    if kind == "date_incomplete":
        return f"{_upper(label)} must include a {ctx.get('missing')}"
    if kind in ("date_invalid", "date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"Enter a real {_lower(label)}"
    if kind == "date_range":
        return f"{_upper(label)} must be between 1900 and 2100"
    if kind in ("time_invalid", "time_parsing", "time_type"):
        return f"Enter a real time for the {_lower(label)}, for example 16:30 or 4:30pm"
    if kind in ("number_invalid", "int_parsing", "int_type", "int_from_float"):
        return f"{_upper(label)} must be a whole number"
    if kind in _BOUNDS:
        low, high = _bounds(info)
        if low is not None and high is not None:
            return f"{_upper(label)} must be between {_number(low)} and {_number(high)}"
        if low is not None:
            return f"{_upper(label)} must be {_number(low)} or more"
        return f"{_upper(label)} must be {_number(high)} or less"
    if kind == "string_pattern_mismatch":
        return f"Enter the {_lower(label)} in the right format"
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"Check the {_lower(label)}"


def _bounds(info: FieldInfo | None) -> tuple[Any, Any]:
    low = high = None
    for meta in info.metadata if info else ():
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


# Errors in page order -----------------------------------------------------------------------


class Errors(dict[str, str]):
    """{field: message}, one message per field, kept in the order of the page. A message
    about the whole form (key "form") comes first."""

    def __init__(self, order: Sequence[str] = ()) -> None:
        super().__init__()
        self.order = list(order)

    def add(self, name: str, message: str) -> None:
        """The first problem found with a field is the one shown."""
        if name not in self:
            self[name] = message
            self._sort()

    def add_all(self, problems: Iterable[tuple[str, str]]) -> None:
        for name, message in problems:
            self.add(name, message)

    def _sort(self) -> None:
        rank = {name: place for place, name in enumerate([FORM, *self.order])}
        ordered = sorted(self.items(), key=lambda item: rank.get(item[0], len(rank)))
        self.clear()
        self.update(ordered)


def domain_problems(
    exc: Invalid | Conflict, rename: Mapping[str, str] | None = None, conflict_field: str = FORM
) -> Iterator[tuple[str, str]]:
    """A service's refusal as (field, message): an `Invalid` names its fields (`loc`, in the
    API's names, which `rename` maps to the form's), a `Conflict` goes beside one field."""
    rename = rename or {}
    if isinstance(exc, Conflict):
        yield conflict_field, exc.detail
        return
    found = False
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "form")]
        name = rename.get(loc[0], loc[0]) if loc else FORM
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        found = True
        yield name, message or exc.detail
    if not found:
        yield FORM, exc.detail


def _blank(value: Any) -> bool:
    if isinstance(value, Mapping):
        return not any(value.values())
    return value is None or value == "" or value == []


# Reading a submission -----------------------------------------------------------------------

F = TypeVar("F", bound="Form")


@dataclass
class Submission(Generic[F]):
    """A posted form: what was typed, the parsed form when nothing is wrong, the errors."""

    values: dict[str, Any]
    data: F | None
    errors: Errors
    status_code: int = 422
    extra: dict[str, Any] = field(default_factory=dict)

    def saving(
        self, rename: Mapping[str, str] | None = None, conflict_field: str = FORM
    ) -> _Saving:
        """Run the save; a service's `Invalid` (422) or `Conflict` (409) becomes messages
        beside the fields it names instead of an error page."""
        return _Saving(self, rename or {}, conflict_field)


@dataclass
class _Saving:
    """`with submission.saving():` (a class, so type checkers know it swallows refusals)."""

    submission: Submission[Any]
    rename: Mapping[str, str]
    conflict_field: str

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> bool:
        if not isinstance(exc, Invalid | Conflict):
            return False
        self.submission.errors.add_all(domain_problems(exc, self.rename, self.conflict_field))
        self.submission.status_code = exc.status_code
        self.submission.data = None
        return True


class Form(BaseModel):
    """A page's form. Subclasses declare fields in page order with the types above."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    @classmethod
    def field_order(cls) -> list[str]:
        return list(cls.model_fields)

    @classmethod
    def typed(cls, posted: Mapping[str, Any]) -> dict[str, Any]:
        """What was typed, field by field, to show the form again: text stripped, a date
        input as its three boxes {"day", "month", "year"}, checkboxes as a list."""
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if any(isinstance(meta, _Parts) for meta in info.metadata):
                values[name] = {
                    part: str(posted.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS
                }
            elif any(isinstance(meta, _Many) for meta in info.metadata):
                getlist = getattr(posted, "getlist", None)
                raw = getlist(name) if getlist else posted.get(name)
                items = _many(raw)
                values[name] = [str(v) for v in items] if isinstance(items, list) else []
            elif any(isinstance(meta, _Secret) for meta in info.metadata):
                raw = posted.get(name)
                values[name] = raw if isinstance(raw, str) else ""
            else:
                raw = posted.get(name)
                values[name] = raw.strip() if isinstance(raw, str) else ("" if raw is None else raw)
        return values

    @classmethod
    def read(cls, posted: Mapping[str, Any]) -> Submission[Self]:
        """Parse a posted form: every field's problem at once, in page order."""
        values = cls.typed(posted)
        errors = Errors(cls.field_order())
        data: Self | None = None
        try:
            data = cls.model_validate({k: v for k, v in values.items() if not _blank(v)})
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else FORM
                info = cls.model_fields.get(name)
                hidden = info is not None and any(isinstance(m, _Hidden) for m in info.metadata)
                errors.add(FORM if hidden else name, message_for(error, name, info))
        errors.add_all(cls.typed_problems(values))
        if data is not None:
            errors.add_all(data.problems())
            if errors:
                data = None
        for name, info in cls.model_fields.items():
            if any(isinstance(meta, _Secret) for meta in info.metadata):
                values[name] = ""  # a password is typed again, never sent back
        return Submission(values=values, data=data, errors=errors)

    @classmethod
    def initial(cls, **typed: Any) -> dict[str, Any]:
        """Values for showing the form with what is stored (dates as three boxes, times as
        16:30, enums by value); fields not given are blank."""
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            value = typed.get(name)
            many = any(isinstance(meta, _Many) for meta in info.metadata)
            if any(isinstance(meta, _Parts) for meta in info.metadata):
                values[name] = (
                    {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
                    if isinstance(value, dt.date)
                    else dict.fromkeys(DATE_PARTS, "")
                )
            elif many:
                values[name] = [str(getattr(v, "value", v)) for v in value or []]
            elif any(isinstance(meta, _Tick) for meta in info.metadata):
                values[name] = "yes" if value else ""
            elif isinstance(value, dt.time):
                values[name] = f"{value:%H:%M}"
            elif isinstance(value, enum.Enum):
                values[name] = str(value.value)
            else:
                values[name] = "" if value is None else str(value)
        kept = offered_entries()
        if kept is not None and cls._posted_in(kept):
            values.update(cls._kept_values(kept))
            kept.used = True
        return values

    @classmethod
    def _posted_in(cls, kept: Kept) -> bool:
        """Whether the kept entries came from this form: any of its visible fields was posted
        (a hidden one, a page's version say, may be on another form of the page too)."""
        posted = kept.names()
        for name, info in cls.model_fields.items():
            if any(isinstance(meta, _Hidden) for meta in info.metadata):
                continue
            if any(isinstance(meta, _Parts) for meta in info.metadata):
                if any(f"{name}-{part}" in posted for part in DATE_PARTS):
                    return True
            elif name in posted and not any(isinstance(m, _Secret) for m in info.metadata):
                return True
        return False

    @classmethod
    def _kept_values(cls, kept: Kept) -> dict[str, Any]:
        """What was typed before the session ended, shown as `show_again` would show it
        (a box left unticked is unticked; a password is never kept)."""
        values = cls.typed(ImmutableMultiDict(kept.fields))  # read like a posted form
        return {
            name: value
            for name, value in values.items()
            if not any(isinstance(m, _Secret) for m in cls.model_fields[name].metadata)
        }

    def problems(self) -> Iterable[tuple[str, str]]:
        """Rules across fields, checked once every field has parsed: (field, message)."""
        return ()

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        """Rules that need only what was typed (at least one box of a group ticked): checked
        with the fields' own problems, all at once, even when a field does not parse."""
        return ()


def max_length(info: FieldInfo) -> int | None:
    """A field's length limit (for a hint or a `maxlength` on the page)."""
    for meta in info.metadata:
        if isinstance(meta, MaxLen):
            return meta.max_length
    return None


def show_again(
    request: Request,
    db: Session,
    template: str,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    submission: Submission[Any],
    *,
    block: str | None = None,
) -> HTMLResponse:
    """Roll back what the failed save began, then show the form again with what was typed
    and every problem (422, or 409 when the service found a conflict).

    A context given as a function is built after the roll back: the page shows what is
    stored, read afresh (rows read before it would each be read again when shown). Values
    already in the context (another form on the same page) stay under what was typed."""
    db.rollback()
    page = dict(context() if callable(context) else context)
    return render(
        request,
        template,
        {
            **page,
            "values": {**page.get("values", {}), **submission.values},
            "errors": submission.errors,
        },
        block=block,
        status_code=submission.status_code,
    )
