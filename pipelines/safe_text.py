"""Text from the inputs made safe to show: invisible characters that reorder or hide text are made visible.

A name, id, file name or cell value from a landing file may carry characters that change how the text
around them is displayed without being seen themselves: the bidirectional controls (U+202E RIGHT-TO-LEFT
OVERRIDE turns `STF-0001 viewed` into what looks like other text), the C0 and C1 control characters (a
carriage return or an escape sequence rewrites what a terminal shows, a line feed forges a line of output)
and the line and paragraph separators. Every output shows each of them as a visible marker such as
`<U+202E>`: a reader sees that the value holds such a character, and which one, and the text around it
stays in its order. The warehouse keeps the original value; only what is shown is changed.

Tab, line feed and carriage return are markers too: every value from the inputs that an output shows is a
single-line value (an id, a name, a code, a file name, one cell), in which they are never content but can
split a line of terminal output or a CSV record, or pass unseen in HTML (where they read as a space).

    neutralise("STF-\u202e1000")          -> 'STF-<U+202E>1000'
    neutralise_sql("s.display_name")      -> a DuckDB expression that does the same, set-based
    csv_cell_sql("q.value")               -> the same, and spreadsheet-safe (a leading ' before a formula)
"""

from __future__ import annotations

import re

# (first, last) code point of each range shown as a marker; one list for the Python and the SQL rule.
UNSAFE_RANGES = (
    (0x0000, 0x001F),  # C0 controls, tab, line feed and carriage return included
    (0x007F, 0x009F),  # DELETE and the C1 controls
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x200E, 0x200F),  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    (0x2028, 0x2029),  # LINE SEPARATOR, PARAGRAPH SEPARATOR
    (0x202A, 0x202E),  # embeddings, overrides and POP DIRECTIONAL FORMATTING
    (0x2066, 0x2069),  # isolates and POP DIRECTIONAL ISOLATE
)

# Lone surrogates cannot be in the warehouse (DuckDB text is UTF-8), but Python holds an undecodable byte
# of a file name as one (surrogateescape); printing it would fail, so it is shown as a marker as well.
_SURROGATES = (0xD800, 0xDFFF)

_UNSAFE = re.compile("[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in (*UNSAFE_RANGES, _SURROGATES)) + "]")
# The same class in RE2 syntax, for DuckDB's regexp functions.
UNSAFE_CLASS_SQL = "[" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in UNSAFE_RANGES) + "]"

# A cell starting with one of these is a formula to a spreadsheet (the usual list: OWASP "CSV injection").
FORMULA_START_SQL = "^[=+\\-@\\t\\r]"


def marker(code_point: int) -> str:
    return f"<U+{code_point:04X}>"


def neutralise(text: str) -> str:
    """`text` with every unsafe character replaced by its marker; other text unchanged."""
    return _UNSAFE.sub(lambda match: marker(ord(match.group())), text)


def neutralise_sql(expr: str) -> str:
    """A DuckDB expression: the VARCHAR `expr` with every unsafe character replaced by its marker, as
    neutralise() does. Values without one (nearly all) are passed on after one regular-expression test."""
    return (
        f"CASE WHEN regexp_matches({expr}, '{UNSAFE_CLASS_SQL}') THEN array_to_string(list_transform("
        f"string_split({expr}, ''), lambda ch: CASE WHEN regexp_matches(ch, '{UNSAFE_CLASS_SQL}')"
        f" THEN printf('<U+%04X>', unicode(ch)) ELSE ch END), '') ELSE {expr} END"
    )


def csv_cell_sql(expr: str) -> str:
    """A DuckDB expression for a text cell of a CSV file: neutralised, and with a leading `'` when it
    would start with =, +, -, @, a tab or a carriage return, so that no spreadsheet runs it as a formula.
    NULL stays NULL (an empty cell)."""
    return f"(CASE WHEN regexp_matches({expr}, '{FORMULA_START_SQL}') THEN '''' ELSE '' END || {neutralise_sql(expr)})"


_FORMULA_START = re.compile(FORMULA_START_SQL)


def csv_cell(value) -> str:
    """The Python twin of csv_cell_sql, for the few CSV rows written from Python (the decision log):
    neutralised, with a leading `'` before a formula; None is an empty cell."""
    if value is None:
        return ""
    text = str(value)
    return ("'" if _FORMULA_START.match(text) else "") + neutralise(text)
