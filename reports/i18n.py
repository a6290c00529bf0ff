"""Translation tables (reports/i18n/<lang>.toml) and the number and date formats of each language.

Every label in the reports comes from these tables; rule titles and explanations come from the rule
catalogue. A missing key is an error, not a silent fallback to English.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from markupsafe import Markup

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "nl")

# (thousands separator, decimal separator) per language: 1,234.5 and 1.234,5
_SEPARATORS = {"en": (",", "."), "nl": (".", ",")}
_FIELD = re.compile(r"\{([a-z_]+)\}")  # a {placeholder} in a label


class TranslationError(KeyError):
    pass


def _flatten(table: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@cache
def load_table(lang: str) -> dict[str, object]:
    """The translation table of a language as {dotted.key: value}."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    with open(I18N_DIR / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Translator:
    """Labels and formats of one language, for templates (`t('key')`) and for SQL expressions."""

    def __init__(self, lang: str):
        self.lang = lang
        self.table = load_table(lang)

    def __call__(self, key: str, **values) -> str:
        try:
            text = self.table[key]
        except KeyError:
            raise TranslationError(f"no translation for {key!r} in {self.lang}.toml") from None
        return str(text).format(**values) if values else str(text)

    def get(self, key: str, default: str) -> str:
        """For labels of open-ended code lists (decision statuses, parameters): the code itself when
        the table has no entry."""
        return str(self.table.get(key, default))

    @property
    def months(self) -> list[str]:
        return list(self.table["months"])

    def number(self, value: float, decimals: int = 0) -> str:
        thousands, decimal = _SEPARATORS[self.lang]
        text = f"{value:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)

    def percent(self, share: float) -> str:
        """A share between 0 and 1 as a percentage with one decimal: 87.5% / 87,5%. Rounded down, so
        that 100.0% means all of them: 15,927 of 15,930 is 99.9%, not 100.0%."""
        tenths = math.floor(share * 1000 + 1e-9)  # the epsilon absorbs float error (0.875 * 1000)
        return self.number(tenths / 10, 1) + "%"

    def date(self, day: date) -> str:
        """17 November 2026 / 17 november 2026."""
        return f"{day.day} {self.months[day.month - 1]} {day.year}"

    def week(self, week: str) -> str:
        """'2026-W47' as 'week 47 of 2026' / 'week 47 van 2026'."""
        year, number = week.split("-W")
        return self("week.label", number=int(number), year=year)

    def css_content(self, key: str, **counters: str) -> Markup:
        """A label as a CSS `content` value, its placeholders replaced by CSS counters: for the page
        footer, t.css_content("page.number", page="counter(page)", pages="counter(pages)") gives
        '"page " counter(page) " of " counter(pages)'. Markup: it goes into the <style> block as is."""
        parts = _FIELD.split(self(key))  # literal, name, literal, name, ..., literal
        pieces = []
        for index, part in enumerate(parts):
            if index % 2:
                pieces.append(counters[part])
            elif part:
                pieces.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
        return Markup(" ".join(pieces))

    def count(self, value: int, threshold: int) -> str:
        """Small-count suppression for the council summary: 1 .. threshold-1 become 'fewer than N'."""
        if 0 < value < threshold:
            return self("fewer_than", threshold=self.number(threshold))
        return self.number(value)

    # SQL expressions, so that per-row formatting stays in the database.
    def sql_date(self, expr: str) -> str:
        """A DATE or TIMESTAMPTZ expression as '17 november 2026' (a TIMESTAMPTZ in the session's zone)."""
        months = "[" + ", ".join(sql_literal(m) for m in self.months) + "]"
        return f"(day({expr})::VARCHAR || ' ' || {months}[month({expr})] || ' ' || year({expr})::VARCHAR)"

    def sql_category_names(self) -> str:
        """A DuckDB MAP from data category code to its name in this language."""
        return self._sql_names(("category.",))

    def sql_code_names(self) -> str:
        """A DuckDB MAP from a code value (legal basis, kind, relation, role, form, ...) to its name."""
        return self._sql_names(("role.", "code."))

    def sql_fact_labels(self) -> str:
        """A DuckDB MAP from a fact's name (in a finding's facts) to its label in this language."""
        return self._sql_names(("fact.",))

    def _sql_names(self, prefixes: tuple[str, ...]) -> str:
        names = {}
        for key, value in sorted(self.table.items()):
            for prefix in prefixes:
                if key.startswith(prefix) and key.count(".") == 1:
                    names[key.removeprefix(prefix)] = str(value)
        pairs = ", ".join(f"{sql_literal(code)}: {sql_literal(name)}" for code, name in names.items())
        return f"MAP {{{pairs}}}"

    def sql_number(self, expr: str) -> str:
        """A whole number as text with this language's thousands separator: 1,234 / 1.234."""
        thousands = _SEPARATORS[self.lang][0]
        return f"format('{{:t{thousands}}}', {expr})"

    def sql_week(self, expr: str) -> str:
        """A week code ('2026-W47') as 'week 47 of 2026' in this language."""
        values = {
            "number": f"CAST(CAST(split_part({expr}, '-W', 2) AS INTEGER) AS VARCHAR)",
            "year": f"split_part({expr}, '-W', 1)",
        }
        parts = _FIELD.split(self("week.label"))
        pieces = [values[p] if i % 2 else sql_literal(p) for i, p in enumerate(parts) if i % 2 or p]
        return "(" + " || ".join(pieces) + ")"

    def sql_datetime(self, expr: str) -> str:
        """A TIMESTAMPTZ expression as '17 november 2026 10:15' in local time."""
        return f"({self.sql_date(expr)} || ' ' || strftime({expr}, '%H:%M'))"
