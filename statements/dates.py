"""The student's age on the day a statement is issued (whom it is addressed to)."""

from __future__ import annotations

import calendar
from datetime import date


def age_on(birth_date: date, day: date, leap_day_birthday: str = "march_1") -> int:
    """Completed years on `day`, as checks.context's age_at: someone born on 29 February turns a year
    older on 1 March in common years ("march_1", the default) or on 28 February ("february_28")."""
    birthday = (birth_date.month, birth_date.day)
    if birthday == (2, 29) and not calendar.isleap(day.year):
        birthday = (2, 28) if leap_day_birthday == "february_28" else (3, 1)
    return day.year - birth_date.year - (1 if (day.month, day.day) < birthday else 0)
