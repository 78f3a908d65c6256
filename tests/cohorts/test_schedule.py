"""The planner, against real UK bank holidays and school closures, and its invariants."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cohorts.schedule import ClosedDays, plan
from tests.support.clock import Clock

LESSONS = list(range(1, 31))
SCHOOL_HOLIDAYS_2026_27 = (
    (date(2026, 10, 26), date(2026, 10, 30)),
    (date(2026, 12, 21), date(2027, 1, 1)),
    (date(2027, 2, 15), date(2027, 2, 19)),
    (date(2027, 3, 29), date(2027, 4, 9)),
)


def mondays_skipped(planned: list[tuple[int, date]], first: date) -> list[date]:
    dates = {d for _, d in planned}
    day, out = first, []
    while day <= planned[-1][1]:
        if day not in dates:
            out.append(day)
        day += timedelta(days=7)
    return out


def test_monday_cohort_with_bank_holidays_alone() -> None:
    first = date(2026, 9, 7)
    planned = plan(first, LESSONS, ClosedDays("england"))
    assert mondays_skipped(planned, first) == [date(2026, 12, 28), date(2027, 3, 29)]
    assert planned[-1] == (30, date(2027, 4, 12))


def test_monday_cohort_with_school_holidays_too() -> None:
    first = date(2026, 9, 7)
    planned = plan(first, LESSONS, ClosedDays("england", SCHOOL_HOLIDAYS_2026_27))
    assert mondays_skipped(planned, first) == [
        date(2026, 10, 26),
        date(2026, 12, 21),
        date(2026, 12, 28),
        date(2027, 2, 15),
        date(2027, 3, 29),
        date(2027, 4, 5),
        date(2027, 5, 3),
    ]
    assert planned[-1] == (30, date(2027, 5, 17))


def test_regions_have_their_own_holidays() -> None:
    # 2 January is a bank holiday in Scotland only; St Andrew's Day (30 Nov 2026, a Monday) too.
    assert date(2027, 1, 2) not in ClosedDays("england")
    assert date(2027, 1, 2) in ClosedDays("scotland")
    assert date(2026, 11, 30) in ClosedDays("scotland")
    # 17 March (St Patrick's Day) in Northern Ireland.
    assert date(2027, 3, 17) in ClosedDays("northern-ireland")
    assert date(2027, 3, 17) not in ClosedDays("wales")


# Closures as (days after the first session, length in days): a programme runs ~9 months.
closures = st.lists(st.tuples(st.integers(-30, 300), st.integers(0, 20)), max_size=12)


@pytest.mark.awkward_days
# The clock fixture is only read (not moved), so sharing it between examples is fine.
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(-400, 400), ranges=closures)
def test_planner_properties(clock: Clock, offset: int, ranges: list[tuple[int, int]]) -> None:
    """A cohort starting within about a year of today (so the awkward days plan across
    Christmas, a bank holiday Monday, 29 February and the clock change)."""
    first = clock.today + timedelta(days=offset)
    closed = ClosedDays(
        "england",
        tuple(
            (first + timedelta(days=start), first + timedelta(days=start + length))
            for start, length in ranges
        ),
    )
    planned = plan(first, LESSONS, closed)
    assert [lesson for lesson, _ in planned] == LESSONS  # exactly 30, in order
    dates = [d for _, d in planned]
    assert dates == sorted(dates)
    assert all(b - a >= timedelta(days=7) for a, b in pairwise(dates))
    assert all(d.weekday() == first.weekday() for d in dates)  # the cohort's weekly slot
    assert not any(d in closed for d in dates)  # never on a closure
