"""Late data: access events and disclosures that arrived after their week was reported.

The warehouse knows when each week's reports were last written (`audit_runs`, stage 'report', one row
per week) and when each landing file was loaded (`landing_files.ingested_at`). A row of access_log or
disclosures is late when its week (the ISO week of its local date) had been reported before its file
was loaded: that report did not see it. Re-running the week (`schoolaudit run --week W`) checks it
and writes the week's reports again, after which the row is no longer late.
"""

from __future__ import annotations

import json

# The feeds whose rows belong to a week (the checked events); the others describe standing facts.
LATE_FEEDS = ("access_log", "disclosures")

_LATE_SQL = """
WITH reported AS (
    SELECT week, max(finished_at) AS reported_at FROM audit_runs WHERE stage = 'report' GROUP BY week
),
late_file AS (  -- only files loaded after some report can hold late rows: the big scans stay small
    SELECT file_hash, feed, path, ingested_at FROM landing_files
    WHERE status = 'loaded' AND feed IN ('access_log', 'disclosures')
      AND ingested_at > (SELECT min(reported_at) FROM reported)
),
arrived AS (
    SELECT 'access_log' AS feed, _file_hash, occurred_at FROM access_log
    WHERE _file_hash IN (SELECT file_hash FROM late_file)
    UNION ALL
    SELECT 'disclosures', _file_hash, occurred_at FROM disclosures
    WHERE _file_hash IN (SELECT file_hash FROM late_file)
),
dated AS (
    SELECT feed, _file_hash, CAST(timezone($timezone, occurred_at) AS DATE) AS local_date FROM arrived
)
SELECT r.week, d.feed, f.path AS file, min(f.ingested_at) AS arrived_at, count(*) AS rows
FROM dated d
JOIN late_file f ON f.file_hash = d._file_hash
JOIN reported r
  ON r.week = isoyear(d.local_date) || '-W' || lpad(CAST(week(d.local_date) AS VARCHAR), 2, '0')
 AND f.ingested_at > r.reported_at
WHERE r.week <> $week
GROUP BY r.week, d.feed, f.path
ORDER BY r.week, d.feed, f.path
"""


def late_rows(con, week: str, timezone: str) -> list[dict]:
    """Per reported week other than `week`, feed and file: how many rows arrived after its report.

    `week` itself is left out: the run that reports it has just checked every row it has.
    """
    cursor = con.execute(_LATE_SQL, {"week": week, "timezone": timezone})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def late_context(con, week: str, timezone: str) -> dict:
    """The template's `late_weeks`: [{week, access_log, disclosures, files: [{feed, file, rows}]}]."""
    weeks: dict[str, dict] = {}
    for row in late_rows(con, week, timezone):
        entry = weeks.setdefault(
            row["week"], {"week": row["week"], **dict.fromkeys(LATE_FEEDS, 0), "files": []}
        )
        entry[row["feed"]] += row["rows"]
        entry["files"].append({"feed": row["feed"], "file": row["file"], "rows": row["rows"]})
    return {"late_weeks": list(weeks.values())}


def record_report(con, week: str, lang: str) -> None:
    """Remember that `week` was reported now (one row per week: the last report counts)."""
    con.begin()
    try:
        con.execute("DELETE FROM audit_runs WHERE week = ? AND stage = 'report'", [week])
        con.execute(
            "INSERT INTO audit_runs VALUES (?, 'report', current_timestamp, ?)",
            [week, json.dumps({"lang": lang})],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
