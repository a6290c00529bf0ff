"""The Dagster code location `pipelines`: `dagster dev` (or `dg dev`) loads `defs` from here.

The boards come from SCHOOLAUDIT_BOARDS (a boards file, pipelines.boards) or, without one, the single
board `default` from the SCHOOLAUDIT_* variables. The executor comes from SCHOOLAUDIT_EXECUTOR, so the
same code runs on one machine and on a cluster (pipelines/deploy/).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml

from pipelines import private
from pipelines.assets import DEFAULT_FIRST_WEEK, audit_assets
from pipelines.boards import Board
from pipelines.jobs import audit_jobs
from pipelines.resources import Boards, boards_from_env
from pipelines.weeks import WeekError, parse_week

EXECUTORS = ("multiprocess", "in_process", "celery", "k8s")


def build_definitions(
    boards: list[Board], executor: dg.ExecutorDefinition | None = None, first_week: str = DEFAULT_FIRST_WEEK
) -> dg.Definitions:
    """The code location for these boards, with week partitions from `first_week`."""
    assets = audit_assets([board.key for board in boards], first_week)
    weekly_audit, ingest_job, weekly_schedule, landing_sensor = audit_jobs(assets)
    return dg.Definitions(
        assets=assets,
        jobs=[weekly_audit, ingest_job],
        schedules=[weekly_schedule],
        sensors=[landing_sensor],
        resources={"boards": Boards.of(boards)},
        executor=executor,
    )


def first_week_from_env() -> str:
    """SCHOOLAUDIT_FIRST_WEEK ('2015-W01'): the first week the Dagster UI offers (default DEFAULT_FIRST_WEEK)."""
    week = os.environ.get("SCHOOLAUDIT_FIRST_WEEK", "").strip() or DEFAULT_FIRST_WEEK
    try:
        parse_week(week)
    except WeekError as exc:
        raise ValueError(f"SCHOOLAUDIT_FIRST_WEEK: {exc}") from None
    return week


def executor_from_env() -> dg.ExecutorDefinition:
    """SCHOOLAUDIT_EXECUTOR (default multiprocess), configured from the run-config YAML file
    SCHOOLAUDIT_EXECUTOR_CONFIG when given (examples in pipelines/deploy/). The cluster packages
    (the `cluster` extra) are imported only when chosen."""
    name = os.environ.get("SCHOOLAUDIT_EXECUTOR", "multiprocess")
    if name == "multiprocess":
        executor = dg.multiprocess_executor
    elif name == "in_process":
        executor = dg.in_process_executor
    elif name == "celery":
        from dagster_celery import celery_executor

        executor = celery_executor
    elif name == "k8s":
        from dagster_k8s import k8s_job_executor

        executor = k8s_job_executor
    else:
        raise ValueError(f"SCHOOLAUDIT_EXECUTOR must be one of {', '.join(EXECUTORS)}, got {name!r}")
    config_file = os.environ.get("SCHOOLAUDIT_EXECUTOR_CONFIG")
    if config_file:
        return executor.configured(executor_config(Path(config_file)))
    return executor


def executor_config(path: Path) -> dict:
    """`execution: config:` of a run-config YAML file (the shape dagster-celery's workers read too)."""
    return ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("execution") or {}).get("config") or {}


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster's tools, not on import: the command line imports build_definitions from here
    without reading the SCHOOLAUDIT_* variables."""
    private.restrict_umask()  # the code location's process: every file it writes is the owner's only
    return build_definitions(boards_from_env(), executor_from_env(), first_week_from_env())
