"""Working days: Monday to Friday that are neither Swedish public holidays, nor the de facto
holiday eves (Midsummer Eve, Christmas Eve, New Year's Eve), nor configured closure days.

Pure: everything is a function of dates. `Calendar` works out each year's working days once
and answers from them: whether a day works is a set lookup, the next, previous or n-th working
day and the count between two dates are binary searches, not walks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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


@cache
def _named(country: str, categories: tuple[str, ...], year: int, language: str) -> dict[date, str]:
    found = holidays.country_holidays(country, years=year, categories=categories,
                                      language=language)
    return {day: str(name) for day, name in found.items()}


def holiday_name(
    day: date, language: str, *, country: str = "SE",
    categories: Iterable[str] = DEFAULT_CATEGORIES,
) -> str | None:
    """The holiday's name on `day` as people read it in `language` ("sv" or "en"; the
    `holidays` package's own translations), or None when `day` is none."""
    wanted = "sv" if language.lower().startswith("sv") else "en_US"
    return _named(country, tuple(sorted(categories)), day.year, wanted).get(day)


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
        self._cache: dict[int, tuple[list[date], frozenset[date]]] = {}
        self._before: dict[int, int] = {}
        # Each day's ordinal once asked: the rota asks for every account's anchor and today,
        # a few hundred distinct days whatever the register's size.
        self._ordinals: dict[date, int] = {}

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
        return day in self._working(day.year)[1]

    def _working(self, year: int) -> tuple[list[date], frozenset[date]]:
        """The year's working days, in order and as a set: computed once per year, so that
        the rules ask a set, not the holiday table, for each account and day."""
        found = self._cache.get(year)
        if found is None:
            first = date(year, 1, 1)
            span = (date(year + 1, 1, 1) - first).days
            days = [
                d for d in (first + timedelta(n) for n in range(span))
                if self.why_not_working(d) is None
            ]
            found = self._cache[year] = (days, frozenset(days))
        return found

    def working_days_in(self, year: int) -> list[date]:
        return self._working(year)[0]

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
        found = self._ordinals.get(day)
        if found is not None:
            return found
        if day.year < EPOCH.year:
            raise ValueError(f"{day} is before {EPOCH}")
        before = self._before.get(day.year)
        if before is None:
            before = 0
            for year in range(EPOCH.year, day.year):
                before += len(self.working_days_in(year))
            self._before[day.year] = before
        found = self._ordinals[day] = before + bisect_right(self.working_days_in(day.year), day)
        return found

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when end <= start."""
        return max(0, self.ordinal(end) - self.ordinal(start))

    def next_working_day(self, day: date, *, include: bool = True) -> date:
        """`day` itself when it is a working day and `include`, else the next one."""
        days = self.working_days_in(day.year)
        index = bisect_left(days, day) if include else bisect_right(days, day)
        if index < len(days):
            return days[index]
        return self.next_working_day(date(day.year + 1, 1, 1))

    def previous_working_day(self, day: date) -> date:
        """The last working day before `day`."""
        days = self.working_days_in(day.year)
        index = bisect_left(days, day)
        if index > 0:
            return days[index - 1]
        return self._last_before_year(day.year)

    def _last_before_year(self, year: int) -> date:
        days = self.working_days_in(year - 1)
        return days[-1] if days else self._last_before_year(year - 1)

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (count >= 1)."""
        assert count >= 1
        year = day.year
        days = self.working_days_in(year)
        index = bisect_right(days, day) + count - 1
        while index >= len(days):
            index -= len(days)
            year += 1
            days = self.working_days_in(year)
        return days[index]

    def first_working_day_on_or_after(self, day: date) -> date:
        return self.next_working_day(day, include=True)


class MonitoringDays(Calendar):
    """The days the monitoring rota runs when the guidelines' "monitored weekdays,
    year-round" (Swedish: "dagligen, även under semestertider") is followed: every Monday to
    Friday, the public holidays, the eves and the configured closure days included. Only the
    rota counts in it; every other working-day count (question reminders, the approval
    reminders and reroute, inactivity) keeps `working`."""

    def __init__(self, working: Calendar) -> None:
        super().__init__(working.closure_days, country=working.country,
                         categories=working.categories)
        self.working = working

    def why_not_working(self, day: date) -> str | None:
        return "weekend" if day.weekday() >= 5 else None

    def holiday_duty(self, day: date) -> str | None:
        """On a weekday that is no working day, why not ("closure" or the holiday's name):
        whoever is on duty then has a holiday duty. None on other days."""
        if day.weekday() >= 5:
            return None
        return self.working.why_not_working(day)
