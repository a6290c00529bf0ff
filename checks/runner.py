"""Run the rule catalogue for one week and store its findings and coverage.

Each rule's query returns its candidate rows; the runner then applies precedence inside a family
(per subject, only the rule with the lowest `order` keeps its finding), gives every finding its stable
id, records for every access event what explained it (checks.explained), and replaces the week's rows
in `findings`, `coverage` and `access_explanations` in one transaction. The privacy officer's
store (decisions/store.py) is only read: its grants are involvements (checks.context).

Everything per row happens in DuckDB; Python only loops over the rules, and over the slices in which
a large week's access events are judged (SLICE_EVENTS), so that memory holds one slice at a time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from itertools import pairwise

from checks import context, explained, judgement
from checks.registry import SEVERITIES, Rule, load_catalogue, rule_by_id
from pipelines import faults
from pipelines.contract import EVENT_FEEDS, FEEDS
from pipelines.settings import Settings
from pipelines.weeks import parse_week

# Feed names in rule metadata that are not a table of the same name.
FEED_TABLES = {"oneroster": "roster_involvements"}
# The landing feeds whose files a rule feed is made of, when not only its own: the roster involvements
# come from OneRoster and from School Data Sync bundles, so a rejected SDS bundle counts for 'oneroster'.
FEED_SOURCES = {"oneroster": ("oneroster", "sds")}

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class RuleError(Exception):
    """A rule of the catalogue is broken (its query fails or returns rows of the wrong shape)."""


@dataclass
class CheckResult:
    week: str
    findings: int
    by_severity: dict[str, int]
    coverage: list[dict] = field(default_factory=list)  # rule_id, status, reason, subjects_checked, findings
    rejected_files: list[str] = field(default_factory=list)  # the rejected landing files it was judged without


def finding_id(rule_id: str, subject_id: str) -> str:
    """Stable id of a finding: the same rule on the same subject always gets the same id."""
    return hashlib.sha256(f"{rule_id}|{subject_id}".encode()).hexdigest()[:16]


# The same formula in SQL (DuckDB's sha256 gives lowercase hex of the UTF-8 bytes).
FINDING_ID_SQL = "substr(sha256(rule_id || '|' || subject_id), 1, 16)"


# A week's access events are judged in slices of about this many: at 100M events the judged events of
# a whole week (about 140 bytes each) would not fit in memory and DuckDB would spill to disk. Every
# access rule judges each event on its own, so slicing changes nothing in the result. Each slice costs
# a pass of its own, so slices are as large as memory allows.
SLICE_EVENTS = 12_000_000


# The step that builds the signals' populations (the benchmark states the signals' share by it).
SIGNAL_STEP = "prepare: signal populations (checks/signal_populations.sql)"


def _untimed(step: str, work):
    return work()


def run_checks(con, week: str, settings: Settings, rules=None) -> CheckResult:
    """Check `week` ('2026-W47') with `rules` (Rule objects or ids; default: the whole catalogue).

    The week's findings and coverage are replaced by exactly what this run found.
    """
    week = week.strip()
    parse_week(week)  # a malformed week is the caller's mistake: WeekError, before any work
    selected = _select_rules(rules)
    con.begin()
    try:
        result = check_week(con, week, settings, selected)
        faults.reached("checks-written")  # the week's findings written, not yet committed
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return result


def check_week(con, week: str, settings: Settings, selected, timed=_untimed) -> CheckResult:
    """The check phase inside the caller's transaction. `timed(step, work)` runs each step (the
    benchmark's profile times them); steps of the same name are the same work on another slice."""
    timed(
        "prepare: week populations (checks/context.py, populations.sql)",
        lambda: context.prepare(con, week, settings, accesses=False, lookups=False, signals=False),
    )
    if any(rule.family == "signal" for rule in selected):
        timed(SIGNAL_STEP, lambda: context.prepare_signals(con))
    con.execute(_CANDIDATES_DDL)
    rejected = _rejected_files(con)
    # rule id -> (reason code, feeds it names, rejected files it names): stored beside the English
    # reason, so that the reports can give the reason in their own language.
    reason_codes: dict[str, tuple[str, list[str], list[str] | None]] = {}
    has_rows: dict[str, bool] = {}
    coverage: dict[str, dict] = {}
    runnable = []
    for rule in selected:
        evidence = _rejected_in(rule.evidence_feeds() - set(EVENT_FEEDS), rejected)
        events = _rejected_in(rule.evidence_feeds() & set(EVENT_FEEDS), rejected)
        if events and rule.on_rejected_events == "not_evaluated":
            evidence += events
        if evidence:
            coverage[rule.id] = _not_evaluated(rule, reason=_rejected_reason(evidence, "not_evaluated"))
            reason_codes[rule.id] = ("rejected_evidence", _feeds_of(evidence), _paths_of(evidence))
            continue
        # An event feed with a rejected file counts as present: the rule judges the rows that loaded.
        missing = [m for m in _missing_feeds(con, rule, has_rows) if not _rejected_in(set(m), rejected)]
        if missing:
            coverage[rule.id] = _not_evaluated(rule, reason=_missing_reason(missing))
            reason_codes[rule.id] = ("missing_feeds", ["|".join(alternatives) for alternatives in missing], None)
            continue
        unjudged = _unjudged_feeds(con, rule, has_rows)
        reasons = [_rejected_reason(events, "incomplete")] if events else []
        reasons += [_partial_reason(rule, unjudged)] if unjudged else []
        if events:
            reason_codes[rule.id] = ("rejected_events", unjudged, _paths_of(events))
        elif unjudged:
            reason_codes[rule.id] = ("partial", unjudged, None)
        coverage[rule.id] = {
            "rule_id": rule.id,
            "status": "incomplete" if events else "evaluated",
            "reason": "; ".join(reasons) or None,
            "subjects_checked": 0,
            "findings": 0,
        }
        runnable.append(rule)
    evaluated = {rule.id for rule in runnable}

    def judge(connection, rules):
        for rule in rules:
            timed(f"rule {rule.id}", lambda rule=rule: _collect_candidates(connection, rule))
            checked = timed(f"count {rule.population}", lambda rule=rule: _count(connection, rule))
            coverage[rule.id]["subjects_checked"] += checked

    # The access events, slice by slice: each slice judged in one pass (checks.judgement: every access
    # rule's condition, in precedence order, and what explains the rest), then only the flagged events'
    # facts. A week of one slice is judged in this transaction. A larger one is judged on a second
    # connection: a DuckDB transaction keeps every table it replaced until it ends, so slices built
    # inside this one would all stay in memory (and spill, at 100M events); outside it, each slice's
    # tables are freed by the next, and only the slice's candidates and explanations are handed over.
    access_rules = [rule for rule in runnable if rule.subject_type == "access_event"]
    con.execute("DELETE FROM access_explanations WHERE week = ?", [week])
    con.execute("DELETE FROM access_explanation_counts WHERE week = ?", [week])
    con.execute("DELETE FROM access_explanation_files WHERE week = ?", [week])
    con.execute(_EXPLANATION_COUNTS_DDL)
    con.execute("CREATE OR REPLACE TEMP TABLE own_child_accesses (actor_id VARCHAR, student_id VARCHAR, "
                "explained_by VARCHAR, detail VARCHAR)")
    slices = _access_slices(con)
    scratch = con if len(slices) == 1 else _scratch_connection(con, week, settings)
    if scratch is con:
        context.prepare_judgement(con)
    try:
        _hand_over(scratch, "SELECT CAST($week AS VARCHAR), file_no, file_hash FROM judgement_file", con,
                   "access_explanation_files", {"week": week})
        for since, until in slices:
            timed(
                "judge the slice's access events in one pass (checks/judgement.py)",
                lambda since=since, until=until: context.prepare_accesses(
                    scratch, since, until, access_rules, evaluated
                ),
            )
            scratch.execute(_CANDIDATES_DDL.replace("rule_candidates", "slice_candidates"))
            timed("access rules: the flagged events' facts", lambda: _access_candidates(scratch, access_rules))
            timed("access rules: populations counted", lambda: _count_accesses(scratch, access_rules, coverage))
            timed("access findings: precedence in the slice",
                  lambda: scratch.execute(_access_findings(access_rules) + ";\n" + explained.OUTCOME_VIEW))
            timed(
                "hand the slice's candidates over",
                lambda: _hand_over(scratch, "SELECT * FROM slice_candidates", con, "rule_candidates"),
            )
            timed(
                "access_explanations, handed over (checks/explained.py)",
                lambda: _hand_over(scratch, explained.EXPLANATIONS_SQL, con, "access_explanations", {"week": week}),
            )
            timed(
                "own children's accesses kept for SIGNAL-OWN-CHILD",
                lambda: _hand_over(scratch, explained.OWN_CHILD_SQL, con, "own_child_accesses"),
            )
            timed(
                "explanations counted",
                lambda: _hand_over(scratch, explained.EXPLANATION_COUNTS_SQL, con, "_explanation_counts",
                                   {"week": week}),
            )
    finally:
        if scratch is not con:
            scratch.close()
    # a large week's slices are counted apart: one row per group
    con.execute("INSERT INTO access_explanation_counts SELECT week, school_id, source_system, actor_type, category,"
                " explained_by, detail, decision_id, sum(accesses) FROM _explanation_counts GROUP BY ALL")
    judge(con, [rule for rule in runnable if rule.subject_type != "access_event"])

    def findings():
        _check_candidates(con)
        con.execute(_PRECEDENCE)
        con.execute("DELETE FROM findings WHERE week = ?", [week])
        con.execute("DELETE FROM coverage WHERE week = ?", [week])
        con.execute(_INSERT_FINDINGS, [week])
        con.execute("DELETE FROM week_rejected_files WHERE week = ?", [week])
        con.execute(
            "INSERT INTO week_rejected_files SELECT ?, feed, path, file_hash FROM _week_rejected", [week]
        )
        # when the week was checked: the published copy republishes the explanations of a week checked
        # since it was made (pipelines.published)
        con.execute("DELETE FROM audit_runs WHERE week = ? AND stage = 'check'", [week])
        con.execute("INSERT INTO audit_runs VALUES (?, 'check', current_timestamp, NULL)", [week])

    timed("precedence and findings", findings)
    per_rule = dict(con.execute("SELECT rule_id, count(*) FROM week_findings GROUP BY rule_id").fetchall())
    rows = [coverage[rule.id] for rule in selected]  # catalogue order
    for row in rows:
        if row["status"] != "not_evaluated":
            row["findings"] = per_rule.get(row["rule_id"], 0)
    if rows:
        con.executemany(
            "INSERT INTO coverage (week, rule_id, status, reason, subjects_checked, findings, reason_code,"
            " reason_feeds, reason_files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    week,
                    r["rule_id"],
                    r["status"],
                    r["reason"],
                    r["subjects_checked"],
                    r["findings"],
                    *reason_codes.get(r["rule_id"], (None, None, None)),
                )
                for r in rows
            ],
        )
    by_severity = {severity: 0 for severity in SEVERITIES}
    by_severity.update(
        con.execute("SELECT severity, count(*) FROM week_findings GROUP BY severity").fetchall()
    )
    return CheckResult(
        week=week, findings=sum(by_severity.values()), by_severity=by_severity, coverage=rows,
        rejected_files=[path for paths in rejected.values() for path in paths],
    )  # fmt: skip


def _scratch_connection(con, week: str, settings: Settings):
    """A second connection to the warehouse with the week's context but no populations yet. It reads
    what this transaction reads: the check phase writes nothing that the rules read."""
    scratch = con.cursor()
    zone = con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]
    scratch.execute("SET TimeZone = $zone", {"zone": zone})
    context.prepare(scratch, week, settings, accesses=False, populations=False)
    return scratch


def _hand_over(scratch, select: str, con, table: str, params: dict | None = None) -> None:
    """Add the rows of `select` on the scratch connection to `table` in this transaction: streamed as
    Arrow record batches, never through Python rows. (DuckDB refuses a relation on a connection whose
    last result was not read to the end: results on the scratch connection are read with fetchall.)"""
    if scratch is con:  # a week of one slice, judged in this transaction
        con.execute(f"INSERT INTO {table} {select}", params)
        return
    slice_rows = scratch.sql(select, params=params).to_arrow_reader()  # noqa: F841 (read below)
    # DuckDB reads the Python variable `slice_rows` by its name (a replacement scan)
    con.execute(f"INSERT INTO {table} SELECT * FROM slice_rows")


def _access_slices(con) -> list[tuple]:
    """[(since, until)] instants that split the events near the week into slices of about SLICE_EVENTS
    (approximate quantiles: one pass, no sort); [(None, None)], the whole week, when it is small. Reads
    the default access_slice that context.prepare leaves without the access populations."""
    near_week = "FROM access_log a, access_slice s WHERE a.occurred_at >= s.since AND a.occurred_at < s.until"
    events = con.execute(f"SELECT count(*) {near_week}").fetchone()[0]
    count = -(-events // SLICE_EVENTS)
    if count <= 1:
        return [(None, None)]
    cuts = con.execute(
        f"SELECT list_sort(list_distinct(approx_quantile(a.occurred_at, CAST(? AS FLOAT[])))) {near_week}",
        [[k / count for k in range(1, count)]],
    ).fetchone()[0]
    bounds = [None, *cuts, None]
    return list(pairwise(bounds))


def _access_candidates(con, rules) -> None:
    """The access rules' candidates in the judged slice: a rule with a condition states the facts of
    the events the pass gave it (flagged_access), each exactly once; one without reads its population."""
    flagged = dict(con.execute("SELECT rule_id, count(*) FROM access_flagged GROUP BY rule_id").fetchall())
    for rule in rules:
        if not judgement.in_pass(rule):
            _collect_candidates(con, rule, "slice_candidates")
            continue
        judgement.select_flagged(con, rule)
        _collect_candidates(con, rule, "slice_candidates")
        got = con.execute("SELECT count(*), count(DISTINCT subject_id) FROM slice_candidates WHERE rule_id = ?",
                          [rule.id]).fetchall()[0]
        if got != (flagged.get(rule.id, 0),) * 2:
            raise RuleError(f"rule {rule.id}: its query must return each of the {flagged.get(rule.id, 0)} events "
                            f"it flagged once, returned {got[0]} rows")


def _count_accesses(con, rules, coverage: dict) -> None:
    """Every access rule's population counted in one pass over the judged slice."""
    if not rules:
        return
    for rule in rules:
        if rule.population not in judgement.POPULATIONS:
            raise RuleError(f"rule {rule.id}: population {rule.population!r} is not an access population")
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {judgement.POPULATIONS[rule.population]})" for rule in rules)
        + " FROM access_judged"
    ).fetchall()[0]
    for rule, count in zip(rules, counts):
        coverage[rule.id]["subjects_checked"] += count


def _access_findings(rules) -> str:
    """The slice's access findings (access_key, rule_id): per event the rule precedence keeps. The
    events of rules with a condition carry their subject_id in access_flagged; those of a rule without
    one are found in the rich access_week."""
    events = "access_flagged" if all(judgement.in_pass(rule) for rule in rules) else "access_week"
    return f"""
        CREATE OR REPLACE TEMP TABLE access_findings AS
        WITH kept AS (
            SELECT subject_id, rule_id FROM slice_candidates
            WHERE family = 'access' AND subject_type = 'access_event'
            QUALIFY row_number() OVER (PARTITION BY subject_id ORDER BY rule_order NULLS LAST, rule_id) = 1
        )
        SELECT e.access_key, k.rule_id FROM kept k JOIN {events} e ON e.subject_id = k.subject_id
    """


def _select_rules(rules) -> tuple[Rule, ...]:
    if rules is None:
        return load_catalogue()
    selected = tuple(rule_by_id(r) if isinstance(r, str) else r for r in rules)
    ids = [r.id for r in selected]
    if len(ids) != len(set(ids)):
        raise RuleError("a rule was given twice")
    return selected


def _feed_has_rows(con, rule: Rule, feed: str, has_rows: dict[str, bool]) -> bool:
    if feed not in has_rows:
        if feed not in FEEDS and feed not in FEED_TABLES:
            raise RuleError(f"rule {rule.id} names an unknown feed {feed!r}")
        table = FEED_TABLES.get(feed, feed)
        has_rows[feed] = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
    return has_rows[feed]


def _missing_feeds(con, rule: Rule, has_rows: dict[str, bool]) -> list[tuple[str, ...]]:
    """The required feed entries of `rule` of which no alternative has a row."""
    missing = []
    for alternatives in rule.feeds:
        # every alternative is looked up, so that an unknown feed name is always an error
        present = [_feed_has_rows(con, rule, feed, has_rows) for feed in alternatives]
        if not any(present):
            missing.append(alternatives)
    return missing


def _unjudged_feeds(con, rule: Rule, has_rows: dict[str, bool]) -> list[str]:
    """For an evaluated rule: the feeds without rows that leave a part of its population unjudged."""
    return [feed for feed, _ in rule.partial if not _feed_has_rows(con, rule, feed, has_rows)]


def _partial_reason(rule: Rule, unjudged: list[str]) -> str | None:
    """Which part of the rule's population was not judged, for want of which feed (English)."""
    parts = [
        f"{part} not evaluated: no rows in feed {feed}" for feed, part in rule.partial if feed in unjudged
    ]
    return "; ".join(parts) or None


def _missing_reason(missing: list[tuple[str, ...]]) -> str:
    names = [" or ".join(alternatives) for alternatives in missing]
    return ("no rows in feed: " if len(names) == 1 else "no rows in feeds: ") + "; ".join(names)


def _not_evaluated(rule: Rule, reason: str) -> dict:
    return {
        "rule_id": rule.id,
        "status": "not_evaluated",
        "reason": reason,
        "subjects_checked": None,
        "findings": None,
    }


# --- rejected landing files -----------------------------------------------------------------------
# A file rejected as a whole never stops the week (spec/landing.md): the rules that would have read it
# are incomplete (an event file) or not evaluated (evidence), for as long as the file lies in the
# landing folder, i.e. in what the last ingest found there (landing_present).


def _rejected_files(con) -> dict[str, list[str]]:
    """{feed: [paths]} of the rejected files in the landing folder; also left in `_week_rejected`."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _week_rejected AS
           SELECT DISTINCT p.feed, p.path, p.file_hash
           FROM landing_present p
           JOIN landing_files l ON l.file_hash = p.file_hash AND l.status = 'rejected'"""
    )
    found: dict[str, list[str]] = {}
    for feed, path in con.execute("SELECT feed, path FROM _week_rejected ORDER BY feed, path").fetchall():
        found.setdefault(feed, []).append(path)
    return found


def _rejected_in(feeds: set[str], rejected: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(feed, path) of the rejected files in these feeds (or the landing feeds they are made of), in a
    stable order."""
    sources = {source for feed in feeds for source in FEED_SOURCES.get(feed, (feed,))}
    return [(feed, path) for feed in sorted(sources) for path in rejected.get(feed, [])]


def _feeds_of(files: list[tuple[str, str]]) -> list[str]:
    return sorted({feed for feed, _ in files})


def _paths_of(files: list[tuple[str, str]]) -> list[str]:
    return [path for _, path in files]


def _rejected_reason(files: list[tuple[str, str]], status: str) -> str:
    """The English reason (coverage.csv): which rejected files the rule was judged without."""
    many = "s" if len(files) > 1 else ""
    listed = ", ".join(_paths_of(files))
    if status == "incomplete":
        return f"judged without the rejected landing file{many} {listed}: findings in {'them' if many else 'it'} are missing"
    return f"landing file{many} rejected: {listed}"


_EXPLANATION_COUNTS_DDL = """
CREATE OR REPLACE TEMP TABLE _explanation_counts AS
SELECT * FROM access_explanation_counts LIMIT 0
"""

_CANDIDATES_DDL = """
CREATE OR REPLACE TEMP TABLE rule_candidates (
    rule_id VARCHAR, family VARCHAR, rule_order INTEGER, subject_type VARCHAR,
    subject_id VARCHAR, severity VARCHAR, school_id VARCHAR, occurred_at TIMESTAMPTZ,
    actor_id VARCHAR, student_id VARCHAR, recipient_id VARCHAR, facts JSON
)
"""


def _collect_candidates(con, rule: Rule, table: str = "rule_candidates") -> None:
    sql = f"""
        INSERT INTO {table}
        SELECT ?, ?, ?, ?,
               CAST(r.subject_id AS VARCHAR), CAST(r.severity AS VARCHAR), CAST(r.school_id AS VARCHAR),
               CAST(r.occurred_at AS TIMESTAMPTZ), CAST(r.actor_id AS VARCHAR),
               CAST(r.student_id AS VARCHAR), CAST(r.recipient_id AS VARCHAR), CAST(r.facts AS JSON)
        FROM (
{rule.sql}
        ) AS r
    """
    try:
        con.execute(sql, [rule.id, rule.family, rule.order, rule.subject_type])
    except Exception as exc:  # the catalogue is code: say which rule broke
        raise RuleError(f"rule {rule.id} ({rule.path.name}) failed: {exc}") from exc


def _count(con, rule: Rule) -> int:
    if not _IDENTIFIER.match(rule.population):
        raise RuleError(f"rule {rule.id}: population {rule.population!r} is not a view name")
    try:
        return con.execute(f"SELECT count(*) FROM {rule.population}").fetchall()[0][0]  # drained: see _hand_over
    except Exception as exc:
        raise RuleError(f"rule {rule.id}: population {rule.population!r} cannot be read: {exc}") from exc


def _check_candidates(con) -> None:
    severities = ", ".join(f"'{s}'" for s in SEVERITIES)
    bad = con.execute(
        f"SELECT rule_id, severity FROM rule_candidates "
        f"WHERE severity IS NULL OR severity NOT IN ({severities}) LIMIT 1"
    ).fetchone()
    if bad:
        raise RuleError(f"rule {bad[0]} returned an unknown severity {bad[1]!r}")
    bad = con.execute("SELECT rule_id FROM rule_candidates WHERE subject_id IS NULL LIMIT 1").fetchone()
    if bad:
        raise RuleError(f"rule {bad[0]} returned a row without subject_id")
    bad = con.execute(
        "SELECT rule_id, subject_id FROM rule_candidates GROUP BY rule_id, subject_id HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if bad:
        raise RuleError(f"rule {bad[0]} returned subject {bad[1]!r} more than once")


# Inside a family, rules with an `order` exclude each other per subject: the lowest order wins.
# Rules without an order are independent and always keep their rows.
_PRECEDENCE = """
CREATE OR REPLACE TEMP TABLE week_findings AS
SELECT * FROM rule_candidates
QUALIFY rule_order IS NULL
     OR row_number() OVER (
            PARTITION BY family, subject_type, subject_id
            ORDER BY rule_order NULLS LAST, rule_id
        ) = 1
"""

_INSERT_FINDINGS = f"""
INSERT INTO findings (finding_id, rule_id, severity, week, school_id, occurred_at, subject_type,
                      subject_id, actor_id, student_id, recipient_id, facts)
SELECT {FINDING_ID_SQL}, rule_id, severity, ?, school_id, occurred_at, subject_type,
       subject_id, actor_id, student_id, recipient_id, facts
FROM week_findings
"""
