"""Where the check phase spends its time: the runner's steps timed one by one, in a transaction that
is rolled back (the warehouse is left as it was). The steps are those of checks.runner.run_checks."""

from __future__ import annotations

import time

from checks import context, runner
from checks.registry import load_catalogue, rule_by_id
from pipelines.settings import Settings


def profile_checks(con, week: str, settings: Settings | None = None, top: int = 8) -> list[dict]:
    """The `top` costliest steps, [{"step", "seconds", "times"}], costliest first. A step done once per
    slice of the week's events is summed over the slices (`times`)."""
    settings = settings or Settings()
    seconds: dict[str, float] = {}
    times: dict[str, int] = {}

    def timed(step, work):
        started = time.perf_counter()
        value = work()
        seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - started
        times[step] = times.get(step, 0) + 1
        return value

    con.begin()
    try:
        runner.check_week(con, week, settings, load_catalogue(), timed)
    finally:
        con.rollback()
    steps = sorted(seconds, key=lambda step: -seconds[step])[:top]
    return [{"step": step, "seconds": round(seconds[step], 3), "times": times[step]} for step in steps]


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
    return {
        "seconds": round(done - started, 3),
        "prepare_seconds": round(prepared - started, 3),
        "rule_seconds": round(done - prepared, 3),
        "candidates": candidates,
    }
