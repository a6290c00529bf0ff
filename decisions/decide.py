"""Recording the privacy officer's decisions: validated as a whole, then written in one transaction.

The command line (`schoolaudit decide`) and the review app both come here. A decision names a finding
that a check produced (the published copy of the warehouse, pipelines.published, knows them: it is
readable while a run writes the warehouse). Everything wrong with a call is a DecisionError with one
line, and then nothing of that call is written: a CSV of decisions is all or nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from decisions import store
from decisions.store import DECIDED, GRANTING, Decision
from pipelines.contract import DATA_CATEGORIES
from pipelines.published import open_published

CSV_COLUMNS = ("finding_id", "status", "note", "until", "incident", "grant_until", "grant_from", "grant_categories")
NOTE_LIMIT = 4000  # characters; a note is a sentence or a paragraph, not a document


class DecisionError(ValueError):
    """A decision that cannot be recorded, said in one line; nothing of the call was written."""


@dataclass(frozen=True)
class FindingRef:
    """What a decision copies of its finding (its latest week, when a standing finding recurs)."""

    finding_id: str
    week: str
    rule_id: str
    subject_type: str
    subject_id: str
    actor_id: str | None
    student_id: str | None


def known_findings(warehouse: str | Path, finding_ids: list[str]) -> dict[str, FindingRef]:
    """The findings among `finding_ids` that a check produced, by id."""
    con = open_published(warehouse)
    if con is None:
        raise DecisionError("no findings yet: run `schoolaudit run` (or `check`) for a week first")
    try:
        rows = con.execute(
            """SELECT finding_id, week, rule_id, subject_type, subject_id, actor_id, student_id
               FROM findings WHERE list_contains($ids, finding_id)
               QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY week DESC) = 1""",
            {"ids": list(finding_ids)},
        ).fetchall()
    finally:
        con.close()
    return {row[0]: FindingRef(*row) for row in rows}


def decide(warehouse: str | Path, decisions: list[Decision], decided_by: str, timezone: str) -> list[int]:
    """Validate every decision, then write them all (one transaction); the new decision ids."""
    decided_by = (decided_by or "").strip()
    if not decided_by:
        raise DecisionError("say who decides (--by NAME)")
    if not decisions:
        raise DecisionError("no decision given: name at least one finding id")
    today = datetime.now(ZoneInfo(timezone)).date()
    findings = known_findings(warehouse, [d.finding_id for d in decisions])
    rows = [_row(decision, findings, today) for decision in decisions]
    with store.open_store(warehouse) as con:
        return store.append(con, rows, decided_by)


def _row(decision: Decision, findings: dict[str, FindingRef], today: date) -> dict:
    where = f"finding {decision.finding_id}"
    finding = findings.get(decision.finding_id)
    if finding is None:
        raise DecisionError(f"unknown finding id {decision.finding_id!r}: no check has produced it")
    if decision.status not in DECIDED:
        raise DecisionError(f"{where}: unknown status {decision.status!r} (one of {', '.join(DECIDED)})")
    if decision.note is not None and len(decision.note) > NOTE_LIMIT:
        raise DecisionError(f"{where}: the note is longer than {NOTE_LIMIT} characters")
    grant = decision.grant_until is not None
    if not grant and (decision.grant_from is not None or decision.grant_categories):
        raise DecisionError(f"{where}: a grant needs --grant-until (the day it ends)")
    if grant:
        if finding.subject_type != "access_event" or not finding.actor_id or not finding.student_id:
            raise DecisionError(f"{where}: a grant can only be given on an access finding ({finding.rule_id} is not one)")
        if decision.status not in GRANTING:
            raise DecisionError(f"{where}: a grant goes with status {' or '.join(GRANTING)}, not {decision.status}")
        start = decision.grant_from or today
        if decision.grant_until < start:
            raise DecisionError(f"{where}: the grant ends ({decision.grant_until}) before it starts ({start})")
        unknown = [c for c in decision.grant_categories or () if c not in DATA_CATEGORIES]
        if unknown:
            raise DecisionError(f"{where}: unknown data categor{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}")
    return {
        "finding_id": finding.finding_id, "week": finding.week, "rule_id": finding.rule_id,
        "subject_type": finding.subject_type, "subject_id": finding.subject_id,
        "actor_id": finding.actor_id, "student_id": finding.student_id,
        "status": decision.status, "note": _text(decision.note), "until": _iso(decision.until),
        "incident": _text(decision.incident),
        "grant_from": _iso(decision.grant_from or (today if grant else None)), "grant_until": _iso(decision.grant_until),
        "grant_categories": ";".join(decision.grant_categories) if grant and decision.grant_categories else None,
    }  # fmt: skip


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def parse_date(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DecisionError(f"{what} is not a date (YYYY-MM-DD): {text!r}") from None


def parse_categories(text: str | None) -> tuple[str, ...] | None:
    items = tuple(item.strip() for item in (text or "").replace(",", ";").split(";") if item.strip())
    return items or None


def decisions_from_csv(path: str | Path) -> list[Decision]:
    """The decisions of a CSV file (CSV_COLUMNS; finding_id and status required), every line checked."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in ("finding_id", "status") if name not in header]
            if missing:
                raise DecisionError(f"{path}: the header lacks {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})")
            unknown = [name for name in header if name not in CSV_COLUMNS]
            if unknown:
                raise DecisionError(f"{path}: unknown column {', '.join(unknown)} (columns: {', '.join(CSV_COLUMNS)})")
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DecisionError(f"{path} cannot be read: {exc}") from None
    decisions = []
    for line, row in enumerate(rows, start=2):
        try:
            decisions.append(
                Decision(
                    finding_id=row.get("finding_id", ""),
                    status=row.get("status", ""),
                    note=row.get("note") or None,
                    until=parse_date(row.get("until"), "until"),
                    incident=row.get("incident") or None,
                    grant_from=parse_date(row.get("grant_from"), "grant_from"),
                    grant_until=parse_date(row.get("grant_until"), "grant_until"),
                    grant_categories=parse_categories(row.get("grant_categories")),
                )
            )
        except DecisionError as exc:
            raise DecisionError(f"{path}, line {line}: {exc}") from None
    if not decisions:
        raise DecisionError(f"{path} holds no decisions")
    return decisions
