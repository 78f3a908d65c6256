"""The `tandem` command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from app.config import get_settings
from app.db import InvalidDatabaseURL, create_db_engine, parse_database_url

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
    settings = get_settings()
    return Session(create_db_engine(settings.database_url), expire_on_commit=False)


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
    ("mentor1@demo.tandem.example.org", "Mo Mentor", "mentor"),
    ("mentor2@demo.tandem.example.org", "Maya Mentor", "mentor"),
    ("mentor3@demo.tandem.example.org", "Sam Mentor", "mentor"),
    ("mentor4@demo.tandem.example.org", "Tasha Mentor", "mentor"),
    ("mentor5@demo.tandem.example.org", "Jo Mentor", "mentor"),
    ("mentor6@demo.tandem.example.org", "Tom Mentor", "mentor"),
]
DEMO_NOTES = {
    "mentor3@demo.tandem.example.org": "DBS check runs out soon",
    "mentor4@demo.tandem.example.org": "one mentee, one match ended",
    "mentor5@demo.tandem.example.org": "newly trained, no mentees yet",
    "mentor6@demo.tandem.example.org": "not ready: references missing",
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


def _demo_programme(db: Session, org_id: int, today: dt.date) -> None:
    """A cohort that started this school year, with nine children; once only."""
    from sqlmodel import select

    from app.auth.models import User
    from app.children.schemas import ChildCreate
    from app.children.service import create_child
    from app.cohorts.models import Cohort
    from app.cohorts.schemas import CohortCreate, EnrolmentCreate
    from app.cohorts.service import create_cohort, enrol
    from app.curriculum.service import latest_curricula
    from app.mentoring.service import add_months

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
        .where(User.org_id == org_id, User.role == "facilitator")
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
    from app.mentoring import service as mentoring
    from app.mentoring import visits
    from app.mentoring.models import EndedBy, EndReason, MentorProfile, VisitStatus
    from app.mentoring.schemas import (
        CheckInCreate,
        MatchCreate,
        MatchEnd,
        MentorCreate,
        VisitCreate,
        VisitPlanIn,
    )
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
            checked = mentoring.add_years(today, -renewal) + 40 * day
        trained = today - 14 * day if email == "mentor5@demo.tandem.example.org" else checked
        mentoring.create_profile(
            db,
            actor=lead,
            today=today,
            data=MentorCreate(
                user_id=users[email].id or 0,
                dbs_checked_on=checked,
                gender=gender,
                ethnicity=ethnicity,
                languages=spoken,
                interests=liked,
                care_experience=care,
                availability=free,
                about=about,
                barred_list_checked=True,
                references_checked=email != "mentor6@demo.tandem.example.org",
                interviewed_on=checked - 21 * day,
                training_completed_on=trained,
            ),
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
    roster = sorted(kids.values(), key=lambda c: c.reference)
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
            today=today,
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
                    today=today,
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
                today=today,
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
        visits.plan_visits(
            db,
            actor=users[email],
            match_id=matches[ref].id or 0,
            today=today,
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
        from zoneinfo import ZoneInfo

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
