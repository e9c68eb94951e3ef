"""Working days: Monday to Friday that are neither Swedish public holidays, nor the de facto
holiday eves (Midsummer Eve, Christmas Eve, New Year's Eve), nor configured closure days.

Pure: everything is a function of dates. `Calendar` caches each year's working days, so
counting working days between two dates is a lookup, not a walk.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

# The `holidays` categories that close KI: the law's public holidays and the de facto eves.
DEFAULT_CATEGORIES = ("public", "de_facto")
# Working days are counted from here (see Calendar.ordinal); any date after it works.
EPOCH = date(2000, 1, 1)


def local_date(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date at `now` (aware) where `zone` is."""
    assert now.tzinfo is not None, "times are aware"
    return now.astimezone(zone).date()


def parse_closure_days(raw: str | Iterable[str]) -> frozenset[date]:
    """`"2027-07-12,2027-07-13"` (or the parts) as dates; ValueError on a bad one."""
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    return frozenset(date.fromisoformat(part.strip()) for part in parts if part.strip())


@cache
def _holidays(country: str, categories: tuple[str, ...], year: int) -> dict[date, str]:
    found = holidays.country_holidays(country, years=year, categories=categories)
    return {day: str(name) for day, name in found.items()}


class Calendar:
    def __init__(
        self,
        closure_days: Iterable[date] = (),
        *,
        country: str = "SE",
        categories: Iterable[str] = DEFAULT_CATEGORIES,
    ) -> None:
        self.closure_days = frozenset(closure_days)
        self.country = country
        self.categories = tuple(sorted(categories))
        self._years: dict[int, list[date]] = {}
        self._before: dict[int, int] = {}

    def holiday(self, day: date) -> str | None:
        """The holiday's name when `day` is one (public or de facto), else None."""
        return _holidays(self.country, self.categories, day.year).get(day)

    def why_not_working(self, day: date) -> str | None:
        """None on a working day; else "weekend", "closure" or the holiday's name."""
        if day.weekday() >= 5:
            return "weekend"
        if day in self.closure_days:
            return "closure"
        return self.holiday(day)

    def is_working_day(self, day: date) -> bool:
        return self.why_not_working(day) is None

    def working_days_in(self, year: int) -> list[date]:
        days = self._years.get(year)
        if days is None:
            first = date(year, 1, 1)
            span = (date(year + 1, 1, 1) - first).days
            days = [
                d for d in (first + timedelta(n) for n in range(span)) if self.is_working_day(d)
            ]
            self._years[year] = days
        return days

    def non_working_weekdays(self, year: int) -> list[date]:
        """Monday-Friday dates of `year` that are not working days."""
        first = date(year, 1, 1)
        span = (date(year + 1, 1, 1) - first).days
        return [
            d
            for d in (first + timedelta(n) for n in range(span))
            if d.weekday() < 5 and not self.is_working_day(d)
        ]

    def ordinal(self, day: date) -> int:
        """How many working days there are in (EPOCH, day]: differences count working days."""
        if day.year < EPOCH.year:
            raise ValueError(f"{day} is before {EPOCH}")
        before = self._before.get(day.year)
        if before is None:
            before = 0
            for year in range(EPOCH.year, day.year):
                before += len(self.working_days_in(year))
            self._before[day.year] = before
        return before + bisect_right(self.working_days_in(day.year), day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when end <= start."""
        return max(0, self.ordinal(end) - self.ordinal(start))

    def next_working_day(self, day: date, *, include: bool = True) -> date:
        """`day` itself when it is a working day and `include`, else the next one."""
        current = day if include else day + timedelta(days=1)
        while not self.is_working_day(current):
            current += timedelta(days=1)
        return current

    def previous_working_day(self, day: date) -> date:
        """The last working day before `day`."""
        current = day - timedelta(days=1)
        while not self.is_working_day(current):
            current -= timedelta(days=1)
        return current

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (count >= 1)."""
        assert count >= 1
        current = day
        for _ in range(count):
            current = self.next_working_day(current, include=False)
        return current

    def first_working_day_on_or_after(self, day: date) -> date:
        return self.next_working_day(day, include=True)
