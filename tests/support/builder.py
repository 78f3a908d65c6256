"""A programme built straight as rows (SQLAlchemy Core), for the fidelity tests: no service
rules in the way, so a test can put any state on record, as the figures must read it.
The `build` fixture (tests/fidelity/conftest.py) is a Builder for organisation A."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select
from sqlmodel import Session, col

from app.auth.models import Role, User
from app.children.models import Child
from app.cohorts.models import Cohort, CohortFacilitator, Enrolment, GroupSession
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.mentoring.models import Match, MentorProfile, MentorVisit
from app.programmes.models import Programme
from app.sessions.models import (
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionFacilitatorPresent,
)
from tests.support.people import People

NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Lesson:
    """One curriculum week: its activities (id, core) and practice task ids."""

    activities: tuple[tuple[int, bool], ...]
    tasks: tuple[int, ...]

    @property
    def core(self) -> tuple[int, ...]:
        return tuple(a for a, core in self.activities if core)


def _values(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Every column of a row, with the model's own defaults filled in."""
    obj = model(**values)
    out = {col.name: getattr(obj, col.name) for col in model.__table__.columns}
    if out.get("id") is None:
        out.pop("id", None)
    return out


class Builder:
    """Inserts rows for organisation A (people.org) directly."""

    def __init__(self, db: Session, people: People, curriculum_id: int) -> None:
        self.db = db
        self.people = people
        self.org_id = people.org.id or 0
        self.curriculum_id = curriculum_id
        self.lead_id = people.lead.id or 0
        self.lessons = self._lessons()
        self._n = 0
        # The organisation's first programme (FHF-PT) unless a row names another; a visit
        # takes its match's.
        self.programme_id = int(
            self.db.execute(
                select(col(Programme.id))
                .where(col(Programme.org_id) == self.org_id)
                .order_by(col(Programme.id))
            )
            .scalars()
            .first()
            or 0
        )
        self._match_programme: dict[int, int] = {}

    def _lessons(self) -> dict[int, Lesson]:
        weeks: dict[int, int] = dict(
            self.db.execute(
                select(col(CurriculumWeek.id), col(CurriculumWeek.week)).where(
                    col(CurriculumWeek.curriculum_id) == self.curriculum_id
                )
            ).all()
        )
        activities: dict[int, list[tuple[int, bool]]] = {w: [] for w in weeks.values()}
        for week_id, activity_id, core in self.db.execute(
            select(col(Activity.week_id), col(Activity.id), col(Activity.core)).order_by(
                col(Activity.id)
            )
        ):
            if week_id in weeks:
                activities[weeks[week_id]].append((activity_id, bool(core)))
        tasks: dict[int, list[int]] = {w: [] for w in weeks.values()}
        for week_id, task_id in self.db.execute(
            select(col(PracticeTask.week_id), col(PracticeTask.id)).order_by(col(PracticeTask.id))
        ):
            if week_id in weeks:
                tasks[weeks[week_id]].append(task_id)
        return {w: Lesson(tuple(activities[w]), tuple(tasks[w])) for w in weeks.values()}

    def _insert(self, model: Any, **values: Any) -> int:
        # An INSERT's result is a CursorResult (SQLModel's Session.execute says only Result).
        result = cast(
            CursorResult[Any],
            self.db.execute(insert(model.__table__).values(**_values(model, values))),
        )
        key = result.inserted_primary_key
        return int(key[0]) if key and key[0] is not None else 0

    def _insert_many(self, model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.db.execute(insert(model.__table__), [_values(model, row) for row in rows])

    def _next(self) -> int:
        self._n += 1
        return self._n

    # People ------------------------------------------------------------------------------

    def user(self, role: Role, label: str) -> User:
        user = self.people.add(role, email=f"{label}@org-a.example.org", name=label.title())
        self.db.flush()
        return user

    def profile(self, user_id: int, dbs_checked_on: dt.date | None) -> None:
        self._insert(
            MentorProfile,
            user_id=user_id,
            org_id=self.org_id,
            dbs_checked_on=dbs_checked_on,
            created_at=NOW,
            updated_at=NOW,
        )

    # The group ---------------------------------------------------------------------------

    def cohort(
        self,
        start: dt.date,
        *,
        name: str | None = None,
        facilitators: Any = (),
        programme_id: int | None = None,
    ) -> int:
        cohort_id = self._insert(
            Cohort,
            org_id=self.org_id,
            programme_id=programme_id or self.programme_id,
            name=name or f"Group {self._next()}",
            curriculum_id=self.curriculum_id,
            start_date=start,
            start_time=dt.time(16),
            duration_minutes=90,
            venue="Hall",
            created_at=NOW,
        )
        self._insert_many(
            CohortFacilitator,
            [{"cohort_id": cohort_id, "user_id": u, "org_id": self.org_id} for u in facilitators],
        )
        return cohort_id

    def session(self, cohort_id: int, week: int, day: dt.date, status: str = "scheduled") -> int:
        return self._insert(
            GroupSession,
            org_id=self.org_id,
            cohort_id=cohort_id,
            week=week,
            date=day,
            start_time=dt.time(16),
            end_time=dt.time(17, 30),
            venue="Hall",
            status=status,
            cancel_reason="Snow" if status == "cancelled" else None,
        )

    def child(self, first_name: str | None = None, reference: str | None = None) -> int:
        n = self._next()
        return self._insert(
            Child,
            org_id=self.org_id,
            reference=reference or f"FID-{n:04d}",
            first_name=first_name or f"Zebedee{n}",
            date_of_birth=dt.date(2016, 3, 1),
            placement_type="foster",
            consent_given_by="Social worker",
            consent_given_on=dt.date(2025, 9, 1),
            created_at=NOW,
            updated_at=NOW,
        )

    def enrol(
        self,
        child_id: int,
        cohort_id: int,
        start: dt.date,
        end: dt.date | None = None,
        *,
        withdrawn: bool = False,
    ) -> int:
        return self._insert(
            Enrolment,
            org_id=self.org_id,
            child_id=child_id,
            cohort_id=cohort_id,
            start_date=start,
            end_date=end,
            status="withdrawn" if withdrawn else "active",
            withdraw_reason="Moved" if withdrawn else None,
            created_at=NOW,
        )

    def attendance(self, rows: list[tuple[int, int, str]]) -> None:
        """(session id, child id, status) rows."""
        self._insert_many(
            Attendance,
            [
                {"org_id": self.org_id, "session_id": s, "child_id": c, "status": status}
                for s, c, status in rows
            ],
        )

    def coverage(self, rows: list[tuple[int, int, str]]) -> None:
        """(session id, activity id, status) rows."""
        self._insert_many(
            Coverage,
            [
                {"org_id": self.org_id, "session_id": s, "activity_id": a, "status": status}
                for s, a, status in rows
            ],
        )

    def present(self, session_id: int, user_ids: Any) -> None:
        self._insert_many(
            SessionFacilitatorPresent,
            [{"session_id": session_id, "user_id": u, "org_id": self.org_id} for u in user_ids],
        )

    def assignments(self, rows: list[tuple[int, int, int, str, int | None]]) -> None:
        """(session id, child id, task id, status, mentor id) rows."""
        self._insert_many(
            PracticeAssignment,
            [
                {
                    "org_id": self.org_id,
                    "session_id": s,
                    "child_id": c,
                    "task_id": t,
                    "kind": "regular",
                    "status": status,
                    "mentor_id": mentor,
                    "created_at": NOW,
                }
                for s, c, t, status, mentor in rows
            ],
        )

    # Mentoring ---------------------------------------------------------------------------

    def match(
        self,
        child_id: int,
        mentor_id: int,
        start: dt.date,
        end: dt.date | None = None,
        *,
        programme_id: int | None = None,
        ended_by: str | None = None,
    ) -> int:
        programme = programme_id or self.programme_id
        match_id = self._insert(
            Match,
            org_id=self.org_id,
            programme_id=programme,
            child_id=child_id,
            mentor_id=mentor_id,
            start_date=start,
            end_date=end,
            score=0.5,
            end_reason="planned" if end else None,
            ended_by=ended_by,
            created_by=self.lead_id,
            created_at=NOW,
        )
        self._match_programme[match_id] = programme
        return match_id

    def _programme_of(self, row: dict[str, Any]) -> dict[str, Any]:
        if "programme_id" in row:
            return row
        return {
            **row,
            "programme_id": self._match_programme.get(row["match_id"], self.programme_id),
        }

    def visits(self, rows: list[dict[str, Any]]) -> None:
        """Rows with match_id, mentor_id, child_id, date, minutes, status (and optionally
        safeguarding_concern)."""
        self._insert_many(
            MentorVisit,
            [
                {
                    "org_id": self.org_id,
                    "created_by": self.lead_id,
                    "created_at": NOW,
                    "updated_at": NOW,
                    **self._programme_of(row),
                }
                for row in rows
            ],
        )

    def visit(self, **row: Any) -> int:
        return self._insert(
            MentorVisit,
            org_id=self.org_id,
            created_by=self.lead_id,
            created_at=NOW,
            updated_at=NOW,
            **self._programme_of(row),
        )
