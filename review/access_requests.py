"""The student page's access requests (spec/statement.md, "In the app"): the register of the student's
requests with their due dates, a form to register a request that came in, and one to make the statement
(statements.document) from the published copy, answering an open request or as a draft. The statements
are written where the command line writes them (`<out>/statements/`) and served by name only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from decisions.requests import RequestError, issue, register, requests
from decisions.store import REQUESTERS
from statements import data as statement_data
from statements import document

STATEMENT_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}-\d{4}-\d{2}-\d{2}\.(html|pdf)")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


class StatementError(ValueError):
    """What the privacy officer must correct in a form: shown on the student page."""


@dataclass(frozen=True)
class Made:
    name: str  # the statement's file name, without suffix
    request_id: int | None


def page_context(store, out: Path, student_id: str, today: date) -> dict:
    """The student's requests (oldest first, with their status today) and the statements made for them."""
    safe = student_of(document.file_stem(student_id, today))
    own = re.compile(re.escape(safe) + r"-\d{4}-\d{2}-\d{2}")
    folder = out / "statements"
    made = []
    if folder.is_dir() and not folder.is_symlink():
        made = sorted((path.stem for path in folder.glob(f"{safe}-*.pdf") if own.fullmatch(path.stem)), reverse=True)
    rows = requests(store, today, student_id)
    return {
        "requests": rows,
        "open_requests": [row for row in rows if row["status"] in ("open", "overdue")],
        "statements": made,
        "requesters": REQUESTERS,
    }


def parse_day(text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StatementError(f"{label}: {text!r} is not a date (YYYY-MM-DD)") from None


def register_request(store, student_id: str, requester: str, received_text: str, by: str, today: date, label: str) -> int:
    received = parse_day(received_text, label)
    if received is None:
        raise StatementError(f"{label}: required")
    try:
        return register(store, student_id, requester, received, by, today)
    except RequestError as exc:
        raise StatementError(str(exc)) from None


def make_statement(
    con, store, out: Path, student_id: str, fields: dict, by: str, today: date, leap_day_birthday: str
) -> Made:
    """Write the statement from the published copy `con`; with a request id, record it as issued."""
    period_from = parse_day(fields["from"], fields["from_label"])
    period_to = parse_day(fields["to"], fields["to_label"])
    if period_from and period_to and period_to < period_from:
        raise StatementError(f"the period ends ({period_to}) before it starts ({period_from})")
    request_id = None
    if fields["request"]:
        open_ids = {row["request_id"] for row in requests(store, today, student_id) if row["status"] in ("open", "overdue")}
        if not fields["request"].isdigit() or int(fields["request"]) not in open_ids:
            raise StatementError(f"no open access request {fields['request']!r} of this student")
        request_id = int(fields["request"])
    if con is None:
        raise StatementError("no week has been checked yet: there is nothing to make a statement from")
    statement_data.register_decisions(con, store)
    try:
        contents = statement_data.gather(con, statement_data.Request(
            student_id, period_from, period_to, today, fields["staff_names"], leap_day_birthday))  # fmt: skip
    except duckdb.CatalogException:
        raise StatementError("the published copy is from before statements: it has them after the next check "
                             "of a week (schoolaudit check or run)") from None  # fmt: skip
    if contents is None:
        raise StatementError(f"unknown student {student_id!r}")
    written = document.write(out, contents, fields["lang"], draft=request_id is None)
    if request_id is not None:
        try:
            issue(store, request_id, today, by, written.pdf.name)
        except RequestError as exc:
            raise StatementError(str(exc)) from None
    return Made(written.pdf.stem, request_id)


def statement_file(out: Path, name: str) -> tuple[Path, str] | None:
    """The statement file `name` and its media type, or None when the name is anything else or the file
    is not a plain file inside `<out>/statements/`."""
    if not STATEMENT_NAME.fullmatch(name):
        return None
    folder = out / "statements"
    path = folder / name
    if folder.is_symlink() or path.is_symlink() or not path.is_file():
        return None
    if path.resolve().parent != folder.resolve():
        return None
    return path, MEDIA_TYPES[name.rsplit(".", 1)[1]]


def student_of(name: str) -> str:
    """The (file-safe) student id a statement's file name starts with."""
    return name.rsplit(".", 1)[0].rsplit("-", 3)[0]
