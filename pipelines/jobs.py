"""Jobs, the weekly schedule and the landing sensor, for the boards of the code location.

Runs are per (board, week) partition: the schedule asks for one run per board for the week just ended,
the sensor one ingest per board whose landing folder has new content.
"""


import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.assets import WEEKS
from pipelines.contract import FEEDS
from pipelines.ingest.sds_read import SENSITIVE as SDS_SENSITIVE
from pipelines.resources import Boards


def audit_jobs(assets: list[dg.AssetsDefinition]):
    """The jobs `weekly_audit` and `ingest_landing`, the schedule and the sensor over these assets."""
    warehouse_ingest = assets[0]
    weekly_audit = dg.define_asset_job(
        "weekly_audit",
        selection=assets,
        description="For one board: ingest new landing files, check one week, write its reports.",
    )
    ingest_job = dg.define_asset_job("ingest_landing", selection=[warehouse_ingest])
    # Monday 06:00 Europe/Amsterdam, for the week that ended the night before: one run per board.
    weekly_schedule = dg.build_schedule_from_partitioned_job(
        weekly_audit, name="weekly_audit_monday", hour_of_day=6, minute_of_hour=0, day_of_week=1
    )
    landing_sensor = dg.sensor(
        job=ingest_job, name="landing_sensor", minimum_interval_seconds=60,
        description="Ingests a board's landing files with new content.",
    )(_landing_sensor)  # fmt: skip
    return weekly_audit, ingest_job, weekly_schedule, landing_sensor


def landing_files(landing: Path) -> list[Path]:
    """The files the ingest considers: every file of a feed folder (one it will reject too: the
    ingest records it, and the week's reports say the audit was done without it), and every file
    under oneroster/ and sds/ (but School Data Sync's sensitive files, which are never opened), and
    vendor/ (the exports and their profile.toml: a changed profile reads them again)."""
    files = []
    for feed in FEEDS:
        folder = landing / feed
        if folder.is_dir():
            files += [p for p in folder.iterdir() if p.is_file()]
    for name in ("oneroster", "sds", "vendor"):
        bundles = landing / name
        if bundles.is_dir():
            found = [p for p in (*bundles.glob("*"), *bundles.glob("*/*")) if p.is_file()]
            if name == "sds":  # their content is never read, not even to see that it changed
                found = [p for p in found if p.name.lower() not in SDS_SENSITIVE]
            files += found
    return sorted(files)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# The sensor's cursor: {board key: {path: [size, mtime_ns, sha256]}, REQUESTED: runs requested so far}
# (a board key never starts with an underscore).
REQUESTED = "_requested"


def _landing_sensor(context: dg.SensorEvaluationContext, boards: Boards):
    """Per board, keyed on content: a file is hashed again only when its size or modification time
    changed, and an ingest is requested for content that board has not seen (re-delivering the same
    bytes requests nothing), or when a file was removed (a rejected file taken away completes the
    audit again). The ingest is for the audit of the last complete week."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    requested = cursor.get(REQUESTED, 0) if isinstance(cursor.get(REQUESTED), int) else 0
    week = WEEKS.get_last_partition_key()
    requests, skipped, seen = [], [], {}
    for key, board in boards.boards.items():
        known = cursor.get(key) if isinstance(cursor.get(key), dict) else {}  # a single-board cursor starts afresh
        landing = Path(board.landing)
        if not landing.is_dir():
            seen[key] = known
            skipped.append(f"board {key}: landing folder {landing} does not exist")
            continue
        seen[key], new_hashes = _scan(landing, known)
        removed = sorted(set(known) - set(seen[key]))
        if new_hashes or removed:
            # The request count makes the key unique: the landing folder may come back to a state it
            # had before (a rejected file removed, then dropped again), and that needs an ingest too.
            requested += 1
            digest = hashlib.sha256("".join(sorted(new_hashes) + removed).encode()).hexdigest()[:32]
            requests.append(
                dg.RunRequest(
                    run_key=f"{key}-{digest}-{requested}",
                    partition_key=dg.MultiPartitionKey({"board": key, "week": week}),
                    tags={"new_files": str(len(new_hashes)), "removed_files": str(len(removed))},
                )
            )
        else:
            skipped.append(f"board {key}: no new landing content")
    cursor_text = json.dumps(seen | {REQUESTED: requested}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason="; ".join(skipped), cursor=cursor_text)
    return dg.SensorResult(run_requests=requests, cursor=cursor_text)


def _scan(landing: Path, known: dict) -> tuple[dict, list[str]]:
    """The landing folder's files as {path: [size, mtime, sha256]}, and the hashes not seen before."""
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
    return current, new_hashes
