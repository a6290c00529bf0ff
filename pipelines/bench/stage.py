"""One measured stage, run in its own process so that its peak memory is its own:

    python -m pipelines.bench.stage STAGE --db FILE [--landing DIR] [--week W] [--out DIR] [--source FILE]

prints one JSON line: {"stage", "seconds" (the stage's own work), "process_seconds",
"process_cpu_seconds" (with that of the processes it started), "peak_rss_mb", ...}.
Peak memory is the process's maximum resident set (getrusage), so it counts Python, pandas and DuckDB;
"child_peak_rss_mb" is the largest of the processes it started (the reports' PDF process), if any.

Stages:
    generate      `schoolaudit generate` with the size's flags (--generate-args, JSON list)
    ingest        ingest_landing (reading, Great Expectations validation, quarantine, load)
    checks        run_checks for the week (the whole catalogue, precedence, explanations)
    publish       the published copy for the review app (pipelines.published), built anew, then brought
                  up to date with nothing changed (what every later week pays beside its own changes)
    reports       write_outputs for the week (CSV files, both reports in HTML and PDF)
    end_to_end    `schoolaudit run` (ingest, checks, reports through the Dagster job) on a new warehouse
    uninvolved    ACCESS-UNINVOLVED alone: the week's populations and its query (rolled back)
    check_profile the check phase's steps timed one by one (rolled back)
    ingest_profile, reports_profile   that stage under cProfile: the functions with the most own time
    ingest_floor  the access-log files read as strictly as ingest reads them, typed and written to a new
                  warehouse file; no validation, no quarantine, no other feed: the floor for an ingest
    scan          the bare scan of access_log: the floor for any check over it
    floor         the lookups every access needs (document, student, a staff access's involvement and
                  role), counted, nothing written: the floor for a check that looks up each access
    pandas_uninvolved  ACCESS-UNINVOLVED as a user would write it in pandas (the reference)
    replicate     copy a warehouse and multiply its access_log (--copies) with shifted event ids
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

TIMEZONE = "Europe/Amsterdam"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench.stage")
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--db")
    parser.add_argument("--landing")
    parser.add_argument("--week")
    parser.add_argument("--out")
    parser.add_argument("--source", help="replicate: the warehouse to copy")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--generate-args", default="[]")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = STAGES[args.stage](args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # the processes the stage started (the reports' PDF process), once ended
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "stage": args.stage,
        **result,
        "process_seconds": round(time.perf_counter() - started, 3),
        # CPU time says more than wall time on a machine shared with other work
        "process_cpu_seconds": round(usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        **({"child_peak_rss_mb": round(children.ru_maxrss / 1024, 1)} if children.ru_maxrss else {}),
    }
    print(json.dumps(result), flush=True)
    return 0


def _timed(work):
    started = time.perf_counter()
    value = work()
    return value, round(time.perf_counter() - started, 3)


# What DuckDB may spill to disk beside the warehouse: a benchmark must not fill a shared disk (before
# the check phase judged a week in slices, it spilled tens of GB at 100M). Beyond it the stage fails
# with DuckDB's out-of-space error.
MAX_SPILL = os.environ.get("SCHOOLAUDIT_BENCH_MAX_SPILL", "60GB")


def _connect(path, read_only=False):
    from pipelines.warehouse import connect

    con = connect(path, TIMEZONE, read_only=read_only)
    con.execute(f"SET max_temp_directory_size = '{MAX_SPILL}'")
    return con


def _generate(args) -> dict:
    from pipelines.cli import main as cli

    status, seconds = _timed(lambda: cli(["generate", *json.loads(args.generate_args)]))
    if status:
        raise SystemExit(status)
    return {"seconds": seconds}


def _ingest(args) -> dict:
    from pipelines.ingest import ingest_landing, landing
    from pipelines.settings import Settings

    # The access-log files' own time: staging and loading them. A file is staged ahead of its load
    # (while Great Expectations imports or judges the one before), so both steps are timed where they
    # run; GX's import, in a process of its own, falls to no file.
    access_file_seconds = 0.0

    def timed_step(step, feed_of):
        def run(con, item, *rest):
            nonlocal access_file_seconds
            started = time.perf_counter()
            try:
                return step(con, item, *rest)
            finally:
                if feed_of(item) == "access_log":
                    access_file_seconds += time.perf_counter() - started

        return run

    landing._stage_file = timed_step(landing._stage_file, lambda file: file.feed)
    landing._load_file = timed_step(landing._load_file, lambda staged: staged.file.feed)
    con = _connect(args.db)
    try:
        _, seconds = _timed(lambda: ingest_landing(con, Path(args.landing), Settings()))
        rows = dict(con.execute(
            "SELECT feed, sum(rows_loaded) FROM landing_files GROUP BY feed"
        ).fetchall())
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        con.close()
    access = int(rows.get("access_log", 0))
    return {"seconds": seconds, "access_rows": access, "rows": int(sum(rows.values())),
            "quarantined": quarantined, "access_rows_per_second": round(access / seconds) if seconds else None,
            "access_file_seconds": round(access_file_seconds, 3),
            "access_file_rows_per_second": round(access / access_file_seconds) if access_file_seconds else None}


def _checks(args) -> dict:
    from checks.runner import run_checks
    from pipelines.settings import Settings

    con = _connect(args.db)
    try:
        result, seconds = _timed(lambda: run_checks(con, args.week, Settings()))
        judged = con.execute("SELECT count(*) FROM access_explanations WHERE week = ?", [args.week]).fetchone()[0]
    finally:
        con.close()
    return {"seconds": seconds, "findings": result.findings, "accesses_judged": judged}


def _publish(args) -> dict:
    """The published copy built anew (none beside the warehouse), then brought up to date with nothing
    changed since: what a run after the checks pays the first time, and every week after."""
    from pipelines.published import publish, published_path

    con = _connect(args.db)
    try:
        published_path(args.db).unlink(missing_ok=True)
        _, built = _timed(lambda: publish(con, args.db))
        _, updated = _timed(lambda: publish(con, args.db))
    finally:
        con.close()
        published_path(args.db).unlink(missing_ok=True)
    return {"seconds": built, "built_seconds": built, "updated_seconds": updated}


def _reports(args) -> dict:
    from pipelines.settings import Settings
    from reports import write_outputs

    con = _connect(args.db)
    try:
        paths, seconds = _timed(lambda: write_outputs(con, args.week, Path(args.out), "en", Settings(),
                                                      source_date_epoch=0))
    finally:
        con.close()
    return {"seconds": seconds, "files": len(paths)}


def _end_to_end(args) -> dict:
    from pipelines.cli import main as cli

    status, seconds = _timed(lambda: cli(["run", "--landing", args.landing, "--db", args.db, "--out", args.out,
                                          "--week", args.week]))
    if status:
        raise SystemExit(status)
    return {"seconds": seconds}


def _uninvolved(args) -> dict:
    from pipelines.bench.profile import time_rule

    con = _connect(args.db)
    try:
        return time_rule(con, args.week, "ACCESS-UNINVOLVED")
    finally:
        con.close()


def _check_profile(args) -> dict:
    from pipelines.bench.profile import profile_checks

    con = _connect(args.db)
    try:
        profile, seconds = _timed(lambda: profile_checks(con, args.week))
    finally:
        con.close()
    return {"seconds": seconds, **profile}


def _scan(args) -> dict:
    """The bare scan (two columns, what ACCESS-UNINVOLVED joins on), and beside it a scan of every
    column the check phase reads from access_log: the floor for materialising the week's events."""
    con = _connect(args.db, read_only=True)
    try:
        query = "SELECT count(*), sum(hash(actor_id, student_id)) FROM access_log"
        con.execute(query).fetchall()  # warm: the check phase also reads a warm file after the first rule
        (rows, _), seconds = _timed(lambda: con.execute(query).fetchone())
        every = "SELECT count(*), sum(hash(COLUMNS(* EXCLUDE (_file_hash, _line)))) FROM access_log"
        con.execute(every).fetchall()
        _, every_seconds = _timed(lambda: con.execute(every).fetchone())
    finally:
        con.close()
    return {"seconds": seconds, "rows": rows, "all_columns_seconds": every_seconds}


def _ingest_floor(args) -> dict:
    """The least an ingest of the access-log files must do: read each one strictly (the reader's own
    read_csv, every value text), give each column its contract type, and write the rows to a new
    warehouse file, checkpointed."""
    from pipelines.contract import FEEDS
    from pipelines.ingest import readers
    from pipelines.ingest.files import landing_files
    from pipelines.ingest.sql import ident

    target = Path(args.db)
    target.unlink(missing_ok=True)
    feed = FEEDS["access_log"]
    files = [f.path for f in landing_files(Path(args.landing)) if f.feed == feed.name and f.format == "csv"]
    con = _connect(target)

    def load():
        rows = 0
        for path in files:
            header = readers.csv_header(path)
            typed = ", ".join(
                f"TRY_CAST(c{i} AS {feed.column(name).sql_type}) AS {ident(name)}"
                if name in feed.column_names
                else f"c{i}"
                for i, name in enumerate(header)
            )
            select = f"SELECT {typed} FROM {readers.csv_records_sql(path, header)}"
            if rows == 0:
                con.execute(f"CREATE OR REPLACE TABLE access_floor AS {select}")
            else:
                con.execute(f"INSERT INTO access_floor {select}")
            rows = con.execute("SELECT count(*) FROM access_floor").fetchone()[0]
        con.execute("CHECKPOINT")
        return rows

    try:
        rows, seconds = _timed(load)
    finally:
        con.close()
        target.unlink(missing_ok=True)
    return {
        "seconds": seconds,
        "files": len(files),
        "access_rows": rows,
        "access_rows_per_second": round(rows / seconds) if seconds else None,
    }


def _floor(args) -> dict:
    from pipelines.bench.profile import lookups_floor

    con = _connect(args.db)
    try:
        return lookups_floor(con, args.week)
    finally:
        con.close()


def _pandas_uninvolved(args) -> dict:
    from pipelines.bench.pandas_reference import access_uninvolved

    con = _connect(args.db, read_only=True)
    try:
        (count, load_seconds), seconds = _timed(lambda: access_uninvolved(con))
    finally:
        con.close()
    return {"seconds": seconds, "load_seconds": load_seconds, "findings": count}


def _replicate(args) -> dict:
    """A bigger warehouse from a smaller one: `copies` times its access log, each copy's event ids
    marked with '~<copy>' (same people, same week, so the same share of findings): the check phase
    starts from it."""
    target = Path(args.db)
    target.unlink(missing_ok=True)
    shutil.copyfile(args.source, target)
    con = _connect(target)
    try:
        def grow():
            columns = [r[0] for r in con.execute("DESCRIBE access_log").fetchall()]
            base = con.execute("SELECT count(*) FROM access_log").fetchone()[0]
            for copy in range(1, args.copies):
                select = ", ".join(f"event_id || '~{copy}'" if c == "event_id" else f'"{c}"' for c in columns)
                con.execute(f"INSERT INTO access_log SELECT {select} FROM access_log "
                            "WHERE NOT contains(event_id, '~')")
            con.execute("CHECKPOINT")
            return base * args.copies

        rows, seconds = _timed(grow)
    finally:
        con.close()
    return {"seconds": seconds, "access_rows": rows}


def _cprofiled(stage):
    """`stage` under cProfile, with the ten functions of most own time: what holds a Python-heavy stage
    back (it runs slower than unprofiled; its time is not the stage's)."""

    def profiled(args) -> dict:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(stage, args)
        stats = pstats.Stats(profiler).stats
        rows = sorted(stats.items(), key=lambda item: -item[1][2])[:10]
        result["functions"] = [
            {"function": f"{Path(file).name}:{line} {name}", "own_seconds": round(own, 3), "calls": calls}
            for (file, line, name), (_, calls, own, _, _) in rows
        ]
        return result

    return profiled


STAGES = {
    "generate": _generate,
    "ingest": _ingest,
    "checks": _checks,
    "publish": _publish,
    "reports": _reports,
    "end_to_end": _end_to_end,
    "uninvolved": _uninvolved,
    "check_profile": _check_profile,
    "ingest_profile": _cprofiled(_ingest),
    "reports_profile": _cprofiled(_reports),
    "scan": _scan,
    "floor": _floor,
    "ingest_floor": _ingest_floor,
    "pandas_uninvolved": _pandas_uninvolved,
    "replicate": _replicate,
}

if __name__ == "__main__":
    sys.exit(main())
