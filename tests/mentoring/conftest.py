"""Mentoring's own fixtures. The shared ones (today, make_mentor, programme) and the helpers
they build with are in tests/support (fixtures.py, mentoring.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.clock import LONDON, Clock


@pytest.fixture
def evening(clock: Clock) -> None:
    """Late on the test's day (23:45 in London): a visit logged today as completed or missed
    has ended by then, as it must have before it can be logged."""
    clock.move_to(dt.datetime.combine(clock.today, dt.time(23, 45), tzinfo=LONDON))
