"""What the pages show: queries on the published copy of the warehouse (DuckDB, read-only) and on the
store (SQLite: decisions, the access register, user events).

A finding's status is its latest decision's, or `open`; a decision with `until` no longer holds for a
week that ends after that day (decisions.md: a standing finding is then open again). The latest
decisions are few (one per finding decided) and are handed to DuckDB as one Arrow table, so that
filtering, ordering and rendering the explanations stay one query per page, in the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from checks.registry import load_catalogue
from decisions.tables import STATUS_SQL
from pipelines.published import open_published
from reports.i18n import Translator
from reports.outputs import SEVERITY_LIST, catalogue_cte, explanation_sql, fact_list_sql

PAGE_SIZE = 100  # rows of a list page
CASE_LIMIT = 1000  # findings of one case page; the inbox's search shows the rest
UNDECIDED = ("open", "under_review")

_LATEST_COLUMNS = ("finding_id", "decision_id", "status", "until", "decided_by", "decided_at", "note")

_UNDECIDED_FIRST = "CASE WHEN status IN ('open', 'under_review') THEN 0 ELSE 1 END"
INBOX_ORDER = (
    f"{_UNDECIDED_FIRST}, severity_rank NULLS LAST, week DESC, occurred_at DESC NULLS LAST, rule_id, finding_id"
)
CASE_ORDER = f"week DESC, {_UNDECIDED_FIRST}, severity_rank NULLS LAST, occurred_at DESC NULLS LAST, finding_id"
CASE_COLUMNS = {"account": "actor_id", "recipient": "recipient_id", "student": "student_id"}


@contextmanager
def published(warehouse: str | Path, timezone: str) -> Iterator[object | None]:
    """A read-only connection to the published copy (None before any week was checked), in the local
    time zone. Opened per request: a run may have published a newer copy since the last one."""
    con = open_published(warehouse)
    if con is None:
        yield None
        return
    try:
        quoted = timezone.replace("'", "''")
        con.execute(f"SET TimeZone = '{quoted}'")
        yield con
    finally:
        con.close()


def register_decisions(con, store: sqlite3.Connection) -> None:
    """The latest decision of every finding, as the relation `latest_decision` of `con`."""
    rows = store.execute(
        f"SELECT {', '.join(_LATEST_COLUMNS)} FROM decisions"
        " WHERE decision_id IN (SELECT max(decision_id) FROM decisions GROUP BY finding_id)"
    ).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in _LATEST_COLUMNS]
    table = pa.table({
        name: pa.array(list(values), type=pa.int64() if name == "decision_id" else pa.string())
        for name, values in zip(_LATEST_COLUMNS, columns, strict=True)
    })  # fmt: skip
    con.register("latest_decision", table)


def _finding_rows(t: Translator) -> str:
    """Every finding of every week with its names, catalogue entry and status (a CTE body list)."""
    return f"""
        {catalogue_cte(load_catalogue(), t.lang)},
        finding_rows AS (
            SELECT f.finding_id, f.week, f.rule_id, f.severity, f.school_id, sc.name AS school_name,
                   f.subject_type, f.subject_id, f.actor_id, sa.display_name AS actor_name,
                   f.student_id, st.display_name AS student_name, f.recipient_id, r.name AS recipient_name,
                   coalesce(c.title, f.rule_id) AS title, coalesce(c.family, 'other') AS family, c.legal_source,
                   list_position({SEVERITY_LIST}, f.severity) - 1 AS severity_rank,
                   {STATUS_SQL} AS status, d.decision_id, d.decided_by, d.note,
                   count(*) OVER (PARTITION BY f.finding_id) AS weeks_found,
                   f.occurred_at, f.facts
            FROM findings f
            LEFT JOIN catalogue c ON c.rule_id = f.rule_id
            LEFT JOIN latest_decision d ON d.finding_id = f.finding_id
            LEFT JOIN schools sc ON sc.school_id = f.school_id
            LEFT JOIN staff_accounts sa ON sa.staff_id = f.actor_id
            LEFT JOIN students st ON st.student_id = f.student_id
            LEFT JOIN recipients r ON r.recipient_id = f.recipient_id
        )"""


def _rendered(con, t: Translator, selection: str, params: dict, facts: bool = False) -> list[dict]:
    """The rows of `selection` (a query over finding_rows with an `ordinal`), each with its explanation
    and local time in the language of `t` (and its labelled facts) computed for those rows only."""
    extra = f", {fact_list_sql(t, 'x.facts')} AS fact_list" if facts else ""
    sql = f"""
        WITH {_finding_rows(t)}
        SELECT x.* EXCLUDE (facts),
               {explanation_sql(load_catalogue(), t, facts="x.facts", rule_id="x.rule_id")} AS explanation,
               {t.sql_datetime("x.occurred_at")} AS local_time{extra}
        FROM ({selection}) x
        ORDER BY x.ordinal
    """
    return _dicts(con.execute(sql, params))


@dataclass(frozen=True)
class Filters:
    week: str | None = None
    status: str | None = None
    severity: str | None = None
    family: str | None = None
    school: str | None = None
    q: str | None = None
    page: int = 1

    @property
    def params(self) -> dict:
        return {
            "week": self.week, "status": self.status, "severity": self.severity, "family": self.family,
            "school": self.school, "q": self.q.lower() if self.q else None,
        }  # fmt: skip


def inbox(con, t: Translator, filters: Filters) -> tuple[list[dict], int]:
    """The findings that pass the filters, one row per finding (its latest week, or the week filtered
    on), open and under review first, worst first; one page of them and how many there are."""
    searched = " OR ".join(
        f"contains(lower(coalesce({column}, '')), $q)"
        for column in ("actor_id", "actor_name", "student_id", "student_name", "recipient_id", "recipient_name")
    )
    matching = f"""
        SELECT * FROM (
            SELECT * FROM finding_rows WHERE $week IS NULL OR week = $week
            QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY week DESC) = 1
        )
        WHERE ($status IS NULL OR status = $status) AND ($severity IS NULL OR severity = $severity)
          AND ($family IS NULL OR family = $family) AND ($school IS NULL OR school_id = $school)
          AND ($q IS NULL OR {searched})
    """
    selection = f"""
        SELECT *, row_number() OVER (ORDER BY {INBOX_ORDER}) AS ordinal FROM ({matching})
        ORDER BY ordinal LIMIT {PAGE_SIZE} OFFSET $offset
    """
    params = filters.params
    total = con.execute(f"WITH {_finding_rows(t)} SELECT count(*) FROM ({matching})", params).fetchone()[0]
    rows = _rendered(con, t, selection, {**params, "offset": (max(filters.page, 1) - 1) * PAGE_SIZE})
    return rows, total


def finding(con, t: Translator, finding_id: str, week: str | None) -> tuple[dict | None, list[str]]:
    """A finding as found in `week` (default: its latest week) with its facts, and every week it was
    found in; (None, []) when no check has produced it."""
    weeks = con.execute(
        "SELECT coalesce(list(DISTINCT week ORDER BY week), []) FROM findings WHERE finding_id = $id",
        {"id": finding_id},
    ).fetchone()[0]
    if not weeks:
        return None, []
    shown_week = week if week in weeks else weeks[-1]
    selection = "SELECT *, 1 AS ordinal FROM finding_rows WHERE finding_id = $id AND week = $week"
    rows = _rendered(con, t, selection, {"id": finding_id, "week": shown_week}, facts=True)
    return (rows[0] if rows else None), list(weeks)


def case(con, t: Translator, kind: str, subject: str) -> list[dict]:
    """Every finding of every week about one account, recipient or student, latest week first."""
    column = CASE_COLUMNS[kind]
    selection = f"""
        SELECT *, row_number() OVER (ORDER BY {CASE_ORDER}) AS ordinal FROM finding_rows
        WHERE {column} = $subject ORDER BY ordinal LIMIT {CASE_LIMIT}
    """
    return _rendered(con, t, selection, {"subject": subject})


def who(con, kind: str, subject: str) -> dict | None:
    """The name and particulars of an account, recipient or student, as the published copy has them."""
    sql = {
        "account": "SELECT display_name AS name, roles, schools FROM staff_accounts WHERE staff_id = $id",
        "recipient": "SELECT name, kind FROM recipients WHERE recipient_id = $id",
        "student": """SELECT s.display_name AS name, s.school_id, sc.name AS school_name
                      FROM students s LEFT JOIN schools sc ON sc.school_id = s.school_id WHERE s.student_id = $id""",
    }[kind]
    rows = _dicts(con.execute(sql, {"id": subject}))
    return rows[0] if rows else None


def choices(con) -> dict:
    """The values the inbox's filters offer: the checked weeks (latest first) and the schools."""
    weeks = [row[0] for row in con.execute("SELECT week FROM checked_weeks ORDER BY week DESC").fetchall()]
    schools = _dicts(con.execute("SELECT school_id, name FROM schools ORDER BY name, school_id"))
    return {"weeks": weeks, "schools": schools}


def found(con, finding_ids: list[str]) -> set[str]:
    """Those of `finding_ids` that a check produced (the others are "no longer found")."""
    if con is None or not finding_ids:
        return set()
    rows = con.execute(
        "SELECT DISTINCT finding_id FROM findings WHERE list_contains($ids, finding_id)", {"ids": finding_ids}
    ).fetchall()
    return {row[0] for row in rows}


# --- the store ------------------------------------------------------------------------------------


def decision_history(store: sqlite3.Connection, finding_id: str) -> list[sqlite3.Row]:
    return store.execute("SELECT * FROM decisions WHERE finding_id = ? ORDER BY decision_id", [finding_id]).fetchall()


def newest_first(store: sqlite3.Connection, table: str, page: int) -> tuple[list[sqlite3.Row], int]:
    """A page of an append-only table of the store (decisions, app_access, user_events), newest first."""
    key = {"decisions": "decision_id", "app_access": "access_id", "user_events": "event_id"}[table]
    total = store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rows = store.execute(
        f"SELECT * FROM {table} ORDER BY {key} DESC LIMIT ? OFFSET ?", [PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE]
    ).fetchall()
    return rows, total


def _dicts(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
