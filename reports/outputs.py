"""The CSV files of spec/outputs.md, and the SQL that turns findings into readable rows.

A finding's explanation is rendered in the database: each rule's template ("{actor_id} viewed ...")
becomes a DuckDB `format()` call whose positional arguments read the finding's `facts` JSON. One CASE
over the rule ids covers the whole catalogue: no Python runs per finding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from checks.registry import SEVERITIES, Rule
from decisions.tables import HOLDS_SQL, STATUS_SQL, ensure_registered
from pipelines.safe_text import csv_cell_sql
from reports.files import write_atomic
from reports.i18n import Translator, sql_literal

FINDINGS_COLUMNS = (
    "finding_id",
    "rule_id",
    "severity",
    "week",
    "school_id",
    "occurred_at",
    "subject_type",
    "subject_id",
    "actor_id",
    "student_id",
    "recipient_id",
    "explanation",
    "legal_source",
    "status",
    "decided_by",
    "decided_at",
    "note",
)
COVERAGE_COLUMNS = ("rule_id", "status", "reason", "subjects_checked", "findings")
QUARANTINE_COLUMNS = ("feed", "file", "line", "column", "value", "reason")

# What each file and column holds (docs/outputs.md is written from this; "_" is the file's own line).
OUTPUT_COLUMN_DOCS: dict[str, dict[str, str]] = {
    "findings.csv": {
        "_": "One row per finding, sorted by severity (critical first) then time.",
        "finding_id": "stable: the same rule on the same subject always gets the same id, across runs",
        "rule_id": "the rule (docs/rules.md)",
        "severity": "`critical`, `high`, `medium`, `low`, `info`",
        "week": "the ISO week, e.g. `2026-W47`",
        "school_id": "the student's school, when there is a student",
        "occurred_at": "ISO 8601 local time of the event or disclosure; empty for standing rules",
        "subject_type": "`access_event`, `disclosure`, `agreement`, `policy`, `source_system`, `account`",
        "subject_id": "`access_event`: `<source_system>:<event_id>` · `disclosure`: `disclosure_id` · "
        "`agreement`: `agreement_id` · `policy`: `<policy_id>@<version>@<scope>` · `source_system`: "
        "`<source_system>@<YYYY-MM-DD>` · `account` (signals): as docs/rules.md says per signal",
        "actor_id": "the staff, guardian or student account, for access findings",
        "student_id": "",
        "recipient_id": "for disclosure findings",
        "explanation": "one sentence in the report language that says why, with the facts used",
        "legal_source": "short citation",
        "status": "`open`, `under_review`, `justified`, `false_positive`, `confirmed`: the latest decision",
        "decided_by": "of the latest decision; empty while `open`",
        "decided_at": "of the latest decision, UTC (ISO 8601 with `Z`); empty while `open`",
        "note": "of the latest decision; empty while `open`",
    },
    "coverage.csv": {
        "_": "One row per rule of the catalogue: whether it could be judged this week.",
        "rule_id": "",
        "status": "`evaluated`, `incomplete` (judged without a rejected event file) or `not_evaluated`",
        "reason": "for not evaluated: which feed is missing or empty, or which file was rejected; for "
        "incomplete: the rejected files",
        "subjects_checked": "how many subjects (events, disclosures, agreements, ...) the rule judged",
        "findings": "how many findings it gave",
    },
    "quarantine.csv": {
        "_": "One row per rejected input row, and one per rejected file.",
        "feed": "",
        "file": "the landing file, relative to the landing folder",
        "line": "1 = the header line; empty when the file could not be read at all",
        "column": "",
        "value": "the value as it came (control characters shown as visible markers)",
        "reason": "what was wrong",
    },
}

# The same placeholder syntax as checks.registry: {name} with a lower-case identifier.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MISSING_FACT = "—"
SEVERITY_LIST = "[" + ", ".join(sql_literal(s) for s in SEVERITIES) + "]"


def template_to_format(template: str) -> tuple[str, list[str]]:
    """'{actor_id} viewed {category}' -> ('{} viewed {}', ['actor_id', 'category']).

    Braces that are not placeholders are doubled, which is how `format()` spells a literal brace.
    """
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    literals = [p.replace("{", "{{").replace("}", "}}") for p in parts[0::2]]
    return "{}".join(literals), parts[1::2]


# Facts named after data categories (category, data_categories, uncovered_categories, ...) hold category
# codes; facts named after a coded column of the contract hold code values (e.g. legal_basis,
# recipient_kind, relation, given_by_role), and so do the facts in which a rule states its own codes
# (consent_problem, agreement_problems, a policy's scope). Both are shown by their name in the report
# language.
CATEGORY_FACT_WORD = "categor"
CODE_FACT_SUFFIXES = ("legal_basis", "kind", "relation", "role", "form", "decision", "actor_type", "action",
                      "account_type", "explained_by", "identifiers", "problem", "problems", "scope")

# Facts the report never shows in a finding's list of facts, whatever a rule puts there: birth dates,
# free text of documents, justifications or notes (a word of their names says so).
HIDDEN_FACT_PATTERN = "(^|_)(birth|justification|notes?|text)(_|$)"
# Facts a report row already shows in a column of its own (the case's account or recipient, the student,
# the time).
FACTS_SHOWN_ELSEWHERE = ("actor_id", "student_id", "recipient_id", "recipient_name", "local_date")


def _code_names_sql(name: str, t: Translator) -> str:
    """The MAP that names the codes a fact holds, for the fact whose name is the SQL expression `name`:
    category names, code names, or NULL (the fact holds no codes)."""
    code_suffixes = "(" + "|".join(CODE_FACT_SUFFIXES) + ")$"
    return (
        f"CASE WHEN contains({name}, {sql_literal(CATEGORY_FACT_WORD)}) THEN {t.sql_category_names()}"
        f" WHEN regexp_matches({name}, {sql_literal(code_suffixes)}) THEN {t.sql_code_names()} END"
    )


def _fact_value_sql(t: Translator, facts: str, name: str, yes_no: bool) -> str:
    """The text of the fact whose name is the SQL expression `name`: lists joined with ', ', ISO dates
    and timestamps in the report language, whole numbers with its thousands separator, codes by their
    name in it, a missing value as MISSING_FACT. With yes_no, true and false read as yes and no."""
    path = f"('$.' || {name})"
    raw = f"({facts} ->> {path})"
    kind = f"json_type({facts}, {path})"
    as_date = f"TRY_CAST({raw} AS DATE)"
    as_time = f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    names = _code_names_sql(name, t)

    def shown(value: str) -> str:
        return f"coalesce(({names})[{value}], {value})"

    items = f"CAST(json_extract({facts}, {path}) AS VARCHAR[])"
    booleans = (
        f" WHEN {kind} = 'BOOLEAN' THEN CASE WHEN {raw} = 'true' THEN {sql_literal(t('answer.yes'))}"
        f" ELSE {sql_literal(t('answer.no'))} END"
        if yes_no
        else ""
    )
    return (
        f"coalesce(CASE"
        f" WHEN {kind} = 'ARRAY'"
        f" THEN nullif(array_to_string(list_transform({items}, lambda item: {shown('item')}), ', '), '')"
        f"{booleans}"
        f" WHEN {kind} IN ('UBIGINT', 'BIGINT') THEN {t.sql_number(f'TRY_CAST({raw} AS HUGEINT)')}"
        rf" WHEN regexp_full_match({raw}, '\d{{4}}-\d{{2}}-\d{{2}}') THEN {t.sql_date(as_date)}"
        rf" WHEN regexp_full_match({raw}, '\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}.*')"
        f" AND {as_time} IS NOT NULL THEN {t.sql_datetime(as_time)}"
        f" ELSE {shown(raw)} END, {sql_literal(MISSING_FACT)})"
    )


def fact_texts_sql(t: Translator, facts: str = "f.facts") -> str:
    """A MAP from the name of each fact of a finding to its text in the report language. The value
    expression is written once for all facts, which keeps the explanations' SQL small and quick."""
    value = _fact_value_sql(t, facts, "name", yes_no=False)
    return (
        f"map_from_entries(list_transform(list_distinct(json_keys({facts})),"
        f" lambda name: {{'key': name, 'value': {value}}}))"
    )


def fact_list_sql(t: Translator, facts: str = "f.facts") -> str:
    """Every fact of a finding as a list of {'label', 'value'} in the report language, in the order the
    rule wrote them: the facts behind the explanation, for the privacy officer's report. Leaves out the
    hidden facts, those the report shows in a column of their own, and those without a label in the
    translation tables ([fact]): a fact name is a code, never shown as it is."""
    shown_elsewhere = "[" + ", ".join(sql_literal(n) for n in FACTS_SHOWN_ELSEWHERE) + "]"
    labels = t.sql_fact_labels()
    value = _fact_value_sql(t, facts, "name", yes_no=True)
    return (
        f"list_transform("
        f"list_filter(json_keys({facts}), lambda name: NOT list_contains({shown_elsewhere}, name)"
        f" AND NOT regexp_matches(name, {sql_literal(HIDDEN_FACT_PATTERN)}) AND ({labels})[name] IS NOT NULL),"
        f" lambda name: {{'label': ({labels})[name], 'value': {value}}})"
    )


def explanation_sql(
    rules: Sequence[Rule], t: Translator, facts: str = "f.facts", rule_id: str = "f.rule_id"
) -> str:
    """One CASE over the catalogue that renders each finding's explanation in the language of `t`,
    from the texts of its facts (fact_texts_sql, computed once per finding)."""
    branches = []
    for rule in rules:
        fmt, names = template_to_format(rule.explanation[t.lang])
        args = "".join(f", coalesce(texts[{sql_literal(name)}], {sql_literal(MISSING_FACT)})" for name in names)
        branches.append(f"WHEN {sql_literal(rule.id)} THEN format({sql_literal(fmt)}{args})")
    if not branches:
        return "NULL::VARCHAR"
    # a one-element list and a lambda: the fact texts are computed once and named `texts`
    return f"list_transform([{fact_texts_sql(t, facts)}], lambda texts: CASE {rule_id} {' '.join(branches)} END)[1]"


def catalogue_cte(rules: Sequence[Rule], lang: str) -> str:
    """`catalogue(rule_id, catalogue_rank, family, severity, title, legal_source)` as a CTE body."""
    columns = "rule_id, catalogue_rank, family, severity, title, legal_source"
    if not rules:
        return (
            f"catalogue({columns}) AS (SELECT NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR,"
            " NULL::VARCHAR, NULL::VARCHAR WHERE false)"
        )
    rows = ", ".join(
        f"({sql_literal(r.id)}, {rank}, {sql_literal(r.family)}, {sql_literal(r.severity)},"
        f" {sql_literal(r.title[lang])}, {sql_literal(r.legal_source[lang])})"
        for rank, r in enumerate(rules)
    )
    return f"catalogue({columns}) AS (VALUES {rows})"


def iso_local_sql(expr: str) -> str:
    """A TIMESTAMPTZ as ISO 8601 local time with its offset: 2026-11-17T10:15:00+01:00."""
    offset = f"date_part('timezone', {expr})"
    return (
        f"(strftime({expr}, '%Y-%m-%dT%H:%M:%S')"
        f" || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || lpad((abs({offset}) // 3600)::VARCHAR, 2, '0')"
        f" || ':' || lpad(((abs({offset}) % 3600) // 60)::VARCHAR, 2, '0'))"
    )


def findings_sql(rules: Sequence[Rule], t: Translator) -> str:
    """The week's findings ($week) with everything the CSV and the reports show, one row per finding.

    Extra columns for the reports: severity_rank (0 = critical), occurred_ts, local_time, title, family,
    fact_list (the facts behind the explanation, labelled), decision_id. The status and the latest
    decision come from the decision store (decisions.tables; the connection must have registered it).
    """
    return f"""
        WITH {catalogue_cte(rules, t.lang)}
        SELECT f.finding_id, f.rule_id, f.severity, f.week, f.school_id,
               {iso_local_sql("f.occurred_at")} AS occurred_at,
               f.subject_type, f.subject_id, f.actor_id, f.student_id, f.recipient_id,
               {explanation_sql(rules, t)} AS explanation,
               c.legal_source,
               {STATUS_SQL} AS status,
               CASE WHEN {HOLDS_SQL} THEN d.decided_by END AS decided_by,
               CASE WHEN {HOLDS_SQL} THEN strftime(timezone('UTC', d.decided_at), '%Y-%m-%dT%H:%M:%SZ') END
                   AS decided_at,
               CASE WHEN {HOLDS_SQL} THEN d.note END AS note,
               CASE WHEN {HOLDS_SQL} THEN d.decision_id END AS decision_id,
               list_position({SEVERITY_LIST}, f.severity) - 1 AS severity_rank,
               f.occurred_at AS occurred_ts,
               {t.sql_datetime("f.occurred_at")} AS local_time,
               coalesce(c.title, f.rule_id) AS title,
               coalesce(c.family, 'other') AS family,
               {fact_list_sql(t)} AS fact_list
        FROM findings f
        LEFT JOIN catalogue c ON c.rule_id = f.rule_id
        LEFT JOIN latest_decision d ON d.finding_id = f.finding_id
        WHERE f.week = $week
    """


# Severity first (critical first), then time; standing findings (no time) after the events of their
# severity; the ids make the order total so that two runs write the same file.
FINDINGS_ORDER = "severity_rank NULLS LAST, occurred_ts NULLS LAST, rule_id, subject_id, finding_id"


def _columns(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# Types whose values are written as they are: numbers, truth values, dates and times. A spreadsheet reads
# such a cell as a value, never as a formula: even a negative number is only a minus sign and digits (the
# CSVs' numbers today are line numbers and counts, never below zero).
_NOT_TEXT_TYPES = frozenset({
    "boolean", "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger",
    "ubigint", "uhugeint", "float", "double", "decimal", "date", "time", "time with time zone", "timestamp",
    "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns", "interval", "null",
})  # fmt: skip


def _csv_cell(name: str, column_type) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if column_type.id in _NOT_TEXT_TYPES:
        return quoted
    return f"{csv_cell_sql(f'CAST({quoted} AS VARCHAR)')} AS {quoted}"


def write_csv(con, sql: str, params: dict, target: Path) -> Path:
    """Write the rows of `sql` to the CSV file `target` (atomically), the way every CSV of the auditor is
    written: each text cell neutralised (pipelines.safe_text) and spreadsheet-safe (a leading ' before
    =, +, -, @, a tab or a carriage return), in the same query; numbers, dates and times as they are."""

    def fill(tmp: Path) -> None:
        relation = con.sql(sql, params=params)
        cells = ", ".join(_csv_cell(name, kind) for name, kind in zip(relation.columns, relation.types, strict=True))
        relation.project(cells).write_csv(str(tmp), header=True, sep=",", quotechar='"')

    return write_atomic(target, fill)


def write_findings_csv(con, week: str, target: Path, rules: Sequence[Rule], t: Translator) -> Path:
    ensure_registered(con)
    sql = f"SELECT {_columns(FINDINGS_COLUMNS)} FROM ({findings_sql(rules, t)}) ORDER BY {FINDINGS_ORDER}"
    return write_csv(con, sql, {"week": week}, target)


def write_coverage_csv(con, week: str, target: Path, rules: Sequence[Rule]) -> Path:
    sql = f"""
        WITH {catalogue_cte(rules, "en")}
        SELECT {", ".join(f"cv.{c}" for c in COVERAGE_COLUMNS)}
        FROM coverage cv LEFT JOIN catalogue c ON c.rule_id = cv.rule_id
        WHERE cv.week = $week
        ORDER BY c.catalogue_rank NULLS LAST, cv.rule_id
    """
    return write_csv(con, sql, {"week": week}, target)


def write_quarantine_csv(con, target: Path) -> Path:
    # A file that could not be read at all has no line; it comes first among that file's rows.
    sql = f"""
        SELECT {_columns(QUARANTINE_COLUMNS)} FROM quarantine
        ORDER BY feed, file, line NULLS FIRST, "column", reason, value
    """
    return write_csv(con, sql, {}, target)
