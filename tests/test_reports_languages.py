"""The Dutch reports contain no English label, rule title or explanation, and the English ones no Dutch.

tests/test_reports_i18n.py checks the translation tables themselves (same keys, none empty, same
placeholders). Here the finished reports are read: both reports in both languages from the same
warehouse, once for the demo (the real rule catalogue, many findings) and once for the small report
warehouse of report_fixtures (every section filled: break glass, quarantine, rules not evaluated).

A report's visible text is its text outside <style>, with the title and aria-labels, whitespace
collapsed, and with the inputs' own text (names, ids, purposes, feed names...) cut out: a recipient
called "Inspectie van het Onderwijs" is not Dutch left in an English report.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import EPOCH, SETTINGS, WEEK

from checks.registry import Rule, parse_rule_file
from pipelines.contract import FEEDS, TEXT
from pipelines.warehouse import connect
from reports import write_outputs
from reports.i18n import load_table
from tests.conftest import ROOT, read_csv

pytest_plugins = (
    "report_fixtures",
    "demo_fixtures",
)  # report_catalogue, report_warehouse, report_outputs; demo

LANGS = ("en", "nl")
OTHER = {"en": "nl", "nl": "en"}
REPORTS = ("privacy-officer.html", "council-summary.html")
SOURCES = ("demo", "fixture")
CUT = "\0"  # what the inputs' text is replaced by: no phrase runs across it


class VisibleText(HTMLParser):
    """The text of a page in its language: without <style>, <script> and the machine names the report
    marks translate="no" (a reason code or column name shown small beside its sentence)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.untranslated: list[str] = []  # the tags of the open translate="no" elements
        self.parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.hidden += 1
        if ("translate", "no") in attrs:
            self.untranslated.append(tag)
            self.hidden += 1
        self.parts.extend(value for name, value in attrs if name in ("aria-label", "alt", "title") and value)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.hidden -= 1
        if self.untranslated and self.untranslated[-1] == tag:
            self.untranslated.pop()
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def input_texts(con) -> list[str]:
    """Every distinct text value of the inputs (not codes), longest first; and the feed names, which
    the data-quality tables show as the folder names they are."""
    values = set(FEEDS)
    for feed in FEEDS.values():
        for column in feed.columns:
            if column.kind == TEXT:
                rows = con.execute(
                    f'SELECT DISTINCT "{column.name}" FROM {feed.name} WHERE "{column.name}" IS NOT NULL'
                )
                values.update(squeeze(value) for (value,) in rows.fetchall())
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


def visible_text(html: str) -> str:
    return squeeze(" ".join(VisibleText(html).parts))


def without_inputs(text: str, inputs: list[str]) -> str:
    for value in inputs:
        if value in text:
            text = text.replace(value, CUT)
    return text


def phrases(text: str, placeholders: bool = True) -> list[str]:
    """The phrases of a label that must not turn up in the other language: the label itself when it has
    two words or more, or 8 characters or more; of a label with placeholders, its literal parts of 8
    characters or more ("{count} more findings" -> "more findings")."""
    parts = [literal for literal, _, _, _ in string.Formatter().parse(text)] if placeholders else [text]
    whole = len(parts) == 1
    found = []
    for part in parts:
        part = squeeze(part).strip(" ,.:;()")
        if len(part) >= 8 or (whole and len(part.split()) >= 2):
            found.append(part)
    return found


def table_values(lang: str) -> dict[str, str]:
    """{key: value} of a translation table, list items (month names) as key[i]."""
    flat = {}
    for key, value in load_table(lang).items():
        for i, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
            flat[key if i is None else f"{key}[{i}]"] = str(item)
    return flat


# ---- the reports, and what they are made of -------------------------------------------------------------


def real_catalogue() -> list[Rule]:
    # Read from the files: report_fixtures points checks.registry at its own catalogue meanwhile.
    return [parse_rule_file(path) for path in sorted((ROOT / "checks" / "rules").glob("*.sql"))]


@pytest.fixture(scope="module")
def demo_reports(demo) -> dict:
    con = connect(demo["db"], read_only=True)
    try:
        inputs = input_texts(con)
    finally:
        con.close()
    return read_reports({lang: demo[lang] for lang in LANGS}, inputs, real_catalogue())


# One quarantine row of report_fixtures predates reason codes; ingest writes one with every row now, and
# the report says the reason from it (the stored English sentence is only a fallback for older rows).
FIXTURE_REASON_CODES = {"not a timestamp": "timestamp_format"}


@pytest.fixture(scope="module")
def fixture_reports(report_warehouse, report_catalogue, tmp_path_factory) -> dict:
    con = report_warehouse  # this module's own copy
    con.executemany(
        "UPDATE quarantine SET reason_code = ? WHERE reason = ? AND reason_code IS NULL",
        [(code, reason) for reason, code in FIXTURE_REASON_CODES.items()],
    )
    out = tmp_path_factory.mktemp("reports")
    folders = {
        lang: write_outputs(con, WEEK, out / lang, lang, SETTINGS, source_date_epoch=EPOCH)[0].parent
        for lang in LANGS
    }
    # The test catalogue's facts (event_date, disclosed_at, ...) are its own, without labels in the
    # tables; the real catalogue's facts have them (the demo checks those). Cut like inputs' text.
    labelled = {key.removeprefix("fact.") for key in load_table("en") if key.startswith("fact.")}
    facts = con.execute("SELECT DISTINCT unnest(json_keys(facts)) FROM findings").fetchall()
    inputs = input_texts(con) + sorted({name for (name,) in facts} - labelled, key=len, reverse=True)
    return read_reports(folders, inputs, list(report_catalogue))


def read_reports(folders: dict[str, Path], inputs: list[str], rules: list[Rule]) -> dict:
    """{'shown': {lang: {report: visible text}}, 'text': the same without the inputs' text,
    'findings': {lang: rows of findings.csv}, 'rules': [Rule]}."""
    shown = {
        lang: {
            name: visible_text(folders[lang].joinpath(name).read_text(encoding="utf-8")) for name in REPORTS
        }
        for lang in LANGS
    }
    return {
        "shown": shown,
        "text": {
            lang: {name: without_inputs(text, inputs) for name, text in shown[lang].items()} for lang in LANGS
        },
        "findings": {lang: read_csv(folders[lang] / "findings.csv") for lang in LANGS},
        "rules": rules,
    }


@pytest.fixture(params=SOURCES)
def reports(request) -> dict:
    return request.getfixturevalue(f"{request.param}_reports")


# ---- labels ------------------------------------------------------------------------------------------------


def leftovers(text: str, lang: str, rules: list[Rule]) -> list[str]:
    """Phrases of the other language's table, rule titles and explanations that are in `text`, leaving
    out those the report's own language uses as well (the same words in both tables, e.g. "AVG art.")."""
    mine, theirs = table_values(lang), table_values(OTHER[lang])
    own = CUT.join(
        [*mine.values()] + [rule.title[lang] for rule in rules] + [rule.explanation[lang] for rule in rules]
    )
    candidates = {
        f"{key}: {phrase}": phrase
        for key, value in theirs.items()
        if value != mine.get(key)
        for phrase in phrases(value)
    }
    for rule in rules:
        candidates |= {
            f"{rule.id} title: {p}": p for p in phrases(rule.title[OTHER[lang]], placeholders=False)
        }
        candidates |= {f"{rule.id} explanation: {p}": p for p in phrases(rule.explanation[OTHER[lang]])}
    return sorted(
        f"{where}  [...{text[max(0, text.index(phrase) - 50) : text.index(phrase) + len(phrase) + 10]}...]"
        for where, phrase in candidates.items()
        if phrase not in own and phrase in text
    )


def test_the_check_finds_a_label_title_or_explanation_left_in_the_other_language(fixture_reports):
    text, rules = fixture_reports["text"]["nl"]["privacy-officer.html"], fixture_reports["rules"]
    assert leftovers(text, "nl", rules) == []
    en = load_table("en")
    planted = {
        "po.quality.not_evaluated": en["po.quality.not_evaluated"],  # a label
        "months[10]": "17 November 2026",  # a month name
        "title": rules[0].title["en"],
        "explanation": "with no involvement or role that allows it",
    }
    for where, phrase in planted.items():
        assert leftovers(f"{text} {phrase}.", "nl", rules), where


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", REPORTS)
def test_no_label_title_or_explanation_of_the_other_language(reports, lang, name):
    text = reports["text"][lang][name]
    assert leftovers(text, lang, reports["rules"]) == []


@pytest.mark.parametrize("lang", LANGS)
def test_rule_catalogue_titles_in_the_report_language(reports, lang):
    text = reports["shown"][lang]["privacy-officer.html"]
    missing = [rule.id for rule in reports["rules"] if squeeze(rule.title[lang]) not in text]
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_explanation_is_shown_in_the_report_language(reports, lang):
    text = reports["shown"][lang]["privacy-officer.html"]
    own = {row["finding_id"]: squeeze(row["explanation"]) for row in reports["findings"][lang]}
    theirs = {row["finding_id"]: squeeze(row["explanation"]) for row in reports["findings"][OTHER[lang]]}
    assert own and own.keys() == theirs.keys()
    assert [fid for fid, sentence in own.items() if sentence not in text] == []
    assert [fid for fid, sentence in theirs.items() if sentence in text and sentence != own[fid]] == []


def test_csv_explanations_differ_between_the_languages(reports):
    """Guards the test above: if both files had the same sentences, it could not see a leftover."""
    en = {row["finding_id"]: row["explanation"] for row in reports["findings"]["en"]}
    nl = {row["finding_id"]: row["explanation"] for row in reports["findings"]["nl"]}
    assert all(en[fid] != nl[fid] for fid in en)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", REPORTS)
def test_no_code_shown_as_it_is(reports, lang, name):
    """Codes of the contract (care_coordinator, legal_obligation, not_evaluated...) are shown by their name
    in the report language, never as the code alone (a reason code beside its sentence is marked
    translate="no" and is not part of the text)."""
    codes = re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", reports["text"][lang][name])
    assert sorted(set(codes)) == []
