"""Several school boards: the boards file, runs per (board, week), boards audited in parallel without
their data ever mixing, and the cluster configurations of pipelines/deploy/."""

from __future__ import annotations

import hashlib
import importlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.boards import BoardsError, load_boards, select
from pipelines.definitions import build_definitions, executor_from_env
from pipelines.resources import Boards
from tests.conftest import DEMO_WEEK, ROOT, UNTIL, schoolaudit
from tests.fault_helpers import differences, environment, files, tables

DEPLOY = ROOT / "pipelines" / "deploy"
GOOD = """
[de-linde]
landing = "linde/landing"
warehouse = "linde/warehouse.duckdb"
out = "linde/reports"
lang = "nl"

[het-baken]
landing = "/srv/baken/landing"
warehouse = "/srv/baken/warehouse.duckdb"
out = "/srv/baken/reports"
config = "baken.toml"
"""


def write_boards(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "boards.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the boards file --------------------------------------------------------------------------------


def test_a_boards_file_gives_each_board_its_folders_relative_to_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # not the file's folder: relative paths do not depend on where one runs
    linde, baken = load_boards(write_boards(tmp_path, GOOD))
    assert (linde.key, linde.landing, linde.warehouse, linde.out, linde.lang, linde.config) == (
        "de-linde", str(tmp_path / "linde/landing"), str(tmp_path / "linde/warehouse.duckdb"),
        str(tmp_path / "linde/reports"), "nl", None,
    )  # fmt: skip
    assert (baken.key, baken.landing, baken.lang, baken.config) == (
        "het-baken", "/srv/baken/landing", "en", str(tmp_path / "baken.toml")
    )


BAD = [
    ("[a]\nlanding='l'\nwarehouse='w'\nout='o'\ncolour='red'\n", "board 'a': unknown key colour"),
    ("[a]\nlanding='l'\nwarehouse='w'\nout='o'\n[a]\nlanding='m'\n", "is not valid TOML"),  # declared twice
    ("[a]\nlanding='l'\nwarehouse='w'\n", "board 'a': out missing"),
    ("[a]\nlanding='l'\nwarehouse='w'\nout='o'\nlang='fr'\n", "lang must be one of en, nl"),
    ("[a]\nlanding=''\nwarehouse='w'\nout='o'\n", "landing must be a non-empty string"),
    ("[De_Linde]\nlanding='l'\nwarehouse='w'\nout='o'\n", "a board key is 1-40 lowercase letters"),
    ("[-a]\nlanding='l'\nwarehouse='w'\nout='o'\n", "a board key is 1-40 lowercase letters"),
    ("landing='l'\n", "'landing' is not a board table"),
    ("", "names no board"),
    ("[a]\nlanding='l'\nwarehouse='a.duckdb'\nout='a'\n[b]\nlanding='l'\nwarehouse='b.duckdb'\nout='b'\n",
     "boards 'a' and 'b' share a landing folder"),
    ("[a]\nlanding='la'\nwarehouse='w.duckdb'\nout='a'\n[b]\nlanding='lb'\nwarehouse='./w.duckdb'\nout='b'\n",
     "boards 'a' and 'b' share a warehouse"),
    ("[a]\nlanding='la'\nwarehouse='a.duckdb'\nout='r'\n[b]\nlanding='lb'\nwarehouse='b.duckdb'\nout='r/b'\n",
     "boards 'a' and 'b' share a report folder"),
    ("[a]\nlanding='la'\nwarehouse='a.duckdb'\nout='ra'\n[b]\nlanding='lb'\nwarehouse='la/b.duckdb'\nout='rb'\n",
     "the warehouse of board 'b' is inside the landing folder of board 'a'"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD, ids=[message for _, message in BAD])
def test_a_bad_boards_file_says_what_is_wrong(tmp_path, text, message):
    with pytest.raises(BoardsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_boards(write_boards(tmp_path, text))


def test_two_boards_with_folders_side_by_side_are_apart(tmp_path):
    text = "[a]\nlanding='l/a'\nwarehouse='w/a.duckdb'\nout='r/a'\n[b]\nlanding='l/b'\nwarehouse='w/b.duckdb'\nout='r/ab'\n"
    assert [board.key for board in load_boards(write_boards(tmp_path, text))] == ["a", "b"]


def test_selecting_boards_keeps_the_files_order_and_refuses_an_unknown_one(tmp_path):
    boards = load_boards(write_boards(tmp_path, GOOD))
    assert [b.key for b in select(boards, ["het-baken", "de-linde"])] == ["de-linde", "het-baken"]
    assert select(boards, None) == boards
    with pytest.raises(BoardsError, match="unknown board nowhere"):
        select(boards, ["nowhere"])


def test_the_command_line_refuses_a_bad_boards_file_in_one_line(tmp_path):
    boards = write_boards(tmp_path, "[a]\nlanding='l'\nwarehouse='w'\nout='o'\nwarehuose='x'\n")
    result = schoolaudit("run", "--boards", str(boards))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("schoolaudit: error: boards file") and "unknown key warehuose" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--landing", "x"], "--landing cannot be combined with --boards"),
        (["--db", "w.duckdb", "--lang", "nl"], "--db, --lang cannot be combined with --boards"),
        (["--board", "nowhere"], "unknown board nowhere"),
    ],
)
def test_the_command_line_refuses_flags_the_boards_file_decides(tmp_path, args, message):
    result = schoolaudit("run", "--boards", str(write_boards(tmp_path, GOOD)), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_run_needs_a_landing_folder_or_a_boards_file():
    result = schoolaudit("run", "--workers", "2")
    assert result.returncode == 2 and "--board and --workers need --boards" in result.stderr
    result = schoolaudit("run")
    assert result.returncode == 2 and "required: --landing (or --boards)" in result.stderr


# --- partitions, schedule and sensor ------------------------------------------------------------------


def two_boards(tmp_path: Path):
    return load_boards(write_boards(tmp_path, GOOD.replace("/srv/baken", str(tmp_path / "baken"))))


def test_every_asset_is_partitioned_by_board_and_week(tmp_path):
    defs = build_definitions(two_boards(tmp_path))
    for key in ("warehouse_ingest", "weekly_findings", "weekly_reports"):
        partitions = defs.resolve_assets_def(key).partitions_def
        assert isinstance(partitions, dg.MultiPartitionsDefinition)
        assert partitions.get_partitions_def_for_dimension("board").get_partition_keys() == ["de-linde", "het-baken"]


def test_the_schedule_audits_every_board_for_the_week_just_ended(tmp_path):
    schedule = build_definitions(two_boards(tmp_path)).resolve_schedule_def("weekly_audit_monday")
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    requests = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=monday)).run_requests
    assert sorted(r.partition_key for r in requests) == ["de-linde|2026-11-16", "het-baken|2026-11-16"]
    assert len({r.run_key for r in requests}) == 2  # one run per board, none dropped as a duplicate
    sunday = datetime(2026, 11, 22, 23, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # the week not yet over
    earlier = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=sunday)).run_requests
    assert sorted(r.partition_key for r in earlier) == ["de-linde|2026-11-09", "het-baken|2026-11-09"]


def test_the_sensor_asks_an_ingest_only_for_the_board_with_new_content(tmp_path):
    boards = two_boards(tmp_path)
    defs = build_definitions(boards)
    sensor = defs.resolve_sensor_def("landing_sensor")
    resources = {"boards": Boards.of(boards)}
    schools = "school_id,name,sector\n01AB,De Linde,PO\n"
    for board in boards:
        (Path(board.landing) / "schools").mkdir(parents=True)
        (Path(board.landing) / "schools" / "schools.csv").write_text(schools, encoding="utf-8")

    first = sensor(dg.build_sensor_context(resources=resources))
    week = dg.WeeklyPartitionsDefinition(start_date="2020-01-06", day_offset=1, timezone="Europe/Amsterdam")
    last = week.get_last_partition_key()
    # the same bytes in two boards are new content for each: a board sees only its own deliveries
    assert sorted(r.partition_key for r in first.run_requests) == [f"de-linde|{last}", f"het-baken|{last}"]

    nothing = sensor(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    assert nothing.run_requests == []

    (Path(boards[1].landing) / "schools" / "more.csv").write_text(schools + "02CD,Het Baken,VO\n", encoding="utf-8")
    second = sensor(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    [request] = second.run_requests
    assert request.partition_key == f"het-baken|{last}" and request.run_key.startswith("het-baken-")


# --- the executor, locally and on a cluster -----------------------------------------------------------


def test_the_executor_is_multiprocess_unless_chosen_otherwise(monkeypatch):
    monkeypatch.delenv("SCHOOLAUDIT_EXECUTOR", raising=False)
    monkeypatch.delenv("SCHOOLAUDIT_EXECUTOR_CONFIG", raising=False)
    assert executor_from_env() is dg.multiprocess_executor
    monkeypatch.setenv("SCHOOLAUDIT_EXECUTOR", "in_process")
    assert executor_from_env() is dg.in_process_executor
    monkeypatch.setenv("SCHOOLAUDIT_EXECUTOR", "spark")
    with pytest.raises(ValueError, match="SCHOOLAUDIT_EXECUTOR must be one of multiprocess, in_process, celery, k8s"):
        executor_from_env()


CLUSTER_ENV = {
    "SCHOOLAUDIT_CELERY_BROKER": "pyamqp://guest@rabbitmq:5672//",
    "SCHOOLAUDIT_CELERY_BACKEND": "redis://redis:6379/0",
    "DAGSTER_PG_USERNAME": "dagster", "DAGSTER_PG_PASSWORD": "secret", "DAGSTER_PG_HOST": "db", "DAGSTER_PG_DB": "dagster",
}  # fmt: skip


@pytest.mark.parametrize(("name", "module", "executor"), [
    ("celery", "dagster_celery", "celery_executor"), ("k8s", "dagster_k8s", "k8s_job_executor"),
])  # fmt: skip
def test_the_cluster_examples_validate_against_the_executors_and_launchers(monkeypatch, name, module, executor):
    package = pytest.importorskip(module, reason="the `cluster` extra is not installed")
    for key, value in CLUSTER_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCHOOLAUDIT_EXECUTOR", name)
    monkeypatch.setenv("SCHOOLAUDIT_EXECUTOR_CONFIG", str(DEPLOY / name / "executor.yaml"))

    chosen = executor_from_env()
    assert chosen.name == getattr(package, executor).name
    job = build_definitions(load_boards(DEPLOY / "boards.example.toml"), getattr(package, executor))
    run_config = yaml.safe_load((DEPLOY / name / "executor.yaml").read_text(encoding="utf-8"))
    dg.validate_run_config(job.resolve_job_def("weekly_audit"), run_config)
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job.resolve_job_def("weekly_audit"), {"execution": {"config": {"brokr": "x"}}})

    instance, launcher = _instance_config(DEPLOY / name)
    assert launcher.success, launcher.errors
    assert {"key": "dagster/partition/board", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in (
        instance["concurrency"]["runs"]["tag_concurrency_limits"]
    )


def _instance_config(folder: Path):
    """dagster.yaml checked against the instance schema, and its run launcher's config against the launcher's."""
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config

    instance, _ = dagster_instance_config(str(folder))
    launcher = instance["run_launcher"]
    launcher_class = getattr(importlib.import_module(launcher["module"]), launcher["class"])
    return instance, validate_config(launcher_class.config_type(), launcher.get("config", {}))


def test_the_local_instance_runs_boards_at_once_and_a_board_one_run_at_a_time():
    from dagster._core.instance.config import dagster_instance_config

    instance, _ = dagster_instance_config(str(DEPLOY / "local"))
    runs = instance["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] > 1
    assert runs["tag_concurrency_limits"] == [
        {"key": "dagster/partition/board", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]


def test_each_example_board_has_its_own_volume_on_kubernetes():
    boards = load_boards(DEPLOY / "boards.example.toml")
    config = yaml.safe_load((DEPLOY / "k8s" / "executor.yaml").read_text(encoding="utf-8"))["execution"]["config"]
    mounts = {m["name"]: m["mountPath"] for m in config["volume_mounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in config["volumes"] if "persistentVolumeClaim" in v}
    manifests = list(yaml.safe_load_all((DEPLOY / "k8s" / "volumes.yaml").read_text(encoding="utf-8")))
    declared = {m["metadata"]["name"] for m in manifests if m["kind"] == "PersistentVolumeClaim"}
    for board in boards:
        volume = f"board-{board.key}"
        assert claims[volume] == f"schoolaudit-{board.key}" and claims[volume] in declared
        for path in (board.landing, board.warehouse, board.out):
            assert Path(mounts[volume]) in Path(path).parents, path
    assert len(set(claims.values())) == len(boards)


# --- two boards in parallel ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_generated(tmp_path_factory):
    from pipelines.generate import generate

    out = tmp_path_factory.mktemp("two-boards")
    return {key: generate(out / key, schools=1, students=60, weeks=1, seed=seed, until=UNTIL).landing
            for key, seed in (("linde", 1), ("baken", 2))}  # fmt: skip


def _landing_hashes(landing: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in landing.rglob("*") if p.is_file()}


def _lineage(db: Path) -> set[str]:
    """Every delivered file a row of the warehouse came from (canonical rows, files, quarantine)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name IN ('_file_hash', 'file_hash')"
        ).fetchall()
        return {h for table, column in columns for (h,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()}
    finally:
        con.close()


def _span(db: Path):
    """When the board's run first ingested a file and when it finished its reports."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT min(ingested_at) FROM landing_files),"
            " (SELECT max(finished_at) FROM audit_runs WHERE stage = 'report')"
        ).fetchone()
    finally:
        con.close()


def test_two_boards_run_in_parallel_and_hold_nothing_of_each_other(two_generated, tmp_path):
    import subprocess

    from tests.fault_helpers import command

    # What each board gives alone, through the spec's single-board command.
    alone = {}
    for key, landing in two_generated.items():
        work = tmp_path / "alone" / key
        work.mkdir(parents=True)
        alone[key] = subprocess.Popen(
            command("run", "--landing", str(landing), "--db", "warehouse.duckdb", "--out", "reports", "--week", DEMO_WEEK),
            cwd=work, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    boards_file = tmp_path / "both" / "boards.toml"
    boards_file.parent.mkdir()
    boards_file.write_text("".join(
        f'[{key}]\nlanding = "{landing}"\nwarehouse = "{key}/warehouse.duckdb"\nout = "{key}/reports"\n\n'
        for key, landing in two_generated.items()
    ), encoding="utf-8")  # fmt: skip
    for process in alone.values():
        assert process.wait(timeout=600) == 0, process.stdout.read()

    both = subprocess.run(
        command("run", "--boards", str(boards_file), "--week", DEMO_WEEK, "--workers", "2"),
        check=False, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert both.returncode == 0, both.stdout + both.stderr
    assert "board linde: done" in both.stdout and "board baken: done" in both.stdout
    spans = {key: _span(boards_file.parent / key / "warehouse.duckdb") for key in two_generated}
    (linde_start, linde_end), (baken_start, baken_end) = spans["linde"], spans["baken"]
    assert linde_start < baken_end and baken_start < linde_end, f"the two runs did not overlap: {spans}"

    own = {key: _landing_hashes(landing) for key, landing in two_generated.items()}
    for key, other in (("linde", "baken"), ("baken", "linde")):
        folder = boards_file.parent / key
        # every row of the warehouse came from the board's own deliveries (some files, such as the list of
        # recipients, are the same bytes for both boards), none from a file only the other board has
        lineage = _lineage(folder / "warehouse.duckdb")
        assert lineage == own[key] and not lineage & (own[other] - own[key])
        # findings, coverage, quarantine, explanations and report files: exactly what the board gives alone
        alone_dir = tmp_path / "alone" / key
        assert differences(
            {"tables": tables(folder / "warehouse.duckdb"), "files": files(folder / "reports")},
            {"tables": tables(alone_dir / "warehouse.duckdb"), "files": files(alone_dir / "reports")},
        ) == []
        assert (folder / "reports" / DEMO_WEEK / "privacy-officer.pdf").is_file()
    # and the two boards' outcomes do differ, so the comparison above could tell them apart
    assert files(boards_file.parent / "linde" / "reports") != files(boards_file.parent / "baken" / "reports")
    assert tables(boards_file.parent / "linde" / "warehouse.duckdb")["findings"] != tables(
        boards_file.parent / "baken" / "warehouse.duckdb")["findings"]  # fmt: skip
