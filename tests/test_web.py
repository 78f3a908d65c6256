"""Dates and times as people in the UK read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.web import (
    date_long,
    date_short,
    date_weekday,
    datetime_long,
    minutes_human,
    time_12h,
)


def test_dates() -> None:
    assert date_long(date(2026, 11, 6)) == "6 November 2026"
    assert date_short(date(2026, 11, 6)) == "6 Nov 2026"
    assert date_weekday(date(2026, 11, 26)) == "Thursday 26 November 2026"
    assert date_long(None) == date_short(None) == date_weekday(None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (time(9, 0), "9am"),
        (time(16, 30), "4:30pm"),
        (time(12, 0), "midday"),
        (time(0, 5), "12:05am"),
        (time(12, 15), "12:15pm"),
    ],
)
def test_times(value: time, shown: str) -> None:
    assert time_12h(value) == shown


def test_timestamps_are_shown_in_uk_time_across_clock_changes() -> None:
    # 30 June: British Summer Time (UTC+1); 30 December: GMT.
    assert datetime_long(datetime(2026, 6, 30, 17, 0, tzinfo=UTC)) == "30 June 2026 at 6pm"
    assert datetime_long(datetime(2026, 12, 30, 17, 0, tzinfo=UTC)) == "30 December 2026 at 5pm"
    # Just after midnight in London is still the previous day in UTC.
    assert date_long(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "2 July 2026"
    assert datetime_long(None) == ""


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (1, "1 minute"),
        (45, "45 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (150, "2 hours 30 minutes"),
    ],
)
def test_minutes(minutes: int, shown: str) -> None:
    assert minutes_human(minutes) == shown
