"""Counting the SQL statements a piece of code sends (the count_queries fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Engine, event


class QueryCounter:
    """The statements sent so far, savepoints left out (each test runs inside one)."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []


# The count_queries fixture: `with count_queries() as counter:`.
CountQueries = Callable[[], AbstractContextManager[QueryCounter]]


def query_counter(engine: Engine) -> CountQueries:
    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.count += 1
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
