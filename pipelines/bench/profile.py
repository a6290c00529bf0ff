"""Where the check phase spends its time: the runner's steps timed one by one, in a transaction that
is rolled back (the warehouse is left as it was). The steps are those of checks.runner.run_checks."""

from __future__ import annotations

import time

from checks import context, explained, runner
from checks.registry import load_catalogue, rule_by_id
from pipelines.settings import Settings


def profile_checks(con, week: str, settings: Settings | None = None, top: int = 8) -> list[dict]:
    """The `top` costliest steps, [{"step", "seconds"}], costliest first."""
    settings = settings or Settings()
    steps: list[tuple[str, float]] = []

    def timed(step, work):
        started = time.perf_counter()
        work()
        steps.append((step, time.perf_counter() - started))

    rules = load_catalogue()
    con.begin()
    try:
        timed("prepare: week populations (checks/context.py, populations.sql)",
              lambda: context.prepare(con, week, settings))
        con.execute(runner._CANDIDATES_DDL)
        has_rows: dict[str, bool] = {}
        evaluated = set()
        for rule in rules:
            if runner._missing_feeds(con, rule, has_rows):
                continue
            evaluated.add(rule.id)
            timed(f"rule {rule.id}", lambda rule=rule: runner._collect_candidates(con, rule))
            timed(f"count {rule.population}", lambda rule=rule: runner._count(con, rule))
        timed("precedence and findings", lambda: (con.execute(runner._PRECEDENCE),
                                                  con.execute("DELETE FROM findings WHERE week = ?", [week]),
                                                  con.execute(runner._INSERT_FINDINGS, [week])))
        timed("access_explanations (checks/explained.py)",
              lambda: explained.record_explanations(con, week, evaluated))
    finally:
        con.rollback()
    steps.sort(key=lambda s: -s[1])
    return [{"step": step, "seconds": round(seconds, 3)} for step, seconds in steps[:top]]


def time_rule(con, week: str, rule_id: str, settings: Settings | None = None) -> dict:
    """One rule as the runner runs it: the week's populations, then the rule's query (its candidates
    counted), rolled back. What a rule costs on its own, without the rest of the catalogue."""
    settings = settings or Settings()
    rule = rule_by_id(rule_id)
    con.begin()
    try:
        started = time.perf_counter()
        context.prepare(con, week, settings)
        prepared = time.perf_counter()
        candidates = con.execute(f"SELECT count(*) FROM (\n{rule.sql}\n)").fetchone()[0]
        done = time.perf_counter()
    finally:
        con.rollback()
    return {"seconds": round(done - started, 3), "prepare_seconds": round(prepared - started, 3),
            "rule_seconds": round(done - prepared, 3), "candidates": candidates}
