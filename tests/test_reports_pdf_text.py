"""The privacy officer's PDF lists the same findings as findings.csv (read back with pdftotext).

Finding ids may be broken over lines by the layout, so ids are looked for in the text with all
whitespace (and line-end hyphenation) removed; a hex id has neither.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from demo_fixtures import require_program

from reports.i18n import Translator
from tests.conftest import read_csv

pytest_plugins = ("demo_fixtures",)  # demo

LANGS = ("en", "nl")
FINDING_ID = re.compile(r"\b[0-9a-f]{16}\b")


def pdf_text(path: Path, layout: bool = False) -> str:
    """The PDF's text in reading order (a wrapped cell's lines follow each other), or with layout=True
    laid out as on the page (a table row on one line)."""
    pdftotext = require_program("pdftotext")
    command = [pdftotext, "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def without_layout(text: str) -> str:
    """The text with hyphenation at line ends and all whitespace removed: what is left of a wrapped id."""
    return re.sub(r"\s+", "", re.sub(r"[-\u2010\u00ad]\s*\n", "", text))


@pytest.fixture(scope="module")
def officer_pdf(demo) -> dict[str, dict]:
    """{lang: {'text', 'layout': pdftotext output, 'findings': rows of findings.csv}} of the demo."""
    return {
        lang: {
            "text": pdf_text(demo[lang] / "privacy-officer.pdf"),
            "layout": pdf_text(demo[lang] / "privacy-officer.pdf", layout=True),
            "findings": read_csv(demo[lang] / "findings.csv"),
        }
        for lang in LANGS
    }


def test_the_demo_has_findings_of_every_kind_of_case(officer_pdf):
    """Without findings in every part of the report the other tests would prove little."""
    subjects = {row["subject_type"] for row in officer_pdf["en"]["findings"]}
    assert {"access_event", "disclosure", "policy"} <= subjects
    assert any(row["severity"] == "info" for row in officer_pdf["en"]["findings"])


def test_both_languages_list_the_same_findings_in_their_csv(officer_pdf):
    ids = {lang: sorted(row["finding_id"] for row in officer_pdf[lang]["findings"]) for lang in LANGS}
    assert ids["en"] == ids["nl"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_finding_of_the_csv_is_in_the_pdf(officer_pdf, lang):
    text = without_layout(officer_pdf[lang]["text"])
    missing = [row["finding_id"] for row in officer_pdf[lang]["findings"] if row["finding_id"] not in text]
    assert missing == [], f"{len(missing)} of {len(officer_pdf[lang]['findings'])} findings not in the PDF"


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_lists_each_finding_once_and_no_other(officer_pdf, lang):
    text = officer_pdf[lang]["text"]
    ids = [row["finding_id"] for row in officer_pdf[lang]["findings"]]
    squeezed = without_layout(text)
    listed = {finding_id: squeezed.count(finding_id) for finding_id in ids}
    assert sum(listed.values()) == len(ids), {i: n for i, n in listed.items() if n != 1}
    # ids that the layout left whole and that are not in the CSV
    assert set(FINDING_ID.findall(text)) - set(ids) == set()


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_headline_counts_match_the_csv(officer_pdf, lang):
    t = Translator(lang)
    text = re.sub(r"[ \t]+", " ", officer_pdf[lang]["layout"])
    findings = officer_pdf[lang]["findings"]
    total = re.search(rf"^ ?{re.escape(t('po.headline.total'))} (\S+)", text, re.MULTILINE)
    assert total and total[1] == t.number(len(findings))
    per_severity = Counter(row["severity"] for row in findings)
    for severity in ("critical", "high", "medium", "low", "info"):
        # the severity's row of the headline table: its name, then a count (the chart's legend beside
        # the table names the severities too, with no count)
        row = re.search(rf"^ ?{re.escape(t(f'severity.{severity}'))} ([0-9][0-9.,]*) ", text, re.MULTILINE)
        assert row and row[1] == t.number(per_severity[severity]), severity
