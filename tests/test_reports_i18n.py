"""Translation tables and the number, date and small-count formats of each language."""

from __future__ import annotations

import re
import string
from datetime import date

import duckdb
import pytest

from reports.i18n import LANGUAGES, TranslationError, Translator, load_table
from reports.render import TEMPLATES_DIR


def test_both_tables_have_the_same_keys():
    assert set(load_table("en")) == set(load_table("nl"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_value_is_empty(lang):
    for key, value in load_table(lang).items():
        if isinstance(value, list):
            assert value and all(isinstance(v, str) and v.strip() for v in value), key
        else:
            assert isinstance(value, str) and value.strip(), key


def test_placeholders_are_the_same_in_both_languages():
    def names(text):
        return {field for _, field, _, _ in string.Formatter().parse(text) if field}

    en, nl = load_table("en"), load_table("nl")
    for key, value in en.items():
        if isinstance(value, str):
            assert names(value) == names(nl[key]), key


def test_every_label_the_templates_use_exists():
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'\s*[,)]", template.read_text(encoding="utf-8")))
    assert used, "the templates use no labels?"
    missing = used - set(load_table("en"))
    assert not missing


def test_a_missing_key_is_an_error_not_english():
    with pytest.raises(TranslationError):
        Translator("nl")("no.such.key")
    assert Translator("nl").get("status.reopened", "reopened") == "reopened"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="en, nl"):
        Translator("de")


def test_dutch_has_no_english_left_in_the_main_labels():
    nl = Translator("nl")
    assert nl("severity.critical") == "kritiek"
    assert nl("council.title").endswith("medezeggenschapsraad")
    assert "verwerkersovereenkomst" in nl("council.processors.summary", with_agreement=1, total=2)


@pytest.mark.parametrize(
    ("lang", "value", "decimals", "expected"),
    [
        ("en", 1234.5, 1, "1,234.5"),
        ("nl", 1234.5, 1, "1.234,5"),
        ("en", 1234567, 0, "1,234,567"),
        ("nl", 1234567, 0, "1.234.567"),
        ("nl", 999, 0, "999"),
        ("nl", 0, 0, "0"),
    ],
)
def test_numbers(lang, value, decimals, expected):
    assert Translator(lang).number(value, decimals) == expected


def test_percentages():
    assert Translator("en").percent(0.875) == "87.5%"
    assert Translator("nl").percent(0.875) == "87,5%"
    assert Translator("nl").percent(1) == "100,0%"
    # rounded down: nearly all is not shown as all
    assert Translator("en").percent(15927 / 15930) == "99.9%"
    assert Translator("en").percent(1 / 15930) == "0.0%"
    assert Translator("en").percent(0.0005) == "0.0%"
    assert Translator("en").percent(2 / 3) == "66.6%"


def test_dates():
    assert Translator("en").date(date(2026, 11, 17)) == "17 November 2026"
    assert Translator("nl").date(date(2026, 11, 17)) == "17 november 2026"
    assert Translator("nl").date(date(2027, 1, 1)) == "1 januari 2027"


def test_dates_in_sql_match_dates_in_python():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Amsterdam'")
    nl = Translator("nl")
    day = nl.sql_date("DATE '2026-03-01'")
    moment = nl.sql_datetime("TIMESTAMPTZ '2026-11-30 23:05:00+00'")
    day, moment = con.execute(f"SELECT {day}, {moment}").fetchall()[0]
    assert day == "1 maart 2026" == nl.date(date(2026, 3, 1))
    assert moment == "1 december 2026 00:05"  # local date, not the UTC one


@pytest.mark.parametrize(
    ("value", "threshold", "en", "nl"),
    [
        (0, 5, "0", "0"),
        (1, 5, "fewer than 5", "minder dan 5"),
        (4, 5, "fewer than 5", "minder dan 5"),
        (5, 5, "5", "5"),
        (1234, 5, "1,234", "1.234"),
        (9, 10, "fewer than 10", "minder dan 10"),
        (10, 10, "10", "10"),
        (1, 1, "1", "1"),
    ],
)
def test_small_counts_are_suppressed(value, threshold, en, nl):
    assert Translator("en").count(value, threshold) == en
    assert Translator("nl").count(value, threshold) == nl
