"""Dates of the statement: the answer's due date and the student's age on the day it is issued."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo


def due_date(received: date) -> date:
    """received + 1 calendar month (AVG art. 12(3)); a day the next month does not have becomes its last
    day: 31 January -> 28 (29) February, 31 March -> 30 April, 31 December -> 31 January."""
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    return date(year, month, min(received.day, calendar.monthrange(year, month)[1]))


def age_on(birth_date: date, day: date, leap_day_birthday: str = "march_1") -> int:
    """Completed years on `day`, as checks.context's age_at: someone born on 29 February turns a year
    older on 1 March in common years ("march_1", the default) or on 28 February ("february_28")."""
    birthday = (birth_date.month, birth_date.day)
    if birthday == (2, 29) and not calendar.isleap(day.year):
        birthday = (2, 28) if leap_day_birthday == "february_28" else (3, 1)
    return day.year - birth_date.year - (1 if (day.month, day.day) < birthday else 0)


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()
