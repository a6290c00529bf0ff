"""What the checks would have recorded as explaining accesses, for report and statement tests that
build a warehouse by hand: rows in the readable wide form, stored as the checks store them (counted,
and named by the lineage of their access_log row)."""

from __future__ import annotations

from pipelines.warehouse import store_wide_explanations

WIDE_COLUMNS = ("week", "subject_id", "source_system", "school_id", "actor_type", "category", "explained_by",
                "detail", "rule_id", "decision_id")


def record_explanations(con, rows) -> None:
    """`rows`: tuples of WIDE_COLUMNS (decision_id may be left off). The accesses must be in access_log
    already; those that are not are only counted."""
    con.execute("CREATE OR REPLACE TEMP TABLE wide_explanations (" + ", ".join(
        f"{name} {'BIGINT' if name == 'decision_id' else 'VARCHAR'}" for name in WIDE_COLUMNS) + ")")
    con.executemany(f"INSERT INTO wide_explanations VALUES ({', '.join('?' * len(WIDE_COLUMNS))})",
                    [tuple(row) + (None,) * (len(WIDE_COLUMNS) - len(row)) for row in rows])
    store_wide_explanations(con, "wide_explanations")
    con.execute("DROP TABLE wide_explanations")
