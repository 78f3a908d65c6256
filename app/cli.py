"""The `tandem` command.

Each command imports what it uses when it runs (the only function-level imports in app/, on
purpose): `tandem --help`, `tandem db upgrade` and the `tandem` subprocesses the tests start
pay for their own modules only, about a second each, where importing every domain up front
would double it."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
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
outcomes_app = typer.Typer(help="Outcome measures in outcomes/.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(curriculum_app, name="curriculum")
app.add_typer(outcomes_app, name="outcomes")

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"tandem {version('tandem')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("tandem (not installed)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Tandem: run a skills group with mentoring, and prove it was delivered as designed."""


def sign_in_url() -> str:
    """Where people sign in: TANDEM_BASE_URL when it is set (the address people use, behind
    a proxy), otherwise the host and port `tandem serve` listens on (this machine's address
    for one that listens on every interface)."""
    settings = get_settings()
    if "base_url" in settings.model_fields_set:
        return f"{settings.base_url.rstrip('/')}/login"
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/login"


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


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the latest this code knows
    (exit 1 when it is behind or unknown: run `tandem db upgrade`)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = get_settings().database_url
    with database_errors():
        parsed = parse_database_url(url)
        engine = create_db_engine(url)
        try:
            with engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_heads()
        finally:
            engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()  # type: ignore[arg-type]
    where = parsed.render_as_string(hide_password=True)
    if not current:
        raise fail(f"database {where} has no schema yet: run `tandem db upgrade`")
    at = ", ".join(current)
    if tuple(current) != (head,):
        raise fail(f"database {where} is at {at}; the latest is {head}: run `tandem db upgrade`")
    typer.echo(f"database {where} is at {at} (the latest)")


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


def _print_measure_problems(exc: Exception) -> None:
    from app.outcomes.measures.source import MeasureError

    assert isinstance(exc, MeasureError)
    for problem in exc.problems:
        typer.echo(str(problem), err=True)
    count = len(exc.problems)
    typer.echo(f"{count} problem{'s' if count != 1 else ''}; nothing was loaded.", err=True)


@outcomes_app.command("validate")
def outcomes_validate(
    path: Annotated[Path, typer.Argument(help="A measure file, or a folder of them.")],
) -> None:
    """Check measure files without touching the database."""
    from app.outcomes.measures.source import MeasureError, read_all

    try:
        measures = read_all(path)
    except MeasureError as exc:
        _print_measure_problems(exc)
        raise typer.Exit(1) from None
    for measure in measures:
        typer.echo(f"{measure.key}: {len(measure.scales)} scales, valid")


@outcomes_app.command("load")
def outcomes_load(
    path: Annotated[
        Path | None,
        typer.Argument(help="A measure file, or a folder of them (default: outcomes/)."),
    ] = None,
) -> None:
    """Load measures; changed content becomes a new version, unchanged content is left alone."""
    from app.outcomes.measures.service import load_path
    from app.outcomes.measures.source import MeasureError

    settings = get_settings()
    target = path or Path("outcomes")
    with database_errors():
        engine = create_db_engine(settings.database_url)
        try:
            with Session(engine) as db:
                results = load_path(db, target)
                db.commit()
        except MeasureError as exc:
            _print_measure_problems(exc)
            raise typer.Exit(1) from None
    for result in results:
        state = "loaded as" if result.created else "unchanged, still"
        typer.echo(f"{result.key}: {state} version {result.version}")


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
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password",
            help="Add them without a password (nobody can sign in as them until "
            "`tandem users set-password` or an admin's invitation sets one).",
        ),
    ] = False,
) -> None:
    """Add a user. The password comes from TANDEM_PASSWORD, or is asked for (or, with
    --no-password, is set later by `tandem users set-password`)."""
    import os

    from app.auth.models import Role
    from app.auth.service import create_user, get_or_create_organisation
    from app.exceptions import DomainError
    from app.programmes import service as _programmes  # noqa: F401  (its hook: a new org's programme)

    try:
        chosen_role = Role(role)
    except ValueError:
        raise fail(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}", 2
        ) from None
    password = None if no_password else os.environ.get("TANDEM_PASSWORD")
    if password is None and not no_password:
        if not sys.stdin.isatty():
            raise fail(
                "set TANDEM_PASSWORD, run this in a terminal to be asked, or use --no-password",
                2,
            )
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
    if no_password:
        typer.echo(f"no password yet: set one with `tandem users set-password {user.email}`")


@users_app.command("list")
def users_list(
    org: Annotated[
        str | None, typer.Option(help="Only this organisation's people (its exact name).")
    ] = None,
) -> None:
    """Everyone who can sign in, one a line: organisation, role, email, name, and whether
    the account is active. No passwords, tokens or children's data."""
    from sqlalchemy import select

    from app.auth.models import Organisation, User

    o = Organisation.__table__.c  # type: ignore[attr-defined]
    u = User.__table__.c  # type: ignore[attr-defined]
    with database_errors(), _session() as db:
        query = (
            select(o.name, u.role, u.email, u.name, u.active)
            .join(Organisation.__table__, o.id == u.org_id)  # type: ignore[attr-defined]
            .order_by(o.name, u.role, u.email)
        )
        if org is not None:
            query = query.where(o.name == org)
        rows = db.execute(query).all()
    if org is not None and not rows:
        raise fail(f"no organisation called {org!r} (or it has nobody yet)")
    for org_name, role, email, name, active in rows:
        state = "" if active else "  (deactivated)"
        typer.echo(f"{org_name}\t{role}\t{email}\t{name}{state}")


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument(help="The email address they sign in with.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
) -> None:
    """Set a user's password (the first admin's of a new installation, or anyone's who is
    locked out with no admin to help). Ends their sessions and API tokens, clears a lock,
    and is audited with no actor. Asked for twice, hidden, unless --password-stdin."""
    from app.auth.links import set_password_from_command
    from app.exceptions import DomainError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        raise fail("use --password-stdin, or run this in a terminal to be asked", 2)
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with database_errors(), _session() as db:
        try:
            user = set_password_from_command(db, email=email, password=password)
            db.commit()
        except DomainError as exc:
            raise fail(exc.detail) from None
    typer.echo(f"password set for {user.email}; their sessions and API tokens have ended")


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

    from app.demo.loader import load_demo
    from app.demo.story import DEMO_NOTES, DEMO_ORG, DEMO_USERS

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise fail(f"--today {today!r} is not a date like 2026-11-26", 2) from None
    password = os.environ.get("TANDEM_DEMO_PASSWORD") or "-".join(
        secrets.token_hex(3) for _ in range(4)
    )
    with database_errors(), _session() as db:
        load_demo(db, password=password, today=as_of)
    typer.echo(f"Demo organisation: {DEMO_ORG}")
    typer.echo(f"Sign in at {sign_in_url()} with any of these (password: {password})")
    for email, name, role in DEMO_USERS:
        note = f"  ({DEMO_NOTES[email]})" if email in DEMO_NOTES else ""
        typer.echo(f"  {role:<12} {email:<40} {name}{note}".rstrip())


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

    from app.demo.scale import NoCurriculum
    from app.demo.scale import seed_scale as build

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
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Send email (and run reminders) in each server process; --no-worker when "
            "`tandem worker` runs apart.",
        ),
    ] = True,
) -> None:
    """Serve the web application and API with uvicorn."""
    import os

    import uvicorn

    from app.config import production_problems
    from app.notify.worker import SERVE_WORKER_ENV

    settings = get_settings()
    with database_errors():
        parse_database_url(settings.database_url)
    problems = production_problems(settings)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise fail("not starting: TANDEM_ENVIRONMENT is production", 2)
    # Only the proxies named are believed about the client's address (the sign-in lockout
    # and the audit read it); uvicorn would otherwise believe any local client.
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    # Read by the app's lifespan in every server process uvicorn starts.
    os.environ[SERVE_WORKER_ENV] = "1" if worker else "0"
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_config=None,
    )


retention_app = typer.Typer(
    help="Retention: anonymise children's records past the retention period.",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would be anonymised; change nothing.")
    ] = False,
    org: Annotated[str | None, typer.Option(help="This organisation only (its name).")] = None,
    today: Annotated[
        str | None,
        typer.Option(hidden=True, help="Run as if today were this date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Anonymise every child (and ended mentor or deactivated account) past the retention
    period today, unless on legal hold; the worker runs it daily. --dry-run lists each one
    with their last involvement, and changes nothing."""
    from app.records import retention

    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise fail(f"--today {today!r} is not a date like 2026-11-26", 2) from None
    with database_errors(), _session() as db:
        outcomes = retention.run(
            db, now=dt.datetime.now(dt.UTC), day=day, dry_run=dry_run, org_name=org
        )
        if dry_run:
            db.rollback()
        else:
            db.commit()
    if org is not None and not outcomes:
        raise fail(f"there is no organisation {org!r}")
    for outcome in outcomes:
        verb = "would anonymise" if dry_run else "anonymised"
        typer.echo(
            f"{outcome.org_name}: {verb} {len(outcome.children)} children and"
            f" {len(outcome.users)} people (kept {outcome.years} years after the last"
            f" involvement; today {outcome.day.isoformat()})"
        )
        if dry_run:
            for due in outcome.children:
                typer.echo(
                    f"  child {due.reference}: last involvement {due.last_involvement.isoformat()},"
                    f" kept until {due.kept_until.isoformat()}, not on legal hold"
                )
            for user in outcome.users:
                why = "deactivated" if not user.active else "mentor with no active match"
                typer.echo(
                    f"  person {user.user_id} ({user.role}): {why}, no activity in"
                    f" {outcome.years} years"
                )


@app.command("worker")
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="One round (send what is due), then exit: for cron.")
    ] = False,
) -> None:
    """Send queued email, with retries, every TANDEM_WORKER_POLL_SECONDS until stopped
    (SIGTERM or Ctrl-C). Without TANDEM_SMTP_HOST, mail is written to TANDEM_MAIL_DIR."""
    from app.notify.worker import Worker

    settings = get_settings()
    with database_errors():
        engine = create_db_engine(settings.database_url)
        with engine.connect():  # fail early, in one line, when it cannot be reached
            pass
        try:
            Worker(engine=engine).run(once=once)
        finally:
            engine.dispose()


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as exc:  # a TANDEM_* setting that does not parse
        for error in exc.errors(include_url=False):
            name = "_".join(str(part) for part in error["loc"]).upper()
            if name != "PORT" and not name.startswith("TANDEM_"):  # an alias names itself
                name = f"TANDEM_{name}"
            typer.echo(f"error: setting {name}: {error['msg']}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
