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


def test_weeks_in_python_and_sql():
    con = duckdb.connect()
    for lang, expected in (("en", "week 5 of 2027"), ("nl", "week 5 van 2027")):
        t = Translator(lang)
        assert t.week("2027-W05") == expected
        assert (
            con.execute(f"SELECT {t.sql_week('w')} FROM (SELECT '2027-W05' AS w)").fetchall()[0][0]
            == expected
        )


def test_numbers_in_sql_match_numbers_in_python():
    con = duckdb.connect()
    for lang in LANGUAGES:
        t = Translator(lang)
        for value in (0, 999, 1234, 1234567):
            assert con.execute(f"SELECT {t.sql_number(str(value))}").fetchall()[0][0] == t.number(value)


def test_page_numbers_as_css_content():
    counters = {"page": "counter(page)", "pages": "counter(pages)"}
    assert Translator("en").css_content("page.number", **counters) == (
        '"page " counter(page) " of " counter(pages)'
    )
    assert Translator("nl").css_content("page.number", **counters) == (
        '"pagina " counter(page) " van " counter(pages)'
    )


def facts_shown(facts: dict, lang: str) -> list[tuple[str, str]]:
    import json

    from reports.outputs import fact_list_sql

    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Amsterdam'")
    rows = con.execute(
        f"SELECT {fact_list_sql(Translator(lang))} FROM (SELECT ?::JSON AS facts) f", [json.dumps(facts)]
    ).fetchall()[0][0]
    return [(fact["label"], fact["value"]) for fact in rows]


def test_facts_behind_a_finding_are_labelled_and_formatted_in_the_report_language():
    facts = {
        "actor_id": "m1",  # shown in its own column: left out
        "lookback_events": 18025,
        "other_purpose": True,
        "consent_problem": "other_student",
        "data_categories": ["care", "images"],
        "as_of": "2026-11-17",
        "consent_date": None,
        "purpose": "bijles",  # text, as it is
        "new_fact": "x",  # no label: a code, not shown
    }
    assert facts_shown(facts, "nl") == [
        ("gebeurtenissen in de terugkijkperiode", "18.025"),
        ("ander doel", "ja"),
        ("probleem met de toestemming", "toestemming van een andere leerling"),
        ("verstrekte categorieën", "zorg en ondersteuning, beeldmateriaal"),
        ("stand op", "17 november 2026"),
        ("toestemming gegeven op", "—"),
        ("doel", "bijles"),
    ]
    assert facts_shown(facts, "en")[:3] == [
        ("events in the look-back", "18,025"),
        ("other purpose", "yes"),
        ("problem with the consent", "consent of another student"),
    ]


def test_birth_dates_and_free_text_are_never_among_the_facts_shown():
    facts = {"birth_date": "2008-03-14", "student_birth_date": "2008-03-14", "justification": "brand",
             "note": "gesprek", "document_text": "...", "category": "care"}  # fmt: skip
    assert facts_shown(facts, "en") == [("category", "care and support")]


def test_every_fact_the_rules_explain_has_a_label_in_both_languages():
    from checks.registry import load_catalogue

    load_catalogue.cache_clear()
    placeholders = {name for rule in load_catalogue() for name in rule.placeholders("en")}
    load_catalogue.cache_clear()
    shown_elsewhere = {"actor_id", "student_id", "recipient_id", "recipient_name", "local_date"}
    for lang in LANGUAGES:
        labels = {key.removeprefix("fact.") for key in load_table(lang) if key.startswith("fact.")}
        assert placeholders - shown_elsewhere - labels == set(), lang


def test_only_whole_words_of_a_fact_name_hide_it():
    from reports.outputs import HIDDEN_FACT_PATTERN

    hidden = re.compile(HIDDEN_FACT_PATTERN)
    assert all(
        hidden.search(n) for n in ("birth_date", "student_birth_date", "note", "notes", "document_text")
    )
    assert not any(hidden.search(n) for n in ("context_id", "notebook", "rebirth", "days_left"))
