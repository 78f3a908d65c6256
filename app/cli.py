"""The `tandem` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

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
]


@app.command()
def demo() -> None:
    """Create (or refresh) a demo organisation and print its logins.

    The demo password is TANDEM_DEMO_PASSWORD if set, otherwise a new random one each run."""
    import os
    import secrets

    from sqlmodel import select

    from app.auth.models import Role, User
    from app.auth.security import hash_password
    from app.auth.service import create_user, get_or_create_organisation

    password = os.environ.get("TANDEM_DEMO_PASSWORD") or "-".join(
        secrets.token_hex(3) for _ in range(4)
    )
    with database_errors(), _session() as db:
        organisation, _ = get_or_create_organisation(db, DEMO_ORG)
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
                user.password_hash = hash_password(password)
                user.active, user.failed_logins, user.locked_until = True, 0, None
                db.add(user)
        db.commit()
        _demo_programme(db, organisation.id or 0)
        db.commit()
    typer.echo(f"Demo organisation: {DEMO_ORG}")
    typer.echo(f"Sign in at http://127.0.0.1:8000/login with any of these (password: {password})")
    for email, name, role in DEMO_USERS:
        typer.echo(f"  {role:<12} {email:<40} {name}")


DEMO_CHILDREN = [
    ("DEMO-01", "Amira", "2016-02-11", "foster"),
    ("DEMO-02", "Ben", "2015-11-30", "kinship"),
    ("DEMO-03", "Chloe", "2016-06-02", "residential"),
    ("DEMO-04", "Dev", "2015-09-19", "foster"),
    ("DEMO-05", "Ellie", "2016-01-25", "kinship"),
    ("DEMO-06", "Femi", "2015-12-08", "foster"),
    ("DEMO-07", "Grace", "2016-04-14", "other"),
    ("DEMO-08", "Hamza", "2016-07-21", "foster"),
    ("DEMO-09", "Isla", "2015-10-03", "kinship"),
]


def _demo_programme(db: Session, org_id: int) -> None:
    """A cohort that started this school year, with nine children; once only."""
    import datetime as dt

    from sqlmodel import select

    from app.auth.models import User
    from app.children.schemas import ChildCreate
    from app.children.service import create_child
    from app.clock import today_for
    from app.cohorts.models import Cohort
    from app.cohorts.schemas import CohortCreate, EnrolmentCreate
    from app.cohorts.service import create_cohort, enrol
    from app.curriculum.service import latest_curricula

    curricula = latest_curricula(db)
    lead = db.exec(select(User).where(User.email == DEMO_USERS[1][0])).first()
    if (
        not curricula
        or lead is None
        or db.exec(select(Cohort).where(Cohort.org_id == org_id)).first()
    ):
        return
    today = today_for(db, lead)
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
    for reference, first_name, born, placement in DEMO_CHILDREN:
        child = create_child(
            db,
            actor=lead,
            today=today,
            data=ChildCreate(
                reference=reference,
                first_name=first_name,
                date_of_birth=dt.date.fromisoformat(born),
                placement_type=placement,
                consent_given_by="Social worker",
                consent_given_on=first_monday,
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
