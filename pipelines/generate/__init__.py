"""`schoolaudit generate`: a synthetic school board in the landing shape, with planted violations.

    generate(out) writes
      <out>/landing/<feed>/...        every feed of spec/landing.md except oneroster
      <out>/expected-findings.csv     the findings the plants must produce (outside the landing folder)
      <out>/near-misses.csv           planted cases that must NOT produce the named rule's finding
      <out>/generated.json            the parameters, so a later run may safely replace the folder

The background is clean for the whole rule catalogue; every finding comes from a plant (plants/),
which may add a few students of its own (with exact birth dates) to the `students` asked for.
Standing findings are listed for every week in which they hold. The same seed and `until` give the
same bytes. The data is synthetic, but the files are owner-only (0600, folders it creates 0700) like
every file the auditor writes (pipelines.private): the same code writes real exports.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from pipelines import private
from pipelines.generate.access_log import write_access_log
from pipelines.generate.activity import background_disclosures
from pipelines.generate.board import Board, build_board
from pipelines.generate.plants import PLANTS, Plan
from pipelines.generate.window import window_for
from pipelines.generate.write import Writer

__all__ = ["GenerateError", "GenerateResult", "generate"]

MIN_STUDENTS_PER_SCHOOL = 30  # two classes: room for "a student of another class"
EXPECTED_COLUMNS = ["rule_id", "severity", "week", "subject_type", "subject_id", "note"]
NEAR_MISS_COLUMNS = ["rule_id", "week", "subject_type", "subject_id", "note"]
MARKER = "generated.json"


class GenerateError(ValueError):
    """A usage error: the message says what to change."""


@dataclass
class GenerateResult:
    landing: Path  # <out>/landing
    expected: Path  # <out>/expected-findings.csv (OUTSIDE the landing folder)
    weeks: list[str]  # the ISO weeks with activity, oldest first; the last is the "demo week"
    counts: dict[str, int]  # rows written per feed


def generate(out: Path, schools: int = 2, students: int = 600, weeks: int = 4, seed: int = 7,
             until: date | None = None, timezone: str = "Europe/Amsterdam", staff: int | None = None,
             events_per_week: int | None = None, disclosures_per_week: int | None = None) -> GenerateResult:
    """Write a board of `schools` schools and `students` students with `weeks` weeks of activity,
    ending with the last complete ISO week before `until` (default: today in `timezone`).

    The sizes default to what a board of that many students has: about one staff member per 12
    students, 40 access events per student a week and a few disclosures per 100 students a week.
    `staff`, `events_per_week` and `disclosures_per_week` set them instead (for the benchmarks);
    the counts are those of the clean background, about; plants come on top."""
    _check(schools, students, weeks, timezone)
    _check_sizes(students, staff, events_per_week, disclosures_per_week)
    out = Path(out)
    private.restrict_umask()
    until = until or datetime.now(ZoneInfo(timezone)).date()
    window = window_for(until, weeks, timezone)
    landing = _prepare(out)

    board = build_board(window, schools, students, seed, staff)
    plan = Plan(board)
    for plant in PLANTS:
        plant(plan)

    writer = Writer(landing, timezone)
    try:
        _write_reference(writer, board)
        _write_disclosures(writer, board, plan, disclosures_per_week)
        write_access_log(writer, board, plan, events_per_week)
        counts = dict(sorted(writer.counts.items()))
    finally:
        writer.close()

    records = pd.DataFrame(plan.records, columns=["kind", *EXPECTED_COLUMNS])
    records = records.sort_values(["week", "rule_id", "subject_id"], kind="stable")
    expected = out / "expected-findings.csv"
    records.loc[records["kind"] == "finding", EXPECTED_COLUMNS].to_csv(expected, index=False, lineterminator="\n")
    records.loc[records["kind"] == "near_miss", NEAR_MISS_COLUMNS].to_csv(
        out / "near-misses.csv", index=False, lineterminator="\n"
    )
    meta = {"schools": schools, "students": students, "weeks": list(window.weeks), "seed": seed,
            "until": until.isoformat(), "timezone": timezone, "staff": staff, "events_per_week": events_per_week,
            "disclosures_per_week": disclosures_per_week, "counts": counts}
    (out / MARKER).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    for path in (expected, out / "near-misses.csv", out / MARKER):
        private.make_private(path)
    return GenerateResult(landing=landing, expected=expected, weeks=list(window.weeks), counts=counts)


def _check(schools: int, students: int, weeks: int, timezone: str) -> None:
    if schools < 1:
        raise GenerateError("--schools must be at least 1")
    if weeks < 1:
        raise GenerateError("--weeks must be at least 1")
    if students < MIN_STUDENTS_PER_SCHOOL * schools:
        raise GenerateError(
            f"--students must be at least {MIN_STUDENTS_PER_SCHOOL} per school "
            f"({MIN_STUDENTS_PER_SCHOOL * schools} for {schools} schools), got {students}"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise GenerateError(f"unknown time zone {timezone!r}") from None


def _check_sizes(students: int, staff, events_per_week, disclosures_per_week) -> None:
    # Staff below a teacher per class and the fixed posts is raised to that (the docstring's "about").
    for flag, value in (("--staff", staff), ("--events-per-week", events_per_week),
                        ("--disclosures-per-week", disclosures_per_week)):
        if value is not None and value < 1:
            raise GenerateError(f"{flag} must be at least 1, got {value}")


def _prepare(out: Path) -> Path:
    """An empty landing folder. A folder written by an earlier `generate` is replaced; anything else
    is left alone."""
    landing = out / "landing"
    if landing.exists() and any(landing.iterdir()):
        if not (out / MARKER).exists():
            raise GenerateError(f"{landing} exists and was not written by generate; choose another --out")
        shutil.rmtree(landing)
    private.make_dirs(landing)
    return landing


def _write_reference(writer: Writer, board: Board) -> None:
    """The feeds other than access_log and disclosures; mostly CSV, consents as JSONL with arrays."""
    staff = board.table("staff")
    students = board.table("students")  # with the plants' students
    for k, school_id in enumerate(board.tables["schools"]["school_id"]):  # one file per school
        writer.frame("students", students[students["_school"] == k], f"students-{school_id}")
        writer.frame("staff", staff[staff["school_id"] == school_id], f"staff-{school_id}")
    office = staff[~staff["school_id"].isin(set(board.tables["schools"]["school_id"]))]
    if len(office):  # staff of the board office (plants of the signals), under the board's own code
        writer.frame("staff", office, "staff-board-office")
    writer.frame("schools", board.table("schools"), "schools")
    writer.frame("guardians", board.table("guardians"), "guardians", booleans=("ja", "nee"))
    for feed in ("involvements", "documents", "processor_agreements", "policies", "council_decisions", "calendar"):
        writer.frame(feed, board.table(feed), feed)
    writer.frame("recipients", board.table("recipients"), "recipients", booleans=("yes", "no"))
    writer.frame("consents", board.table("consents"), "consents", fmt="jsonl")


def _write_disclosures(writer: Writer, board: Board, plan: Plan, per_week: int | None = None) -> None:
    """One CSV per week; ids follow the order of time, plants mixed in."""
    background = background_disclosures(board, board.rng("disclosures"), per_week)
    planted = pd.DataFrame(plan.disclosures)
    frame = pd.concat([background, planted], ignore_index=True) if len(planted) else background
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).astype("datetime64[s]")
    frame = frame.sort_values("occurred_at", kind="stable").reset_index(drop=True)
    frame["disclosure_id"] = ("VS-" + pd.Series(np.arange(1, len(frame) + 1)).astype("str").str.zfill(6)).astype(
        "str"
    )
    if "plant" in frame:
        for plant, disclosure_id in frame.loc[frame["plant"].notna(), ["plant", "disclosure_id"]].itertuples(
            index=False
        ):
            plan.name_subject(int(plant), disclosure_id)
    for number, week in enumerate(board.window.weeks):
        writer.frame("disclosures", frame[frame["_week"] == number], f"disclosures-{week}")
