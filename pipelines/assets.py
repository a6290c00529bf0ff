"""The audit as Dagster assets, one per stage: landing files -> warehouse -> findings -> reports.

Every asset is partitioned by board x week: a run works on one school board (its own landing folder,
warehouse and report folder, never another's) and one Monday-based week. Ingest has the week too, so
that one run ingests, checks and reports (a rejected landing file never stops it: the week is checked
without the file, its reports say so, and the ingest's asset checks warn); its week says
for which week's audit the landing folder was ingested (late data for a reported week shows as stale).
The boards are known when the code location loads (pipelines.boards), hence `audit_assets(boards)`.
"""


import os
from pathlib import Path

import dagster as dg

from pipelines.boards import DEFAULT_BOARD
from pipelines.ingest.checks import CheckOutcome, check_specs
from pipelines.resources import Boards, BoardSettings
from pipelines.weeks import partition_key, week_from_partition_key

# The first week Dagster offers as a partition, unless SCHOOLAUDIT_FIRST_WEEK says otherwise
# (pipelines.definitions). Real data carries history (a complaint about a week years back, samples dated
# 2017), so it lies well back; the command line goes further back still when asked for an earlier week.
DEFAULT_FIRST_WEEK = "2010-W01"


def week_partitions(first_week: str = DEFAULT_FIRST_WEEK) -> dg.WeeklyPartitionsDefinition:
    """Monday-based weeks from `first_week` ('2017-W10') to the last week that has ended."""
    return dg.WeeklyPartitionsDefinition(
        start_date=partition_key(first_week), day_offset=1, timezone="Europe/Amsterdam"
    )


WEEKS = week_partitions()


def board_weeks(board_keys: list[str], first_week: str = DEFAULT_FIRST_WEEK) -> dg.MultiPartitionsDefinition:
    boards = dg.StaticPartitionsDefinition(list(board_keys))
    return dg.MultiPartitionsDefinition({"board": boards, "week": week_partitions(first_week)})


def board_week_key(board: str, week: str) -> dg.MultiPartitionKey:
    """The partition of one board's audit of an ISO week ('2026-W47')."""
    return dg.MultiPartitionKey({"board": board, "week": partition_key(week)})


def _board(context: dg.AssetExecutionContext, boards: Boards) -> tuple[str, BoardSettings]:
    """The run's board (key and settings); a run without a partition (a plain `materialize`) may only
    have one board."""
    if context.has_partition_key:
        key = context.partition_key.keys_by_dimension["board"]
        return key, boards.board(key)
    if len(boards.boards) != 1:
        raise dg.Failure("several boards: run one board's partition (board, week)")
    return next(iter(boards.boards.items()))


def _week(context: dg.AssetExecutionContext) -> str:
    return week_from_partition_key(context.partition_key.keys_by_dimension["week"])


# Two checks per feed, generated from the contract (pipelines.ingest.checks). Both are warnings and
# neither blocks: a rejected file leaves the week incomplete, it never costs the board its report.
INGEST_CHECKS = [
    dg.AssetCheckSpec(spec.name, asset="warehouse_ingest", blocking=False, description=spec.description)
    for spec in check_specs()
]


def _check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.spec.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            key: dg.MetadataValue.json(value) if isinstance(value, list) else value
            for key, value in outcome.metadata.items()
        },
    )


def audit_assets(board_keys: list[str], first_week: str = DEFAULT_FIRST_WEEK) -> list[dg.AssetsDefinition]:
    """warehouse_ingest, weekly_findings and weekly_reports for these boards, weeks from `first_week`."""
    partitions = board_weeks(board_keys, first_week)

    @dg.asset(
        group_name="audit",
        partitions_def=partitions,
        check_specs=INGEST_CHECKS,
        description="Every new landing file validated (Great Expectations) and loaded into the DuckDB "
        "warehouse; rows that break the contract go to the quarantine, a file unusable as a whole is rejected.",
    )
    def warehouse_ingest(context: dg.AssetExecutionContext, boards: Boards):
        from pipelines.ingest import ingest_landing
        from pipelines.ingest.checks import evaluate

        _, board = _board(context, boards)
        with board.warehouse().connection() as con:
            result = ingest_landing(con, Path(board.landing), board.settings(), progress=context.log.info)
            outcomes = evaluate(con, result.present)
        return dg.MaterializeResult(
            metadata=result.counters(), check_results=[_check_result(outcome) for outcome in outcomes]
        )

    @dg.asset(
        group_name="audit",
        partitions_def=partitions,
        deps=[warehouse_ingest],
        description="The rule catalogue run over one week: findings and coverage replaced for that week.",
    )
    def weekly_findings(context: dg.AssetExecutionContext, boards: Boards):
        from checks.runner import run_checks
        from pipelines.published import publish

        (key, board), week = _board(context, boards), _week(context)
        with board.warehouse().connection() as con:
            result = run_checks(con, week, board.settings())
            publish(con, board.database)  # what the review app and `schoolaudit decide` read
        def rules(status: str) -> str:
            return ", ".join(row["rule_id"] for row in result.coverage if row["status"] == status) or "none"

        if result.rejected_files:
            context.log.warning(
                f"week {week} checked without {len(result.rejected_files)} rejected landing file(s): "
                f"{', '.join(result.rejected_files)}; incomplete: {rules('incomplete')}"
            )
        return dg.MaterializeResult(
            metadata={
                "board": key,
                "week": week,
                "findings": result.findings,
                **{f"severity_{name}": count for name, count in result.by_severity.items()},
                "rules_incomplete": rules("incomplete"),
                "rules_not_evaluated": rules("not_evaluated"),
                "rejected_files": dg.MetadataValue.json(result.rejected_files),
            }
        )

    @dg.asset(
        group_name="audit",
        partitions_def=partitions,
        deps=[weekly_findings],
        description="findings.csv, coverage.csv, quarantine.csv and the two reports (HTML and PDF) of one week.",
    )
    def weekly_reports(context: dg.AssetExecutionContext, boards: Boards):
        from reports import write_outputs

        (key, board), week = _board(context, boards), _week(context)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        with board.warehouse().connection() as con:
            paths = write_outputs(
                con, week, Path(board.out), board.lang, board.settings(),
                source_date_epoch=int(epoch) if epoch else None,
            )
        return dg.MaterializeResult(
            metadata={"board": key, "week": week, "folder": dg.MetadataValue.path(str(Path(board.out) / week))}
            | {path.name: dg.MetadataValue.path(str(path)) for path in paths}
        )

    return [warehouse_ingest, weekly_findings, weekly_reports]


# The assets of a single-board installation (the command line without --boards, plain `materialize`).
warehouse_ingest, weekly_findings, weekly_reports = audit_assets([DEFAULT_BOARD])
