"""Small helpers and constants shared by the generator's modules."""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np
import pandas as pd

from pipelines.contract import DATA_CATEGORIES

CATEGORY = {name: code for code, name in enumerate(DATA_CATEGORIES)}
BOARD_ID = "41827"

# What each role may view at its own school without an involvement (the default allowances of
# spec/rules.md). Background activity stays inside them, so a custom configuration that narrows them
# is the only way to turn this background into findings.
ALLOWANCE_ROLES = ("management", "administration", "care_coordinator")
ALLOWANCE_CATEGORIES = {
    "management": ("administrative", "attendance", "progress", "general"),
    "administration": ("administrative", "attendance", "general"),
    "care_coordinator": ("administrative", "attendance", "progress", "care", "general"),
}
# What guardians look at: inside what a guardian may see of a 16/17-year-old, and for a parent
# without parental authority inside progress, attendance and general.
GUARDIAN_CATEGORIES = ("progress", "attendance", "administrative", "general")
NO_AUTHORITY_CATEGORIES = ("progress", "attendance", "general")


def rng_for(seed: int, name: str) -> np.random.Generator:
    """One random stream per purpose, so adding a plant never shifts the background."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def as_days(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def ages_at(birth: np.ndarray, day) -> np.ndarray:
    """Completed years at `day` (a date or an array of days). A 29 February birthday counts from
    1 March in common years, as the default of spec/rules.md."""
    b = pd.DatetimeIndex(as_days(birth))
    d = pd.DatetimeIndex(np.broadcast_to(as_days(day), b.shape))
    before_birthday = (d.month * 100 + d.day) < (b.month * 100 + b.day)
    return np.asarray(d.year - b.year - before_birthday, dtype=np.int64)


def replace_year(day: date, years_back: int) -> date:
    try:
        return day.replace(year=day.year - years_back)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years_back, day=28)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
