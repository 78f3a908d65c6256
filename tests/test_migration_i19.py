"""Issue 19's migration on a copy of the demo: the figures are the same before and after it,
each worked out by the code of its own era.

The code of before (commit PRE_I19, the last one before issue 19) comes out of git into a
folder of its own; in a subprocess with that folder first on PYTHONPATH (and this venv), it
migrates a new database to its own head, builds `tandem demo` as of DAY and writes the
figures to JSON: the fidelity report of the organisation and of each cohort, two mentors'
weeks, the outcomes report and evaluation.csv. This checkout's code then runs `alembic
upgrade head` on that same database and writes the same figures with the same script. They
must be equal, leaving out only fields the new code added (issue 19 adds, never changes).

It needs git and the commit (any clone of main has it; a shallow clone does not)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.db import create_db_engine
from app.mentoring.models import Match, MentorVisit
from app.programmes.models import FHF_PT_NAME, Programme
from tests.support.databases import ROOT, DatabaseFactory, alembic_config_for

PRE_I19 = "69db7a8"
DAY = "2027-03-10"
SOURCES = ("app", "migrations", "alembic.ini", "curriculum", "outcomes")
MENTORS = ("mentor1@demo.tandem.example.org", "mentor12@demo.tandem.example.org")

# Run by both eras' code: only what both have (their services, the mentor week's API shape).
FIGURES = """
import datetime as dt
import io
import json
import sys

from sqlmodel import Session, col, select

import app.models  # noqa: F401  (every table registered)
from app.auth.models import User
from app.cohorts.models import Cohort
from app.db import create_db_engine
from app.fidelity import summary
from app.mentoring.api import week_public
from app.mentoring.week import service as weeks
from app.outcomes.evaluation import service as evaluation
from app.outcomes.report import service as report

url, day, out, mentors = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3], sys.argv[4:]
engine = create_db_engine(url)
with Session(engine) as db:
    users = {u.email: u for u in db.exec(select(User))}
    lead = users["lead@demo.tandem.example.org"]
    cohorts = db.exec(select(Cohort.id, Cohort.name).order_by(col(Cohort.id))).all()
    figures = {
        "app": app.models.__file__,
        "fidelity": summary.fidelity(db, actor=lead, as_of=day).model_dump(mode="json"),
        "cohorts": {
            name: summary.fidelity(db, actor=lead, as_of=day, cohort_id=cohort_id).model_dump(
                mode="json"
            )
            for cohort_id, name in cohorts
        },
        "weeks": {
            email: week_public(
                weeks.mentor_week(db, actor=users[email], day=day), today=day
            ).model_dump(mode="json")
            for email in mentors
        },
        "outcomes": report.outcomes(db, actor=lead, as_of=day).model_dump(mode="json"),
        "evaluation_csv": evaluation.evaluation_csv(db, actor=lead, as_of=day).splitlines(),
    }
    db.rollback()
engine.dispose()
with open(out, "w") as f:
    json.dump(figures, f, sort_keys=True)
"""


def _run(code: Path, *args: str, url: str) -> None:
    """`python ARGS` with `code` first on the path (and as the working directory, where the
    CLI finds alembic.ini, curriculum/ and outcomes/)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "TANDEM_DATABASE_URL": url,
        "TANDEM_DEMO_PASSWORD": "migration test",
    }
    done = subprocess.run(
        [sys.executable, *args], cwd=code, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _tandem(code: Path, *args: str, url: str) -> None:
    _run(code, "-c", "from app.cli import main; main()", *args, url=url)


def _old_code(into: Path) -> Path:
    git = shutil.which("git")
    if git is None:
        pytest.fail("git is needed to take the code from before issue 19 (CI runs in a clone)")
    found = subprocess.run(
        [git, "-C", str(ROOT), "cat-file", "-e", f"{PRE_I19}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(f"commit {PRE_I19} is not in this clone (a shallow clone? fetch it)")
    into.mkdir()
    archive = subprocess.run(
        [git, "-C", str(ROOT), "archive", PRE_I19, *SOURCES],
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


# Flag kinds issue 19 added (a match that ended before its programme's expected length): the
# new code raises them over the same rows, so they are left out of the comparison, and
# nothing else may differ.
NEW_FLAG_KINDS = {"match_ended_early"}


def _without_new_flags(figures: Any) -> Any:
    if isinstance(figures, dict):
        return {key: _without_new_flags(value) for key, value in figures.items()}
    if isinstance(figures, list):
        return [
            _without_new_flags(item)
            for item in figures
            if not (isinstance(item, dict) and item.get("kind") in NEW_FLAG_KINDS)
        ]
    return figures


def _as_before(new: Any, old: Any) -> Any:
    """`new` with only what `old` has: the dictionaries' keys the old code had, all of a
    list's items (a list the same length is a figure unchanged)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {key: _as_before(new[key], value) for key, value in old.items() if key in new}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_as_before(n, o) for n, o in zip(new, old, strict=True)]
    return new


def _first_difference(new: Any, old: Any, path: str = "") -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new or new[key] != old[key]:
                return _first_difference(new.get(key), old[key], f"{path}.{key}")
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{path}: {len(new)} items after, {len(old)} before"
        for i, (n, o) in enumerate(zip(new, old, strict=True)):
            if n != o:
                return _first_difference(n, o, f"{path}[{i}]")
    return f"{path}: {new!r} after, {old!r} before"


@pytest.mark.slow
@pytest.mark.xdist_group("migration")
@pytest.mark.timeout(1200)
def test_the_demo_figures_are_the_same_after_the_migration(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    old = _old_code(tmp_path / "before")
    script = tmp_path / "figures.py"
    script.write_text(FIGURES)
    url = databases.new("i19_migration")

    # The code of before: its schema, its content, its demo, its figures.
    _tandem(old, "db", "upgrade", url=url)
    _tandem(old, "curriculum", "load", url=url)
    _tandem(old, "outcomes", "load", url=url)
    _tandem(old, "demo", "--today", DAY, url=url)
    _run(old, str(script), url, DAY, str(tmp_path / "before.json"), *MENTORS, url=url)

    # This checkout: the migration, then the same figures.
    command.upgrade(alembic_config_for(url), "head")
    _run(ROOT, str(script), url, DAY, str(tmp_path / "after.json"), *MENTORS, url=url)

    before = json.loads((tmp_path / "before.json").read_text())
    after = json.loads((tmp_path / "after.json").read_text())
    # Each era's figures came from its own code.
    assert before.pop("app").startswith(str(old))
    assert after.pop("app").startswith(str(ROOT))
    # Figures worth comparing: three cohorts, mentees, outcomes, a row per child.
    assert len(before["cohorts"]) == 3
    assert before["fidelity"]["metrics"]["mentoring_hours_per_week"]
    assert all(week["mentees"] for week in before["weeks"].values())
    assert len(before["evaluation_csv"]) == 27  # a header and 26 children
    after = _without_new_flags(after)
    for part in before:
        same = _as_before(after[part], before[part])
        assert same == before[part], (part, _first_difference(same, before[part]))

    # Everything is in the FHF-PT programme the migration made.
    engine = create_db_engine(url)
    try:
        with Session(engine) as db:
            programmes = db.exec(select(Programme)).all()
            assert [p.name for p in programmes] == [FHF_PT_NAME]
            for table in (Match, MentorVisit):
                ids = db.exec(select(func.distinct(table.programme_id))).all()
                assert ids == [programmes[0].id], table
            assert db.execute(text("SELECT count(*) FROM cohort")).scalar_one() == 3
    finally:
        engine.dispose()
