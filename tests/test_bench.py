"""The benchmark harness (pipelines/bench): its pandas reference judges as the rule does, a stage runs in
its own process and reports its time and memory (or its error), and a run writes the JSON with every
stage and a verdict for every target. The benchmark itself is `make bench`, not part of the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rule_fixtures import (
    WEEK,
    add_access,
    add_document,
    add_involvement,
    add_roster_involvement,
    add_school,
    add_staff,
    add_student,
    check,
    warehouse,
)

from pipelines.bench import harness
from pipelines.bench.pandas_reference import access_uninvolved
from pipelines.bench.profile import profile_checks, time_rule
from pipelines.warehouse import connect


def small_board(con):
    """Eleven accesses in the week: five that ACCESS-UNINVOLVED flags, six that it does not."""
    add_school(con, "A")
    add_school(con, "B")
    add_student(con, "s1", school="A")
    add_student(con, "s2", school="A")
    add_student(con, "s3", school="B")
    add_staff(con, "t1", school="A", role="teacher")
    add_staff(con, "m1", school="A", role="management")
    add_involvement(con, "t1", "s1", valid_from="2026-08-24")
    # ended 2026-10-19: with 30 days of grace it still explains 18 November, not 19 November
    add_involvement(con, "t1", "s2", valid_from="2026-08-24", valid_to="2026-10-19")
    add_roster_involvement(con, "t1", "s3", valid_from="2026-12-01")  # grace: from 17 November
    add_document(con, "d1", "s2", category="care")
    add_access(con, "e1", actor="t1", student="s1")  # involved
    add_access(con, "e2", occurred_at="2026-11-18 10:00:00", actor="t1", student="s2")  # last day of grace
    add_access(con, "e3", occurred_at="2026-11-19 10:00:00", actor="t1", student="s2")  # flagged
    add_access(con, "e4", occurred_at="2026-11-16 10:00:00", actor="t1", student="s3")  # before grace: flagged
    add_access(con, "e5", occurred_at="2026-11-17 10:00:00", actor="t1", student="s3")  # first day of grace
    add_access(con, "e6", actor="m1", student="s2", category="progress")  # management allowance
    add_access(con, "e7", actor="m1", student="s2", document_id="d1")  # care, by its document: flagged
    add_access(con, "e8", actor="m1", student="s3", category="progress")  # another school: flagged
    add_access(con, "e9", actor="t1", student="s2", break_glass=True, justification="fire drill")  # justified
    add_access(con, "e10", actor="t1", student="unknown")  # a student the school does not list: flagged
    add_access(con, "e11", actor="ouder-1", actor_type="guardian", student="s2")  # not a staff access


def test_pandas_reference_judges_as_the_rule_does():
    con = warehouse()
    small_board(con)
    flagged, _ = access_uninvolved(con)
    rule = time_rule(con, WEEK, "ACCESS-UNINVOLVED")
    assert flagged == rule["candidates"] == 5
    assert rule["seconds"] >= rule["rule_seconds"] > 0


def test_pandas_reference_flags_nothing_when_every_access_is_explained():
    con = warehouse()
    add_school(con, "A")
    add_student(con, "s1", school="A")
    add_staff(con, "t1", school="A")
    add_involvement(con, "t1", "s1")
    add_access(con, "e1", actor="t1", student="s1")
    assert access_uninvolved(con)[0] == 0 == time_rule(con, WEEK, "ACCESS-UNINVOLVED")["candidates"]


def test_check_profile_names_the_steps_and_leaves_the_warehouse_as_it_was():
    con = warehouse()
    small_board(con)
    check(con)  # a week already checked: the profile replaces its findings, then rolls back
    findings_before = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    explained_before = con.execute("SELECT count(*) FROM access_explanations").fetchone()[0]
    profile = profile_checks(con, WEEK, top=50)
    steps = profile["steps"]
    names = [s["step"] for s in steps]
    assert any(name.startswith("prepare") for name in names)
    assert any(name.startswith("judge the slice's access events in one pass") for name in names)
    assert "access rules: the flagged events' facts" in names
    assert any(name.startswith("access_explanations") for name in names)
    assert [s["seconds"] for s in steps] == sorted((s["seconds"] for s in steps), reverse=True)
    assert 0 < profile["signal_seconds"] < profile["step_seconds"]
    assert any(name.startswith("prepare: signal populations") for name in names)
    assert findings_before == 5 and explained_before == 11
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == findings_before  # rolled back
    assert con.execute("SELECT count(*) FROM access_explanations").fetchone()[0] == explained_before


def test_a_stage_runs_in_its_own_process_with_its_time_and_peak_memory(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    small_board(con)
    con.close()
    scan = harness.measure("scan", "--db", db)
    assert scan["rows"] == 11
    assert scan["seconds"] >= 0 and scan["peak_rss_mb"] > 10 and scan["process_seconds"] >= scan["seconds"]
    assert scan["peak_spill_mb"] == 0  # a small scan does not spill to disk


def test_the_lookups_floor_looks_up_every_event_of_the_week(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    small_board(con)
    con.close()
    floor = harness.measure("floor", "--db", db, "--week", WEEK)
    assert floor["events"] == 11 and floor["seconds"] >= 0 and not floor.get("error")


def test_the_ingest_floor_reads_types_and_writes_every_access_log_row(tmp_path):
    landing = tmp_path / "landing"
    (landing / "access_log").mkdir(parents=True)
    (landing / "students").mkdir()
    header = "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system,document_id,category\n"
    rows = "".join(f"e{i},2026-11-1{i}T09:00:00+01:00,t1,staff,s1,view,sis,d1,grades\n" for i in range(3))
    (landing / "access_log" / "a.csv").write_text(header + rows)
    (landing / "access_log" / "b.csv").write_text(header + rows.replace("e", "f"))
    (landing / "students" / "s.csv").write_text("student_id,school_id,birth_date\ns1,x,2010-01-01\n")
    floor = harness.measure("ingest_floor", "--db", tmp_path / "floor.duckdb", "--landing", landing)
    assert not floor.get("error")
    assert floor["files"] == 2 and floor["access_rows"] == 6 and floor["access_rows_per_second"] > 0
    assert not (tmp_path / "floor.duckdb").exists()  # a scratch file, removed


def test_the_publish_stage_builds_the_copy_then_brings_it_up_to_date_and_removes_it(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    small_board(con)
    check(con)
    con.close()
    publish = harness.measure("publish", "--db", db)
    assert not publish.get("error")
    assert publish["built_seconds"] == publish["seconds"] > 0 and publish["updated_seconds"] > 0
    assert not (tmp_path / "w.published.duckdb").exists()  # the bench's copy, removed


def test_a_failing_stage_is_an_error_entry_not_a_crash(tmp_path):
    failed = harness.measure("scan", "--db", tmp_path / "missing" / "w.duckdb")
    assert failed["seconds"] is None and failed["error"]


# -- a whole run, with the stages' processes replaced by canned measurements -------------------------

CANNED = {
    "generate": {"seconds": 30.0},
    "ingest": {"seconds": 10.0, "access_rows": 1_000_040, "access_rows_per_second": 100_004},
    "ingest_floor": {"seconds": 2.0, "files": 1, "access_rows": 1_000_040, "access_rows_per_second": 500_020},
    "ingest_profile": {"seconds": 12.0, "functions": [{"function": "readers.py:1 read", "own_seconds": 5.0,
                                                       "calls": 1}]},
    "checks": {"seconds": 3.0, "findings": 100, "accesses_judged": 1_000_040},
    "publish": {"seconds": 1.0, "built_seconds": 1.0, "updated_seconds": 0.1},
    "check_profile": {"seconds": 3.0, "steps": [{"step": "prepare: week populations", "seconds": 1.0}],
                      "signal_seconds": 0.2, "step_seconds": 2.9},
    "reports": {"seconds": 4.0, "files": 7},
    "reports_profile": {"seconds": 5.0, "files": 7, "functions": []},
    "end_to_end": {"seconds": 25.0},
    "scan": {"seconds": 0.1, "all_columns_seconds": 0.5, "rows": 1_000_040},
    "floor": {"seconds": 1.2, "events": 1_000_040},
    "uninvolved": {"seconds": 1.0, "prepare_seconds": 0.8, "rule_seconds": 0.2, "candidates": 42},
    "pandas_uninvolved": {"seconds": 30.0, "load_seconds": 5.0, "findings": 42},
    "replicate": {"seconds": 60.0, "access_rows": 100_000_400},
}


@pytest.fixture
def canned(monkeypatch):
    calls = []

    def fake_measure(stage, *args, env=None):
        calls.append(stage)
        if stage == "ingest":  # the sector size copies the year's warehouse: it must exist
            Path(args[args.index("--db") + 1]).touch()
        return {"stage": stage, **CANNED[stage], "process_seconds": 1.0, "peak_rss_mb": 500.0}

    monkeypatch.setattr(harness, "measure", fake_measure)
    return calls


def test_a_run_writes_every_stage_and_a_verdict_for_every_target(tmp_path, canned):
    harness.run(["weekly", "year", "sector"], tmp_path, say=lambda text: None)
    report = json.loads((tmp_path / "bench.json").read_text())
    assert set(report["sizes"]) == {"weekly", "year", "sector"}
    assert {"generate", "ingest", "checks", "publish", "reports", "end_to_end", "scan", "floor", "uninvolved",
            "pandas_uninvolved"} <= set(report["sizes"]["weekly"]["stages"])
    assert "replicate" in report["sizes"]["sector"]["stages"]
    assert "ingest" not in report["sizes"]["sector"]["stages"]  # the check phase starts from a warehouse
    assert report["machine"]["uptime"] and report["sizes"]["year"]["load_before"]
    verdicts = {t["name"]: t["verdict"] for t in report["targets"]}
    assert verdicts == {
        "weekly_end_to_end": "missed",  # 25 s
        "weekly_peak_memory": "met",  # 500 MB
        "checks_vs_scan_10M": "missed",  # 3.0 s / 0.5 s (every column) = 6x
        "checks_vs_scan_100M": "missed",
        "signals_share_10M": "met",  # 0.2 s of 2.9 s
        "weekly_reports": "met",  # 4 s
        "uninvolved_vs_pandas_10M": "met",  # 30x
        "ingest_rate_weekly": "missed",  # 100,004 rows/s
        "ingest_rate_year": "missed",
        "sector_memory": "met",
    }
    end_to_end = next(t for t in report["targets"] if t["name"] == "weekly_end_to_end")
    assert "held back by ingest" in end_to_end["note"] and end_to_end["profile"]
    pandas = next(t for t in report["targets"] if t["name"] == "uninvolved_vs_pandas_10M")
    assert "same result: yes" in pandas["note"]
    ingest = next(t for t in report["targets"] if t["name"] == "ingest_rate_weekly")
    assert "the floor (those files read strictly, typed and written, nothing else): 500,020 rows/s" in ingest["note"]
    checks = next(t for t in report["targets"] if t["name"] == "checks_vs_scan_10M")
    assert "take 1.20 s, 2.4x the scan, and the check phase is 2.5x them" in checks["note"]
    # a size without a run of its own shows what a run would take: its stages in a run's order, summed
    assert "| year | end_to_end | 18.0 | | | | sum of ingest, checks, publish, reports |" in harness.table(report)


def test_a_generated_size_is_reused_when_its_flags_are_the_same(tmp_path, canned):
    (tmp_path / "tiny" / "landing").mkdir(parents=True)
    harness.run(["tiny"], tmp_path, say=lambda text: None)
    assert canned.count("generate") == 1
    harness.run(["tiny"], tmp_path, say=lambda text: None)
    assert canned.count("generate") == 1


@pytest.mark.parametrize(
    ("end_to_end", "checks", "scan", "pandas", "expected"),
    [
        (14.9, 1.5, 0.5, 20.0, ("met", "met", "met")),  # 3x and 20x exactly are met
        (15.0, 1.51, 0.5, 19.9, ("missed", "missed", "missed")),
    ],
)
def test_targets_at_their_limits(end_to_end, checks, scan, pandas, expected):
    results = {
        "weekly": {"stages": {"end_to_end": {"seconds": end_to_end, "peak_rss_mb": 100}}},
        "year": {"stages": {"checks": {"seconds": checks, "peak_rss_mb": 100},
                            "scan": {"seconds": scan / 4, "all_columns_seconds": scan},
                            "uninvolved": {"seconds": 1.0}, "pandas_uninvolved": {"seconds": pandas}}},
    }
    verdicts = {t.name: t.verdict for t in harness.evaluate(results)}
    assert (verdicts["weekly_end_to_end"], verdicts["checks_vs_scan_10M"],
            verdicts["uninvolved_vs_pandas_10M"]) == expected
    assert verdicts["checks_vs_scan_100M"] == verdicts["sector_memory"] == "not measured"


# -- a speed-up of the check phase that must not change a date ---------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/St_Johns", "Australia/Lord_Howe", "UTC"])
@pytest.mark.parametrize("week", ["2026-W13", "2026-W44", "2026-W47"])  # spring and autumn changes in Europe
def test_the_fast_local_date_is_the_local_date(zone, week):
    from dataclasses import replace

    from checks import context
    from pipelines.settings import Settings

    con = connect(":memory:", zone)
    context.prepare(con, week, replace(Settings(), timezone=zone))
    checked, differing = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE local_date_near_week(t) IS DISTINCT FROM local_date_of(t))
        FROM audit_week w,
             generate_series(w.start_at - INTERVAL 20 DAY, w.end_at + INTERVAL 4 DAY, INTERVAL 7 MINUTE) AS g(t)
        """
    ).fetchone()
    assert checked > 6000 and differing == 0
    # at the change itself, to the microsecond (Europe/Amsterdam: 29 March and 25 October 2026, 01:00 UTC)
    for instant in ("2026-03-29 00:59:59.999999+00", "2026-03-29 01:00:00+00",
                    "2026-10-25 00:59:59.999999+00", "2026-10-25 01:00:00+00"):
        fast, exact = con.execute(
            "SELECT local_date_near_week(CAST(? AS TIMESTAMPTZ)), local_date_of(CAST(? AS TIMESTAMPTZ))",
            [instant, instant],
        ).fetchone()
        assert fast == exact
