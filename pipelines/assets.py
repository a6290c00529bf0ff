"""The audit as Dagster assets, one per stage: landing files -> warehouse -> findings -> reports.

Ingest is not partitioned (the warehouse accumulates every delivery); findings and reports are per
Monday-based week. The writing assets share the `warehouse` pool so DuckDB has one writer at a time.
"""


import os
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from pipelines.resources import AuditSettings, Warehouse
from pipelines.weeks import week_from_partition_key

WEEKS = dg.WeeklyPartitionsDefinition(start_date="2020-01-06", day_offset=1, timezone="Europe/Amsterdam")
WAREHOUSE_POOL = "warehouse"


@dg.asset(
    group_name="audit",
    pool=WAREHOUSE_POOL,
    description="Every new landing file validated (Great Expectations) and loaded into the DuckDB "
    "warehouse; rows that break the contract go to the quarantine.",
)
def warehouse_ingest(context: dg.AssetExecutionContext, audit: AuditSettings, warehouse: Warehouse):
    from pipelines.ingest import ingest_landing

    settings = audit.settings()
    with warehouse.connection() as con:
        result = ingest_landing(con, Path(audit.landing), settings, progress=context.log.info)
    return dg.MaterializeResult(metadata={k: v for k, v in asdict(result).items() if k != "by_feed"})


@dg.asset(
    group_name="audit",
    pool=WAREHOUSE_POOL,
    partitions_def=WEEKS,
    deps=[warehouse_ingest],
    description="The rule catalogue run over one week: findings and coverage replaced for that week.",
)
def weekly_findings(context: dg.AssetExecutionContext, audit: AuditSettings, warehouse: Warehouse):
    from checks.runner import run_checks

    week = week_from_partition_key(context.partition_key)
    with warehouse.connection() as con:
        result = run_checks(con, week, audit.settings())
    not_evaluated = [row["rule_id"] for row in result.coverage if row["status"] != "evaluated"]
    return dg.MaterializeResult(
        metadata={
            "week": week,
            "findings": result.findings,
            **{f"severity_{name}": count for name, count in result.by_severity.items()},
            "rules_not_evaluated": ", ".join(not_evaluated) or "none",
        }
    )


@dg.asset(
    group_name="audit",
    pool=WAREHOUSE_POOL,
    partitions_def=WEEKS,
    deps=[weekly_findings],
    description="findings.csv, coverage.csv, quarantine.csv and the two reports (HTML and PDF) of one week.",
)
def weekly_reports(context: dg.AssetExecutionContext, audit: AuditSettings, warehouse: Warehouse):
    from reports import write_outputs

    week = week_from_partition_key(context.partition_key)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    with warehouse.connection() as con:
        paths = write_outputs(
            con, week, Path(audit.out), audit.lang, audit.settings(), source_date_epoch=int(epoch) if epoch else None
        )
    return dg.MaterializeResult(
        metadata={"week": week, "folder": dg.MetadataValue.path(str(Path(audit.out) / week))}
        | {path.name: dg.MetadataValue.path(str(path)) for path in paths}
    )
