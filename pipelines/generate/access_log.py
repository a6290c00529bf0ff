"""Writing the access log: background events and plants of a week in one file, formats mixed.

Event ids are numbered per source system in the order of time, with the plants mixed in, so nothing
but expected-findings.csv tells a planted event from the background. The numbering is done with
numpy (a sort and a count per system); DuckDB only joins the ids in and writes the file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.contract import DATA_CATEGORIES
from pipelines.generate.activity import ACTIONS, EVENTS_PER_STUDENT_WEEK, EXPORT_CAP, background_events
from pipelines.generate.board import Board
from pipelines.generate.plants import Plan
from pipelines.generate.write import Writer

MAX_EVENTS_PER_FILE = 4_000_000  # bigger weeks are written as several files (memory)
# The demo week as CSV, the week before as JSONL, the one before that as Parquet; the rest CSV.
FORMAT_FROM_END = {1: "csv", 2: "jsonl", 3: "parquet"}
# Source systems number their events from different starting points.
EVENT_ID_START = {"parnassys": 7_000_000, "magister": 48_000_000, "somtoday": 91_000_000}
OTHER_SYSTEM_START = 1_000_000
COLUMNS = ["event_id", "occurred_at", "occurred_at__style", "actor_id", "actor_type", "student_id", "action",
           "source_system", "document_id", "category", "break_glass", "justification"]


def write_access_log(writer: Writer, board: Board, plan: Plan, per_week: int | None = None) -> None:
    """Every week's background events (`per_week` of them, default 40 per student) and plants."""
    con = writer.con
    con.register("actor_dim", board.actors.reset_index(names="code"))
    con.register("student_dim", board.students[["student_id"]].reset_index(names="code"))
    con.register("doc_dim", board.tables["documents"][["document_id"]].reset_index(names="code"))
    last_id = dict(EVENT_ID_START)
    planted = _planted_frame(plan)
    rng = board.rng("access-log")
    total = per_week or EVENTS_PER_STUDENT_WEEK * len(board.students)
    parts = max(1, -(-total // MAX_EVENTS_PER_FILE))
    weeks = board.window.weeks
    for number, week in enumerate(weeks):
        fmt = FORMAT_FROM_END.get(len(weeks) - number, "csv")
        monday = board.window.mondays[number]
        gaps = [(board.systems.index(system), (day - monday).days) for system, day in plan.log_gaps
                if 0 <= (day - monday).days < 7]
        for part in range(parts):
            # a week in several parts: each part keeps its share of the cap on exports per account-day
            events = background_events(board, number, total // parts + (part < total % parts), rng, gaps,
                                       export_cap=max(1, EXPORT_CAP // parts))
            last_part = part == parts - 1
            plants = planted[planted["week"] == week] if last_part else planted.iloc[0:0]
            name = f"access-{week}" if parts == 1 else f"access-{week}-part{part + 1}"
            _write_part(writer, board, events, plants.drop(columns="week"), last_id, name, fmt, plan)
    for dim in ("actor_dim", "student_dim", "doc_dim"):
        con.unregister(dim)


def _planted_frame(plan: Plan) -> pd.DataFrame:
    frame = pd.DataFrame(plan.events, columns=["week", "occurred_at", "occurred_at__style", *COLUMNS[3:], "plant"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).astype("datetime64[s]")
    frame["occurred_at__style"] = frame["occurred_at__style"].astype("int8")
    frame["break_glass"] = frame["break_glass"].astype("boolean")
    frame["plant"] = frame["plant"].astype("Int64")
    return frame.astype({c: "str" for c in ("actor_id", "actor_type", "student_id", "action", "source_system",
                                            "document_id", "category", "justification")})


def _write_part(writer: Writer, board: Board, events: pd.DataFrame, plants: pd.DataFrame, last_id: dict,
                name: str, fmt: str, plan: Plan) -> None:
    systems = list(board.systems)
    for system in plants["source_system"]:
        if system not in systems:  # a plant may log from a system the background does not use
            systems.append(system)
    n = len(events)
    moments = np.concatenate([events["occurred_at"].to_numpy(), plants["occurred_at"].to_numpy()])
    plant_system = np.array([systems.index(s) for s in plants["source_system"]], dtype=np.int64)
    system = np.concatenate([events["system"].to_numpy(dtype=np.int64), plant_system])
    order = np.lexsort((np.arange(len(moments)), moments))  # by time; ties keep their position
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    event_number = np.zeros(len(order), dtype=np.int64)
    for code, system_name in enumerate(systems):
        rows = order[system[order] == code]
        if len(rows):
            start = last_id.get(system_name, OTHER_SYSTEM_START)
            event_number[rows] = start + 1 + np.arange(len(rows))
            last_id[system_name] = start + len(rows)
    events = events.assign(event_number=event_number[:n], rank=rank[:n])
    plants = plants.assign(event_number=event_number[n:], rank=rank[n:])
    for plant, system_name, number in plants[["plant", "source_system", "event_number"]].itertuples(index=False):
        if not pd.isna(plant):
            plan.name_subject(int(plant), f"{system_name}:{number}")

    con = writer.con
    con.register("events", events)
    con.register("plant_events", plants)
    writer.run(f"""
        CREATE OR REPLACE TEMP VIEW week_events AS
        SELECT CAST(e.event_number AS VARCHAR) AS event_id, e.occurred_at, e.occurred_at__style,
               a.actor_id, a.actor_type, s.student_id, {_list(ACTIONS)}[e.action + 1] AS action,
               {_list(board.systems)}[e.system + 1] AS source_system, d.document_id,
               CASE WHEN e.category >= 0 THEN {_list(DATA_CATEGORIES)}[e.category + 1] END AS category,
               CASE e.break_glass WHEN 1 THEN true WHEN 0 THEN false END AS break_glass,
               CAST(NULL AS VARCHAR) AS justification, e.rank
        FROM events e
        JOIN actor_dim a ON a.code = e.actor
        JOIN student_dim s ON s.code = e.student
        LEFT JOIN doc_dim d ON d.code = e.document
        UNION ALL BY NAME
        SELECT CAST(event_number AS VARCHAR) AS event_id, {", ".join(COLUMNS[1:])}, rank FROM plant_events
    """)
    writer.relation("access_log", "week_events", COLUMNS, name, fmt, order_by="rank", rows=n + len(plants))
    writer.run("DROP VIEW week_events")
    con.unregister("events")
    con.unregister("plant_events")


def _list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
