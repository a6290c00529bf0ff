"""The documentation in docs/ is written from the code (pipelines/documentation.py): it must be what the
code writes now, cover every feed, column, rule and parameter, and the README must point there rather
than outside the repository."""

from __future__ import annotations

import re

from checks.registry import load_catalogue
from pipelines import documentation
from pipelines.contract import FEEDS
from pipelines.contract_docs import COLUMN_DOCS, FEED_DOCS
from pipelines.settings import Settings
from reports.outputs import COVERAGE_COLUMNS, FINDINGS_COLUMNS, OUTPUT_COLUMN_DOCS, QUARANTINE_COLUMNS
from tests.conftest import ROOT


def test_the_docs_in_the_repository_are_what_the_code_writes():
    assert documentation.stale() == [], "run: python -m pipelines.documentation"


def test_the_check_fails_on_a_stale_page(tmp_path):
    for name, text in documentation.generated().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert documentation.stale(tmp_path) == []
    (tmp_path / "rules.md").write_text("old", encoding="utf-8")
    (tmp_path / "landing.md").unlink()
    assert sorted(documentation.stale(tmp_path)) == ["landing.md", "rules.md"]


def test_every_feed_and_column_of_the_contract_has_its_meaning():
    assert set(FEED_DOCS) == set(FEEDS) == set(COLUMN_DOCS)
    for name, feed in FEEDS.items():
        assert set(COLUMN_DOCS[name]) == set(feed.column_names), name


def test_every_output_column_is_described():
    for file, columns in (("findings.csv", FINDINGS_COLUMNS), ("coverage.csv", COVERAGE_COLUMNS),
                          ("quarantine.csv", QUARANTINE_COLUMNS)):  # fmt: skip
        assert set(OUTPUT_COLUMN_DOCS[file]) - {"_"} == set(columns), file


def test_the_pages_name_every_rule_parameter_and_column():
    pages = documentation.generated()
    for rule in load_catalogue():
        assert f"### {rule.id}" in pages["rules.md"] and rule.title["nl"] in pages["rules.md"]
    for name in Settings.__dataclass_fields__:
        assert f"| `{name}` |" in pages["settings.md"]
    for feed in FEEDS.values():
        for column in feed.column_names:
            assert re.search(rf"\| (\*\*)?{column}(\*\*)? \|", pages["landing.md"]), (feed.name, column)
    assert "### schoolaudit run" in pages["outputs.md"] and "`decided_at`" in pages["outputs.md"]


def test_the_readme_points_into_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme and "shared/spec" not in readme
    for page in ("docs/landing.md", "docs/rules.md", "docs/outputs.md", "docs/settings.md"):
        assert page in readme and (ROOT / page).is_file()
