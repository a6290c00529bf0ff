"""The Dagster code location `pipelines`: `dagster dev` (or `dg dev`) loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import warehouse_ingest, weekly_findings, weekly_reports
from pipelines.jobs import ingest_job, landing_sensor, weekly_audit, weekly_schedule
from pipelines.resources import resources_from_env


def build_definitions(resources: dict) -> dg.Definitions:
    return dg.Definitions(
        assets=[warehouse_ingest, weekly_findings, weekly_reports],
        jobs=[weekly_audit, ingest_job],
        schedules=[weekly_schedule],
        sensors=[landing_sensor],
        resources=resources,
    )


defs = build_definitions(resources_from_env())
