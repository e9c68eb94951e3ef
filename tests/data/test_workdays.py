"""Working days in Sweden: Monday-Friday, not public holidays, not the eves, not closure days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.workdays import Calendar, local_date, parse_closure_days

# Every Monday-Friday of 2027 that is not a working day.
NON_WORKING_WEEKDAYS_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 1, 6): "Epiphany",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 6): "Ascension Day",
    date(2027, 6, 25): "Midsummer Eve",
    date(2027, 12, 24): "Christmas Eve",
    date(2027, 12, 31): "New Year's Eve",
}


def test_the_non_working_weekdays_of_2027() -> None:
    calendar = Calendar()
    assert calendar.non_working_weekdays(2027) == sorted(NON_WORKING_WEEKDAYS_2027)
    for day, name in NON_WORKING_WEEKDAYS_2027.items():
        assert calendar.why_not_working(day) == name
    # 261 weekdays less those 8.
    assert len(calendar.working_days_in(2027)) == 253


def test_weekend_holidays_and_ordinary_days() -> None:
    calendar = Calendar()
    assert calendar.why_not_working(date(2027, 6, 26)) == "weekend"  # Midsummer Day, a Saturday
    assert calendar.why_not_working(date(2027, 6, 6)) == "weekend"  # National Day, a Sunday
    assert calendar.is_working_day(date(2027, 6, 24))
    assert calendar.is_working_day(date(2027, 12, 23))
    assert calendar.holiday(date(2027, 6, 26)) == "Midsummer Day"


def test_without_the_eves_they_are_working_days() -> None:
    public_only = Calendar(categories=("public",))
    assert public_only.is_working_day(date(2027, 6, 25))
    assert public_only.is_working_day(date(2027, 12, 24))
    eves = {date(2027, 6, 25), date(2027, 12, 24), date(2027, 12, 31)}
    assert public_only.non_working_weekdays(2027) == sorted(set(NON_WORKING_WEEKDAYS_2027) - eves)


def test_closure_days_are_not_working_days() -> None:
    calendar = Calendar(parse_closure_days("2027-07-12, 2027-07-13,"))
    assert calendar.why_not_working(date(2027, 7, 12)) == "closure"
    assert not calendar.is_working_day(date(2027, 7, 13))
    assert calendar.is_working_day(date(2027, 7, 14))
    assert calendar.non_working_weekdays(2027) == sorted(
        [*NON_WORKING_WEEKDAYS_2027, date(2027, 7, 12), date(2027, 7, 13)]
    )
    with pytest.raises(ValueError, match="out of range"):
        parse_closure_days("2027-07-32")


def test_counting_and_stepping() -> None:
    calendar = Calendar()
    thursday_before_easter = date(2027, 3, 25)
    assert calendar.next_working_day(date(2027, 3, 26)) == date(2027, 3, 30)
    assert calendar.next_working_day(thursday_before_easter) == thursday_before_easter
    assert calendar.next_working_day(thursday_before_easter, include=False) == date(2027, 3, 30)
    assert calendar.previous_working_day(date(2027, 3, 30)) == thursday_before_easter
    assert calendar.add_working_days(thursday_before_easter, 1) == date(2027, 3, 30)
    assert calendar.add_working_days(date(2027, 12, 23), 2) == date(2027, 12, 28)
    # Working days in (start, end]: across Easter, across the year's end.
    assert calendar.working_days_between(thursday_before_easter, date(2027, 4, 2)) == 4
    assert calendar.working_days_between(date(2027, 12, 30), date(2028, 1, 4)) == 2
    assert calendar.working_days_between(date(2027, 4, 2), thursday_before_easter) == 0
    assert calendar.ordinal(date(2027, 12, 31)) - calendar.ordinal(date(2026, 12, 31)) == 253
    walked = sum(
        calendar.is_working_day(date(2027, 1, 1) + timedelta(n)) for n in range(365)
    )
    assert walked == 253


def test_local_date_is_where_ki_is() -> None:
    stockholm = ZoneInfo("Europe/Stockholm")
    assert local_date(datetime(2027, 6, 24, 22, 30, tzinfo=UTC), stockholm) == date(2027, 6, 25)
    assert local_date(datetime(2027, 1, 5, 23, 30, tzinfo=UTC), stockholm) == date(2027, 1, 6)
