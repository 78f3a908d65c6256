"""The planner: which dates a cohort's lessons fall on. Pure functions, no database.

A cohort meets weekly on the weekday of its first date. Lessons go on consecutive weekly
slots; a slot that is closed (a public holiday of the organisation's region, or one of
its own or the cohort's closures) is skipped, so every lesson is still delivered, later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

WEEK = timedelta(days=7)
REGION_CODES = {
    "england": "ENG",
    "scotland": "SCT",
    "wales": "WLS",
    "northern-ireland": "NIR",
}
# A cohort that cannot find a free slot within ten years has a closure that never ends.
MAX_SLOTS = 520


class NoFreeSlot(ValueError):
    """Closures cover every weekly slot for years ahead."""


@lru_cache(maxsize=8)
def public_holidays(region: str) -> holidays.HolidayBase:
    """The region's bank holidays; the object fills in more years as they are asked for."""
    return holidays.country_holidays("GB", subdiv=REGION_CODES[region])


@dataclass(frozen=True)
class ClosedDays:
    """Days on which no group meets."""

    region: str | None = "england"
    ranges: tuple[tuple[date, date], ...] = field(default_factory=tuple)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if self.region and day in public_holidays(self.region):
            return True
        return any(start <= day <= end for start, end in self.ranges)

    def reason(self, day: date) -> str | None:
        if self.region:
            name = public_holidays(self.region).get(day)
            if name:
                return str(name)
        return None

    def with_ranges(self, more: Iterable[tuple[date, date]]) -> ClosedDays:
        return ClosedDays(self.region, self.ranges + tuple(more))


def weekly_slots(first: date, closed: ClosedDays | frozenset[date]) -> Iterator[date]:
    """first, first + 7 days, ... with closed days left out."""
    day = first
    for _ in range(MAX_SLOTS):
        if day not in closed:
            yield day
        day += WEEK
    raise NoFreeSlot(f"no free weekly slot within {MAX_SLOTS} weeks of {first}")


def plan(
    first: date, lessons: Sequence[int], closed: ClosedDays | frozenset[date]
) -> list[tuple[int, date]]:
    """Each lesson, in the order given, on the next free weekly slot from `first`."""
    slots = weekly_slots(first, closed)
    return [(lesson, next(slots)) for lesson in lessons]
