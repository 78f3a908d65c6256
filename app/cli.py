"""The `tandem` command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from app.config import get_settings
from app.db import WRITE_OPTION, InvalidDatabaseURL, create_db_engine, parse_database_url

app = typer.Typer(
    help="Tandem: run a skills group with mentoring, and prove it was delivered as designed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
curriculum_app = typer.Typer(help="Programme content in curriculum/.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to Tandem.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(curriculum_app, name="curriculum")

PROJECT_DIR = Path(__file__).resolve().parent.parent


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def database_errors() -> Iterator[None]:
    """One line, no traceback, for the database problems a user can fix."""
    try:
        yield
    except InvalidDatabaseURL as exc:
        raise fail(str(exc), code=2) from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"cannot use the database: {reason}", code=2) from None
    except SQLAlchemyError as exc:
        raise fail(f"database error: {type(exc).__name__}: {exc}".splitlines()[0]) from None


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    ini = Path.cwd() / "alembic.ini"
    if not ini.is_file():
        ini = PROJECT_DIR / "alembic.ini"
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "migrations"))
    config.attributes["database_url"] = database_url
    return config


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database named by TANDEM_DATABASE_URL to the latest schema."""
    from alembic import command

    url = get_settings().database_url
    with database_errors():
        parsed = parse_database_url(url)
        engine = create_db_engine(url)
        with engine.connect():  # fail early, in one line, when it cannot be reached
            pass
        engine.dispose()
        command.upgrade(alembic_config(url), revision)  # type: ignore[arg-type]
    typer.echo(f"database {parsed.render_as_string(hide_password=True)} is at {revision}")


def _print_problems(exc: Exception) -> None:
    from app.curriculum.source import CurriculumError

    assert isinstance(exc, CurriculumError)
    for problem in exc.problems:
        typer.echo(str(problem), err=True)
    count = len(exc.problems)
    typer.echo(f"{count} problem{'s' if count != 1 else ''}; nothing was loaded.", err=True)


@curriculum_app.command("validate")
def curriculum_validate(
    path: Annotated[Path, typer.Argument(help="A curriculum folder, or a folder of them.")],
) -> None:
    """Check curriculum files without touching the database."""
    from app.curriculum.source import CurriculumError, read_all

    try:
        sources, warnings = read_all(path)
    except CurriculumError as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    for warning in warnings:
        typer.echo(str(warning), err=True)
    for source in sources:
        typer.echo(f"{source.slug}: {len(source.weeks)} weeks, valid")


@curriculum_app.command("load")
def curriculum_load(
    path: Annotated[
        Path | None,
        typer.Argument(help="A curriculum folder, or a folder of them (default: curriculum/)."),
    ] = None,
) -> None:
    """Load curricula; changed content becomes a new version, unchanged content is left alone."""
    from app.curriculum.service import load_path
    from app.curriculum.source import CurriculumError

    settings = get_settings()
    target = path or settings.curriculum_path
    with database_errors():
        engine = create_db_engine(settings.database_url)
        try:
            with Session(engine) as db:
                results, warnings = load_path(db, target)
                db.commit()
        except CurriculumError as exc:
            _print_problems(exc)
            raise typer.Exit(1) from None
    for warning in warnings:
        typer.echo(str(warning), err=True)
    for result in results:
        state = "loaded as" if result.created else "unchanged, still"
        typer.echo(f"{result.slug}: {state} version {result.version}")


def _session() -> Session:
    """A writing session: on SQLite its transactions begin IMMEDIATE, so a command run
    beside a serving Tandem waits its turn to write instead of failing half-way."""
    settings = get_settings()
    return Session(
        create_db_engine(settings.database_url),
        expire_on_commit=False,
        execution_options={WRITE_OPTION: True},
    )


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Option(help="Their email address; they sign in with it.")],
    name: Annotated[str, typer.Option(help="Their full name.")],
    role: Annotated[str, typer.Option(help="admin, lead, facilitator or mentor.")],
    org: Annotated[str, typer.Option(help="Organisation name; created if it does not exist.")],
) -> None:
    """Add a user. The password comes from TANDEM_PASSWORD, or is asked for."""
    import os

    from app.auth.models import Role
    from app.auth.service import create_user, get_or_create_organisation
    from app.exceptions import DomainError

    try:
        chosen_role = Role(role)
    except ValueError:
        raise fail(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}", 2
        ) from None
    password = os.environ.get("TANDEM_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise fail("set TANDEM_PASSWORD, or run this in a terminal to be asked", 2)
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with database_errors(), _session() as db:
        try:
            organisation, created = get_or_create_organisation(db, org)
            user = create_user(
                db,
                actor=None,
                org_id=organisation.id or 0,
                email=email,
                name=name,
                role=chosen_role,
                password=password,
            )
            db.commit()
        except DomainError as exc:
            raise fail(exc.detail) from None
    if created:
        typer.echo(f"organisation {organisation.name!r} created")
    typer.echo(f"user {user.email} ({user.role.value}) added to {organisation.name!r}")


DEMO_ORG = "Tandem demo council"
DEMO_USERS = [
    ("admin@demo.tandem.example.org", "Ada Admin", "admin"),
    ("lead@demo.tandem.example.org", "Lena Lead", "lead"),
    ("facilitator1@demo.tandem.example.org", "Femi Facilitator", "facilitator"),
    ("facilitator2@demo.tandem.example.org", "Fiona Facilitator", "facilitator"),
    ("facilitator3@demo.tandem.example.org", "Priya Facilitator", "facilitator"),
    ("facilitator4@demo.tandem.example.org", "Kwame Facilitator", "facilitator"),
    ("facilitator5@demo.tandem.example.org", "Rosa Facilitator", "facilitator"),
    ("facilitator6@demo.tandem.example.org", "Dan Facilitator", "facilitator"),
    ("mentor1@demo.tandem.example.org", "Mo Mentor", "mentor"),
    ("mentor2@demo.tandem.example.org", "Maya Mentor", "mentor"),
    ("mentor3@demo.tandem.example.org", "Sam Mentor", "mentor"),
    ("mentor4@demo.tandem.example.org", "Tasha Mentor", "mentor"),
    ("mentor5@demo.tandem.example.org", "Jo Mentor", "mentor"),
    ("mentor6@demo.tandem.example.org", "Tom Mentor", "mentor"),
    ("mentor7@demo.tandem.example.org", "Aisha Mentor", "mentor"),
    ("mentor8@demo.tandem.example.org", "Gareth Mentor", "mentor"),
    ("mentor9@demo.tandem.example.org", "Nadia Mentor", "mentor"),
    ("mentor10@demo.tandem.example.org", "Leon Mentor", "mentor"),
    ("mentor11@demo.tandem.example.org", "Zara Mentor", "mentor"),
    ("mentor12@demo.tandem.example.org", "Owen Mentor", "mentor"),
    ("mentor13@demo.tandem.example.org", "Bea Mentor", "mentor"),
    ("mentor14@demo.tandem.example.org", "Ioana Mentor", "mentor"),
]
DEMO_NOTES = {
    "facilitator1@demo.tandem.example.org": "Monday group",
    "facilitator2@demo.tandem.example.org": "Monday group",
    "facilitator3@demo.tandem.example.org": "Wednesday group",
    "facilitator4@demo.tandem.example.org": "Wednesday group",
    "facilitator5@demo.tandem.example.org": "Thursday group",
    "facilitator6@demo.tandem.example.org": "Thursday group",
    "mentor3@demo.tandem.example.org": "DBS check runs out soon",
    "mentor4@demo.tandem.example.org": "one mentee, one match ended",
    "mentor5@demo.tandem.example.org": "newly trained, no mentees yet",
    "mentor6@demo.tandem.example.org": "not ready: references missing",
    "mentor12@demo.tandem.example.org": "no visit for two weeks",
    "mentor13@demo.tandem.example.org": "raised a safeguarding concern",
    "mentor14@demo.tandem.example.org": "one mentee, matched three weeks ago",
}


@app.command()
def demo(
    today: Annotated[
        str | None,
        typer.Option(hidden=True, help="Build the demo as if today were this date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Create (or refresh) a demo organisation and print its logins.

    The demo password is TANDEM_DEMO_PASSWORD if set, otherwise a new random one each run."""
    import os
    import secrets

    from sqlmodel import select

    from app.auth.models import Role, User
    from app.auth.security import hash_password
    from app.auth.service import create_user, get_or_create_organisation
    from app.clock import today_for

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise fail(f"--today {today!r} is not a date like 2026-11-26", 2) from None
    password = os.environ.get("TANDEM_DEMO_PASSWORD") or "-".join(
        secrets.token_hex(3) for _ in range(4)
    )
    with database_errors(), _session() as db:
        organisation, _ = get_or_create_organisation(db, DEMO_ORG)
        password_hash = None  # hashed once for everyone on a re-run: the demo stays fast
        for email, name, role in DEMO_USERS:
            user = db.exec(select(User).where(User.email == email)).first()
            if user is None:
                create_user(
                    db,
                    actor=None,
                    org_id=organisation.id or 0,
                    email=email,
                    name=name,
                    role=Role(role),
                    password=password,
                )
            elif user.org_id == organisation.id:
                password_hash = password_hash or hash_password(password)
                user.password_hash = password_hash
                user.active, user.failed_logins, user.locked_until = True, 0, None
                db.add(user)
        db.commit()
        lead = db.exec(select(User).where(User.email == DEMO_USERS[1][0])).one()
        day = as_of or today_for(db, lead)
        _demo_programme(db, organisation.id or 0, day)
        db.commit()
        _demo_mentoring(db, organisation.id or 0, day)
        db.commit()
        _demo_more_cohorts(db, organisation.id or 0, day)
        db.commit()
    typer.echo(f"Demo organisation: {DEMO_ORG}")
    typer.echo(f"Sign in at http://127.0.0.1:8000/login with any of these (password: {password})")
    for email, name, role in DEMO_USERS:
        note = f"  ({DEMO_NOTES[email]})" if email in DEMO_NOTES else ""
        typer.echo(f"  {role:<12} {email:<40} {name}{note}".rstrip())


# reference, first name, age in months on the cohort's first date, placement, gender,
# ethnicity, languages, interests, preferences (what the young person asked for)
DEMO_CHILDREN: list[tuple[str, str, int, str, str, str, list[str], list[str], dict[str, Any]]] = [
    ("DEMO-01", "Amira", 127, "foster", "female", "British Pakistani", ["English", "Urdu"],
     ["drawing", "baking", "animals"], {"mentor_gender": "female", "same_ethnicity": True}),
    ("DEMO-02", "Ben", 130, "kinship", "male", "White British", ["English"],
     ["football", "gaming", "lego"], {}),
    ("DEMO-03", "Chloe", 123, "residential", "female", "Mixed White and Black Caribbean",
     ["English"], ["dancing", "music", "drama"], {"mentor_gender": "female"}),
    ("DEMO-04", "Dev", 132, "foster", "male", "British Indian", ["English", "Punjabi"],
     ["cricket", "coding", "cycling"], {}),
    ("DEMO-05", "Ellie", 128, "kinship", "female", "White British", ["English"],
     ["swimming", "animals", "reading"], {}),
    ("DEMO-06", "Femi", 129, "foster", "male", "Black African", ["English", "Yoruba"],
     ["football", "music", "drawing"], {"mentor_gender": "male"}),
    ("DEMO-07", "Grace", 125, "other", "female", "Black Caribbean", ["English"],
     ["singing", "baking", "netball"], {"mentor_gender": "female"}),
    ("DEMO-08", "Hamza", 122, "foster", "male", "Somali", ["English", "Somali"],
     ["football", "basketball", "gaming"], {"mentor_gender": "male"}),
    ("DEMO-09", "Isla", 131, "kinship", "female", "White Polish", ["English", "Polish"],
     ["gymnastics", "drawing", "animals"], {"mentor_gender": "female", "languages": ["Polish"]}),
]  # fmt: skip


def _morning_of(day: dt.date) -> dt.datetime:
    """The start of a day in London: the demo plans visits from today's first hour."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo("Europe/London"))


def _evening_of(day: dt.date) -> dt.datetime:
    """The end of a day in London: the demo records only sessions dated before today."""
    return dt.datetime.combine(day, dt.time(23, 0), tzinfo=ZoneInfo("Europe/London"))


def _demo_programme(db: Session, org_id: int, today: dt.date) -> None:
    """A cohort that started this school year, with nine children; once only."""
    from sqlmodel import col, select

    from app.auth.models import User
    from app.children.schemas import ChildCreate
    from app.children.service import create_child
    from app.cohorts.models import Cohort
    from app.cohorts.schemas import CohortCreate, EnrolmentCreate
    from app.cohorts.service import create_cohort, enrol
    from app.curriculum.service import latest_curricula
    from app.mentoring.shared import add_months

    curricula = latest_curricula(db)
    lead = db.exec(select(User).where(User.email == DEMO_USERS[1][0])).first()
    if (
        not curricula
        or lead is None
        or db.exec(select(Cohort).where(Cohort.org_id == org_id)).first()
    ):
        return
    september = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    first_monday = september + dt.timedelta(days=(7 - september.weekday()) % 7)
    facilitators = db.exec(
        select(User.id)
        .where(User.org_id == org_id, col(User.email).in_([DEMO_USERS[2][0], DEMO_USERS[3][0]]))
        .order_by(User.email)
    ).all()
    cohort = create_cohort(
        db,
        actor=lead,
        data=CohortCreate(
            name="Monday group",
            curriculum_id=curricula[0].id or 0,
            start_date=first_monday,
            start_time=dt.time(16, 0),
            venue="Riverside community centre",
            facilitator_ids=[f or 0 for f in facilitators[:2]],
        ),
    )
    for ref, first_name, months, placement, gender, ethnicity, spoken, liked, wish in DEMO_CHILDREN:
        child = create_child(
            db,
            actor=lead,
            today=today,
            data=ChildCreate.model_validate(
                {
                    "reference": ref,
                    "first_name": first_name,
                    # Aged 9 to 11 on the first date, whichever school year this is.
                    "date_of_birth": add_months(first_monday, -months),
                    "placement_type": placement,
                    "gender": gender,
                    "ethnicity": ethnicity,
                    "languages": spoken,
                    "interests": liked,
                    "preferences": wish,
                    "consent_given_by": "Social worker",
                    "consent_given_on": min(first_monday - dt.timedelta(days=14), today),
                }
            ),
        )
        enrol(
            db,
            actor=lead,
            cohort_id=cohort.id or 0,
            today=today,
            data=EnrolmentCreate(
                child_id=child.id or 0,
                start_date=first_monday,
                eligibility_override=None,
            ),
        )


# email, gender, ethnicity, languages, interests, care experience, availability, about
DEMO_MENTORS: list[tuple[str, str, str, list[str], list[str], bool, str, str]] = [
    ("mentor1@demo.tandem.example.org", "male", "Black African", ["English", "Yoruba"],
     ["football", "music", "cooking", "gaming"], True, "Weekday evenings, Saturdays",
     "I grew up in foster care; now I coach an under-11s football team."),
    ("mentor2@demo.tandem.example.org", "female", "British Pakistani",
     ["English", "Urdu", "Punjabi"], ["drawing", "baking", "animals", "reading"], False,
     "Tuesday and Thursday after school", "Art teacher with two cats; I make very good flapjacks."),
    ("mentor3@demo.tandem.example.org", "male", "British Indian", ["English", "Punjabi"],
     ["cricket", "coding", "cycling", "science"], False, "Wednesdays, Sundays",
     "Software tester who plays cricket every summer weekend."),
    ("mentor4@demo.tandem.example.org", "female", "Black Caribbean", ["English"],
     ["dancing", "music", "singing", "netball"], True, "Fridays, Saturday mornings",
     "I was in care myself; I run a street-dance class for teenagers."),
    ("mentor5@demo.tandem.example.org", "female", "White Polish", ["English", "Polish"],
     ["gymnastics", "swimming", "animals", "drawing"], False, "Any day after 4pm",
     "Swimming instructor; I grew up in Gdańsk and have a very lazy dog."),
    ("mentor6@demo.tandem.example.org", "male", "White British", ["English"],
     ["football", "fishing", "lego"], False, "Weekends",
     "Retired postman; I build Lego cities with my grandchildren."),
]  # fmt: skip

# mentor, child, chosen by the young person, visit weekday (ISO), start, minutes
DEMO_MATCHES = [
    ("mentor1@demo.tandem.example.org", "DEMO-02", False, 3, "16:30", 120),
    ("mentor1@demo.tandem.example.org", "DEMO-06", True, 6, "10:00", 180),
    ("mentor2@demo.tandem.example.org", "DEMO-01", False, 2, "16:00", 150),
    ("mentor2@demo.tandem.example.org", "DEMO-05", False, 4, "16:30", 150),
    ("mentor3@demo.tandem.example.org", "DEMO-04", False, 3, "17:00", 120),
    ("mentor3@demo.tandem.example.org", "DEMO-08", False, 7, "11:00", 150),
    ("mentor4@demo.tandem.example.org", "DEMO-03", False, 5, "16:00", 150),
    ("mentor4@demo.tandem.example.org", "DEMO-07", False, 6, "10:30", 120),  # ends
]
DEMO_ENDED = "DEMO-07"
DEMO_MISSED = "DEMO-08"  # one visit missed
DEMO_OVERDUE = "DEMO-04"  # the lead's monthly check-in is overdue
DEMO_ABSENT = "DEMO-08"  # absent from the last two sessions
DEMO_VISIT_NOTES = [
    "Walked to the park and back; {name} talked about the group and we practised {task}.",
    "Hot chocolate at the library café. We went over {task} with the group's worksheet.",
    "Football in the park, then a quiet chat on the bench about {task}.",
    "Baked cookies with {name}'s carer's permission; practised {task} while they cooled.",
    "Went swimming. On the bus home {name} showed me {task} without being asked.",
    "Board games at the community centre; we used one round to practise {task}.",
]


def _demo_profile(
    db: Session,
    lead: Any,
    mentor: Any,
    about_them: tuple[Any, ...],
    *,
    today: dt.date,
    checked: dt.date,
    trained: dt.date,
    references: bool,
) -> None:
    """A demo mentor's profile: who they are, and their checks (interviewed three weeks
    before the DBS check)."""
    from app.mentoring.profiles import service as mentoring
    from app.mentoring.schemas import MentorCreate

    gender, ethnicity, spoken, liked, care, free, about = about_them
    mentoring.create_profile(
        db,
        actor=lead,
        today=today,
        data=MentorCreate(
            user_id=mentor.id or 0,
            dbs_checked_on=checked,
            gender=gender,
            ethnicity=ethnicity,
            languages=spoken,
            interests=liked,
            care_experience=care,
            availability=free,
            about=about,
            barred_list_checked=True,
            references_checked=references,
            interviewed_on=checked - dt.timedelta(days=21),
            training_completed_on=trained,
        ),
    )


def _demo_mentoring(db: Session, org_id: int, today: dt.date) -> None:
    """Mentors and their checks, matches, the group's past sessions recorded, visits planned
    and recorded, the lead's check-ins, and one ended match; once only, through the
    services (so every rule and the audit trail apply), from a fixed seed."""
    import random

    from sqlmodel import col, select

    from app.auth.models import Organisation, User
    from app.children.models import Child
    from app.cohorts.models import Cohort, GroupSession, SessionStatus
    from app.cohorts.service import closed_days
    from app.curriculum.models import PracticeTask
    from app.mentoring.matching import service as mentoring
    from app.mentoring.models import EndedBy, EndReason, MentorProfile, VisitStatus
    from app.mentoring.schemas import (
        CheckInCreate,
        MatchCreate,
        MatchEnd,
        VisitCreate,
        VisitPlanIn,
    )
    from app.mentoring.shared import add_years
    from app.mentoring.visits import planning
    from app.mentoring.visits import service as visits
    from app.sessions import service as sessions
    from app.sessions.models import AssignmentStatus, PracticeAssignment
    from app.sessions.schemas import RecordIn

    cohort = db.exec(select(Cohort).where(Cohort.org_id == org_id).order_by(col(Cohort.id))).first()
    users = {u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()}
    kids = {c.reference: c for c in db.exec(select(Child).where(Child.org_id == org_id)).all()}
    if (
        cohort is None
        or not all(ref in kids for ref, *_ in DEMO_CHILDREN)
        or db.exec(select(MentorProfile.user_id).where(MentorProfile.org_id == org_id)).first()
    ):
        return
    rng = random.Random(20260907)  # noqa: S311 (reproducible demo data, not a secret)
    org = db.get(Organisation, org_id)
    assert org is not None
    lead, facilitator = users[DEMO_USERS[1][0]], users[DEMO_USERS[2][0]]
    day = dt.timedelta(days=1)
    renewal = org.dbs_renewal_years

    # Mentors: five ready (one whose DBS check runs out in 40 days), one without references.
    for n, (email, gender, ethnicity, spoken, liked, care, free, about) in enumerate(DEMO_MENTORS):
        checked = today - 200 * day - 60 * n * day
        if email == "mentor3@demo.tandem.example.org":
            checked = add_years(today, -renewal) + 40 * day
        trained = today - 14 * day if email == "mentor5@demo.tandem.example.org" else checked
        _demo_profile(
            db,
            lead,
            users[email],
            (gender, ethnicity, spoken, liked, care, free, about),
            today=today,
            checked=checked,
            trained=trained,
            references=email != "mentor6@demo.tandem.example.org",
        )

    # Matches, from the group's second or third week (or today, before the group starts).
    all_sessions = list(
        db.exec(
            select(GroupSession)
            .where(GroupSession.cohort_id == cohort.id)
            .order_by(col(GroupSession.date), col(GroupSession.id))
        ).all()
    )
    live = [s for s in all_sessions if s.status != SessionStatus.cancelled]
    matches = {}
    for n, (email, ref, chosen, *_slot) in enumerate(DEMO_MATCHES):
        start = cohort.start_date + (8 + 7 * (n % 2)) * day
        start = min(max(start, today - 300 * day), today)
        matches[ref] = mentoring.create_match(
            db,
            actor=lead,
            today=today,
            data=MatchCreate(
                child_id=kids[ref].id or 0,
                mentor_id=users[email].id or 0,
                start_date=start,
                chosen_by_young_person=chosen,
            ),
        )

    # The group's past sessions, recorded as a facilitator would: a few absences, one
    # child away from the last two, one session with one facilitator.
    past = [s for s in live if s.status == SessionStatus.scheduled and s.date < today]
    facilitators = [facilitator.id or 0, users[DEMO_USERS[3][0]].id or 0]
    mondays = {ref for ref, *_ in DEMO_CHILDREN}
    roster = sorted((c for c in kids.values() if c.reference in mondays), key=lambda c: c.reference)
    for i, session in enumerate(past):
        lesson = sessions.lesson_of(db, session, cohort)
        attendance = []
        for child in roster:
            status = rng.choices(("present", "late", "absent", "excused"), (88, 5, 4, 3))[0]
            if child.reference == DEMO_ABSENT and i >= len(past) - 2:
                status = "absent"
            attendance.append({"child_id": child.id, "status": status})
        coverage = [
            {
                "activity_id": a.id,
                "status": "delivered" if a.core or rng.random() < 0.8 else "partial",
            }
            for a in lesson.activities
        ]
        sessions.record_session(
            db,
            actor=facilitator,
            session_id=session.id or 0,
            now=_evening_of(today),
            payload=RecordIn.model_validate(
                {
                    "version": session.version,
                    "facilitators_present": facilitators[:1] if i == 3 else facilitators,
                    "attendance": attendance,
                    "coverage": coverage,
                    "notes": "A settled group; the shared meal ran a little long."
                    if i % 4 == 1
                    else None,
                    "checklist": dict.fromkeys(org.session_checklist, True),
                }
            ),
        )

    # Each match's weekly visits so far, with the practice tasks worked on.
    tasks = {
        t.id: t.title
        for t in db.exec(
            select(PracticeTask).where(
                col(PracticeTask.id).in_(
                    select(PracticeAssignment.task_id).where(PracticeAssignment.org_id == org_id)
                )
            )
        ).all()
    }
    dates = {s.id: s.date for s in all_sessions}
    closed = closed_days(db, org=org, cohort_id=cohort.id)
    monday = today - today.weekday() * day
    for email, ref, _chosen, weekday, start_at, minutes in DEMO_MATCHES:
        match, mentor, child = matches[ref], users[email], kids[ref]
        until = today - 24 * day if ref == DEMO_ENDED else today - day
        until = max(until, match.start_date)
        own = sorted(
            db.exec(
                select(PracticeAssignment).where(PracticeAssignment.child_id == child.id)
            ).all(),
            key=lambda a: (dates[a.session_id], a.id),
        )
        state = {a.id: a.status for a in own}
        week = match.start_date - match.start_date.weekday() * day
        while week <= until:
            visit_day = week + (weekday - 1) * day
            week += 7 * day
            if not match.start_date <= visit_day <= until < today or visit_day in closed:
                continue
            if ref == DEMO_MISSED and visit_day + 14 * day >= monday > visit_day + 7 * day:
                visits.create_visit(
                    db,
                    actor=mentor,
                    now=_evening_of(today),
                    data=VisitCreate(
                        match_id=match.id or 0,
                        date=visit_day,
                        start_time=dt.time.fromisoformat(start_at),
                        duration_minutes=minutes,
                        status=VisitStatus.missed,
                        summary=f"{child.first_name} was at a family contact that ran late; "
                        "we doubled up on practice the week after.",
                    ),
                )
                continue
            due = [a for a in own if dates[a.session_id] < visit_day]
            latest = max((dates[a.session_id] for a in due), default=None)
            practised = [
                a.id or 0
                for a in due
                if dates[a.session_id] == latest and state[a.id] == AssignmentStatus.open
            ]
            completed = [
                a.id or 0
                for a in due
                if dates[a.session_id] != latest
                and state[a.id] != AssignmentStatus.completed
                and rng.random() < 0.85
            ]
            for a in practised:
                state[a] = AssignmentStatus.practised
            for a in completed:
                state[a] = AssignmentStatus.completed
            worked = [a for a in own if a.id in (practised or completed)]
            task = f"“{tasks[worked[0].task_id]}”" if worked else "what they want to work on"
            visits.create_visit(
                db,
                actor=mentor,
                now=_evening_of(today),
                data=VisitCreate(
                    match_id=match.id or 0,
                    date=visit_day,
                    start_time=dt.time.fromisoformat(start_at),
                    duration_minutes=minutes + rng.choice((-30, 0, 0, 0, 30)),
                    status=VisitStatus.completed,
                    summary=rng.choice(DEMO_VISIT_NOTES).format(name=child.first_name, task=task),
                    assignment_ids=practised,
                    completed_assignment_ids=completed,
                ),
            )

    # The lead's monthly check-ins (one match is overdue), and the match that ended.
    ended = matches[DEMO_ENDED]
    end_date = max(today - 23 * day, ended.start_date)
    for _email, ref, *_ in DEMO_MATCHES:
        match = matches[ref]
        on = match.start_date + 25 * day
        while on <= (end_date if ref == DEMO_ENDED else today - 2 * day):
            mentoring.add_check_in(
                db,
                actor=lead,
                match_id=match.id or 0,
                today=today,
                data=CheckInCreate(
                    date=on,
                    with_mentor=True,
                    with_child=rng.random() < 0.7,
                    with_carer=rng.random() < 0.5,
                    notes="Going well; the carer says visits are the highlight of the week.",
                ),
            )
            if ref in (DEMO_OVERDUE, DEMO_ENDED):
                break
            on += 30 * day
    mentoring.end_match(
        db,
        actor=lead,
        match_id=ended.id or 0,
        today=today,
        data=MatchEnd(
            end_date=end_date,
            reason=EndReason.child_moved,
            ended_by=EndedBy.social_worker,
            note="Grace moved to a foster home across the city, too far for weekly visits. "
            "Her social worker asked us to find a mentor nearer her new home.",
        ),
    )

    # Every active match gets its weekly slot, planned until the group's last session
    # (or for the next eight weeks, once the group is over).
    last = live[-1].date if live else today
    for email, ref, _chosen, weekday, start_at, minutes in DEMO_MATCHES:
        if ref == DEMO_ENDED:
            continue
        planning.plan_visits(
            db,
            actor=users[email],
            match_id=matches[ref].id or 0,
            now=_morning_of(today),
            data=VisitPlanIn.model_validate(
                {
                    "weekday": weekday,
                    "start_time": start_at,
                    "duration_minutes": minutes,
                    "until": None if last >= today + 7 * day else today + 56 * day,
                }
            ),
        )


# The two other groups. Wednesday started in the summer term and paused for the holidays
# (further through its 30 weeks); Thursday started after the October half-term, with seven
# children, one fewer than a group needs.
# name, weekday (Monday 0), first date (month, day) in the school year's calendar year,
# start, venue, facilitators
DEMO_COHORTS = [
    ("Wednesday group", 2, (4, 20), "16:00", "St Anne's church hall",
     ("facilitator3@demo.tandem.example.org", "facilitator4@demo.tandem.example.org")),
    ("Thursday group", 3, (10, 15), "16:15", "Northfield library",
     ("facilitator5@demo.tandem.example.org", "facilitator6@demo.tandem.example.org")),
]  # fmt: skip
DEMO_SUMMER = "Summer holidays"
# cohort, reference, first name, age in months on the cohort's first date, placement, gender,
# ethnicity, languages, interests, preferences
DEMO_MORE_CHILDREN: list[
    tuple[str, str, str, int, str, str, str, list[str], list[str], dict[str, Any]]
] = [
    ("Wednesday group", "DEMO-10", "Jayden", 124, "foster", "male", "Black Caribbean",
     ["English"], ["basketball", "music", "gaming"], {"mentor_gender": "male"}),
    ("Wednesday group", "DEMO-11", "Keira", 133, "kinship", "female", "White British",
     ["English"], ["horses", "drawing", "baking"], {}),
    ("Wednesday group", "DEMO-12", "Leo", 118, "foster", "male", "White British", ["English"],
     ["lego", "dinosaurs", "swimming"], {}),
    ("Wednesday group", "DEMO-13", "Maryam", 127, "foster", "female", "British Bangladeshi",
     ["English", "Bengali"], ["reading", "cooking", "drawing"], {"mentor_gender": "female"}),
    ("Wednesday group", "DEMO-14", "Noah", 121, "residential", "male",
     "Mixed White and Black African", ["English"], ["football", "drumming", "gaming"], {}),
    ("Wednesday group", "DEMO-15", "Olivia", 130, "foster", "female", "White Irish",
     ["English"], ["singing", "animals", "make-up"], {"mentor_gender": "female"}),
    ("Wednesday group", "DEMO-16", "Ravi", 126, "kinship", "male", "British Indian",
     ["English", "Gujarati"], ["cricket", "chess", "science"], {}),
    ("Wednesday group", "DEMO-17", "Sofia", 119, "foster", "female", "White Romanian",
     ["English", "Romanian"], ["gymnastics", "music", "animals"],
     {"mentor_gender": "female", "languages": ["Romanian"]}),
    ("Wednesday group", "DEMO-18", "Tyler", 135, "foster", "male", "White British",
     ["English"], ["bmx", "football", "fishing"], {}),
    ("Wednesday group", "DEMO-19", "Yasmin", 129, "kinship", "female", "British Pakistani",
     ["English", "Urdu"], ["netball", "baking", "crafts"], {"same_ethnicity": True}),
    ("Thursday group", "DEMO-20", "Aaliyah", 125, "foster", "female", "Black African",
     ["English", "Twi"], ["dancing", "hair braiding", "music"], {"mentor_gender": "female"}),
    ("Thursday group", "DEMO-21", "Daniel", 131, "residential", "male", "White British",
     ["English"], ["gaming", "skateboarding", "football"], {}),
    ("Thursday group", "DEMO-22", "Esme", 120, "kinship", "female", "White British",
     ["English"], ["animals", "reading", "swimming"], {}),
    ("Thursday group", "DEMO-23", "Kofi", 128, "foster", "male", "Black African",
     ["English", "Twi"], ["football", "drawing", "science"], {"mentor_gender": "male"}),
    ("Thursday group", "DEMO-24", "Lily", 122, "foster", "female", "Mixed White and Asian",
     ["English"], ["crafts", "singing", "cycling"], {}),
    ("Thursday group", "DEMO-25", "Mason", 134, "kinship", "male", "White British",
     ["English"], ["rugby", "lego", "cooking"], {}),
    ("Thursday group", "DEMO-26", "Zainab", 126, "foster", "female", "Somali",
     ["English", "Somali"], ["basketball", "drawing", "baking"], {"mentor_gender": "female"}),
]  # fmt: skip
DEMO_WITHDRAWN = "DEMO-18"  # moved placement out of the area after week 6
DEMO_LOW_DOSAGE = "DEMO-15"  # below the dosage threshold
# a few certain absences in the Thursday group (session index, child)
DEMO_AWAY = {(1, "DEMO-21"): "absent", (4, "DEMO-26"): "excused"}
DEMO_CANCELLED_WEEK = 20  # the Wednesday group's session cancelled (its lesson moves on)
DEMO_NO_VISITS = "DEMO-23"  # no completed visit in the last two full weeks
DEMO_CONCERN = "DEMO-20"  # the latest visit raised a safeguarding concern
DEMO_MORE_MENTORS: list[tuple[str, str, str, list[str], list[str], bool, str, str]] = [
    ("mentor7@demo.tandem.example.org", "female", "British Bangladeshi",
     ["English", "Bengali"], ["cooking", "reading", "drawing", "crafts"], False,
     "Weekday afternoons", "Primary teaching assistant; I make a mean dal and love comics."),
    ("mentor8@demo.tandem.example.org", "male", "White British", ["English"],
     ["football", "fishing", "bmx", "gaming"], True, "Evenings and Saturdays",
     "Care leaver, now a bus driver; I still ride my BMX at the skate park."),
    ("mentor9@demo.tandem.example.org", "female", "White Irish", ["English"],
     ["singing", "animals", "horses", "baking"], False, "Monday, Tuesday and Friday",
     "Veterinary nurse who sings in a community choir."),
    ("mentor10@demo.tandem.example.org", "male", "British Indian", ["English", "Gujarati"],
     ["cricket", "chess", "science", "basketball"], False, "After 4pm, Sundays",
     "Pharmacist and club cricketer; chess is my secret weapon."),
    ("mentor11@demo.tandem.example.org", "female", "Black African", ["English", "Twi"],
     ["dancing", "music", "hair braiding", "reading"], True, "Tuesdays, Saturdays",
     "I grew up in kinship care; I teach Afrobeats dance on Saturdays."),
    ("mentor12@demo.tandem.example.org", "male", "Black African", ["English", "Twi"],
     ["football", "drawing", "science", "rugby"], False, "Fridays, Sundays",
     "Engineering student and youth football referee."),
    ("mentor13@demo.tandem.example.org", "female", "Mixed White and Asian", ["English"],
     ["crafts", "cycling", "animals", "swimming"], False, "Monday and Wednesday evenings",
     "Librarian with two rescue greyhounds and too many craft supplies."),
    ("mentor14@demo.tandem.example.org", "female", "White Romanian", ["English", "Romanian"],
     ["gymnastics", "music", "animals", "baking"], False, "Weekdays after 5pm",
     "Physiotherapist from Cluj; I still do a cartwheel at every birthday party."),
]  # fmt: skip
# mentor, child, chosen by the young person, visit weekday (ISO), start, minutes
DEMO_MORE_MATCHES = [
    ("mentor7@demo.tandem.example.org", "DEMO-13", False, 2, "16:30", 150),
    ("mentor7@demo.tandem.example.org", "DEMO-19", False, 5, "16:00", 120),
    ("mentor8@demo.tandem.example.org", "DEMO-10", True, 6, "10:00", 180),
    ("mentor8@demo.tandem.example.org", "DEMO-14", False, 4, "17:00", 120),
    ("mentor9@demo.tandem.example.org", "DEMO-11", False, 1, "16:30", 150),
    ("mentor9@demo.tandem.example.org", "DEMO-15", False, 5, "16:30", 150),
    ("mentor10@demo.tandem.example.org", "DEMO-16", False, 7, "11:00", 150),
    ("mentor10@demo.tandem.example.org", "DEMO-12", False, 2, "17:00", 120),
    ("mentor11@demo.tandem.example.org", "DEMO-20", True, 6, "11:00", 150),
    ("mentor11@demo.tandem.example.org", "DEMO-22", False, 2, "16:30", 120),
    ("mentor12@demo.tandem.example.org", "DEMO-23", False, 5, "16:30", 150),
    ("mentor12@demo.tandem.example.org", "DEMO-21", False, 7, "13:00", 150),
    ("mentor13@demo.tandem.example.org", "DEMO-24", False, 1, "17:00", 150),
    ("mentor13@demo.tandem.example.org", "DEMO-26", False, 3, "17:30", 120),
    ("mentor14@demo.tandem.example.org", "DEMO-17", False, 2, "17:30", 150),
]
DEMO_RECENT = "DEMO-17"  # matched three weeks ago, once a Romanian-speaking mentor was found
DEMO_MISSED_NOTES = [
    "{name} was at a family contact that ran over; we rearranged for next week.",
    "{name} was unwell with a cold; I dropped off a comic instead.",
    "Nobody was home when I arrived; the carer had forgotten. Rebooked.",
]


def _demo_more_cohorts(db: Session, org_id: int, today: dt.date) -> None:
    """The Wednesday and Thursday groups, their children, mentors, matches, recorded
    sessions, visits, check-ins and plans, once only, through the services, from a fixed
    seed: with a cancelled session, a withdrawn child, a child below the dosage threshold,
    a session not recorded, a match with no visit for two weeks and a safeguarding concern."""
    import random

    from sqlmodel import col, select

    from app.auth.models import Organisation, User
    from app.children.schemas import ChildCreate
    from app.children.service import create_child
    from app.cohorts.models import Closure, Cohort, GroupSession, SessionStatus
    from app.cohorts.schemas import ClosureCreate, CohortCreate, EnrolmentCreate
    from app.cohorts.service import (
        cancel_session,
        closed_days,
        create_closure,
        create_cohort,
        enrol,
        withdraw,
    )
    from app.curriculum.models import PracticeTask
    from app.curriculum.service import latest_curricula
    from app.mentoring.matching import service as mentoring
    from app.mentoring.models import VisitStatus
    from app.mentoring.schemas import (
        CheckInCreate,
        MatchCreate,
        VisitCreate,
        VisitPlanIn,
    )
    from app.mentoring.shared import add_months
    from app.mentoring.visits import planning
    from app.mentoring.visits import service as visits
    from app.sessions import service as sessions
    from app.sessions.models import AssignmentStatus, PracticeAssignment
    from app.sessions.schemas import RecordIn

    curricula = latest_curricula(db)
    users = {u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()}
    names = [name for name, *_ in DEMO_COHORTS]
    if (
        not curricula
        or DEMO_USERS[1][0] not in users
        or db.exec(select(Cohort).where(Cohort.org_id == org_id).limit(1)).first() is None
        or db.exec(
            select(Cohort.id).where(Cohort.org_id == org_id, col(Cohort.name).in_(names))
        ).first()
    ):
        return
    rng = random.Random(20260909)  # noqa: S311 (reproducible demo data, not a secret)
    org = db.get(Organisation, org_id)
    assert org is not None
    lead = users[DEMO_USERS[1][0]]
    day = dt.timedelta(days=1)
    year = today.year if today.month >= 9 else today.year - 1

    # The summer holidays before this school year: the Wednesday group paused for them.
    summer = (dt.date(year, 7, 22), dt.date(year, 8, 31))
    if not db.exec(
        select(Closure.id).where(Closure.org_id == org_id, Closure.reason == DEMO_SUMMER)
    ).first():
        create_closure(
            db,
            actor=lead,
            data=ClosureCreate(date=summer[0], end_date=summer[1], reason=DEMO_SUMMER),
        )

    cohorts: dict[str, Cohort] = {}
    enrolments = {}
    kids = {}
    for name, weekday, (month, first_day), start_at, venue, leads in DEMO_COHORTS:
        first = dt.date(year, month, first_day)
        first += (weekday - first.weekday()) % 7 * day
        cohort = cohorts[name] = create_cohort(
            db,
            actor=lead,
            data=CohortCreate(
                name=name,
                curriculum_id=curricula[0].id or 0,
                start_date=first,
                start_time=dt.time.fromisoformat(start_at),
                venue=venue,
                facilitator_ids=[users[email].id or 0 for email in leads],
            ),
        )
        for (
            group,
            ref,
            first_name,
            months,
            placement,
            gender,
            ethnicity,
            spoken,
            liked,
            wish,
        ) in DEMO_MORE_CHILDREN:
            if group != name:
                continue
            child = kids[ref] = create_child(
                db,
                actor=lead,
                today=today,
                data=ChildCreate.model_validate(
                    {
                        "reference": ref,
                        "first_name": first_name,
                        "date_of_birth": add_months(first, -months),
                        "placement_type": placement,
                        "gender": gender,
                        "ethnicity": ethnicity,
                        "languages": spoken,
                        "interests": liked,
                        "preferences": wish,
                        "consent_given_by": "Social worker",
                        "consent_given_on": min(first - 14 * day, today),
                    }
                ),
            )
            enrolments[ref] = enrol(
                db,
                actor=lead,
                cohort_id=cohort.id or 0,
                today=today,
                data=EnrolmentCreate(
                    child_id=child.id or 0, start_date=first, eligibility_override=None
                ),
            )

    def sessions_of(cohort: Cohort) -> list[GroupSession]:
        return list(
            db.exec(
                select(GroupSession)
                .where(GroupSession.cohort_id == cohort.id)
                .order_by(col(GroupSession.date), col(GroupSession.id))
            ).all()
        )

    # One Wednesday session cancelled (its lesson moves on a week), and one child who moved
    # away after week 6.
    wednesday = cohorts[DEMO_COHORTS[0][0]]
    cancelled = next(s for s in sessions_of(wednesday) if s.week == DEMO_CANCELLED_WEEK)
    cancel_session(
        db,
        actor=lead,
        session_id=cancelled.id or 0,
        version=cancelled.version,
        reason="A burst pipe flooded the church hall; the lesson moved on a week.",
    )
    week6 = next(s for s in sessions_of(wednesday) if s.week == 6)
    if week6.date < today:
        withdraw(
            db,
            actor=lead,
            enrolment_id=enrolments[DEMO_WITHDRAWN].id or 0,
            date=week6.date + day,
            reason="Moved to a foster placement out of the area.",
        )

    # The new mentors: all ready.
    for n, (email, gender, ethnicity, spoken, liked, care, free, about) in enumerate(
        DEMO_MORE_MENTORS
    ):
        checked = today - 120 * day - 45 * n * day
        _demo_profile(
            db,
            lead,
            users[email],
            (gender, ethnicity, spoken, liked, care, free, about),
            today=today,
            checked=checked,
            trained=checked,
            references=True,
        )

    cohort_of = {ref: cohorts[group] for group, ref, *_ in DEMO_MORE_CHILDREN}
    matches = {}
    for n, (email, ref, chosen, *_slot) in enumerate(DEMO_MORE_MATCHES):
        start = cohort_of[ref].start_date + (8 + 7 * (n % 2)) * day
        if ref == DEMO_RECENT:
            start = max(start, today - 20 * day)
        start = min(max(start, today - 300 * day), today)
        matches[ref] = mentoring.create_match(
            db,
            actor=lead,
            today=today,
            data=MatchCreate(
                child_id=kids[ref].id or 0,
                mentor_id=users[email].id or 0,
                start_date=start,
                chosen_by_young_person=chosen,
            ),
        )

    # The past sessions, recorded by the groups' facilitators; the Thursday group's latest
    # one more than two days ago is not recorded yet.
    by_cohort = {name: sessions_of(cohort) for name, cohort in cohorts.items()}
    thursday = [
        s
        for s in by_cohort[DEMO_COHORTS[1][0]]
        if s.status == SessionStatus.scheduled and s.date < today - 2 * day
    ]
    unrecorded = thursday[-1].id if thursday else None
    for name, _weekday, _first, _start, _venue, leads in DEMO_COHORTS:
        cohort = cohorts[name]
        facilitators = [users[email] for email in leads]
        past = [
            s
            for s in by_cohort[name]
            if s.status == SessionStatus.scheduled and s.date < today and s.id != unrecorded
        ]
        for i, session in enumerate(past):
            lesson = sessions.lesson_of(db, session, cohort)
            attendance = []
            for child in sessions.expected_children(db, session):
                status = rng.choices(("present", "late", "absent", "excused"), (84, 5, 7, 4))[0]
                if child.reference == DEMO_LOW_DOSAGE:
                    status = rng.choices(("present", "absent", "excused"), (62, 30, 8))[0]
                elif (i, child.reference) in DEMO_AWAY:
                    status = DEMO_AWAY[i, child.reference]
                attendance.append({"child_id": child.id, "status": status})
            coverage = [
                {
                    "activity_id": a.id,
                    "status": rng.choices(("delivered", "partial", "skipped"), (95, 4, 1))[0]
                    if a.core
                    else rng.choices(("delivered", "partial", "skipped"), (75, 15, 10))[0],
                }
                for a in lesson.activities
            ]
            sessions.record_session(
                db,
                actor=facilitators[0],
                session_id=session.id or 0,
                now=_evening_of(today),
                payload=RecordIn.model_validate(
                    {
                        "version": session.version,
                        "facilitators_present": [f.id for f in facilitators],
                        "attendance": attendance,
                        "coverage": coverage,
                        "notes": "Good energy; the role-plays went well." if i % 5 == 2 else None,
                        "checklist": dict.fromkeys(org.session_checklist, True),
                    }
                ),
            )

    # Weekly visits so far: a few missed weeks, one match with no visit for the last two
    # full weeks (the mentor was ill), and a safeguarding concern at the latest visit.
    tasks = {
        t.id: t.title
        for t in db.exec(
            select(PracticeTask).where(
                col(PracticeTask.id).in_(
                    select(PracticeAssignment.task_id).where(PracticeAssignment.org_id == org_id)
                )
            )
        ).all()
    }
    dates = {s.id: s.date for rows in by_cohort.values() for s in rows}
    monday = today - today.weekday() * day
    for email, ref, _chosen, weekday, start_at, minutes in DEMO_MORE_MATCHES:
        match, mentor, child = matches[ref], users[email], kids[ref]
        bank_holidays = closed_days(db, org=org, cohort_id=None)
        own = sorted(
            db.exec(
                select(PracticeAssignment).where(PracticeAssignment.child_id == child.id)
            ).all(),
            key=lambda a: (dates[a.session_id], a.id),
        )
        state = {a.id: a.status for a in own}
        days = []
        week = match.start_date - match.start_date.weekday() * day
        while week < today:
            visit_day = week + (weekday - 1) * day
            week += 7 * day
            if match.start_date <= visit_day < today and not bank_holidays.reason(visit_day):
                days.append(visit_day)
        last_done = max((d for d in days if d < monday), default=None)
        for visit_day in days:
            base = {
                "match_id": match.id or 0,
                "date": visit_day,
                "start_time": dt.time.fromisoformat(start_at),
            }
            if ref == DEMO_NO_VISITS and monday - 14 * day <= visit_day:
                visits.create_visit(
                    db,
                    actor=mentor,
                    now=_evening_of(today),
                    data=VisitCreate(
                        **base,
                        duration_minutes=minutes,
                        status=VisitStatus.cancelled,
                        summary="I was off sick; the lead is looking for cover.",
                    ),
                )
                continue
            concern = ref == DEMO_CONCERN and visit_day == last_done
            if not concern and rng.random() < 0.07:
                visits.create_visit(
                    db,
                    actor=mentor,
                    now=_evening_of(today),
                    data=VisitCreate(
                        **base,
                        duration_minutes=minutes,
                        status=VisitStatus.missed,
                        summary=rng.choice(DEMO_MISSED_NOTES).format(name=child.first_name),
                    ),
                )
                continue
            due = [a for a in own if dates[a.session_id] < visit_day]
            latest = max((dates[a.session_id] for a in due), default=None)
            practised = [
                a.id or 0
                for a in due
                if dates[a.session_id] == latest and state[a.id] == AssignmentStatus.open
            ]
            completed = [
                a.id or 0
                for a in due
                if dates[a.session_id] != latest
                and state[a.id] != AssignmentStatus.completed
                and rng.random() < 0.85
            ][:40]  # a match that starts late catches up on the earliest ones first
            for a in practised:
                state[a] = AssignmentStatus.practised
            for a in completed:
                state[a] = AssignmentStatus.completed
            worked = [a for a in own if a.id in (practised or completed)]
            task = f"“{tasks[worked[0].task_id]}”" if worked else "what they want to work on"
            visits.create_visit(
                db,
                actor=mentor,
                now=_evening_of(today),
                data=VisitCreate(
                    **base,
                    duration_minutes=minutes + rng.choice((-30, 0, 0, 0, 30)),
                    status=VisitStatus.completed,
                    summary=(
                        f"{child.first_name} told me an older boy at school has been taking her"
                        " lunch money and said not to tell anyone. I reassured her, told her"
                        " carer, and raised it for the lead today."
                    )
                    if concern
                    else rng.choice(DEMO_VISIT_NOTES).format(name=child.first_name, task=task),
                    assignment_ids=practised,
                    completed_assignment_ids=completed,
                    safeguarding_concern=concern,
                ),
            )

    # The lead's monthly check-ins, and each match's weekly slot planned ahead.
    for email, ref, _chosen, weekday, start_at, minutes in DEMO_MORE_MATCHES:
        match = matches[ref]
        on = match.start_date + 25 * day
        while on <= today - 2 * day:
            mentoring.add_check_in(
                db,
                actor=lead,
                match_id=match.id or 0,
                today=today,
                data=CheckInCreate(
                    date=on,
                    with_mentor=True,
                    with_child=rng.random() < 0.7,
                    with_carer=rng.random() < 0.5,
                    notes="Settled match; the carer says the visits are a good routine.",
                ),
            )
            on += 30 * day
        live = [s for s in by_cohort[cohort_of[ref].name] if s.status != SessionStatus.cancelled]
        last = live[-1].date if live else today
        planning.plan_visits(
            db,
            actor=users[email],
            match_id=match.id or 0,
            now=_morning_of(today),
            data=VisitPlanIn.model_validate(
                {
                    "weekday": weekday,
                    "start_time": start_at,
                    "duration_minutes": minutes,
                    "until": None if last >= today + 7 * day else today + 56 * day,
                }
            ),
        )


@app.command("seed-scale")
def seed_scale(
    cohorts: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many cohorts (about 10 children each).")
    ],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    organisations: Annotated[
        int, typer.Option(min=1, help="Organisations sharing the cohorts (round robin).")
    ] = 1,
    as_of: Annotated[
        str | None,
        typer.Option(help="Build the data as if today were this date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Add a synthetic national-scale data set for benchmarks: one organisation
    "Scale test N" (or several) with N cohorts, their sessions, registers and mentoring.

    Users' password is TANDEM_SCALE_PASSWORD if set, otherwise a new random one (printed)."""
    import os
    import secrets

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from app.seed import NoCurriculum
    from app.seed import seed_scale as build

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of {as_of!r} is not a date like 2026-11-26", 2) from None
    if organisations > cohorts:
        raise fail("--organisations cannot be more than --cohorts", 2)
    if day is None:
        day = dt.datetime.now(ZoneInfo("Europe/London")).date()
    password = os.environ.get("TANDEM_SCALE_PASSWORD") or "-".join(
        secrets.token_hex(3) for _ in range(4)
    )
    progress = Progress(
        TextColumn("[bold]cohorts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("seed", total=cohorts, rows=0)

    def report(done: int, rows: int) -> None:
        progress.start()  # on the first report: after the checks, so an error stands alone
        progress.update(task, completed=done, rows=rows)

    with database_errors():
        engine = create_db_engine(get_settings().database_url)
        try:
            result = build(
                engine,
                cohorts=cohorts,
                seed=seed,
                organisations=organisations,
                as_of=day,
                password=password,
                progress=report,
            )
        except NoCurriculum as exc:
            raise fail(str(exc)) from None
        finally:
            progress.stop()
            engine.dispose()
    names = ", ".join(f"{name!r}" for _id, name in result.organisations)
    typer.echo(f"Added {names}: {result.cohorts} cohorts as of {result.as_of.isoformat()}")
    width = max(len(name) for name in result.counts)
    for name, count in result.counts.items():
        typer.echo(f"  {name:<{width}} {count:>10,}")
    typer.echo(f"  {'total':<{width}} {result.rows:>10,} rows in {result.seconds:.1f} s")
    typer.echo(f"Sign in as {', '.join(result.lead_emails)} (password: {password})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web application and API with uvicorn."""
    import uvicorn

    settings = get_settings()
    with database_errors():
        parse_database_url(settings.database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        access_log=False,
        proxy_headers=True,
        log_config=None,
    )


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as exc:  # a TANDEM_* setting that does not parse
        for error in exc.errors(include_url=False):
            name = "TANDEM_" + "_".join(str(part) for part in error["loc"]).upper()
            typer.echo(f"error: setting {name}: {error['msg']}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
