"""The documentation in docs/, written from the code: the landing contract (pipelines.contract and
pipelines.contract_docs), the rule catalogue (the rules' headers), the settings (pipelines.settings) and
the outputs (the command line's own help, the CSV columns).

    python -m pipelines.documentation          # (re)writes docs/
    python -m pipelines.documentation --check  # exit 1 when docs/ is not what the code would write

tests/test_docs.py runs the check, so the docs cannot fall behind the code.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from checks.registry import load_catalogue
from pipelines.contract import (
    BOOL,
    CODE,
    DATA_CATEGORIES,
    DATE,
    DATE_OR_TIMESTAMP,
    DEFAULTS,
    FEEDS,
    LIST,
    SPECIAL_CATEGORIES,
    TEXT,
    TIMESTAMP,
)
from pipelines.contract_docs import CATEGORY_DOCS, COLUMN_DOCS, FEED_DOCS
from pipelines.settings import Settings
from reports.i18n import Translator
from reports.outputs import COVERAGE_COLUMNS, FINDINGS_COLUMNS, OUTPUT_COLUMN_DOCS, QUARANTINE_COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs"
GENERATED = "<!-- Written by `python -m pipelines.documentation` from the code; do not edit by hand. -->\n\n"
KIND_NAMES = {
    TEXT: "text", DATE: "date (YYYY-MM-DD)", TIMESTAMP: "timestamp (ISO 8601; no offset = local time)",
    DATE_OR_TIMESTAMP: "date or timestamp (a date = local midnight)", BOOL: "boolean", LIST: "list",
    CODE: "code",
}  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def landing() -> str:
    lines = [
        "# The landing contract",
        "",
        ("School systems (or the people who export from them) drop files into a *landing folder*, one folder "
        "per feed; `schoolaudit run` (or the Dagster sensor) ingests them. **Bold** columns are required."),
        "",
        ("- CSV (UTF-8, a BOM is tolerated, header row, comma separated, RFC 4180 quoting), JSONL (one object "
        "a line) or Parquet; any number of files per feed. A feed folder may be missing: the rules that need "
        "it are *not evaluated*, never passed."),
        ("- Booleans: `true/false`, `1/0`, `yes/no`, `ja/nee` (any case); empty = unknown. Lists: `;`-separated "
        "in CSV, arrays in JSONL/Parquet. Codes are matched case-insensitively."),
        ("- A row that breaks the contract is quarantined (file, line, column, reason), never dropped "
        "silently; a file that cannot be read as a whole is rejected and the week is audited without it "
        "(see the README, *Input that fights back*). A later row with a known key replaces the earlier one."),
        ("- `oneroster/<bundle>/`: OneRoster 1.1/1.2 CSV bundles, and `sds/<bundle>/`: Microsoft School Data "
        "Sync v1 or v2.1 CSV bundles, from which teacher involvements (relation `roster`) are derived."),
        ("- `vendor/<name>/`: a school system's own exports (any delimiter and encoding, title rows, .xlsx) "
        "beside a mapping profile `profile.toml` that maps them into one feed (see the README, *Connecting a "
        "school system's export*)."),
        "",
    ]
    for feed in FEEDS.values():
        docs = COLUMN_DOCS.get(feed.name, {})
        lines += [f"## {feed.name}", "", FEED_DOCS.get(feed.name, ""), "",
                  "| column | type | values | meaning |", "|---|---|---|---|"]  # fmt: skip
        for column in feed.columns:
            name = f"**{column.name}**" if column.required else column.name
            values = ", ".join(f"`{code}`" for code in column.codes) if column.codes else ""
            default = DEFAULTS.get((feed.name, column.name))
            if default:
                values += f" (default `{default}`)"
            lines.append(f"| {name} | {KIND_NAMES[column.kind]} | {_cell(values)} | {_cell(docs.get(column.name, ''))} |")
        lines += ["", f"A later row with the same {', '.join(f'`{k}`' for k in feed.key)} replaces the earlier one.", ""]
    lines += ["## Data categories", "", "| code | meaning | special category |", "|---|---|---|"]
    for code in DATA_CATEGORIES:
        lines.append(f"| `{code}` | {CATEGORY_DOCS[code]} | {'yes' if code in SPECIAL_CATEGORIES else ''} |")
    return GENERATED + "\n".join(lines) + "\n"


def rules() -> str:
    en, nl = Translator("en"), Translator("nl")
    catalogue = load_catalogue()
    lines = [
        "# The rule catalogue",
        "",
        (f"{len(catalogue)} rules, one SQL file each in `checks/rules/`, in catalogue order. Inside a family, "
        "rules with a precedence exclude each other per subject: the lowest applies. Every rule works on local "
        "dates in the configured time zone (`timezone`); the parameters it depends on besides are listed "
        "and described in [settings.md](settings.md)."),
        "",
    ]
    family = None
    for rule in catalogue:
        if rule.family != family:
            family = rule.family
            lines += [f"## {en.get('family.' + family, family)} · {nl.get('family.' + family, family)}", ""]
        feeds = ", ".join(" or ".join(f"`{f}`" for f in entry) for entry in rule.feeds)
        lines += [
            f"### {rule.id}",
            "",
            f"- **Title:** {rule.title['en']} · *{rule.title['nl']}*",
            f"- **Severity:** {rule.severity}" + (f"; precedence {rule.order} in its family" if rule.order else ""),
            f"- **Subject:** `{rule.subject_type}`",
            f"- **Needs:** {feeds}" + (f"; consults {', '.join(f'`{f}`' for f in rule.consults)}" if rule.consults else ""),
            "- **Parameters:** " + (", ".join(f"`{p}`" for p in rule.parameters) if rule.parameters else "none"),
            f"- **Legal source:** {rule.legal_source['en']}"
            + (f" · *{rule.legal_source['nl']}*" if rule.legal_source["nl"] != rule.legal_source["en"] else ""),
            f"- **Explanation (en):** {rule.explanation['en']}",
            f"- **Explanation (nl):** {rule.explanation['nl']}",
            "",
        ]
    return GENERATED + "\n".join(lines) + "\n"


def settings() -> str:
    en, nl = Translator("en"), Translator("nl")
    lines = [
        "# Settings",
        "",
        ("The parameters of the rules, set in a TOML file given with `--config FILE` (any subset; unknown keys "
        "and bad values stop the run). Every value in force is printed in the report's appendix."),
        "",
        "| parameter | default | meaning | in Dutch | rules |",
        "|---|---|---|---|---|",
    ]
    users = {}
    for rule in load_catalogue():
        for name in rule.parameters:
            users.setdefault(name, []).append(rule.id)
    for name, value in Settings().as_rows():
        used = ", ".join(f"`{r}`" for r in users.get(name, [])) or ("every rule" if name == "timezone" else "reports")
        lines.append(f"| `{name}` | {_cell(value)} | {_cell(en.get('param.' + name, ''))} | "
                     f"{_cell(nl.get('param.' + name, ''))} | {used} |")  # fmt: skip
    return GENERATED + "\n".join(lines) + "\n"


@contextmanager
def _fixed_width(columns: int = 100):
    """argparse wraps its help to the terminal: a fixed width gives the same text everywhere."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = before


def outputs() -> str:
    from pipelines.cli import _parser

    lines = ["# Command line and outputs", "", "## Command line", ""]
    with _fixed_width():
        parser = _parser()
        lines += ["```", parser.format_help().rstrip(), "```", ""]
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, sub in commands.choices.items():
            lines += [f"### schoolaudit {name}", "", "```", sub.format_help().rstrip(), "```", ""]
    lines += [
        "## Files in `<out>/<week>/`",
        "",
        ("Every CSV is safe to open in a spreadsheet: a cell that would start with `=`, `+`, `-`, `@`, a tab or "
        "a carriage return gets a leading `'`. Every file is the owner's only."),
        "",
    ]
    for file, columns in (("findings.csv", FINDINGS_COLUMNS), ("coverage.csv", COVERAGE_COLUMNS),
                          ("quarantine.csv", QUARANTINE_COLUMNS)):  # fmt: skip
        docs = OUTPUT_COLUMN_DOCS[file]
        lines += [f"### {file}", "", docs["_"], "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{c}` | {_cell(docs[c])} |" for c in columns]
        lines.append("")
    lines += [
        "### privacy-officer.html / .pdf and council-summary.html / .pdf",
        "",
        ("The privacy officer's weekly report (personal data: cases per account and recipient, standing "
        "findings, decisions, data quality) and the participation council's summary (counts only, small "
        "counts suppressed), in English or Dutch (`--lang`). The README describes both."),
    ]
    return GENERATED + "\n".join(lines) + "\n"


def index() -> str:
    pages = [
        "- [landing.md](landing.md): the landing contract, feed by feed, and the data categories",
        "- [rules.md](rules.md): every rule, with severity, feeds, parameters and legal source, in English and Dutch",
        "- [settings.md](settings.md): the parameters and their defaults",
        "- [outputs.md](outputs.md): the command line and the files it writes",
    ]
    return GENERATED + "# Documentation\n\n" + "\n".join(pages) + "\n"


PAGES = {"README.md": index, "landing.md": landing, "rules.md": rules, "settings.md": settings, "outputs.md": outputs}


def generated() -> dict[str, str]:
    return {name: page() for name, page in PAGES.items()}


def stale(folder: Path = DOCS) -> list[str]:
    """The pages of `folder` that differ from what the code writes (or are missing)."""
    return [name for name, text in generated().items()
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    if check:
        out_of_date = stale()
        if out_of_date:
            print(f"docs/ is out of date ({', '.join(out_of_date)}): run python -m pipelines.documentation")
            return 1
        return 0
    DOCS.mkdir(exist_ok=True)
    for name, text in generated().items():
        (DOCS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(PAGES)} pages to {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
