"""What the ingest records for the report: reason codes on every quarantine entry, validation results
per delivered file, and the data-quality figures the privacy officer's report shows (translated, with
lines but never values)."""

import json

import pytest
from ingest_helpers import ingest, rows, warehouse, write_text

from checks.registry import load_catalogue
from checks.runner import run_checks
from pipelines.ingest.reasons import FILE_LEVEL, REASON_CODES, ROW_LEVEL
from pipelines.settings import Settings
from pipelines.warehouse import connect
from reports.data_quality import data_quality
from reports.i18n import LANGUAGES, Translator, load_table

WEEK = "2026-W47"

GUARDIANS = (
    "guardian_id,student_id,relation,parental_authority,valid_from\n"
    "g1,s1,parent,ja,2025-01-01\n"
    "g2,s1,uncle,true,2025-01-01\n"
    "g3,s1,Uncle,maybe,31-12-2025\n"
    "g4,s1,parent,true,2026-02-30\n"
    "g5,s1\n"
)


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def test_reason_codes_are_one_closed_list_with_a_label_in_every_language():
    assert len(set(REASON_CODES)) == len(REASON_CODES) == len(FILE_LEVEL) + len(ROW_LEVEL)
    for lang in LANGUAGES:
        table = load_table(lang)
        assert {k.removeprefix("quarantine.") for k in table if k.startswith("quarantine.")} == set(
            REASON_CODES
        )


def test_every_reason_code_is_said_in_plain_words_in_every_language():
    """What was wrong and whom to ask, per code; what the auditor did and what it means, per kind of entry
    (a row or a whole file, of an event feed or an evidence feed, or a OneRoster or School Data Sync note)."""
    tables = {lang: load_table(lang) for lang in LANGUAGES}
    effects = {"row_events", "row_evidence", "file_events", "file_evidence", "oneroster", "sds"}
    for lang, table in tables.items():
        for part, names in (("problem", set(REASON_CODES)), ("ask", set(REASON_CODES)), ("effect", effects)):
            prefix = f"quarantine_help.{part}."
            assert {k.removeprefix(prefix) for k in table if k.startswith(prefix)} == names, (lang, part)
    en, nl = tables["en"], tables["nl"]
    same = [k for k in en if k.startswith("quarantine_help.") and en[k] == nl[k]]
    assert same == []  # the Dutch is not the English
    assert all(en[f"quarantine_help.ask.{code}"].startswith("Ask ") for code in REASON_CODES)
    assert all(nl[f"quarantine_help.ask.{code}"].startswith("Vraag ") for code in REASON_CODES)


def test_the_sentences_say_a_file_was_not_used_or_a_row_not_loaded_as_the_code_says(con, tmp_path):
    write_text(tmp_path / "landing/guardians/g.csv", GUARDIANS)
    write_text(tmp_path / "landing/access_log/a.xlsx", "not a supported file type")
    write_text(tmp_path / "landing/access_log/b.csv", "event_id\nEVT-1\n")  # required columns missing
    ingest(con, tmp_path / "landing")

    groups = {(q["feed"], q["code"]): q for q in data_quality(con, WEEK, Translator("en"))["quarantine"]}

    t = Translator("en")
    for (feed, code), group in groups.items():
        file_level = code in FILE_LEVEL
        assert group["file_level"] == file_level
        effect = ("file_" if file_level else "row_") + ("events" if feed == "access_log" else "evidence")
        assert group["sentence"] == " ".join(
            t(f"quarantine_help.{part}") for part in (f"problem.{code}", f"effect.{effect}", f"ask.{code}")
        )
    assert groups["access_log", "unsupported_file_type"]["sentence"].count("The file was not used") == 1
    assert "The row was not loaded" in groups["guardians", "unknown_code"]["sentence"]
    assert "not used" not in groups["guardians", "unknown_code"]["sentence"]
    # a rejected file counts as a file, its example is the file; rows count once with file:line
    missing = groups["access_log", "required_column_missing"]
    assert (missing["files"], missing["examples"]) == (1, ["access_log/b.csv"])
    assert "actor_id" in missing["columns"] and "event_id" not in missing["columns"]
    unknown = groups["guardians", "unknown_code"]
    assert (unknown["rows"], unknown["columns"]) == (2, ["relation"])
    assert unknown["examples"] == ["guardians/g.csv:3", "guardians/g.csv:4"]


def test_validation_results_per_file_name_the_expectation_count_and_first_lines(con, tmp_path):
    write_text(tmp_path / "landing/guardians/g.csv", GUARDIANS)
    write_text(tmp_path / "landing/students/s.csv", "student_id,school_id\ns1,b1\n")

    ingest(con, tmp_path / "landing")

    found = rows(
        con,
        'SELECT file, expectation, "column", reason_code, failing_count, examples, blocking FROM validation_results '
        'ORDER BY file, expectation, "column"',
    )
    assert [(*r[:5], json.loads(r[5]), r[6]) for r in found] == [
        ("guardians/g.csv", "expect_column_values_to_be_in_set", "parental_authority", "not_boolean", 1,
         [{"line": 4, "value": "maybe"}], False),
        ("guardians/g.csv", "expect_column_values_to_be_in_set", "relation", "unknown_code", 2,
         [{"line": 3, "value": "uncle"}, {"line": 4, "value": "Uncle"}], False),
        ("guardians/g.csv", "expect_column_values_to_match_regex", "valid_from", "date_format", 1,
         [{"line": 4, "value": "31-12-2025"}], False),
        ("guardians/g.csv", "invalid_date", "valid_from", "invalid_date", 1,
         [{"line": 5, "value": "2026-02-30"}], False),
        ("guardians/g.csv", "wrong_column_count", None, "wrong_column_count", 1,
         [{"line": 6, "value": "g5,s1"}], False),
        ("students/s.csv", "required_column_missing", "birth_date", "required_column_missing", 1,
         [{"line": 1, "value": None}], True),
    ]  # fmt: skip
    assert rows(con, "SELECT count(*) FROM quarantine WHERE reason_code IS NULL") == [(0,)]


def test_the_report_groups_quarantined_rows_by_reason_code_translated_without_values(con, tmp_path):
    write_text(tmp_path / "landing/guardians/g.csv", GUARDIANS)
    write_text(tmp_path / "landing/students/s.csv", "student_id,school_id\ns1,b1\n")
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())

    dutch = data_quality(con, WEEK, Translator("nl"))

    assert [(q["feed"], q["code"], q["rows"], q["columns"], q["examples"]) for q in dutch["quarantine"]] == [
        ("guardians", "unknown_code", 2, ["relation"], ["guardians/g.csv:3", "guardians/g.csv:4"]),
        ("guardians", "date_format", 1, ["valid_from"], ["guardians/g.csv:4"]),
        ("guardians", "invalid_date", 1, ["valid_from"], ["guardians/g.csv:5"]),
        ("guardians", "not_boolean", 1, ["parental_authority"], ["guardians/g.csv:4"]),
        ("guardians", "wrong_column_count", 1, [], ["guardians/g.csv:6"]),
        ("students", "required_column_missing", 1, ["birth_date"], ["students/s.csv"]),
    ]
    sentences = [q["sentence"] for q in dutch["quarantine"]]
    assert sentences[2].startswith("Een datum is goed geschreven maar bestaat niet")
    assert "De rij is niet ingelezen" in sentences[2] and "Vraag degene" in sentences[2]
    assert "Het bestand is niet gebruikt" in sentences[5] and "niet uitgevoerd" in sentences[5]
    assert "uncle" not in json.dumps(dutch["quarantine"]).lower()  # never a value
    assert dutch["rejected"] == [
        {"feed": "students", "path": "students/s.csv", "why": "verplichte kolom ontbreekt (birth_date)",
         "incomplete": None, "not_evaluated": sorted(r.id for r in load_catalogue() if "students" in r.evidence_feeds())}
    ]  # fmt: skip
    relation = [v for v in dutch["validation"] if v["column"] == "relation"]
    assert relation == [
        {"feed": "guardians", "expectation": "expect_column_values_to_be_in_set", "column": "relation",
         "blocking": False, "files": 1, "failing_count": 2, "examples": ["guardians/g.csv:3", "guardians/g.csv:4"]}
    ]  # fmt: skip
    assert dutch["validation"][-1]["blocking"] and dutch["validation"][-1]["feed"] == "students"
    assert "uncle" not in json.dumps(dutch["validation"]).lower()


def test_a_warehouse_from_before_reason_codes_opens_and_gets_the_column(tmp_path):
    import duckdb

    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute(
        'CREATE TABLE quarantine (feed VARCHAR NOT NULL, file VARCHAR NOT NULL, line BIGINT, "column" VARCHAR, '
        "value VARCHAR, reason VARCHAR NOT NULL, file_hash VARCHAR NOT NULL)"
    )
    old.execute(
        "INSERT INTO quarantine VALUES ('schools', 'schools/s.csv', 2, 'sector', 'XX', 'unknown code', 'h'), "
        "('schools', 'schools/s.csv', 3, 'sector', 'YY', 'unknown code', 'h'), "
        "('schools', 'schools/s.csv', 4, 'name', NULL, 'required value missing', 'h')"
    )
    old.close()

    con = connect(tmp_path / "old.duckdb")
    try:
        assert rows(con, "SELECT DISTINCT reason_code FROM quarantine") == [(None,)]
        report = data_quality(con, WEEK, Translator("nl"))
        # grouped by the stored sentence, which is shown as it is (there is no code to translate)
        assert [(q["sentence"], q["code"], q["rows"], q["examples"]) for q in report["quarantine"]] == [
            ("unknown code", None, 2, ["schools/s.csv:2", "schools/s.csv:3"]),
            ("required value missing", None, 1, ["schools/s.csv:4"]),
        ]
    finally:
        con.close()


def test_a_code_without_a_sentence_shows_the_stored_one(con):
    """A warehouse written by a newer auditor may hold a code this one has no words for."""
    con.execute(
        'INSERT INTO quarantine (feed, file, line, "column", value, reason, file_hash, reason_code) '
        "VALUES ('staff', 'staff/s.csv', 2, 'role', 'x', 'role not allowed here', 'h', 'some_later_code')"
    )
    [group] = data_quality(con, WEEK, Translator("nl"))["quarantine"]
    assert (group["sentence"], group["code"], group["file_level"]) == (
        "role not allowed here",
        "some_later_code",
        False,
    )


def test_a_rejected_file_delivered_again_is_no_longer_listed_as_left_out(con, tmp_path):
    path = tmp_path / "landing/students/s.csv"
    write_text(path, "student_id,school_id\ns1,b1\n", mtime=1_000)
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())
    assert [r["path"] for r in data_quality(con, WEEK, Translator("en"))["rejected"]] == ["students/s.csv"]

    write_text(path, "student_id,school_id,birth_date\ns1,b1,2012-05-01\n", mtime=2_000)
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())

    report = data_quality(con, WEEK, Translator("en"))
    assert report["rejected"] == []
    # the history stays: what validation found in the rejected delivery
    assert [(v["expectation"], v["blocking"]) for v in report["validation"]] == [("required_column_missing", True)]
