"""Secondary suppression in the council summary (reports/suppression.py, reports/context.py).

The property tests play a reader who wants a hidden count. From what a summary shows (numbers,
"fewer than N", "hidden") and how its tables add up (a family's cells to the family's total in the
trend, the families' totals to the week's tile), the reader tries every hidden count: by subtraction
along every sum, repeated while it finds more, and by bounds, with a linear program over all the sums
("fewer than N" lies in 1..N-1, "hidden" is at least 1). The sums form a tree, so their matrix is
totally unimodular: the linear program's least and greatest value of a count are whole numbers that
fit everything shown, and a count is safe exactly when they differ. The reader here is written apart
from the implementation's own check (scipy's linprog on the reader's view, not the MILP on the table).
"""

from __future__ import annotations

from math import inf

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from checks.registry import FAMILY_ORDER, load_catalogue
from pipelines.settings import Settings
from pipelines.warehouse import connect
from pipelines.weeks import parse_week
from reports.context import council_context
from reports.i18n import Translator
from reports.suppression import HIDDEN, SHOWN, SMALL, Sum, determined, suppress, suppress_week

FAMILIES = list(FAMILY_ORDER)


# ---- the reader ----------------------------------------------------------------------------------


def worked_out_by_subtraction(ranges: dict, lines: list[tuple]) -> set:
    """The hidden counts that subtraction along the sums gives, repeated until it gives no more."""
    value = {key: low for key, (low, high) in ranges.items() if low == high}
    found, more = set(), True
    while more:
        more = False
        for total, parts in lines:
            unknown = [key for key in (total, *parts) if key not in value]
            if len(unknown) != 1:
                continue
            key = unknown[0]
            others = sum(value[part] for part in parts if part != key)
            value[key] = others if key == total else value[total] - others
            found.add(key)
            more = True
    return found


def worked_out_by_bounds(ranges: dict, lines: list[tuple]) -> set:
    """The hidden counts whose least and greatest value under everything shown are the same."""
    hidden = [key for key, (low, high) in ranges.items() if low != high]
    column = {key: i for i, key in enumerate(hidden)}
    rows, right = [], []
    for total, parts in lines:
        row, constant = [0] * len(hidden), 0
        for key, sign in ((total, 1), *((part, -1) for part in parts)):
            if key in column:
                row[column[key]] += sign
            else:
                constant -= sign * ranges[key][0]
        if any(row):
            rows.append(row)
            right.append(constant)
    bounds = [(ranges[key][0], None if ranges[key][1] == inf else ranges[key][1]) for key in hidden]
    found = set()
    for key in hidden:
        extremes = []
        for sign in (1, -1):
            objective = [0] * len(hidden)
            objective[column[key]] = sign
            result = linprog(objective, A_eq=rows or None, b_eq=right or None, bounds=bounds)
            assert result.status in (0, 3), result.message  # the truth fits, so never infeasible
            extremes.append(inf if result.status == 3 else round(sign * result.fun))
        if extremes[0] == extremes[1]:
            found.add(key)
    return found


def assert_nothing_given_away(truth: dict, ranges: dict, lines: list[tuple], threshold: int) -> None:
    shown = {key for key, (low, high) in ranges.items() if low == high}
    for key, value in truth.items():
        low, high = ranges[key]
        assert low <= value <= high, f"{key}: shows {ranges[key]}, is {value}"  # nothing shown is wrong
        if 0 < value < threshold:
            assert key not in shown, f"{key} = {value} is shown"
    hidden = set(ranges) - shown
    assert not hidden & worked_out_by_subtraction(ranges, lines)
    assert not hidden & worked_out_by_bounds(ranges, lines)


def reader_ranges(statuses: dict, truth: dict, threshold: int) -> dict:
    return {
        key: {SHOWN: (truth[key], truth[key]), SMALL: (1, threshold - 1), HIDDEN: (1, inf)}[status]
        for key, status in statuses.items()
    }


# ---- the classic cases ---------------------------------------------------------------------------


def line(values: dict) -> list[Sum]:
    """One sum: the last key is the total of the others."""
    *parts, total = values
    return [Sum(total, tuple(parts))]


def test_one_small_count_beside_a_shown_total_takes_a_second_count_with_it():
    values = {"a": 1, "b": 6, "c": 9, "total": 16}
    assert determined(values, line(values), {"a": SMALL, "b": SHOWN, "c": SHOWN, "total": SHOWN}, 5) == ["a"]
    assert suppress(values, line(values), 5) == {"a": SMALL, "b": HIDDEN, "c": SHOWN, "total": SHOWN}


def test_small_counts_that_bounds_give_away():
    # two counts below 5 whose shown sum is 8 are both 4
    values = {"a": 4, "b": 4, "total": 8}
    assert determined(values, line(values), {"a": SMALL, "b": SMALL, "total": SHOWN}, 5) == ["a", "b"]
    assert suppress(values, line(values), 5) == {"a": SMALL, "b": SMALL, "total": HIDDEN}
    # a sum of 5 leaves each of them 1..4
    values = {"a": 1, "b": 4, "total": 5}
    assert suppress(values, line(values), 5) == {"a": SMALL, "b": SMALL, "total": SHOWN}
    # two counts below 3 whose total is below 3 too are both 1: the total is hidden instead
    values = {"a": 1, "b": 1, "total": 2}
    assert determined(values, line(values), {"a": SMALL, "b": SMALL, "total": SMALL}, 3) == [
        "a",
        "b",
        "total",
    ]
    assert suppress(values, line(values), 3) == {"a": SMALL, "b": SMALL, "total": HIDDEN}


def test_the_only_two_small_counts_of_the_week_are_what_its_total_leaves():
    # The report fixture's week: the access column gives Linde's 1 away (7 - 6), and the week's 9 minus
    # access 7 leaves 2 for consent and standing, so both are 1.
    week = suppress_week(
        {"Linde": {"access": 1, "consent": 1, "standing": 1}, "Noord": {"access": 6}}, FAMILIES, 5
    )
    status = {row: [week.cells[row][f].status for f in FAMILIES] for row in week.cells}
    assert status == {
        "Linde": [SMALL, SMALL, SHOWN, SHOWN, SMALL, SHOWN],  # the last: signals (none)
        "Noord": [HIDDEN, SHOWN, SHOWN, SHOWN, SHOWN, SHOWN],
    }
    assert [week.families[f].status for f in FAMILIES] == [SHOWN, SMALL, SHOWN, SHOWN, SMALL, SHOWN]
    assert week.total.status == HIDDEN and week.total.value == 9
    assert week.any_hidden()


def test_all_zeros_are_shown():
    week = suppress_week({"a": {}, "b": {}}, FAMILIES, 5)
    assert {c.status for row in week.cells.values() for c in row.values()} == {SHOWN}
    assert week.total.value == 0 and week.total.status == SHOWN
    assert not week.any_hidden()


def test_a_single_school_hides_the_week_total_rather_than_a_chain_of_counts():
    week = suppress_week({"only": {"access": 1, "consent": 7}}, FAMILIES, 5)
    # each family's total is the school's count; the week's 8 minus 7 would give the 1 away
    assert week.cells["only"]["access"].status == week.families["access"].status == SMALL
    assert week.cells["only"]["consent"].status == week.families["consent"].status == SHOWN
    assert week.total.status == HIDDEN


def test_a_column_of_ones_below_the_threshold():
    # four schools with 1 each: a family total "fewer than 5" says they are all 1
    week = suppress_week({school: {"access": 1} for school in "abcd"}, FAMILIES, 5)
    assert {week.cells[school]["access"].status for school in "abcd"} == {SMALL}
    assert week.families["access"].status == HIDDEN and week.total.status == HIDDEN


@pytest.mark.parametrize(("threshold", "small_one"), [(1, SHOWN), (2, HIDDEN), (5, SMALL)])
def test_thresholds_at_the_edge(threshold, small_one):
    # threshold 1 hides nothing; with threshold 2, "fewer than 2" would say 1, so a 1 is hidden instead
    week = suppress_week({"a": {"access": 1, "consent": 3}, "b": {"access": 3}}, FAMILIES, threshold)
    assert week.cells["a"]["access"].status == small_one
    assert week.any_hidden() == (threshold == 2)
    assert_nothing_given_away(*week_view(week, threshold), threshold)


# ---- property: random tables ---------------------------------------------------------------------

counts = st.sampled_from([0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 14])


def week_view(week, threshold):
    """The truth, the reader's ranges and the sums of one suppressed week, keyed the reader's way."""
    truth, statuses, lines = {}, {}, []
    for family, total in week.families.items():
        parts = []
        for row, cells in week.cells.items():
            truth[(row, family)], statuses[(row, family)] = cells[family].value, cells[family].status
            parts.append((row, family))
        truth[family], statuses[family] = total.value, total.status
        lines.append((family, tuple(parts)))
    truth["week"], statuses["week"] = week.total.value, week.total.status
    lines.append(("week", tuple(week.families)))
    return truth, reader_ranges(statuses, truth, threshold), lines


@settings(max_examples=150, deadline=None)
@given(
    table=st.integers(1, 4).flatmap(
        lambda families: st.lists(
            st.lists(counts, min_size=families, max_size=families), min_size=1, max_size=4
        )
    ),
    threshold=st.integers(1, 7),
)
def test_no_hidden_count_of_a_random_table_can_be_worked_out(table, threshold):
    families = [f"family{j}" for j in range(len(table[0]))]
    week = suppress_week({i: dict(zip(families, row)) for i, row in enumerate(table)}, families, threshold)
    truth, ranges, lines = week_view(week, threshold)
    # the table's own numbers, and sums that add up
    assert [[truth[(i, f)] for f in families] for i in range(len(table))] == table
    assert [truth[f] for f in families] == [sum(column) for column in zip(*table)]
    assert truth["week"] == sum(map(sum, table))
    assert_nothing_given_away(truth, ranges, lines, threshold)


# ---- property: whole council summaries -----------------------------------------------------------

WEEKS = ("2026-W46", "2026-W47")
FAMILY_RULES = {
    "access": "ACCESS-UNINVOLVED",
    "consent": "SHARE-NO-CONSENT",
    "exception": "SHARE-EXCEPTION-UNSUPPORTED",
    "processor": "PROCESSOR-NO-AGREEMENT",
    "standing": "LOG-GAP",
    "signal": "SIGNAL-VOLUME",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("suppression") / "warehouse.duckdb", "Europe/Amsterdam")
    yield con
    con.close()


@st.composite
def boards(draw):
    """Schools (and perhaps the board) with findings per family in two weeks, some notices, and the
    families whose rules ran."""
    rows = [f"School {i}" for i in range(draw(st.integers(1, 3)))] + ([None] if draw(st.booleans()) else [])
    findings = {w: {(row, f): draw(counts) for row in rows for f in FAMILIES} for w in WEEKS}
    notices = {w: draw(counts) for w in WEEKS}
    evaluated = {w: draw(st.sets(st.sampled_from(FAMILIES))) for w in WEEKS}
    return rows, findings, notices, evaluated


def fill(con, rows, findings, notices, evaluated):
    for table in ("findings", "schools", "coverage"):
        con.execute(f"DELETE FROM {table}")
    con.executemany(
        "INSERT INTO schools VALUES (?, ?, 'PO', NULL, 't', 1)", [(row, row) for row in rows if row]
    )
    new = [
        (f"{w}/{row}/{family}/{i}", FAMILY_RULES[family], "high", w, row, "policy", f"{w}/{row}/{family}/{i}")
        for w, table in findings.items()
        for (row, family), n in table.items()
        for i in range(n)
    ] + [
        (f"{w}/notice/{i}", "PROCESSOR-AGREEMENT-EXPIRING", "info", w, None, "agreement", f"{w}/notice/{i}")
        for w, n in notices.items()
        for i in range(n)
    ]
    if new:
        con.executemany(
            "INSERT INTO findings (finding_id, rule_id, severity, week, school_id, subject_type, subject_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            new,
        )
    cover = [(w, FAMILY_RULES[f], "evaluated") for w, families in evaluated.items() for f in families]
    if cover:
        con.executemany("INSERT INTO coverage (week, rule_id, status) VALUES (?, ?, ?)", cover)


def summary_view(context, week, findings, notices, rows, t, threshold):
    """A summary as its reader sees it: each label's range, the truth behind it, and the sums."""
    labels, truth, lines = {}, {}, []
    row_of = {(row or t("council.school_board")): row for row in rows}
    this_week, listed = findings[week], []
    for shown in context["school_rows"]:  # every school; the board only when it has findings
        row = row_of[shown["label"]]
        listed.append(row)
        for family, label in zip(context["families"], shown["counts"]):
            labels[(row, family)], truth[(row, family)] = label, this_week[(row, family)]
    headings = {t.week(w): w for w in WEEKS}
    for trend_row in context["trend"]:
        w = headings.get(trend_row["week"])
        if w is None:  # an earlier week: no findings, nothing checked
            assert not trend_row["checked"]
            continue
        for family, label in zip(context["trend_families"], trend_row["counts"]):
            labels[(w, family)] = label if trend_row["checked"] else t("council.trend.not_checked")
            truth[(w, family)] = sum(n for (_, f), n in findings[w].items() if f == family)
    for family in context["families"]:
        lines.append(((week, family), tuple((row, family) for row in listed)))
    labels["week"], truth["week"] = context["total"], sum(this_week.values())
    lines.append(("week", tuple((week, family) for family in context["trend_families"])))
    labels["notices"], truth["notices"] = context["notices"] or "0", notices[week]

    def reading(label: str, value: int) -> tuple[float, float]:
        if label == t("council.suppression.hidden"):
            return 1, inf
        if label == t("fewer_than", threshold=t.number(threshold)):
            return 1, threshold - 1
        if label == t("council.trend.not_checked"):
            return 0, 0  # a family with findings is always checked
        return int(label.replace(",", "")), int(label.replace(",", ""))

    return truth, {key: reading(label, truth[key]) for key, label in labels.items()}, lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(board=boards(), threshold=st.integers(2, 6))
def test_no_hidden_count_of_a_council_summary_can_be_worked_out(warehouse, board, threshold):
    rows, findings, notices, evaluated = board
    fill(warehouse, rows, findings, notices, evaluated)
    t, rules = Translator("en"), load_catalogue()
    contexts = {
        w: council_context(
            warehouse, w, parse_week(w)[1], rules, t, Settings(small_count_threshold=threshold)
        )
        for w in WEEKS
    }
    for w, context in contexts.items():
        truth, ranges, lines = summary_view(context, w, findings, notices, rows, t, threshold)
        assert_nothing_given_away(truth, ranges, lines, threshold)
        assert context["hidden_shown"] == any(high == inf for _, high in ranges.values())
    # last week's row of this week's trend is what last week's own summary showed: the two summaries
    # side by side tell no more than each alone
    earlier = [row for row in contexts[WEEKS[1]]["trend"] if row["week"] == t.week(WEEKS[0])]
    assert earlier == [row for row in contexts[WEEKS[0]]["trend"] if row["week"] == t.week(WEEKS[0])]
