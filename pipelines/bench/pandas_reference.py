"""ACCESS-UNINVOLVED written the way a user would write it in pandas: the benchmark's reference point.

Read the tables into DataFrames, resolve the category and the local date, merge the staff accesses
with their involvements, keep those with no involvement window holding the date, then drop those a
role allowance at the student's school covers. Same rule as checks/rules/ACCESS-UNINVOLVED.sql (its
candidates, before precedence), so the two counts must agree.
"""

from __future__ import annotations

import time

import pandas as pd

from pipelines.settings import Settings


def access_uninvolved(con, settings: Settings | None = None) -> tuple[int, float]:
    """(number of staff accesses without an involvement or role allowance, seconds spent reading)."""
    settings = settings or Settings()
    started = time.perf_counter()
    access = con.sql(
        "SELECT source_system, event_id, occurred_at, actor_id, actor_type, student_id, document_id, category, "
        "break_glass, justification FROM access_log"
    ).df()
    documents = con.sql("SELECT document_id, category AS document_category FROM documents").df()
    students = con.sql("SELECT student_id, school_id FROM students").df()
    involvements = con.sql(
        "SELECT staff_id, student_id, valid_from, valid_to FROM involvements "
        "UNION ALL SELECT staff_id, student_id, valid_from, valid_to FROM roster_involvements"
    ).df()
    staff = con.sql("SELECT staff_id, school_id, role, valid_from, valid_to FROM staff").df()
    loaded = time.perf_counter() - started

    access = access[access["actor_type"] == "staff"]
    justified = access["break_glass"].fillna(False).astype(bool) & (
        access["justification"].fillna("").str.strip() != ""
    )
    access = access[~justified]
    access = access.merge(documents, on="document_id", how="left")
    access["category"] = (
        access["category"].replace("", pd.NA).fillna(access["document_category"].replace("", pd.NA)).fillna("general")
    )
    local = access["occurred_at"].dt.tz_convert(settings.timezone)
    access["local_date"] = local.dt.tz_localize(None).dt.normalize()
    access = access.merge(students, on="student_id", how="left")
    access["key"] = access["source_system"] + ":" + access["event_id"]

    # Involvement windows with grace; open ends are open.
    involvements["window_from"] = (pd.to_datetime(involvements["valid_from"])
                                   - pd.Timedelta(days=settings.grace_before_days)).fillna(pd.Timestamp.min)
    involvements["window_to"] = (pd.to_datetime(involvements["valid_to"])
                                 + pd.Timedelta(days=settings.grace_after_days)).fillna(pd.Timestamp.max)
    pairs = access[["key", "actor_id", "student_id", "local_date"]].merge(
        involvements, left_on=["actor_id", "student_id"], right_on=["staff_id", "student_id"]
    )
    involved = pairs.loc[(pairs["window_from"] <= pairs["local_date"]) & (pairs["local_date"] <= pairs["window_to"]),
                         "key"]
    uninvolved = access[~access["key"].isin(involved)]

    allowance = pd.DataFrame(
        [(role, category) for role, categories in settings.role_allowances.items() for category in categories],
        columns=["role", "category"],
    )
    roles = staff.merge(allowance, on="role")
    roles["valid_from"] = pd.to_datetime(roles["valid_from"]).fillna(pd.Timestamp.min)
    roles["valid_to"] = pd.to_datetime(roles["valid_to"]).fillna(pd.Timestamp.max)
    allowed = uninvolved[["key", "actor_id", "school_id", "category", "local_date"]].merge(
        roles, left_on=["actor_id", "school_id", "category"], right_on=["staff_id", "school_id", "category"]
    )
    allowed = allowed.loc[(allowed["valid_from"] <= allowed["local_date"]) & (allowed["local_date"] <= allowed["valid_to"]),
                          "key"]
    flagged = uninvolved[~uninvolved["key"].isin(allowed)]
    return len(flagged), round(loaded, 3)
