"""Importing closures (term dates) from a file: a CSV, or an Excel workbook's first sheet, one
closure a row: first day, last day, reason (dates as 2026-10-26 or 26/10/2026). A first row
whose first cell has no digit in it is a header and is skipped. Each closure is for every
cohort, as the closures page's own import always was.

All rows or none, every bad row reported at once (a bad date, a last day before the first, a
reason missing or too long, a closure overlapping one already held or another row). Then each
closure is added as one added by hand is (app/cohorts/rescheduling.create_closure: sessions
in it cancelled, their lessons moved on), and the answer says what that did to each cohort:
how many sessions it lost and the date of its new last session. A dry run does all of it
inside a savepoint and rolls it back, so its answer is exactly what the import would do.

A cohort whose last session moves past the end of the school year in which it started is
warned about. The English school year is taken to end on 31 July (school years run from
1 September, and the summer holiday starts in late July)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.service import require_staff
from app.children.importing import RowError, RowsInvalid, read_rows
from app.cohorts import rescheduling
from app.cohorts.models import Closure, Cohort, GroupSession, SessionStatus
from app.cohorts.schemas import ClosureCreate
from app.exceptions import Invalid

MAX_CLOSURES = 200
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
COLUMNS = ("start_date", "end_date", "reason")


def school_year_end(day: dt.date) -> dt.date:
    """31 July of the English school year `day` falls in (a year runs 1 August to 31 July)."""
    return dt.date(day.year if day.month <= 7 else day.year + 1, 7, 31)


def parse_day(text: str) -> dt.date | None:
    """A term date as written in a file, 2026-10-26 or 26/10/2026; None when it is not one."""
    text = text.strip()
    for pattern, order in ((_ISO_DAY, (0, 1, 2)), (_UK_DAY, (2, 1, 0))):
        match = pattern.fullmatch(text)
        if match:
            parts = match.groups()
            try:
                return dt.date(*(int(parts[i]) for i in order))
            except ValueError:
                return None
    return None


@dataclass
class Affected:
    cohort_id: int
    name: str
    cancelled: int
    new_last_date: dt.date | None


@dataclass
class ClosuresImported:
    created: int
    closures: list[ClosureCreate]
    affected: list[Affected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def cancelled(self) -> int:
        return sum(a.cancelled for a in self.affected)


def check(rows: list[list[str]]) -> tuple[list[tuple[int, ClosureCreate]], list[RowError]]:
    """The closures in the rows (numbered as the spreadsheet numbers them), or every
    problem with them."""
    good: list[tuple[int, ClosureCreate]] = []
    errors: list[RowError] = []
    data = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if data and data[0][0] == 1 and not any(ch.isdigit() for ch in data[0][1][0]):
        data = data[1:]  # the header
    if not data:
        raise Invalid("The file has no closures in it", [{"loc": ["file"], "msg": "empty"}])
    if len(data) > MAX_CLOSURES:
        msg = f"Import at most {MAX_CLOSURES} closures at a time: split the file"
        raise Invalid(msg, [{"loc": ["file"], "msg": msg}])
    for number, record in data:
        cells = [*record, "", "", ""]
        start, end = parse_day(cells[0]), parse_day(cells[1])
        reason = ",".join(c for c in record[2:] if c.strip()).strip()
        problems = []
        if start is None:
            problems.append(("start_date", "Enter the first day as 2026-10-26 or 26/10/2026"))
        if end is None:
            problems.append(("end_date", "Enter the last day as 2026-10-30 or 30/10/2026"))
        if not reason:
            problems.append(("reason", "Enter the reason, like October half term"))
        if start is not None and end is not None and not problems:
            try:
                good.append((number, ClosureCreate(date=start, end_date=end, reason=reason)))
            except ValidationError as exc:
                for error in exc.errors():
                    column = str(error["loc"][0]) if error["loc"] else "end_date"
                    column = {"date": "start_date"}.get(column, column)
                    message = str(error["msg"]).removeprefix("Value error, ")
                    if column == "reason":
                        message = "The reason must be 200 characters or fewer"
                    elif "on or after" in message:
                        message = "The last day must be on or after the first day"
                    elif "at most a year" in message:
                        message = "A closure can last at most a year"
                    problems.append((column, message))
        errors.extend(RowError(number, column, message) for column, message in problems)
    return good, errors


def _overlaps(db: Session, org_id: int, good: list[tuple[int, ClosureCreate]]) -> list[RowError]:
    """Rows overlapping a closure already held (one query) or an earlier row."""
    if not good:
        return []
    first = min(c.date for _, c in good)
    last = max(c.end_date or c.date for _, c in good)
    held = db.exec(
        select(Closure).where(
            Closure.org_id == org_id,
            col(Closure.start_date) <= last,
            col(Closure.end_date) >= first,
        )
    ).all()
    errors = []
    seen: list[tuple[int, ClosureCreate]] = []
    for number, closure in good:
        start, end = closure.date, closure.end_date or closure.date
        clash = next((h for h in held if h.start_date <= end and h.end_date >= start), None)
        if clash is not None:
            errors.append(
                RowError(
                    number,
                    "start_date",
                    f"This overlaps the closure {clash.reason} "
                    f"({clash.start_date:%-d %B %Y} to {clash.end_date:%-d %B %Y})",
                )
            )
            continue
        other = next(
            (n for n, c in seen if c.date <= end and (c.end_date or c.date) >= start), None
        )
        if other is not None:
            errors.append(RowError(number, "start_date", f"This overlaps row {other}"))
            continue
        seen.append((number, closure))
    return errors


def _last_dates(db: Session, cohort_ids: list[int]) -> dict[int, dt.date]:
    rows = db.exec(
        select(GroupSession.cohort_id, func.max(GroupSession.date))
        .where(
            col(GroupSession.cohort_id).in_(cohort_ids),
            GroupSession.status != SessionStatus.cancelled,
        )
        .group_by(col(GroupSession.cohort_id))
    ).all()
    return dict(rows)


def import_closures(
    db: Session, *, actor: User, content: bytes, dry_run: bool = False
) -> ClosuresImported:
    """Check the file, add every closure (with what each does to the sessions) or, with
    `dry_run`, work out what adding them would do and undo it. Raises RowsInvalid listing
    every problem when any row is bad."""
    require_staff(actor)
    good, errors = check(read_rows(content))
    errors += _overlaps(db, actor.org_id, good)
    if errors:
        errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column else -1))
        raise RowsInvalid([e.as_dict() for e in errors])
    closures = [c for _, c in good]
    nested = db.begin_nested() if dry_run else None
    try:
        ids = [
            rescheduling.create_closure(db, actor=actor, data=closure)[0].id for closure in closures
        ]
        result = _effect(db, actor, closures, [i for i in ids if i is not None])
    finally:
        if nested is not None:
            nested.rollback()
    return result


def _effect(
    db: Session, actor: User, closures: list[ClosureCreate], ids: list[int]
) -> ClosuresImported:
    counts = db.exec(
        select(GroupSession.cohort_id, func.count())
        .where(col(GroupSession.closure_id).in_(ids))
        .group_by(col(GroupSession.cohort_id))
    ).all()
    cancelled = {cohort_id: int(n) for cohort_id, n in counts}
    out = ClosuresImported(created=len(closures), closures=closures)
    if not cancelled:
        return out
    cohorts = db.exec(
        select(Cohort)
        .where(col(Cohort.id).in_(list(cancelled)), Cohort.org_id == actor.org_id)
        .order_by(col(Cohort.name), col(Cohort.id))
    ).all()
    last = _last_dates(db, list(cancelled))
    for cohort in cohorts:
        cohort_id = cohort.id or 0
        new_last = last.get(cohort_id)
        out.affected.append(Affected(cohort_id, cohort.name, cancelled[cohort_id], new_last))
        year_end = school_year_end(cohort.start_date)
        if new_last is not None and new_last > year_end:
            out.warnings.append(
                f"{cohort.name} would now end on {new_last:%-d %B %Y}, after the school "
                f"year ends on {year_end:%-d %B %Y}"
            )
    return out


def summary(result: ClosuresImported) -> str:
    """'cancels 9 sessions in 4 cohorts' (or that it cancels none)."""
    if not result.affected:
        return "cancels no sessions"
    n, c = result.cancelled, len(result.affected)
    return f"cancels {n} session{'s' if n != 1 else ''} in {c} cohort{'s' if c != 1 else ''}"


def as_json(result: ClosuresImported, *, dry_run: bool) -> dict[str, Any]:
    return {
        "created": result.created,
        "errors": [],
        "affected": [
            {"cohort_id": a.cohort_id, "cancelled": a.cancelled, "new_last_date": a.new_last_date}
            for a in result.affected
        ],
        "warnings": result.warnings,
        "dry_run": dry_run,
    }
