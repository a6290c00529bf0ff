"""Small-count suppression for the council summary: which counts it hides, and how.

Primary suppression hides every count from 1 to threshold-1: it reads "fewer than 5". The summary also
shows sums of counts (per family in the trend, the week's total in a tile), and a sum with all but one
of its parts shown gives the hidden part away. So can bounds: a count that reads "fewer than 5" lies in
1..4, so two of them whose sum is known to be 8 are both 4. Secondary suppression therefore hides more
counts (they read "hidden") until no hidden count can be worked out from what is shown. That is checked
exactly, not by a rule of thumb: for every hidden count, an integer program (scipy's MILP solver) over
everything shown looks for a second value that fits it all.

What a reader knows of a count, and so what the check assumes:
- shown: its value;
- small ("fewer than N"): it lies in 1..N-1;
- hidden: it is at least 1 (a 0 is always shown, so a reader may know that a hidden count is not 0),
  and it may be small or large: when a small count's own bounds give too much away (the four counts of
  a column that reads "fewer than 5" are all 1), a small count is hidden instead ("hidden" tells
  nothing about its size).

Hiding every count above 0 always works (doubling every hidden count then fits what is shown too), so
hiding one count at a time until the check passes ends. Tables here are a few schools by a few rule
families: tens of counts, independent of the number of rows in the warehouse.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from math import inf

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"


@dataclass(frozen=True)
class Sum:
    """A count that the summary shows as the sum of other counts it shows."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class Count:
    value: int
    status: str  # SHOWN, SMALL or HIDDEN


def suppress(values: Mapping[Hashable, int], sums: Sequence[Sum], threshold: int) -> dict[Hashable, str]:
    """The status of every count: SMALL for 1..threshold-1, HIDDEN for those hidden besides them (so
    that none of the hidden ones can be worked out), SHOWN for the rest. Every key of `sums` must be
    a key of `values`."""
    status = {key: SMALL if 0 < value < threshold else SHOWN for key, value in values.items()}
    while pinned := determined(values, sums, status, threshold):
        status[_next_to_hide(pinned, values, sums, status, threshold)] = HIDDEN
    return status


def known_range(status: str, value: int, threshold: int) -> tuple[float, float]:
    """What a reader of the summary knows of a count, as the smallest and the largest value it can be."""
    if status == SHOWN:
        return value, value
    if status == SMALL:
        return 1, threshold - 1
    return 1, inf


def determined(
    values: Mapping[Hashable, int], sums: Sequence[Sum], status: Mapping[Hashable, str], threshold: int
) -> list[Hashable]:
    """The hidden counts (small or hidden) that a reader could work out exactly from what is shown."""
    hidden = [key for key in values if status[key] != SHOWN]
    index = {key: i for i, key in enumerate(hidden)}
    truth = np.array([values[key] for key in hidden], dtype=float)
    ranges = [known_range(status[key], values[key], threshold) for key in hidden]
    low, high = np.array([r[0] for r in ranges], dtype=float), np.array([r[1] for r in ranges], dtype=float)

    # Each sum as an equation over the hidden counts: total - parts = 0, the shown ones moved to the right.
    rows, right = [], []
    for line in sums:
        row, constant = np.zeros(len(hidden)), 0
        for key, sign in ((line.total, 1), *((part, -1) for part in line.parts)):
            if key in index:
                row[index[key]] += sign
            else:
                constant -= sign * values[key]
        if row.any():
            rows.append(row)
            right.append(constant)
    constraints = [LinearConstraint(np.array(rows), right, right)] if rows else []

    def another_solution(i: int, below: bool) -> np.ndarray | None:
        """A whole-number solution of everything shown with count i below (or above) its true value."""
        lo, hi = low.copy(), high.copy()
        if below:
            hi[i] = truth[i] - 1
        else:
            lo[i] = truth[i] + 1
        if lo[i] > hi[i]:
            return None
        result = milp(
            np.zeros(len(hidden)),
            constraints=constraints,
            bounds=Bounds(lo, hi),
            integrality=np.ones(len(hidden)),
        )
        return np.round(result.x) if result.status == 0 else None

    undecided, pinned = set(hidden), []
    for key in hidden:
        if key not in undecided:
            continue
        i = index[key]
        other = another_solution(i, below=True)
        if other is None:
            other = another_solution(i, below=False)
        if other is None:
            pinned.append(key)
            undecided.discard(key)
        else:  # this solution gives every count it changes a second value, not only this one
            undecided -= {k for k in hidden if other[index[k]] != truth[index[k]]}
    return pinned


def _next_to_hide(pinned, values, sums, status, threshold) -> Hashable:
    """The next count to hide, so that fewer hidden counts can be worked out.

    A count whose own label gives its value away ("fewer than 2" is 1) is hidden itself. Otherwise a
    shown count above 0 on a sum through a count that can be worked out: the one that leaves the fewest
    counts worked out, then the smallest, a part before a total (as statistics offices do). When those
    sums show nothing more, a small total on them is hidden instead of reading "fewer than N": its
    bounds were what gave the parts away.
    """
    for key in pinned:
        low, high = known_range(status[key], values[key], threshold)
        if low == high:
            return key
    lines = [line for line in sums if set(line.members) & set(pinned)]
    totals = {line.total for line in sums}
    order = {key: n for n, key in enumerate(values)}
    shown = {k for line in lines for k in line.members if status[k] == SHOWN and values[k] > 0}
    if shown:
        best, fewest = None, inf
        for key in sorted(shown, key=lambda k: (values[k], k in totals, order[k])):
            left = len(determined(values, sums, {**status, key: HIDDEN}, threshold))
            if left < fewest:
                best, fewest = key, left
            if left == 0:  # none better can follow
                break
        return best
    small = [k for line in lines for k in line.members if status[k] == SMALL]
    if small:
        return min(small, key=lambda k: (k not in totals, order[k]))
    # Not reached in the council's tables; any count not yet hidden still brings the end closer.
    rest = [k for k in values if values[k] > 0 and status[k] != HIDDEN]
    return min(rest, key=lambda k: (status[k] == SMALL, values[k], order[k]))


# ---- the council's tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCounts:
    """One week's findings per row (a school, the board, ...) and family, with the sums the summary
    shows of them: per family (the trend's row of the week) and of the week (the tile)."""

    cells: dict[Hashable, dict[str, Count]]
    families: dict[str, Count]
    total: Count

    def any_hidden(self) -> bool:
        counts = [
            *self.families.values(),
            self.total,
            *(c for row in self.cells.values() for c in row.values()),
        ]
        return any(count.status == HIDDEN for count in counts)


def suppress_week(
    counts: Mapping[Hashable, Mapping[str, int]], families: Sequence[str], threshold: int
) -> WeekCounts:
    """Suppression of one week's table: `counts` is {row: {family: findings}} (a family absent is 0)."""
    values: dict[Hashable, int] = {
        ("cell", row, family): per_family.get(family, 0)
        for row, per_family in counts.items()
        for family in families
    }
    sums = [Sum(("family", f), tuple(("cell", row, f) for row in counts)) for f in families]
    for line in sums:
        values[line.total] = sum(values[part] for part in line.parts)
    week = Sum(("week",), tuple(line.total for line in sums))
    values[week.total] = sum(values[part] for part in week.parts)
    status = suppress(values, [*sums, week], threshold)

    def count(key) -> Count:
        return Count(values[key], status[key])

    return WeekCounts(
        cells={row: {f: count(("cell", row, f)) for f in families} for row in counts},
        families={f: count(("family", f)) for f in families},
        total=count(("week",)),
    )
