"""End to end through the command line, on generated data with planted violations."""

from __future__ import annotations

import os

from checks.registry import load_catalogue
from tests.conftest import DEMO_WEEK, ROOT, read_csv, schoolaudit

SPEC_FINDINGS_COLUMNS = [
    "finding_id", "rule_id", "severity", "week", "school_id", "occurred_at", "subject_type", "subject_id",
    "actor_id", "student_id", "recipient_id", "explanation", "legal_source", "status",
    "decided_by", "decided_at", "note",
]


def test_run_finds_exactly_the_planted_violations(board, audited):
    implemented = {rule.id for rule in load_catalogue()}
    expected = {
        (row["rule_id"], row["subject_id"], row["severity"])
        for row in read_csv(board.expected)
        if row["week"] == DEMO_WEEK and row["rule_id"] in implemented
    }
    found = {(row["rule_id"], row["subject_id"], row["severity"]) for row in read_csv(audited["folder"] / "findings.csv")}
    assert expected, "the generator planted nothing for the demo week"
    assert found - expected == set(), "findings that were not planted"
    assert expected - found == set(), "planted violations that were not found"


def test_run_writes_every_output_and_says_where(audited):
    folder = audited["folder"]
    for name in ("findings.csv", "coverage.csv", "quarantine.csv", "privacy-officer.html", "privacy-officer.pdf",
                 "council-summary.html", "council-summary.pdf"):
        path = folder / name
        assert path.is_file() and path.stat().st_size > 0, name
        assert str(path.resolve()) in audited["result"].stdout
        assert os.stat(path).st_mode & 0o077 == 0, f"{name} is readable by others"
    with (folder / "findings.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == ",".join(SPEC_FINDINGS_COLUMNS)


def test_coverage_lists_every_rule(audited):
    rows = read_csv(audited["folder"] / "coverage.csv")
    assert [r["rule_id"] for r in rows] == [rule.id for rule in load_catalogue()]
    assert all(r["status"] == "evaluated" for r in rows), rows


def test_rerun_is_idempotent(board, audited):
    work = audited["work"]
    before = (audited["folder"] / "findings.csv").read_text(encoding="utf-8")
    again = schoolaudit("run", "--landing", str(board.landing), "--db", str(work / "warehouse.duckdb"),
                        "--out", str(work / "reports"), "--week", DEMO_WEEK)
    assert again.returncode == 0, again.stderr
    assert (audited["folder"] / "findings.csv").read_text(encoding="utf-8") == before


def test_contract_breaking_row_is_quarantined_and_the_run_succeeds(landing_copy, tmp_path):
    bad = landing_copy / "students" / "late-delivery.csv"
    bad.write_text("student_id,school_id,birth_date\nS-BAD-1,X,2026-02-30\n", encoding="utf-8")
    result = schoolaudit("run", "--landing", str(landing_copy), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "reports"), "--week", DEMO_WEEK)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "reports" / DEMO_WEEK / "quarantine.csv")
    hits = [r for r in rows if r["file"].endswith("late-delivery.csv")]
    assert len(hits) == 1
    assert hits[0]["feed"] == "students" and hits[0]["line"] == "2" and hits[0]["column"] == "birth_date"
    assert hits[0]["value"] == "2026-02-30" and hits[0]["reason"]


def test_missing_landing_folder_exits_2_with_one_line(tmp_path):
    result = schoolaudit("run", "--landing", str(tmp_path / "nowhere"), "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere" in lines[0] and "does not exist" in lines[0]
    assert not (tmp_path / "w.duckdb").exists()


def test_unreadable_config_exits_2(board, tmp_path):
    config = tmp_path / "audit.toml"
    config.write_text("grace_befor_days = 3\n", encoding="utf-8")
    result = schoolaudit("run", "--landing", str(board.landing), "--db", str(tmp_path / "w.duckdb"),
                         "--config", str(config), "--week", DEMO_WEEK)
    assert result.returncode == 2
    assert "grace_befor_days" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unfinished_week_is_refused(board, tmp_path):
    result = schoolaudit("run", "--landing", str(board.landing), "--db", str(tmp_path / "w.duckdb"), "--week", "2999-W01")
    assert result.returncode == 2 and "has not ended" in result.stderr


def test_fail_on_sets_exit_status(board, audited):
    work = audited["work"]
    base = ["run", "--landing", str(board.landing), "--db", str(work / "warehouse.duckdb"),
            "--out", str(work / "reports")]
    severities = {row["severity"] for row in read_csv(audited["folder"] / "findings.csv")}
    assert "critical" in severities
    assert schoolaudit(*base, "--week", DEMO_WEEK, "--fail-on", "critical").returncode == 1
    # a week without events has no findings: the same threshold passes
    assert schoolaudit(*base, "--week", "2020-W10", "--fail-on", "info").returncode == 0


def test_stages_one_by_one_equal_run(board, audited, tmp_path):
    db = str(tmp_path / "w.duckdb")
    assert schoolaudit("ingest", "--landing", str(board.landing), "--db", db).returncode == 0
    assert schoolaudit("check", "--db", db, "--week", DEMO_WEEK).returncode == 0
    result = schoolaudit("report", "--db", db, "--out", str(tmp_path / "r"), "--week", DEMO_WEEK)
    assert result.returncode == 0, result.stderr
    ours = (tmp_path / "r" / DEMO_WEEK / "findings.csv").read_text(encoding="utf-8")
    assert ours == (audited["folder"] / "findings.csv").read_text(encoding="utf-8")


def test_generate_writes_landing_and_expected_outside_it(tmp_path):
    result = schoolaudit("generate", "--out", str(tmp_path / "g"), "--students", "60", "--weeks", "1",
                         "--until", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g" / "landing" / "access_log").is_dir()
    assert (tmp_path / "g" / "expected-findings.csv").is_file()


def test_the_sample_landing_folder_gives_its_expected_findings(tmp_path):
    sample = ROOT / "data" / "sample"
    result = schoolaudit("run", "--landing", str(sample / "landing"), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "r"), "--week", DEMO_WEEK)
    assert result.returncode == 0, result.stderr
    expected = {(r["rule_id"], r["subject_id"], r["severity"]) for r in read_csv(sample / "expected-findings.csv")
                if r["week"] == DEMO_WEEK}  # fmt: skip
    found = {(r["rule_id"], r["subject_id"], r["severity"]) for r in read_csv(tmp_path / "r" / DEMO_WEEK / "findings.csv")}
    assert found == expected
    assert read_csv(tmp_path / "r" / DEMO_WEEK / "quarantine.csv") == []


def test_a_file_that_is_not_a_warehouse_exits_2_with_one_line(tmp_path):
    fake = tmp_path / "warehouse.duckdb"
    fake.write_text("not a database\n", encoding="utf-8")
    result = schoolaudit("check", "--db", str(fake), "--week", DEMO_WEEK)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not a DuckDB database" in result.stderr
    assert fake.read_text(encoding="utf-8") == "not a database\n"  # left untouched


def test_a_report_folder_that_cannot_be_made_exits_2(audited, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = schoolaudit("report", "--db", str(audited["work"] / "warehouse.duckdb"), "--out", str(blocker / "reports"),
                         "--week", DEMO_WEEK)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot be created" in result.stderr
