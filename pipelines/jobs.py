"""Jobs, the weekly schedule and the landing sensor."""


import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.assets import WEEKS, warehouse_ingest, weekly_findings, weekly_reports
from pipelines.contract import FEEDS, FILE_SUFFIXES
from pipelines.resources import AuditSettings

weekly_audit = dg.define_asset_job(
    "weekly_audit",
    selection=[warehouse_ingest, weekly_findings, weekly_reports],
    partitions_def=WEEKS,
    description="Ingest new landing files, check one week, write its reports.",
)

ingest_job = dg.define_asset_job("ingest_landing", selection=[warehouse_ingest])

# Monday 06:00 Europe/Amsterdam, for the week that ended the night before.
weekly_schedule = dg.build_schedule_from_partitioned_job(
    weekly_audit, name="weekly_audit_monday", hour_of_day=6, minute_of_hour=0, day_of_week=1
)


def landing_files(landing: Path) -> list[Path]:
    """The files the ingest would consider: every feed folder, and the CSVs of each OneRoster bundle."""
    files = []
    for feed in FEEDS:
        folder = landing / feed
        if folder.is_dir():
            files += [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES]
    rosters = landing / "oneroster"
    if rosters.is_dir():
        files += [p for p in rosters.glob("*/*") if p.is_file() and p.suffix.lower() == ".csv"]
    return sorted(files)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, description="Ingests landing files with new content.")
def landing_sensor(context: dg.SensorEvaluationContext, audit: AuditSettings):
    """Keyed on content: a file is hashed again only when its size or modification time changed, and a run
    is requested only for content not seen before (re-delivering the same bytes requests nothing)."""
    landing = Path(audit.landing)
    if not landing.is_dir():
        return dg.SkipReason(f"landing folder {landing} does not exist")
    known = json.loads(context.cursor) if context.cursor else {}
    seen_hashes = {entry[2] for entry in known.values()}
    current, new_hashes = {}, []
    for path in landing_files(landing):
        stat = path.stat()
        entry = known.get(str(path))
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            current[str(path)] = entry
            continue
        digest = file_sha256(path)
        current[str(path)] = [stat.st_size, stat.st_mtime_ns, digest]
        if digest not in seen_hashes:
            new_hashes.append(digest)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not new_hashes:
        return dg.SkipReason("no new landing content")
    run_key = hashlib.sha256("".join(sorted(new_hashes)).encode()).hexdigest()[:32]
    return dg.RunRequest(run_key=run_key, tags={"new_files": str(len(new_hashes))})
