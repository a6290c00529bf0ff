"""findings.csv, coverage.csv and quarantine.csv as spec/outputs.md describes them."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
from report_fixtures import (
    BULK_PREFIX,
    F_ACCESS_CRITICAL,
    F_ACCESS_HIGH,
    F_DISCLOSURE,
    F_EXPIRING,
    F_LAST_WEEK,
    F_POLICY,
    QUARANTINED_VALUE,
    WEEK,
)

from reports.i18n import Translator
from reports.outputs import (
    COVERAGE_COLUMNS,
    FINDINGS_COLUMNS,
    MISSING_FACT,
    QUARANTINE_COLUMNS,
    explanation_sql,
    iso_local_sql,
    template_to_format,
    write_coverage_csv,
    write_findings_csv,
    write_quarantine_csv,
)

pytest_plugins = ("report_fixtures",)  # report_catalogue, report_warehouse, report_outputs


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


@pytest.fixture(scope="module")
def findings_en(report_warehouse, report_catalogue, tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "findings.csv"
    write_findings_csv(report_warehouse, WEEK, path, report_catalogue, Translator("en"))
    return read_csv(path)


@pytest.fixture(scope="module")
def findings_nl(report_warehouse, report_catalogue, tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "findings.csv"
    write_findings_csv(report_warehouse, WEEK, path, report_catalogue, Translator("nl"))
    return read_csv(path)


def by_id(rows):
    return {row["finding_id"]: row for row in rows}


# ---- findings.csv ----------------------------------------------------------------------------------


def test_findings_columns_are_the_spec_columns_in_order(findings_en):
    header, _ = findings_en
    assert header == [
        "finding_id", "rule_id", "severity", "week", "school_id", "occurred_at", "subject_type",
        "subject_id", "actor_id", "student_id", "recipient_id", "explanation", "legal_source", "status",
        "decided_by", "decided_at", "note",
    ]  # fmt: skip
    assert tuple(header) == FINDINGS_COLUMNS


def test_findings_holds_only_the_week_asked_for(findings_en):
    _, rows = findings_en
    assert {row["week"] for row in rows} == {WEEK}
    assert F_LAST_WEEK not in by_id(rows)
    assert len(rows) == 10


def test_findings_sorted_by_severity_then_time_standing_last_within_severity(findings_en):
    _, rows = findings_en
    bulk = [f"{BULK_PREFIX}{i:02d}" for i in range(5)]
    # critical; high by time (Monday disclosure, Tuesday access), then the standing high finding
    # (no time); medium by time; info.
    assert [row["finding_id"] for row in rows] == [
        F_ACCESS_CRITICAL, F_DISCLOSURE, F_ACCESS_HIGH, F_POLICY, *bulk, F_EXPIRING,
    ]  # fmt: skip


def test_occurred_at_is_iso_local_time_with_offset_and_empty_for_standing(findings_en):
    rows = by_id(findings_en[1])
    assert rows[F_ACCESS_HIGH]["occurred_at"] == "2026-11-17T10:15:00+01:00"  # 09:15 UTC in Amsterdam
    assert rows[F_POLICY]["occurred_at"] == ""
    assert rows[F_EXPIRING]["occurred_at"] == ""


def test_status_is_the_decision_or_open(findings_en):
    rows = by_id(findings_en[1])
    assert rows[F_ACCESS_HIGH]["status"] == "confirmed"
    assert rows[F_ACCESS_CRITICAL]["status"] == "open"
    assert {row["status"] for fid, row in rows.items() if fid != F_ACCESS_HIGH} == {"open"}


def test_the_latest_decision_gives_who_when_and_the_note_and_open_leaves_them_empty(findings_en):
    _, rows = findings_en
    rows = {row["finding_id"]: row for row in rows}
    decided = rows[F_ACCESS_HIGH]
    assert (decided["decided_by"], decided["decided_at"], decided["note"]) == (
        "fg", "2026-11-23T09:00:00Z", "besproken met Piet"
    )
    for fid, row in rows.items():
        if fid != F_ACCESS_HIGH:
            assert (row["decided_by"], row["decided_at"], row["note"]) == ("", "", ""), fid


def test_ids_and_legal_source_are_carried_over(findings_en):
    rows = by_id(findings_en[1])
    disclosure = rows[F_DISCLOSURE]
    assert disclosure["subject_type"] == "disclosure"
    assert disclosure["subject_id"] == "DSC-0001"
    assert disclosure["recipient_id"] == "RCP-JEUGD"
    assert disclosure["actor_id"] == ""
    assert disclosure["school_id"] == "07AB"
    assert disclosure["legal_source"] == "AVG art. 6(1)(a), 7(1)"
    assert rows[F_ACCESS_HIGH]["subject_id"] == "magister:EVT-0001"


def test_explanation_rendered_from_facts_in_english(findings_en):
    rows = by_id(findings_en[1])
    assert rows[F_ACCESS_HIGH]["explanation"] == (
        "STF-0001 viewed progress data of student STU-1001 on 17 November 2026, "
        "with no involvement or role that allows it."
    )
    assert rows[F_EXPIRING]["explanation"] == "Agreement AGR-0001 ends on 31 December 2026."


def test_explanation_rendered_from_facts_in_dutch(findings_nl):
    rows = by_id(findings_nl[1])
    assert rows[F_ACCESS_HIGH]["explanation"] == (
        "STF-0001 bekeek gegevens (voortgang) van leerling STU-1001 op 17 november 2026, "
        "zonder betrokkenheid of rol die dat toestaat."
    )
    assert rows[F_EXPIRING]["explanation"] == "Overeenkomst AGR-0001 loopt af op 31 december 2026."


def test_explanation_joins_lists_formats_timestamps_and_marks_missing_facts(findings_en):
    explanation = by_id(findings_en[1])[F_DISCLOSURE]["explanation"]
    # categories is a JSON array; disclosed_at a timestamp with offset; consent_id is absent.
    assert explanation == (
        "Data (care and support, progress) went to Jeugdzorg Regio on 16 November 2026 09:00 without the "
        "student's consent; consent — is not on file."
    )


# ---- the explanation SQL on its own ----------------------------------------------------------------


def test_template_to_format_doubles_literal_braces():
    assert template_to_format("{a} saw {b_2}") == ("{} saw {}", ["a", "b_2"])
    assert template_to_format("set {X} and {}") == ("set {{X}} and {{}}", [])
    assert template_to_format("no facts") == ("no facts", [])


class _Rule:
    """Just what explanation_sql reads from a catalogue rule."""

    def __init__(self, rule_id, en):
        self.id = rule_id
        self.explanation = {"en": en, "nl": en}


def _explain(template, facts, lang="en"):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Amsterdam'")  # timestamps in facts are shown in local time
    sql = explanation_sql([_Rule("R", template)], Translator(lang), facts="f.facts", rule_id="f.rule_id")
    return con.execute(
        f"SELECT {sql} FROM (SELECT 'R' AS rule_id, ?::JSON AS facts) f", [json.dumps(facts)]
    ).fetchall()[0][0]


def test_explanation_sql_keeps_quotes_and_braces_literal():
    assert _explain("It's {n} {{not a fact}} {Upper}", {"n": "x"}) == "It's x {{not a fact}} {Upper}"


def test_explanation_sql_formats_values():
    assert _explain("{d}|{t}|{l}|{n}|{b}", {
        "d": "2026-03-01", "t": "2026-07-01T12:00:00+00:00", "l": ["a", "b"], "n": 3, "b": True,
    }) == "1 March 2026|1 July 2026 14:00|a, b|3|true"  # fmt: skip
    # Not quite a date: left as it is.
    assert _explain("{d}", {"d": "2026-13-45x"}) == "2026-13-45x"
    assert _explain("{d}", {"d": None}) == "—"
    assert _explain("{l}", {"l": []}) == "—"  # an empty list reads as "none", not as nothing


def test_category_facts_are_named_in_the_report_language():
    facts = {"category": "care", "data_categories": ["medical", "images"], "purpose": "care", "x": "nope"}
    template = "{category} | {data_categories} | {purpose}"
    assert _explain(template, facts, "nl") == "zorg en ondersteuning | medisch, beeldmateriaal | care"
    assert _explain(template, facts, "en") == "care and support | medical, images | care"
    assert _explain("{category}", {"category": "unknown_code"}, "nl") == "unknown_code"


def test_code_facts_are_named_in_the_report_language():
    facts = {"legal_basis": "inspectorate", "recipient_kind": "school", "given_by_role": "guardian",
             "recipient_id": "inspectorate"}  # fmt: skip
    template = "{legal_basis} | {recipient_kind} | {given_by_role} | {recipient_id}"
    assert _explain(template, facts, "nl") == "Inspectie van het Onderwijs | school | ouder of voogd | inspectorate"
    assert _explain(template, facts, "en") == "Education Inspectorate | school | parent or guardian | inspectorate"


def test_every_code_of_the_contract_has_a_name_in_both_languages():
    from pipelines.contract import FEEDS

    coded = {"legal_basis", "kind", "relation", "role", "form", "given_by_role", "decision", "actor_type",
             "action", "account_type", "identifiers"}  # fmt: skip
    codes = {code for feed in FEEDS.values() for c in feed.columns if c.name in coded for code in c.codes}
    for lang in ("en", "nl"):
        names = Translator(lang).sql_code_names()
        missing = [code for code in sorted(codes) if f"'{code}':" not in names]
        assert not missing, (lang, missing)


def test_explanation_of_a_rule_not_in_the_catalogue_is_empty():
    con = duckdb.connect()
    sql = explanation_sql([_Rule("R", "x")], Translator("en"))
    assert con.execute(
        f"SELECT {sql} FROM (SELECT 'OTHER' AS rule_id, '{{}}'::JSON AS facts) f"
    ).fetchall() == [(None,)]


@pytest.mark.parametrize(
    ("zone", "utc", "expected"),
    [
        ("Europe/Amsterdam", "2026-11-17 09:15:00+00", "2026-11-17T10:15:00+01:00"),
        ("Europe/Amsterdam", "2026-07-01 22:30:00+00", "2026-07-02T00:30:00+02:00"),  # summer time, next day
        ("America/New_York", "2026-11-17 03:00:00+00", "2026-11-16T22:00:00-05:00"),
        ("Asia/Kolkata", "2026-11-17 00:00:00+00", "2026-11-17T05:30:00+05:30"),
        ("UTC", "2026-11-17 00:00:00+00", "2026-11-17T00:00:00+00:00"),
    ],
)
def test_iso_local_time_in_the_connection_zone(zone, utc, expected):
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    sql = f"SELECT {iso_local_sql('ts')} FROM (SELECT ?::TIMESTAMPTZ AS ts)"
    assert con.execute(sql, [utc]).fetchall()[0][0] == expected


def test_every_rule_of_the_real_catalogue_renders_its_explanation(tmp_path):
    """Guards the rule files others write: quotes, braces and placeholders must survive the SQL."""
    from checks import registry

    registry.load_catalogue.cache_clear()
    try:
        rules = registry.load_catalogue()
    finally:
        registry.load_catalogue.cache_clear()
    if not rules:
        pytest.skip("the rule catalogue is still empty")
    con = duckdb.connect()
    for lang in ("en", "nl"):
        sql = explanation_sql(rules, Translator(lang))
        rows = con.execute(
            f"SELECT f.rule_id, {sql} FROM (SELECT unnest(?) AS rule_id, '{{}}'::JSON AS facts) f",
            [[r.id for r in rules]],
        ).fetchall()
        placeholders = {r.id: r.placeholders(lang) for r in rules}
        for rule_id, text in rows:
            # every placeholder became an argument (shown as missing: the facts are empty)
            assert text is not None, (lang, rule_id)
            assert text.count(MISSING_FACT) >= len(placeholders[rule_id]), (lang, rule_id, text)


# ---- coverage.csv and quarantine.csv ---------------------------------------------------------------


def test_coverage_columns_order_and_rows(report_warehouse, report_catalogue, tmp_path):
    header, rows = read_csv(
        write_coverage_csv(report_warehouse, WEEK, tmp_path / "coverage.csv", report_catalogue)
    )
    assert header == ["rule_id", "status", "reason", "subjects_checked", "findings"] == list(COVERAGE_COLUMNS)
    # catalogue order: access, consent, then the standing rules by id
    assert [r["rule_id"] for r in rows] == [
        "ACCESS-UNINVOLVED", "SHARE-NO-CONSENT", "LOG-GAP", "POLICY-NOT-APPROVED", "PROCESSOR-AGREEMENT-EXPIRING",
    ]  # fmt: skip
    gap = rows[2]
    assert (gap["status"], gap["reason"], gap["subjects_checked"], gap["findings"]) == (
        "not_evaluated",
        "feed calendar is empty",
        "",
        "",
    )
    assert (rows[0]["status"], rows[0]["subjects_checked"], rows[0]["findings"]) == ("evaluated", "4", "7")


def test_coverage_of_another_week_is_empty(report_warehouse, report_catalogue, tmp_path):
    header, rows = read_csv(
        write_coverage_csv(report_warehouse, "2026-W46", tmp_path / "c.csv", report_catalogue)
    )
    assert header == list(COVERAGE_COLUMNS) and rows == []


def test_quarantine_has_every_row_sorted_by_feed_file_line(report_warehouse, tmp_path):
    header, rows = read_csv(write_quarantine_csv(report_warehouse, tmp_path / "quarantine.csv"))
    assert header == ["feed", "file", "line", "column", "value", "reason"] == list(QUARANTINE_COLUMNS)
    assert [(r["feed"], r["file"], r["line"]) for r in rows] == [
        ("access_log", "access_log/broken.csv", ""),
        ("access_log", "access_log/week47.csv", "4"),  # 4 before 12: numeric, not text order
        ("access_log", "access_log/week47.csv", "12"),
        ("students", "students/b.csv", "3"),
    ]
    # a value with a comma and quotes survives CSV quoting
    assert rows[1]["value"] == 'robot, "v2"'
    assert rows[2]["value"] == QUARANTINED_VALUE
    assert rows[0]["reason"] == "not UTF-8"
