"""The suite's clock: every test runs at a fixed instant (time-machine), never at the real one.

The default instant is an ordinary term-time Wednesday morning, away from bank holidays and
clock changes. `pytest --clock=2026-12-24T10:00` (or TANDEM_TEST_CLOCK) runs the whole suite
at another one, to reproduce a failure seen on a particular day. Tests marked
`awkward_days` also run at each of AWKWARD_DAYS.

Time ticks from the instant (tick=True), so timeouts, expiry and sleeps behave as usual. The
machine's own timezone is set to UTC while travelling, as on a production server, so a
naive local time in the app cannot pass on one machine and fail on another.
"""

from __future__ import annotations

import datetime as dt
import sys
from zoneinfo import ZoneInfo

import time_machine

LONDON = ZoneInfo("Europe/London")
ENV_VAR = "TANDEM_TEST_CLOCK"

# Wednesday 10 March 2027: term time, two weeks from the nearest bank holiday (Good Friday,
# 26 March) and the clock change (28 March).
DEFAULT_INSTANT = dt.datetime(2027, 3, 10, 10, 0, tzinfo=LONDON)

AWKWARD_DAYS: dict[str, dt.datetime] = {
    # Christmas Eve: the next days are closures (25, 26, 28 December 2026).
    "2026-12-24": dt.datetime(2026, 12, 24, 10, 0, tzinfo=LONDON),
    # Spring bank holiday Monday: today itself is closed, for Monday cohorts too.
    "2027-05-31": dt.datetime(2027, 5, 31, 10, 0, tzinfo=LONDON),
    # 29 February: a year on from it has no 29 February.
    "2028-02-29": dt.datetime(2028, 2, 29, 10, 0, tzinfo=LONDON),
    # The autumn clock change: 01:30 BST (00:30 UTC), the first of the two 01:30s. The day
    # is 25 hours long: half an hour later, at 02:00 BST, the clocks go back to 01:00 GMT.
    "2027-10-31": dt.datetime(2027, 10, 31, 1, 30, fold=0, tzinfo=LONDON),
    # 23:30 on a Monday (the session day of the suite's cohorts): today ends in half an hour.
    "2027-03-15": dt.datetime(2027, 3, 15, 23, 30, tzinfo=LONDON),
    # 00:30 BST on a Tuesday: still Monday 23:30 in UTC. The one hour of the day when
    # London's date and UTC's differ, so a date taken in UTC instead of London is wrong here.
    "2027-06-15": dt.datetime(2027, 6, 15, 0, 30, tzinfo=LONDON),
}


def parse_instant(text: str) -> dt.datetime:
    """`YYYY-MM-DDTHH:MM` in Europe/London (or with an explicit offset); a date alone is 10:00."""
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(10), tzinfo=LONDON)
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an instant like 2026-12-24T10:00 (Europe/London time)"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=LONDON)


def instant_id(instant: dt.datetime) -> str:
    """How a test id names an instant: its day in London."""
    return instant.astimezone(LONDON).date().isoformat()


def travel(instant: dt.datetime) -> time_machine.travel:
    """Travel to `instant` with time passing from there, the process's timezone set to UTC."""
    return time_machine.travel(instant.astimezone(dt.UTC), tick=True)


def tandem_now() -> list[str]:
    """The command line of `tandem` at this process's (travelled) now, ticking from there:
    append the arguments. See tests/support/clocked.py."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return [sys.executable, "-m", "tests.support.clocked", now]


class Clock:
    """The test's clock: read it, or move it (time keeps passing from where it is moved to)."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    @property
    def now(self) -> dt.datetime:
        """Now, in Europe/London (the organisations' timezone in the suite)."""
        return dt.datetime.now(LONDON)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def move_to(self, when: dt.datetime | dt.date) -> None:
        """Move to an instant (naive: Europe/London) or to 10:00 London time on a day."""
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(10))
        if when.tzinfo is None:
            when = when.replace(tzinfo=LONDON)
        self._traveller.move_to(when.astimezone(dt.UTC))

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)
