"""ISO weeks: the unit of every audit ("2026-W47", Monday to Sunday, local time)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(ValueError):
    pass


def parse_week(text: str) -> tuple[date, date]:
    """'2026-W47' -> (Monday, Sunday)."""
    match = WEEK_PATTERN.match(text.strip())
    if not match:
        raise WeekError(f"week must look like 2026-W47, got {text!r}")
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise WeekError(f"{text} is not a week of {year}") from None
    return monday, monday + timedelta(days=6)


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def last_complete_week(timezone: str = "Europe/Amsterdam", now: datetime | None = None) -> str:
    today = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()
    return week_of(today - timedelta(days=7))


def partition_key(week: str) -> str:
    """Dagster's weekly partition key for a week: its Monday as YYYY-MM-DD."""
    return parse_week(week)[0].isoformat()


def week_from_partition_key(key: str) -> str:
    return week_of(date.fromisoformat(key))


def previous_weeks(week: str, count: int) -> list[str]:
    """The `count` weeks ending with `week`, oldest first."""
    monday = parse_week(week)[0]
    return [week_of(monday - timedelta(weeks=i)) for i in range(count - 1, -1, -1)]
