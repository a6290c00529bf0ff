"""What the reports show of the privacy officer's triage (spec/decisions.md, "In the reports").

Every figure is one query over the week's findings and the decision store's tables (decisions.tables:
decision_log, latest_decision, decision_grants), which the connection must have registered. A finding's
status is decisions.tables.STATUS_SQL: its latest decision's, or open.

Privacy officer: open / under review / closed per severity, the backlog of earlier weeks, the week's
decisions, the grants in force, and the decisions whose finding a re-check no longer produces (with
the grant that now explains it). Council: confirmed violations per family and the share of last week's
findings decided: counts only, never a note, name or incident reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from checks.registry import SEVERITIES, Rule
from decisions.store import CLOSING
from decisions.tables import STATUS_SQL
from reports.i18n import Translator
from reports.outputs import catalogue_cte
from reports.report_data import records

TRIAGE_STATES = ("open", "under_review", "closed")
_CLOSING = "(" + ", ".join(f"'{s}'" for s in CLOSING) + ")"

# Every finding of every week with its status (a CTE body).
_STATUSES = f"""finding_status AS (
        SELECT f.*, {STATUS_SQL} AS status
        FROM findings f LEFT JOIN latest_decision d ON d.finding_id = f.finding_id
    )"""


def status_per_severity(con, week: str) -> dict[str, dict[str, int]]:
    """{severity: {'open': n, 'under_review': n, 'closed': n}} for the week's findings, every severity."""
    rows = con.execute(
        f"""
        WITH {_STATUSES}
        SELECT severity,
               count(*) FILTER (WHERE status = 'open'),
               count(*) FILTER (WHERE status = 'under_review'),
               count(*) FILTER (WHERE status IN {_CLOSING})
        FROM finding_status WHERE week = $week GROUP BY severity
        """,
        {"week": week},
    ).fetchall()
    counts = {s: dict.fromkeys(TRIAGE_STATES, 0) for s in SEVERITIES}
    for severity, *values in rows:
        counts.setdefault(severity, {})
        counts[severity].update(zip(TRIAGE_STATES, values, strict=True))
    return counts


def backlog(con, week: str, t: Translator) -> dict:
    """Findings of earlier weeks still open or under review, not found again this week (a standing
    finding that recurs is this week's): how many (distinct finding ids), and the oldest week."""
    count, oldest = con.execute(
        f"""
        WITH {_STATUSES},
        pending AS (
            SELECT finding_id, min(week) AS first_week
            FROM finding_status
            WHERE week < $week AND status IN ('open', 'under_review')
              AND finding_id NOT IN (SELECT finding_id FROM findings WHERE week = $week)
            GROUP BY finding_id
        )
        SELECT count(*), {t.sql_week("min(first_week)")} FROM pending
        """,
        {"week": week},
    ).fetchall()[0]
    return {"count": count, "oldest_week": oldest}


def week_decisions(con, week: str, monday: date, sunday: date, t: Translator) -> list[dict]:
    """The decisions on the week's findings and those made in the week (local date), oldest first."""
    return records(
        con,
        f"""
        SELECT l.decision_id, l.finding_id, l.rule_id, l.week, l.status, l.status_before, l.decided_by,
               {t.sql_datetime("l.decided_at")} AS decided_local, l.note, l.until, l.incident,
               l.grant_until IS NOT NULL AS has_grant,
               {t.sql_date("l.grant_from")} AS grant_from, {t.sql_date("l.grant_until")} AS grant_until,
               l.actor_id, l.student_id
        FROM decision_log l
        WHERE l.week = $week
           OR CAST(l.decided_at AS DATE) BETWEEN $monday AND $sunday
        ORDER BY l.decision_id
        """,
        {"week": week, "monday": monday, "sunday": sunday},
    )


def grants_in_force(con, week: str, monday: date, sunday: date, t: Translator) -> list[dict]:
    """The grants whose window overlaps the week, with how many of the week's accesses each explained."""
    return records(
        con,
        f"""
        WITH used AS (
            SELECT decision_id, CAST(sum(accesses) AS BIGINT) AS accesses FROM access_explanation_counts
            WHERE week = $week AND decision_id IS NOT NULL GROUP BY decision_id
        )
        SELECT g.decision_id, g.staff_id, g.student_id,
               {t.sql_date("g.valid_from")} AS valid_from, {t.sql_date("g.valid_to")} AS valid_to,
               coalesce(g.categories, []) AS categories, coalesce(u.accesses, 0) AS accesses
        FROM decision_grants g LEFT JOIN used u USING (decision_id)
        WHERE g.valid_from <= $sunday AND $monday <= g.valid_to
        ORDER BY g.decision_id
        """,
        {"week": week, "monday": monday, "sunday": sunday},
    )


def no_longer_found(con, week: str, t: Translator) -> list[dict]:
    """Decided findings of this week that its last check no longer produced, with the decision whose
    grant now explains the access when one does (`explained_by_decision`)."""
    return records(
        con,
        """
        SELECT d.decision_id, d.finding_id, d.rule_id, d.subject_id, d.status, d.actor_id, d.student_id,
               min(e.decision_id) AS explained_by_decision
        FROM latest_decision d
        LEFT JOIN access_log a
               ON d.subject_type = 'access_event' AND a.source_system || ':' || a.event_id = d.subject_id
        LEFT JOIN access_explanation_files ef ON ef.week = d.week AND ef.file_hash = a._file_hash
        LEFT JOIN access_explanations e ON e.week = d.week AND e.file_no = ef.file_no AND e.line = a._line
        WHERE d.week = $week
          AND d.finding_id NOT IN (SELECT finding_id FROM findings WHERE week = $week)
          AND EXISTS (SELECT 1 FROM coverage c WHERE c.week = $week)
        GROUP BY ALL
        ORDER BY d.decision_id
        """,
        {"week": week},
    )


# ---- council summary: counts only ----------------------------------------------------------------


def confirmed_per_family(con, week: str, rules: Sequence[Rule]) -> dict[str, int]:
    """{family: n} of the findings of `week` (notices not counted) now confirmed as violations."""
    rows = con.execute(
        f"""
        WITH {catalogue_cte(rules, "en")}, {_STATUSES}
        SELECT coalesce(c.family, 'other'), count(*)
        FROM finding_status f LEFT JOIN catalogue c ON c.rule_id = f.rule_id
        WHERE f.week = $week AND f.severity <> 'info' AND f.status = 'confirmed'
        GROUP BY ALL
        """,
        {"week": week},
    ).fetchall()
    return dict(rows)


def decided_share(con, week: str) -> tuple[int, int]:
    """(decided, findings) of `week`, notices not counted: decided = any status but open."""
    return tuple(
        con.execute(
            f"""
            WITH {_STATUSES}
            SELECT count(*) FILTER (WHERE status <> 'open'), count(*)
            FROM finding_status WHERE week = $week AND severity <> 'info'
            """,
            {"week": week},
        ).fetchall()[0]
    )

