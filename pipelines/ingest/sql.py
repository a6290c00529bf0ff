"""Small helpers to write generated SQL safely (names and texts come from files we do not control)."""

from __future__ import annotations

import re

_ERROR_KIND = re.compile(r"^[A-Za-z ]{1,40} Error: ")

# Characters trimmed from every value: spaces, tabs, line breaks and the no-break space of spreadsheets.
_TRIMMED = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def trimmed(expr: str) -> str:
    return f"trim({expr}, {_TRIMMED})"


# A value that starts or ends with one of the trimmed characters (as an RE2 pattern).
_UNTRIMMED = r"'^[ \t\n\r\x{00A0}]|[ \t\n\r\x{00A0}]$'"


def clean(expr: str) -> str:
    """Trimmed text; an empty value means unknown (NULL).

    trim() with a set of characters is slow in DuckDB (about four times a regular-expression test), and
    most values need no trimming: they are trimmed only when the pattern says so."""
    text = f"CAST({expr} AS VARCHAR)"
    return f"NULLIF(CASE WHEN regexp_matches({text}, {_UNTRIMMED}) THEN {trimmed(text)} ELSE {text} END, '')"


def newlines(expr: str) -> str:
    """How many line breaks a text holds (0 for NULL)."""
    return f"coalesce(length({expr}) - length(replace({expr}, chr(10), '')), 0)"


def short_error(error: Exception) -> str:
    """The first line of a DuckDB message, without its 'Invalid Input Error: ' kind of prefix."""
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else type(error).__name__
    return _ERROR_KIND.sub("", first)
