"""The subject access export covers every table that holds a child's rows: a new table with
a child id (or a link to a covered table) fails here until the export reads it, or names it
in EXCLUDED with the reason."""

from __future__ import annotations

from sqlalchemy import Table

from app.models import metadata  # every domain's tables
from app.records.service import COVERED, EXCLUDED


def _names_child(table: Table) -> bool:
    return "child_id" in table.c or any(
        fk.column.table.name == "child" for column in table.c for fk in column.foreign_keys
    )


def _about_the_child() -> set[str]:
    """Tables with a child id, and the tables that hang off one of them (a match's
    check-ins, a visit's practice tasks and concern reviews)."""
    direct = {t.name for t in metadata.sorted_tables if _names_child(t)}
    hanging = {
        t.name
        for t in metadata.sorted_tables
        for column in t.c
        for fk in column.foreign_keys
        if fk.column.table.name in direct - {"child"}
    }
    return direct | hanging | {"child"}


def test_every_table_about_a_child_is_covered_or_excluded_with_a_reason() -> None:
    wanted = _about_the_child()
    missing = sorted(wanted - set(COVERED) - set(EXCLUDED))
    assert not missing, (
        f"tables about a child that the export neither covers nor excludes: {missing}"
    )
    assert all(reason.strip() for reason in EXCLUDED.values())
    assert not set(COVERED) & set(EXCLUDED)


def test_the_declared_tables_exist() -> None:
    tables = set(metadata.tables)
    assert set(COVERED) <= tables
    assert set(EXCLUDED) <= tables


def test_the_walk_finds_the_tables_it_should() -> None:
    # The walk itself must see the known ones, or the first test proves nothing.
    assert {
        "attendance",
        "mentor_visit",
        "match_check_in",
        "visit_assignment",
    } <= _about_the_child()
