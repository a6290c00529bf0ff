"""The Dagster code location: definitions load, the schedule and sensor behave, the job runs in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.assets import board_week_key
from pipelines.boards import single_board
from pipelines.definitions import build_definitions, defs
from pipelines.resources import Boards
from pipelines.warehouse import connect
from tests.conftest import DEMO_WEEK, ROOT


def test_definitions_validate_with_the_dagster_command(tmp_path):
    env = dict(os.environ, SCHOOLAUDIT_DB=str(tmp_path / "w.duckdb"), DAGSTER_HOME=str(tmp_path))
    command = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(command), "definitions", "validate", "-m", "pipelines.definitions"],
        check=False, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


SINGLE = build_definitions(single_board("landing", "w.duckdb", "out"))
weekly_schedule = SINGLE.resolve_schedule_def("weekly_audit_monday")
landing_sensor = SINGLE.resolve_sensor_def("landing_sensor")


def _sensor(landing, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"boards": Boards.single(landing=str(landing))})
    return landing_sensor(context), context


def test_code_location_has_the_audit_assets_schedule_and_sensor():
    assert {key.to_user_string() for key in defs().resolve_asset_graph().get_all_asset_keys()} == {
        "warehouse_ingest", "weekly_findings", "weekly_reports"
    }
    assert weekly_schedule.cron_schedule == "0 6 * * 1"
    assert weekly_schedule.execution_timezone == "Europe/Amsterdam"


def test_schedule_on_monday_morning_audits_the_week_just_ended():
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    context = dg.build_schedule_context(scheduled_execution_time=monday)
    requests = list(weekly_schedule.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in requests] == ["default|2026-11-16"]  # Monday of 2026-W47


def test_sensor_requests_an_ingest_only_for_new_content(tmp_path):
    landing = tmp_path / "landing"
    (landing / "schools").mkdir(parents=True)
    school = landing / "schools" / "schools.csv"
    school.write_text("school_id,name,sector\n01AB,De Linde,PO\n", encoding="utf-8")

    first, _ = _sensor(landing)
    [request] = first.run_requests
    cursor = first.cursor
    again, _ = _sensor(landing, cursor)
    assert again.run_requests == [] and "no new landing content" in again.skip_reason.skip_message

    # the same bytes under a new name are not new content
    (landing / "schools" / "copy.csv").write_bytes(school.read_bytes())
    same, _ = _sensor(landing, cursor)
    assert same.run_requests == []

    school.write_text("school_id,name,sector\n01AB,De Linde,PO\n02CD,Het Baken,VO\n", encoding="utf-8")
    changed, _ = _sensor(landing, cursor)
    assert len(changed.run_requests) == 1 and changed.run_requests[0].run_key != request.run_key


def test_sensor_requests_an_ingest_for_a_file_the_ingest_will_reject_and_when_one_is_removed(tmp_path):
    landing = tmp_path / "landing"
    (landing / "access_log").mkdir(parents=True)
    (landing / "access_log" / "export.xlsx").write_bytes(b"PK\x03\x04 not a contract format")
    first, _ = _sensor(landing)
    assert len(first.run_requests) == 1  # the ingest records it, and the week's report says so

    (landing / "access_log" / "export.xlsx").unlink()
    removed, _ = _sensor(landing, first.cursor)
    [request] = removed.run_requests  # the audit is complete again once the file is gone
    assert request.tags["removed_files"] == "1" and request.run_key != first.run_requests[0].run_key
    assert _sensor(landing, removed.cursor)[0].run_requests == []

    # Dropped again: the same bytes, but the folder changed since: another ingest, with a key of its own.
    (landing / "access_log" / "export.xlsx").write_bytes(b"PK\x03\x04 not a contract format")
    again, _ = _sensor(landing, removed.cursor)
    assert len(again.run_requests) == 1
    assert again.run_requests[0].run_key not in {first.run_requests[0].run_key, request.run_key}


def test_sensor_sees_a_new_oneroster_bundle(tmp_path):
    landing = tmp_path / "landing"
    bundle = landing / "oneroster" / "export-2026-11"
    bundle.mkdir(parents=True)
    (bundle / "users.csv").write_text("sourcedId,role\nt1,teacher\n", encoding="utf-8")
    assert len(_sensor(landing)[0].run_requests) == 1


def test_sensor_skips_a_missing_landing_folder(tmp_path):
    result, _ = _sensor(tmp_path / "nowhere")
    assert result.run_requests == [] and "does not exist" in result.skip_reason.skip_message


def test_weekly_job_runs_in_process_on_a_temporary_warehouse(board, tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "reports"
    job = build_definitions(single_board(str(board.landing), str(db), str(out))).resolve_job_def("weekly_audit")
    result = job.execute_in_process(
        partition_key=board_week_key("default", DEMO_WEEK), instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    assert (out / DEMO_WEEK / "privacy-officer.html").is_file()
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM findings WHERE week = ?", [DEMO_WEEK]).fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM landing_files").fetchone()[0] > 0
    finally:
        con.close()
