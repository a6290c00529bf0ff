"""Where the check phase spends its time: the runner's steps timed one by one, in a transaction that
is rolled back (the warehouse is left as it was). The steps are those of checks.runner.run_checks."""

from __future__ import annotations

import time

from checks import context, judgement, runner
from checks.registry import load_catalogue, rule_by_id
from pipelines.settings import Settings


def profile_checks(con, week: str, settings: Settings | None = None, top: int = 8) -> dict:
    """{"steps": the `top` costliest steps, [{"step", "seconds", "times"}], costliest first (a step done
    once per slice of the week's events is summed over the slices, `times`); "signal_seconds": what the
    signals took (their populations, queries and counts); "step_seconds": all steps together}."""
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
    signal = [step for step in seconds if step == runner.SIGNAL_STEP or step.startswith(("rule SIGNAL-", "count signal_"))]
    return {
        "steps": [{"step": step, "seconds": round(seconds[step], 3), "times": times[step]} for step in steps],
        "signal_seconds": round(sum(seconds[step] for step in signal), 3),
        "step_seconds": round(sum(seconds.values()), 3),
    }


def time_rule(con, week: str, rule_id: str, settings: Settings | None = None) -> dict:
    """One rule as the runner runs it: the week's populations, then the rule's query (its candidates
    counted), rolled back. What a rule costs on its own, without the rest of the catalogue."""
    settings = settings or Settings()
    rule = rule_by_id(rule_id)
    con.begin()
    try:
        started = time.perf_counter()
        if rule.subject_type == "access_event":
            # the week's context, then the one pass over the rule's population with only its condition
            context.prepare(con, week, settings, accesses=False, populations=False)
            context.prepare_accesses(con, rules=[rule], population=judgement.POPULATIONS[rule.population])
            if judgement.in_pass(rule):
                judgement.select_flagged(con, rule)
        else:
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
