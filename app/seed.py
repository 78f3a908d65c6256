"""A synthetic national-scale data set, for benchmarking the fidelity dashboard.

`seed_scale` adds one organisation (or a few) with N cohorts: facilitators, a lead,
mentors with ready profiles, about ten children a cohort with their enrolments, the 30
lessons planned on weekly slots (cancelled occurrences re-planned a week later, as the
planner does), registers, coverage, facilitators present, session records, practice
assignments, matches and about two mentor visits a week for each match.

Rows are built in Python from one seeded random generator (the same seed and `as_of`
give the same rows) and written with Core `INSERT` executemany in chunks, one
transaction per batch of cohorts; ids that link rows are assigned here, from the
table's current maximum, so the database may already hold data. No ORM objects and no
audit event per row: one `seed_scale` audit event per organisation.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import holidays
from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from app.auth.models import DEFAULT_MATCH_WEIGHTS, DEFAULT_SESSION_CHECKLIST
from app.auth.security import hash_password
from app.cohorts.schedule import REGION_CODES, weekly_slots
from app.curriculum.service import latest_curricula
from app.models import metadata

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
CHUNK = 10_000  # rows a statement (executemany)
COHORTS_PER_TRANSACTION = 25
REGION = "england"
# Cohorts start on dates spread over this window before as_of (days): about two thirds
# have finished their 30 weeks and a third are part-way through, so that N=1000 gives
# about 30,000 sessions, 250,000 register rows and 600,000 visits.
FIRST_DATE_WINDOW = (-560, -70)

# Tables whose ids are assigned here (to link rows), in insert order; the others get
# their ids from the database.
ID_TABLES = (
    "organisation",
    "user_account",
    "child",
    "cohort",
    "group_session",
    "enrolment",
    "mentor_match",
)
INSERT_ORDER = (
    "organisation",
    "user_account",
    "mentor_profile",
    "child",
    "cohort",
    "cohort_facilitator",
    "enrolment",
    "group_session",
    "mentor_match",
    "attendance",
    "coverage",
    "session_facilitator",
    "session_record",
    "practice_assignment",
    "mentor_visit",
    "audit_event",
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Aaron Abdul Adam Aisha Alfie Amelia Amir Archie Ava Bella Ben Callum Chloe "
    "Daisy Daniel Dylan Ella Emily Ethan Evie Faith Freddie George Grace Hamza Harry Isla "
    "Isaac Jack Jacob Jade Jayden Kai Kayla Leo Lily Logan Mia Mohammed Nathan Noah "
    "Olivia Oscar Poppy Riley Rosie Ruby Ryan Sam Sofia Theo Tyler Zara Zain"
)
LAST_NAMES = _words(
    "Ahmed Baker Brown Campbell Clarke Davies Edwards Evans Green Hall Hughes Hussain "
    "Jackson Jones Khan Lewis Martin Morris Nowak Okafor Patel Roberts Robinson Shah "
    "Smith Taylor Thomas Walker White Williams Wilson Wright"
)
ETHNICITIES = (
    "White British",
    "White British",
    "White British",
    "White Irish",
    "White Polish",
    "Black African",
    "Black Caribbean",
    "British Pakistani",
    "British Indian",
    "British Bangladeshi",
    "Mixed White and Black Caribbean",
    "Mixed White and Asian",
    "Gypsy or Irish Traveller",
    "Any other ethnic group",
)
SECOND_LANGUAGES = ("Urdu", "Polish", "Punjabi", "Somali", "Arabic", "Romanian", "Welsh")
INTERESTS = _words(
    "football art drawing baking animals music dancing gaming lego swimming cycling "
    "reading coding cricket netball drama singing basketball gymnastics cooking"
)
VENUES = (
    "community centre",
    "family hub",
    "youth club",
    "library meeting room",
    "primary school hall",
    "leisure centre studio",
)
TOWNS = _words(
    "Ashford Barnsley Bolton Bradford Bristol Coventry Derby Doncaster Exeter Gateshead "
    "Hull Ipswich Leeds Leicester Luton Norwich Oldham Plymouth Preston Reading Salford "
    "Sheffield Stockport Sunderland Swindon Telford Wakefield Walsall Wigan York"
)
CANCEL_REASONS = (
    "Venue unavailable",
    "Both facilitators ill",
    "Heating failed at the venue",
    "Snow: schools closed",
    "Too few children able to come",
)
WITHDRAW_REASONS = (
    ("Moved placement out of the area", "child_moved", "social_worker"),
    ("Did not want to keep coming", "child_request", "young_person"),
    ("Carer asked to stop", "other", "carer"),
)
ABSENCE_NOTES = ("Contact with birth family", "Unwell", "Medical appointment", None, None)
SESSION_NOTES = (
    "Good energy; the role play ran long.",
    "Two children needed time in the calm corner.",
    "Meal was late, so the closing circle was short.",
    None,
    None,
    None,
    None,
    None,
)
VISIT_SUMMARIES = (
    "Went to the park and practised this week's skill.",
    "Baked together; talked through the practice card.",
    "Library visit; used the feelings thermometer on the way home.",
    "Played football and went over the problem-solving steps.",
    "Quiet visit at home; finished the practice task together.",
)
ATTENDANCE_PROPENSITY = (0.97, 0.95, 0.93, 0.9, 0.88, 0.85, 0.8, 0.7, 0.55)
VISIT_PROPENSITY = (0.97, 0.95, 0.92, 0.9, 0.88, 0.8, 0.5)


class NoCurriculum(Exception):
    """The database holds no curriculum: `tandem curriculum load` first."""


@dataclass(frozen=True)
class Lesson:
    activities: tuple[int, ...]
    tasks: tuple[int, ...]


@dataclass
class ScaleResult:
    organisations: list[tuple[int, str]]
    lead_emails: list[str]
    counts: dict[str, int]
    seconds: float
    as_of: dt.date
    cohorts: int

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@dataclass
class _Org:
    id: int
    name: str
    lead_id: int
    cohorts: int = 0
    # The facilitator pair of the organisation's previous cohort, and its weekday.
    pair: tuple[int, int] | None = None
    weekday: int = 0


@dataclass
class _Match:
    id: int
    mentor_id: int
    start: dt.date
    end: dt.date | None
    completion: float

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class _Child:
    id: int
    start: dt.date
    end: dt.date | None
    attends: float  # how likely they are to come to a session
    # Why they left: (withdraw reason, match end reason, ended by), when withdrawn.
    left: tuple[str, str, str] | None


@dataclass
class _Batch:
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in INSERT_ORDER}
    )

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _time(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


def _plus_minutes(start: dt.time, minutes: int) -> dt.time:
    total = start.hour * 60 + start.minute + minutes
    return dt.time(total // 60 % 24, total % 60)


def _closed_days(region: str, around: dt.date) -> frozenset[dt.date]:
    years = range(around.year - 3, around.year + 4)
    return frozenset(holidays.country_holidays("GB", subdiv=REGION_CODES[region], years=years))


def _stratified(rng: random.Random, n: int) -> list[float]:
    """n positions in [0, 1), one in each n-th, shuffled: every small run still has
    finished, part-way and (usually) future cohorts."""
    positions = [(i + rng.random()) / n for i in range(n)]
    rng.shuffle(positions)
    return positions


class _Ids:
    """The next id of each table whose ids are assigned here."""

    def __init__(self, conn: Connection) -> None:
        self.next: dict[str, int] = {}
        for name in ID_TABLES:
            table = metadata.tables[name]
            current = conn.execute(select(func.max(table.c.id))).scalar()
            self.next[name] = int(current or 0) + 1

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


def _write(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    statement = insert(table)
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, list(rows[start : start + CHUNK]))


def _load_curriculum(conn: Connection) -> tuple[int, int, dict[int, Lesson]]:
    from sqlmodel import Session

    with Session(bind=conn) as db:
        curricula = latest_curricula(db)
        if not curricula:
            raise NoCurriculum("no curriculum is loaded: run `tandem curriculum load` first")
        chosen = curricula[0]
        curriculum_id, weeks = chosen.id or 0, int(chosen.programme.get("weeks", 30))
    week_t = metadata.tables["curriculum_week"]
    activity_t = metadata.tables["curriculum_activity"]
    task_t = metadata.tables["curriculum_practice_task"]
    activities: dict[int, list[int]] = {}
    tasks: dict[int, list[int]] = {}
    for week, activity_id in conn.execute(
        select(week_t.c.week, activity_t.c.id)
        .join(activity_t, activity_t.c.week_id == week_t.c.id)
        .where(week_t.c.curriculum_id == curriculum_id)
        .order_by(week_t.c.week, activity_t.c.position)
    ):
        activities.setdefault(week, []).append(activity_id)
    for week, task_id in conn.execute(
        select(week_t.c.week, task_t.c.id)
        .join(task_t, task_t.c.week_id == week_t.c.id)
        .where(week_t.c.curriculum_id == curriculum_id)
        .order_by(week_t.c.week, task_t.c.position)
    ):
        tasks.setdefault(week, []).append(task_id)
    lessons = {
        week: Lesson(tuple(activities.get(week, ())), tuple(tasks.get(week, ())))
        for week in range(1, weeks + 1)
    }
    return curriculum_id, weeks, lessons


def _org_names(conn: Connection, cohorts: int, organisations: int) -> list[str]:
    """'Scale test N' (or 'Scale test N, k of K'), with ' (run 2)' and so on when a
    previous run on this database took the name."""
    org_t = metadata.tables["organisation"]
    taken = set(
        conn.execute(select(org_t.c.name).where(org_t.c.name.like("Scale test %"))).scalars()
    )
    base = f"Scale test {cohorts}"
    wanted = (
        [base]
        if organisations == 1
        else [f"{base}, {k} of {organisations}" for k in range(1, organisations + 1)]
    )
    run = 1
    while True:
        suffix = "" if run == 1 else f" (run {run})"
        names = [name + suffix for name in wanted]
        if not taken.intersection(names):
            return names
        run += 1


class _Generator:
    def __init__(
        self,
        *,
        rng: random.Random,
        as_of: dt.date,
        ids: _Ids,
        curriculum_id: int,
        weeks: int,
        lessons: dict[int, Lesson],
        password_hash: str,
        closed: frozenset[dt.date],
    ) -> None:
        self.rng = rng
        self.as_of = as_of
        self.ids = ids
        self.curriculum_id = curriculum_id
        self.weeks = weeks
        self.lessons = lessons
        self.password_hash = password_hash
        self.closed = closed
        self.setup_at = _at(as_of + FIRST_DATE_WINDOW[0] * DAY - 30 * DAY, 9)

    # People --------------------------------------------------------------------------

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def user(self, batch: _Batch, org_id: int, role: str, created: dt.datetime) -> int:
        uid = self.ids.take("user_account")
        batch.add(
            "user_account",
            {
                "id": uid,
                "org_id": org_id,
                "email": f"{role}{uid}@scale{org_id}.tandem.example.org",
                "name": self._name(),
                "role": role,
                "password_hash": self.password_hash,
                "active": True,
                "failed_logins": 0,
                "locked_until": None,
                "created_at": created,
                "password_changed_at": created,
            },
        )
        return uid

    def organisation(self, batch: _Batch, name: str) -> _Org:
        org_id = self.ids.take("organisation")
        batch.add(
            "organisation",
            {
                "id": org_id,
                "name": name,
                "timezone": "Europe/London",
                "holiday_region": REGION,
                "dosage_threshold": 0.75,
                "dbs_renewal_years": 3,
                "mentoring_hours_min": 2,
                "mentoring_hours_max": 4,
                "session_checklist": list(DEFAULT_SESSION_CHECKLIST),
                "match_weights": dict(DEFAULT_MATCH_WEIGHTS),
                "created_at": self.setup_at,
            },
        )
        lead_id = self.user(batch, org_id, "lead", self.setup_at)
        return _Org(org_id, name, lead_id)

    def mentor(self, batch: _Batch, org_id: int, before: dt.date) -> int:
        rng = self.rng
        created = _at(min(before, self.as_of) - rng.randint(20, 60) * DAY, 10)
        uid = self.user(batch, org_id, "mentor", created)
        # A DBS check is current for three years; a few run out within 60 days.
        if rng.random() < 0.03:
            dbs = self.as_of - rng.randint(1040, 1090) * DAY
        else:
            dbs = self.as_of - rng.randint(90, 900) * DAY
        dbs = min(dbs, created.date())
        interests = rng.sample(INTERESTS, 3)
        batch.add(
            "mentor_profile",
            {
                "user_id": uid,
                "org_id": org_id,
                "gender": rng.choice(("female", "female", "male")),
                "ethnicity": rng.choice(ETHNICITIES),
                "languages": ["English"]
                + ([rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.2 else []),
                "interests": interests,
                "care_experience": rng.random() < 0.15,
                "availability": "weekday evenings, weekends",
                "about": f"I like {interests[0]} and {interests[1]}.",
                "dbs_checked_on": dbs,
                "barred_list_checked": True,
                "references_checked": True,
                "interviewed_on": dbs - 21 * DAY,
                "training_completed_on": dbs + 7 * DAY,
                "max_caseload": 2,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            },
        )
        return uid

    # One cohort ----------------------------------------------------------------------

    def cohort(self, batch: _Batch, org: _Org, number: int, position: float) -> None:
        rng, as_of = self.rng, self.as_of
        reuse = org.pair is not None and org.cohorts % 3 == 2
        weekday = rng.randrange(4)  # Monday to Thursday
        if reuse and weekday == org.weekday:
            weekday = (weekday + 1) % 4
        lo, hi = FIRST_DATE_WINDOW
        first = as_of + round(lo + position * (hi - lo)) * DAY
        first += ((weekday - first.weekday()) % 7) * DAY
        while first in self.closed:
            first += WEEK
        created = _at(min(first, as_of) - 42 * DAY, 9)
        if reuse and org.pair is not None:
            pair = org.pair
        else:
            pair = (
                self.user(batch, org.id, "facilitator", created),
                self.user(batch, org.id, "facilitator", created),
            )
        org.pair, org.weekday = pair, weekday
        org.cohorts += 1

        cohort_id = self.ids.take("cohort")
        start_time = _time(rng.choice(("15:45", "16:00", "16:30", "17:00")))
        end_time = _plus_minutes(start_time, 90)
        venue = f"{rng.choice(TOWNS)} {rng.choice(VENUES)}"
        batch.add(
            "cohort",
            {
                "id": cohort_id,
                "org_id": org.id,
                "name": f"Cohort {number:05d} ({first:%A}s)",
                "curriculum_id": self.curriculum_id,
                "start_date": first,
                "start_time": start_time,
                "duration_minutes": 90,
                "venue": venue,
                "created_at": created,
                "version": 1,
            },
        )
        for uid in pair:
            batch.add(
                "cohort_facilitator", {"cohort_id": cohort_id, "user_id": uid, "org_id": org.id}
            )

        # The 30 lessons on free weekly slots; a cancelled occurrence stays and its
        # lesson (with every later one) moves to the next free slot.
        sessions: list[tuple[int, int, dt.date, str]] = []  # id, week, date, status
        slots = weekly_slots(first, self.closed)
        week = 1
        while week <= self.weeks:
            day = next(slots)
            sid = self.ids.take("group_session")
            row = {
                "id": sid,
                "org_id": org.id,
                "cohort_id": cohort_id,
                "week": week,
                "date": day,
                "start_time": start_time,
                "end_time": end_time,
                "venue": venue,
                "status": "scheduled",
                "cancel_reason": None,
                "version": 1,
            }
            if day <= as_of + 14 * DAY and rng.random() < 0.03:
                row["status"], row["cancel_reason"] = "cancelled", rng.choice(CANCEL_REASONS)
                row["version"] = 2
                batch.add("group_session", row)
                sessions.append((sid, week, day, "cancelled"))
                continue
            if day < as_of:
                overdue = 0.3 if (as_of - day).days <= 7 else 0.01
                if rng.random() >= overdue:
                    row["status"], row["version"] = "delivered", 2
            batch.add("group_session", row)
            sessions.append((sid, week, day, str(row["status"])))
            week += 1
        live = [s for s in sessions if s[3] != "cancelled"]
        last_live = live[-1][2]

        # Children and their enrolments: a few join late, a few leave part-way.
        size = rng.choice((8, 9, 10, 10, 10, 10, 10, 10, 10, 10))
        children: list[_Child] = []
        for k in range(size):
            child_id = self.ids.take("child")
            start = first
            if rng.random() < 0.05:
                start = live[rng.randint(1, 3)][2]
            end: dt.date | None = None
            withdraw = None
            window = (min(as_of - DAY, last_live) - (start + 14 * DAY)).days
            if window > 0 and rng.random() < 0.07:
                end = start + 14 * DAY + rng.randint(0, window) * DAY
                withdraw = rng.choice(WITHDRAW_REASONS)
            consent = min(first - rng.randint(14, 40) * DAY, as_of)
            gender = rng.choice(("female", "male"))
            languages = ["English"] + ([rng.choice(SECOND_LANGUAGES)] if rng.random() < 0.2 else [])
            batch.add(
                "child",
                {
                    "id": child_id,
                    "org_id": org.id,
                    "reference": f"SC{number:05d}-{k + 1:02d}",
                    "first_name": rng.choice(FIRST_NAMES),
                    "date_of_birth": first - rng.randint(3290, 4380) * DAY,
                    "placement_type": rng.choice(
                        ("foster", "foster", "foster", "kinship", "kinship", "residential", "other")
                    ),
                    "gender": gender,
                    "ethnicity": rng.choice(ETHNICITIES),
                    "languages": languages,
                    "interests": rng.sample(INTERESTS, 3),
                    "preferences": {"mentor_gender": gender} if rng.random() < 0.3 else {},
                    "consent_given_by": "Social worker",
                    "consent_given_on": consent,
                    "created_at": _at(consent, 11),
                    "updated_at": _at(consent, 11),
                },
            )
            enrolled = _at(min(start, as_of), 12)
            batch.add(
                "enrolment",
                {
                    "id": self.ids.take("enrolment"),
                    "org_id": org.id,
                    "child_id": child_id,
                    "cohort_id": cohort_id,
                    "start_date": start,
                    "end_date": end,
                    "status": "withdrawn" if end else "active",
                    "withdraw_reason": withdraw[0] if withdraw else None,
                    "eligibility_override": None,
                    "created_at": enrolled,
                },
            )
            children.append(
                _Child(child_id, start, end, rng.choice(ATTENDANCE_PROPENSITY), withdraw)
            )

        matches = self._mentoring(
            batch, org, children, first=first, weekday=weekday, last_live=last_live
        )
        self._delivery(batch, org, pair, sessions, children, matches)

    def _mentoring(
        self,
        batch: _Batch,
        org: _Org,
        children: list[_Child],
        *,
        first: dt.date,
        weekday: int,
        last_live: dt.date,
    ) -> dict[int, _Match]:
        """A mentor for every two children; one match each; visits on two other days."""
        rng, as_of = self.rng, self.as_of
        matches: dict[int, _Match] = {}
        finished = last_live + 14 * DAY < as_of
        for pair_start in range(0, len(children), 2):
            mentees = children[pair_start : pair_start + 2]
            mentor_id = self.mentor(batch, org.id, first)
            free = [d for d in range(7) if d != weekday]
            rng.shuffle(free)
            for n, child in enumerate(mentees):
                child_id = child.id
                days = sorted(free[2 * n : 2 * n + 2])
                start = min(child.start - rng.randint(0, 21) * DAY, as_of)
                if rng.random() < 0.1:
                    start = min(child.start + rng.randint(1, 14) * DAY, as_of)
                end: dt.date | None = None
                reason: str | None = None
                ended_by: str | None = None
                if child.end is not None and child.left is not None:
                    end = max(child.end, start)
                    _why, reason, ended_by = child.left
                elif rng.random() < 0.04 and (min(as_of, last_live) - start).days > 35:
                    end = start + rng.randint(28, (min(as_of, last_live) - start).days - 1) * DAY
                    reason, ended_by = "mentor_left", "mentor"
                elif finished:
                    end = min(last_live + rng.randint(0, 14) * DAY, as_of - DAY)
                    end = max(end, start)
                    reason, ended_by = "planned", "programme"
                slot_start = _time(
                    rng.choice(("16:30", "17:00", "17:30"))
                    if days[0] < 5
                    else rng.choice(("10:30", "14:00"))
                )
                slot_minutes = rng.choice((60, 75, 90, 90, 120))
                match_id = self.ids.take("mentor_match")
                batch.add(
                    "mentor_match",
                    {
                        "id": match_id,
                        "org_id": org.id,
                        "child_id": child_id,
                        "mentor_id": mentor_id,
                        "start_date": start,
                        "end_date": end,
                        "score": round(rng.uniform(0.35, 0.95), 3),
                        "reasons": ["Shared interests", "Lives nearby"],
                        "chosen_by_young_person": rng.random() < 0.15,
                        "visit_weekday": days[0] + 1,
                        "visit_start_time": slot_start,
                        "visit_minutes": slot_minutes,
                        "ended_by": ended_by,
                        "end_reason": reason,
                        "closure_note": None if end is None else "Ended; closure session held.",
                        "created_by": org.lead_id,
                        "created_at": _at(start, 10),
                    },
                )
                completion = rng.choice(VISIT_PROPENSITY)
                matches[child_id] = _Match(match_id, mentor_id, start, end, completion)
                until = end if end is not None else max(last_live, as_of + 13 * DAY)
                self._visits(
                    batch, org, matches[child_id], child_id, days, slot_start, slot_minutes, until
                )
        return matches

    def _visits(
        self,
        batch: _Batch,
        org: _Org,
        match: _Match,
        child_id: int,
        days: list[int],
        slot_start: dt.time,
        slot_minutes: int,
        until: dt.date,
    ) -> None:
        rng, as_of, closed = self.rng, self.as_of, self.closed
        planned_at = _at(match.start, 10)
        monday = match.start - match.start.weekday() * DAY
        second_start = _plus_minutes(slot_start, 30)
        while monday <= until:
            for n, offset in enumerate(days):
                day = monday + offset * DAY
                if day < match.start or day > until or day in closed:
                    continue
                start = slot_start if n == 0 else second_start
                concern = False
                reviewed_at = reviewed_by = None
                if day >= as_of:
                    status, minutes, summary, at = "planned", slot_minutes, None, planned_at
                else:
                    roll = rng.random()
                    at = _at(day, 20)
                    if roll < match.completion:
                        status, minutes = "completed", rng.randint(9, 24) * 5
                        summary = rng.choice(VISIT_SUMMARIES)
                        if rng.random() < 0.0005:
                            concern = True
                            if rng.random() < 0.5:
                                reviewed_at, reviewed_by = _at(day + DAY, 9), org.lead_id
                    elif roll < match.completion + (1 - match.completion) / 2:
                        status, minutes, summary = "missed", slot_minutes, "Child was not in."
                    else:
                        status, minutes, summary = "cancelled", slot_minutes, None
                batch.add(
                    "mentor_visit",
                    {
                        "org_id": org.id,
                        "match_id": match.id,
                        "mentor_id": match.mentor_id,
                        "child_id": child_id,
                        "date": day,
                        "start_time": start,
                        "minutes": minutes,
                        "status": status,
                        "summary": summary,
                        "safeguarding_concern": concern,
                        "concern_reviewed_at": reviewed_at,
                        "concern_reviewed_by": reviewed_by,
                        "version": 1,
                        "created_by": match.mentor_id,
                        "created_at": at,
                        "updated_at": at,
                    },
                )
            monday += WEEK

    def _delivery(
        self,
        batch: _Batch,
        org: _Org,
        pair: tuple[int, int],
        sessions: list[tuple[int, int, dt.date, str]],
        children: list[_Child],
        matches: dict[int, _Match],
    ) -> None:
        """What was recorded for each delivered session."""
        rng, as_of = self.rng, self.as_of
        for sid, week, day, status in sessions:
            if status != "delivered":
                continue
            lesson = self.lessons[week]
            present = list(pair) if rng.random() < 0.9 else [rng.choice(pair)]
            for uid in present:
                batch.add(
                    "session_facilitator", {"session_id": sid, "user_id": uid, "org_id": org.id}
                )
            recorded_at = _at(min(day + rng.choice((0, 0, 0, 1, 2)) * DAY, as_of), 18, 30)
            batch.add(
                "session_record",
                {
                    "session_id": sid,
                    "org_id": org.id,
                    "notes": rng.choice(SESSION_NOTES),
                    "checklist": {item: rng.random() < 0.92 for item in DEFAULT_SESSION_CHECKLIST},
                    "recorded_by": present[0],
                    "recorded_at": recorded_at,
                    "updated_at": recorded_at,
                },
            )
            quality = rng.random()
            for activity_id in lesson.activities:
                roll = rng.random()
                if quality < 0.1:  # a difficult session
                    roll = roll * 1.3
                coverage = "delivered" if roll < 0.93 else "partial" if roll < 0.98 else "skipped"
                batch.add(
                    "coverage",
                    {
                        "org_id": org.id,
                        "session_id": sid,
                        "activity_id": activity_id,
                        "status": coverage,
                        "note": None,
                    },
                )
            age = (as_of - day).days
            for child in children:
                if day < child.start or (child.end is not None and day > child.end):
                    continue
                child_id = child.id
                note = None
                if rng.random() < child.attends:
                    mark = "late" if rng.random() < 0.06 else "present"
                elif rng.random() < 0.6:
                    mark = "absent"
                else:
                    mark, note = "excused", rng.choice(ABSENCE_NOTES)
                batch.add(
                    "attendance",
                    {
                        "org_id": org.id,
                        "session_id": sid,
                        "child_id": child_id,
                        "status": mark,
                        "note": note,
                    },
                )
                kind = "regular" if mark in ("present", "late") else "catch_up"
                match = matches.get(child_id)
                mentor_id = match.mentor_id if match and match.active_on(day) else None
                done = match.completion if match else 0.0
                for task_id in lesson.tasks:
                    roll = rng.random()
                    if mentor_id is None:
                        state = "open"
                    elif age > 7:
                        state = (
                            "completed"
                            if roll < done * 0.9
                            else ("practised" if roll < done else "open")
                        )
                    else:
                        state = "open" if roll < 0.6 else "practised" if roll < 0.9 else "completed"
                    updated = (
                        None
                        if state == "open"
                        else _at(min(day + rng.randint(1, 7) * DAY, as_of), 19)
                    )
                    batch.add(
                        "practice_assignment",
                        {
                            "org_id": org.id,
                            "session_id": sid,
                            "child_id": child_id,
                            "task_id": task_id,
                            "kind": kind,
                            "status": state,
                            "mentor_id": mentor_id,
                            "note": None,
                            "created_at": recorded_at,
                            "updated_at": updated,
                        },
                    )


def _batches(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


def seed_scale(
    engine: Engine,
    *,
    cohorts: int,
    seed: int = 1,
    organisations: int = 1,
    as_of: dt.date | None = None,
    password: str,
    progress: Callable[[int, int], None] | None = None,
) -> ScaleResult:
    """Add `organisations` organisations sharing `cohorts` cohorts, with everything a
    fidelity dashboard reads. `progress(cohorts_done, rows_written)` after each batch."""
    if cohorts < 1:
        raise ValueError("cohorts must be at least 1")
    if not 1 <= organisations <= cohorts:
        raise ValueError("organisations must be between 1 and the number of cohorts")
    started = time.perf_counter()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    postgres = engine.dialect.name == "postgresql"
    counts = dict.fromkeys(INSERT_ORDER, 0)

    def flush(conn: Connection, batch: _Batch) -> None:
        for name in INSERT_ORDER:
            rows = batch.rows[name]
            if rows:
                _write(conn, metadata.tables[name], rows)
                counts[name] += len(rows)
        if postgres:
            for name in ID_TABLES:
                if batch.rows[name]:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )

    with engine.begin() as conn:
        curriculum_id, weeks, lessons = _load_curriculum(conn)
        ids = _Ids(conn)
        names = _org_names(conn, cohorts, organisations)
        generator = _Generator(
            rng=rng,
            as_of=as_of,
            ids=ids,
            curriculum_id=curriculum_id,
            weeks=weeks,
            lessons=lessons,
            password_hash=hash_password(password),
            closed=_closed_days(REGION, as_of),
        )
        batch = _Batch()
        orgs = [generator.organisation(batch, name) for name in names]
        flush(conn, batch)

    positions = _stratified(rng, cohorts)
    done = 0
    if progress:
        progress(done, sum(counts.values()))
    for numbers in _batches(cohorts, COHORTS_PER_TRANSACTION):
        batch = _Batch()
        for number in numbers:
            generator.cohort(batch, orgs[number % organisations], number + 1, positions[number])
        with engine.begin() as conn:
            flush(conn, batch)
        done += len(numbers)
        if progress:
            progress(done, sum(counts.values()))

    with engine.begin() as conn:
        audit_rows = _Batch()
        for org in orgs:
            audit_rows.add(
                "audit_event",
                {
                    "org_id": org.id,
                    "actor_id": None,
                    "at": dt.datetime.now(dt.UTC),
                    "action": "seed_scale",
                    "entity": "organisation",
                    "entity_id": org.id,
                    "changes": {
                        "cohorts": org.cohorts,
                        "seed": seed,
                        "as_of": as_of.isoformat(),
                        "rows": dict(counts),
                    },
                    "request_id": None,
                },
            )
        flush(conn, audit_rows)
    # Fresh statistics for the planner, as after any bulk load: without them PostgreSQL
    # plans the dashboard's grouped joins for empty tables (minutes instead of a second).
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return ScaleResult(
        organisations=[(org.id, org.name) for org in orgs],
        lead_emails=[f"lead{org.lead_id}@scale{org.id}.tandem.example.org" for org in orgs],
        counts=counts,
        seconds=time.perf_counter() - started,
        as_of=as_of,
        cohorts=cohorts,
    )
