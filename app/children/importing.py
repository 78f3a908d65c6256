"""Importing children from a spreadsheet: a CSV (UTF-8, with or without a byte-order mark)
or an Excel workbook (.xlsx, its first sheet), the first row naming the columns.

The columns are the fields of POST /api/v1/children (ChildCreate), and each row is checked
with that same schema and the same date rules as registering one child, so a rule changed
there applies here too. The nested preferences are columns named `preferences.mentor_gender`,
`preferences.same_ethnicity`, `preferences.languages` and `preferences.notes`; lists
(languages, interests) are one cell with the items separated by commas or semicolons.

All rows or none: every problem in the file is reported at once (row numbers as the
spreadsheet shows them, the header being row 1), and nothing is written unless every row is
good. Writing is a fixed number of statements whatever the number of rows: one query for the
references already taken, one INSERT of the children (executemany), one query for their ids
and one INSERT of their audit events (one event per child, as registering one writes, so each
child's own audit trail shows where it came from)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from asgi_correlation_id import correlation_id
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.models import User
from app.auth.service import require_staff
from app.children.models import Child
from app.children.schemas import ChildCreate, Preferences
from app.children.service import check_dates
from app.exceptions import Conflict, DomainError, Invalid
from app.forms import message_for

MAX_ROWS = 2_000
"""The most children one file may add (a local authority's whole list of children in care
fits; a bigger file is more likely a wrong file)."""
MAX_FILE_BYTES = 2_000_000
"""About ten times what 2,000 rows need as CSV."""
LIST_FIELDS = ("languages", "interests", "preferences.languages")
DATE_FIELDS = ("date_of_birth", "consent_given_on")
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SPLIT = re.compile(r"[,;]")
_PREFS = "preferences."


def columns() -> list[str]:
    """Every column a file may have, in the order of the template."""
    out: list[str] = []
    for name in ChildCreate.model_fields:
        if name == "preferences":
            out.extend(_PREFS + sub for sub in Preferences.model_fields)
        else:
            out.append(name)
    # The template puts the required columns first.
    required = required_columns()
    return [c for c in out if c in required] + [c for c in out if c not in required]


def required_columns() -> list[str]:
    return [name for name, info in ChildCreate.model_fields.items() if info.is_required()]


def template_csv_header() -> list[str]:
    return columns()


class TooLarge(DomainError):
    status_code = 413
    title = "Content too large"


class RowsInvalid(Invalid):
    """Some rows are bad: `errors` lists each as {row, column, msg} (and loc, as every
    problem's errors do)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        rows = len({e["row"] for e in errors})
        super().__init__(
            f"{rows} row{'s' if rows != 1 else ''} of the file "
            f"{'have' if rows != 1 else 'has'} problems: nothing was imported.",
            errors,
        )
        self.extra = {"created": 0}


@dataclass
class RowError:
    row: int
    column: str | None
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "msg": self.msg,
            "loc": ["file", self.row] + ([self.column] if self.column else []),
        }


@dataclass
class Checked:
    """A file read and checked: the children it would add, or every problem in it."""

    children: list[tuple[int, ChildCreate]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _file_problem(msg: str) -> Invalid:
    return Invalid(msg, [{"loc": ["file"], "msg": msg}])


# Reading the file ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only when a workbook is sent

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _file_problem(
            "The file could not be read as an Excel workbook: save it again as .xlsx or CSV"
        ) from None
    try:
        if not book.worksheets:
            raise _file_problem("The workbook has no sheets")
        rows: list[list[str]] = []
        for values in book.worksheets[0].iter_rows(values_only=True):
            rows.append([_cell(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except Invalid:
        raise
    except Exception:
        raise _file_problem(
            "The file could not be read as an Excel workbook: save it again as .xlsx or CSV"
        ) from None
    finally:
        book.close()


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem(
            "The file must be a CSV saved as UTF-8 (in Excel, 'CSV UTF-8'), or an .xlsx workbook"
        ) from None
    if "\x00" in text:
        raise _file_problem("The file is not a CSV or an .xlsx workbook")
    rows: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            rows.append([cell.strip() for cell in record])
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error:
        raise _file_problem("The file is not a CSV that can be read: check its quotes") from None
    return rows


def read_rows(content: bytes) -> list[list[str]]:
    """The file's rows (the header first) as text cells; a 4xx DomainError for a file that
    is too big, empty or neither CSV nor XLSX."""
    if len(content) > MAX_FILE_BYTES:
        raise TooLarge(f"The file is too large: send at most {MAX_FILE_BYTES // 1_000_000} MB.")
    if not content.strip():
        raise _file_problem("The file is empty")
    if content.startswith(b"PK\x03\x04"):  # a zip file: an .xlsx workbook or nothing
        return _xlsx_rows(content)
    return _csv_rows(content)


# Checking the rows --------------------------------------------------------------------------


def _info(column: str) -> FieldInfo | None:
    if column.startswith(_PREFS):
        return Preferences.model_fields.get(column.removeprefix(_PREFS))
    return ChildCreate.model_fields.get(column)


def _column_of(loc: tuple[int | str, ...]) -> tuple[str | None, bool]:
    """The column a pydantic error is about, and whether it is about one item of a list."""
    names = [str(p) for p in loc if isinstance(p, str)]
    if not names:
        return None, False
    column = ".".join(names[:2]) if names[0] == "preferences" else names[0]
    return column, isinstance(loc[-1], int)


# The kinds of error app.forms.message_for words well; any other (a rule of the schema's own,
# like "describe the gender") keeps the schema's message.
_WORDED = {
    "missing",
    "string_too_long",
    "string_too_short",
    "too_long",
    "date_invalid",
    "date_range",
    "date_from_datetime_parsing",
    "date_parsing",
    "string_pattern_mismatch",
    "value_error",
    "int_parsing",
    "greater_than_equal",
    "less_than_equal",
}


def _message(error: Any, column: str | None, item: bool) -> str:
    kind = error["type"]
    if column is None:
        return str(error["msg"])
    label = column.removeprefix(_PREFS).replace("_", " ")
    expected = (error.get("ctx") or {}).get("expected")
    if kind in ("enum", "literal_error") and expected:
        what = f"Each of the {label}" if item else label[:1].upper() + label[1:]
        return f"{what} must be one of {expected.replace(chr(39), '')}"
    if item:
        return f"Each of the {label} must be 1 to 40 characters"
    if kind == "date_format":
        return f"Enter the {label} as YYYY-MM-DD or DD/MM/YYYY, like 2016-03-21"
    if column == "reference" and kind == "string_pattern_mismatch":
        return (
            "Reference must start with a letter or number, and use only letters, numbers, "
            "hyphens (-), underscores (_), full stops and slashes"
        )
    if kind == "bool_parsing":
        return f"Write {label} as yes or no, or leave it empty"
    if kind not in _WORDED:
        return str(error["msg"])
    return message_for(error, column.removeprefix(_PREFS), _info(column))


def _body(header: list[str], record: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    prefs: dict[str, Any] = {}
    for name, raw in zip(header, record, strict=False):
        value: Any = raw.strip()
        if value == "":
            continue
        if name in LIST_FIELDS:
            value = [item.strip() for item in _SPLIT.split(value) if item.strip()]
        elif name in DATE_FIELDS and (match := _UK_DAY.fullmatch(value)):
            day, month, year = match.groups()
            value = f"{year}-{int(month):02d}-{int(day):02d}"
        elif name == "placement_type":
            value = value.lower()
        if name.startswith(_PREFS):
            prefs[name.removeprefix(_PREFS)] = value
        else:
            body[name] = value
    if prefs:
        body["preferences"] = prefs
    return body


def _check_header(header: list[str]) -> list[RowError]:
    known = set(columns())
    errors = []
    unknown = [name for name in header if name and name not in known]
    if unknown:
        errors.append(
            RowError(
                1,
                None,
                f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                f"the columns are {', '.join(columns())}",
            )
        )
    if "" in header:
        errors.append(RowError(1, None, "Every column needs a name in the first row"))
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        errors.append(RowError(1, None, f"These columns appear twice: {', '.join(twice)}"))
    missing = [name for name in required_columns() if name not in header]
    if missing:
        errors.append(
            RowError(
                1,
                None,
                f"The file needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            )
        )
    return errors


def check(rows: list[list[str]], *, today: date) -> Checked:
    """Every row checked with the create-child schema and date rules; duplicate references
    within the file are errors (those already taken are check_taken's)."""
    out = Checked()
    if not rows or not any(rows[0]):
        raise _file_problem("The first row must name the columns, like reference,first_name")
    while rows and not any(rows[-1]):
        rows = rows[:-1]
    header = [name.strip().lower() for name in rows[0]]
    while header and header[-1] == "":
        header.pop()  # empty columns at the right, as spreadsheets save them
    data = [(number, record) for number, record in enumerate(rows[1:], start=2) if any(record)]
    if len(data) > MAX_ROWS:
        raise _file_problem(f"Import at most {MAX_ROWS:,} children at a time: split the file")
    if not data:
        raise _file_problem("The file has a header row but no children in it")
    out.errors = _check_header(header)
    if out.errors:
        return out
    first_row: dict[str, int] = {}
    for number, record in data:
        if any(cell.strip() for cell in record[len(header) :]):
            out.errors.append(
                RowError(number, None, "This row has more cells than the header has columns")
            )
            continue
        try:
            child = ChildCreate.model_validate(_body(header, record))
        except ValidationError as exc:
            for error in exc.errors():
                column, item = _column_of(error["loc"])
                out.errors.append(RowError(number, column, _message(error, column, item)))
            continue
        try:
            check_dates(child.date_of_birth, child.consent_given_on, today)
        except Invalid as exc:
            for problem in exc.errors:
                out.errors.append(RowError(number, str(problem["loc"][-1]), problem["msg"]))
            continue
        if child.reference in first_row:
            out.errors.append(
                RowError(
                    number,
                    "reference",
                    f"The reference {child.reference} is also on row {first_row[child.reference]}",
                )
            )
            continue
        first_row[child.reference] = number
        out.children.append((number, child))
    order = {name: i for i, name in enumerate(header)}
    out.errors.sort(key=lambda e: (e.row, -1 if e.column is None else order.get(e.column, 99)))
    return out


def check_taken(db: Session, checked: Checked, *, org_id: int) -> None:
    """References already used in the organisation: one query."""
    references = [child.reference for _, child in checked.children]
    if not references:
        return
    taken = set(
        db.exec(
            select(Child.reference).where(
                Child.org_id == org_id, col(Child.reference).in_(references)
            )
        ).all()
    )
    if not taken:
        return
    for number, child in checked.children:
        if child.reference in taken:
            checked.errors.append(
                RowError(
                    number, "reference", f"A child with the reference {child.reference} exists"
                )
            )
    checked.errors.sort(key=lambda e: e.row)
    checked.children = [(n, c) for n, c in checked.children if c.reference not in taken]


# Writing ------------------------------------------------------------------------------------


@dataclass
class Imported:
    created: int
    references: list[str]


def import_children(
    db: Session, *, actor: User, content: bytes, today: date, dry_run: bool = False
) -> Imported:
    """Check the file and, unless `dry_run`, add every child in it with its audit event.
    Raises RowsInvalid listing every problem when any row is bad (nothing is written)."""
    require_staff(actor)
    checked = check(read_rows(content), today=today)
    if checked.ok:
        check_taken(db, checked, org_id=actor.org_id)
    if not checked.ok:
        raise RowsInvalid([e.as_dict() for e in checked.errors])
    children = [child for _, child in checked.children]
    references = [child.reference for child in children]
    if dry_run:
        return Imported(len(children), references)
    stamp = datetime.now(UTC)
    try:
        db.execute(
            insert(Child.__table__),  # type: ignore[attr-defined]
            [
                {
                    "org_id": actor.org_id,
                    **child.model_dump(exclude={"preferences"}),
                    "preferences": child.preferences.model_dump(exclude_none=True),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for child in children
            ],
        )
    except IntegrityError:
        # A reference taken between the check and the insert (another import or a child
        # registered at the same moment): the request's transaction rolls back.
        raise Conflict(
            "A child with one of these references was added while the file was being "
            "imported: nothing was imported. Check the file again."
        ) from None
    ids = dict(
        db.exec(
            select(Child.reference, Child.id).where(
                Child.org_id == actor.org_id, col(Child.reference).in_(references)
            )
        ).all()
    )
    request_id = correlation_id.get()
    db.execute(
        insert(AuditEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "org_id": actor.org_id,
                "actor_id": actor.id,
                "at": stamp,
                "action": "create",
                "entity": "child",
                "entity_id": ids[child.reference],
                "changes": {
                    **audit.changes_between({}, child.model_dump(mode="json")),
                    "source": [None, "import"],
                },
                "request_id": request_id,
            }
            for child in children
        ],
    )
    return Imported(len(children), references)
