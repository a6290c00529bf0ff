"""pipelines.safe_text: the characters shown as markers, the same rule in Python and in DuckDB, and the
spreadsheet-safe CSV cell."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.safe_text import csv_cell_sql, neutralise, neutralise_sql

# Written out here, not taken from the module: the test says which characters the outputs may not carry.
UNSAFE = (
    set(range(0x20))  # C0 controls, tab, line feed and carriage return included
    | set(range(0x7F, 0xA0))  # DELETE and the C1 controls
    | {0x061C, 0x200E, 0x200F, 0x2028, 0x2029}
    | set(range(0x202A, 0x202F))
    | set(range(0x2066, 0x206A))
)
SURROGATES = set(range(0xD800, 0xE000))
# Text that must come out as it went in: scripts written right to left, emoji joined with U+200D,
# combining accents, typographic punctuation, a non-breaking space, the replacement character.
ORDINARY = (
    "STF-0001",
    "Zoë Çelik-O'Neill",
    "مرحبا بالعالم",
    "שלום עולם",
    "👩🏽\u200d🏫",
    "e\u0301",
    "‘quoted’ — “text”…",
    "a\u00a0b",
    "\ufffd",
    "<U+202E>",
    "",
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_exactly_the_unsafe_characters_become_markers_in_python():
    changed = {c for c in range(0x110000) if neutralise(chr(c)) != chr(c)}
    assert changed == UNSAFE | SURROGATES
    assert neutralise("\u202e") == "<U+202E>"
    assert neutralise("\x00\t\n\r\x1b\x7f\x85\u061c\u200f\u2029\u2066\udc80") == (
        "<U+0000><U+0009><U+000A><U+000D><U+001B><U+007F><U+0085><U+061C><U+200F><U+2029><U+2066><U+DC80>"
    )


def test_the_sql_rule_is_the_python_rule_on_every_character(con):
    # DuckDB text is UTF-8: it cannot hold a lone surrogate, so those are left out here.
    rows = con.execute(
        f"""SELECT c, n FROM (SELECT c, {neutralise_sql("chr(c::INTEGER)")} AS n FROM range(0, 1114112) t(c)
            WHERE c NOT BETWEEN 55296 AND 57343) WHERE n <> chr(c::INTEGER)"""
    ).fetchall()
    assert {c for c, _ in rows} == UNSAFE
    assert all(text == neutralise(chr(c)) for c, text in rows)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged(con, text):
    assert neutralise(text) == text
    assert con.execute(f"SELECT {neutralise_sql('$t')}", {"t": text}).fetchone()[0] == text


def test_only_the_unsafe_characters_of_a_value_change_and_twice_is_once(con):
    text = "m9\u202e99 \u2066Piet\u2069 viewed 👩🏽\u200d🏫\r\nשלום"
    expected = "m9<U+202E>99 <U+2066>Piet<U+2069> viewed 👩🏽\u200d🏫<U+000D><U+000A>שלום"
    assert neutralise(text) == expected
    assert neutralise(expected) == expected
    assert con.execute(f"SELECT {neutralise_sql('$t')}", {"t": text}).fetchone()[0] == expected
    assert con.execute(f"SELECT {neutralise_sql('NULL::VARCHAR')}").fetchone()[0] is None


def cell(con, value):
    return con.execute(f"SELECT {csv_cell_sql('$v::VARCHAR')}", {"v": value}).fetchone()[0]


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(con, first):
    assert cell(con, f"{first}1+1") == "'" + neutralise(f"{first}1+1")
    assert cell(con, f"{first}") == "'" + neutralise(first)


def test_a_formula_character_later_in_a_cell_or_other_first_characters_leave_it_as_it_is(con):
    for value in ("STU-1001", "2026-11-17", "a=b", "a+b", " =1+1", "'=1", "(1)", "—", "#1", "%", "Zoë", ""):
        assert cell(con, value) == value, value
    assert cell(con, None) is None
    assert cell(con, '=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert cell(con, "\u202e=1") == "<U+202E>=1"  # starts with the marker: no formula
