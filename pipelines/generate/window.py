"""The weeks a generated board covers, and the fixed days in them (school year, holiday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pipelines.weeks import parse_week, previous_weeks, week_of


@dataclass(frozen=True)
class Window:
    weeks: tuple[str, ...]  # oldest first; the last is the demo week
    timezone: str

    @property
    def mondays(self) -> tuple[date, ...]:
        return tuple(parse_week(w)[0] for w in self.weeks)

    @property
    def start(self) -> date:
        return self.mondays[0]

    @property
    def end(self) -> date:
        """The demo week's Sunday."""
        return self.mondays[-1] + timedelta(days=6)

    @property
    def school_year_start(self) -> date:
        """1 August of the school year the window starts in: involvements begin then."""
        year = self.start.year if self.start >= date(self.start.year, 8, 1) else self.start.year - 1
        return date(year, 8, 1)

    @property
    def holiday(self) -> date:
        """A school holiday for every school: the Friday of the second-to-last week (or the only one)."""
        return self.mondays[max(0, len(self.weeks) - 2)] + timedelta(days=4)

    def day(self, week: int, weekday: int) -> date:
        """Day `weekday` (0 = Monday) of week number `week` (Python indexing: -1 = demo week)."""
        return self.mondays[week] + timedelta(days=weekday)

    def at(self, week: int, weekday: int, hhmm: str) -> datetime:
        """A local (naive) moment in a week; plants must not land on the holiday."""
        day = self.day(week, weekday)
        if day == self.holiday:
            raise ValueError(f"{day} is the generated holiday; plant on another day")
        return datetime.combine(day, time.fromisoformat(hhmm))

    def weekdays(self, week: int) -> list[date]:
        """Monday-Friday of a week without the holiday: the days every source system logs."""
        return [d for d in (self.day(week, i) for i in range(5)) if d != self.holiday]


def window_for(until: date, weeks: int, timezone: str) -> Window:
    """The `weeks` complete ISO weeks ending with the last complete week before `until`."""
    demo_week = week_of(until - timedelta(days=7))
    return Window(tuple(previous_weeks(demo_week, weeks)), timezone)
