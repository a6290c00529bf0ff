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


# The least a check that looks up each access must do (the floor the check phase is compared with):
# read the week's events, resolve each one's document (its category) and student (school), and find a
# staff access's involvement and role allowance that day, the lookups ACCESS-UNINVOLVED needs, in the
# week's own lookup timelines. Nothing is written and no rule is applied.
LOOKUPS_FLOOR_SQL = """
SELECT count(*), count(inv.relation), count(ro.role)
FROM (SELECT a.*, local_date_near_week(a.occurred_at) AS local_date
      FROM access_log a
      WHERE a.occurred_at >= {since} AND a.occurred_at < {until}) a
LEFT JOIN documents d ON d.document_id = a.document_id
LEFT JOIN students st ON st.student_id = a.student_id
LEFT JOIN lookup_involvement inv
       ON a.actor_type = 'staff' AND inv.staff_id = a.actor_id AND inv.student_id = a.student_id
      AND a.local_date BETWEEN inv.seg_from AND inv.seg_to
LEFT JOIN lookup_role ro
       ON a.actor_type = 'staff' AND ro.staff_id = a.actor_id AND ro.school_id = st.school_id
      AND ro.category = coalesce(nullif(a.category, ''), nullif(d.category, ''), 'general')
      AND a.local_date BETWEEN ro.seg_from AND ro.seg_to
WHERE a.local_date BETWEEN {week_start} AND {week_end}
"""


def lookups_floor(con, week: str, settings: Settings | None = None) -> dict:
    """LOOKUPS_FLOOR_SQL timed on the week's lookups (rolled back), the second of two runs (warm, as the
    scan it is set beside): {"seconds", "events"}."""
    settings = settings or Settings()
    con.begin()
    try:
        context.prepare(con, week, settings, accesses=False, populations=False, signals=False, lookups=True)
        # the week's bounds as constants, as the one pass has them
        floor = LOOKUPS_FLOOR_SQL.format(**context.week_literals(con))
        con.execute(floor).fetchall()
        started = time.perf_counter()
        events = con.execute(floor).fetchone()[0]
        seconds = time.perf_counter() - started
    finally:
        con.rollback()
    return {"seconds": round(seconds, 3), "events": events}
