"""The figures and lists the two reports show, each one query over the warehouse.

Aggregation, grouping and per-row formatting happen in DuckDB; Python only receives the small result
(counts, or the rows a report prints) and hands it to the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from checks.registry import FAMILY_ORDER, Rule
from decisions.tables import ensure_registered
from reports.i18n import Translator
from reports.outputs import SEVERITY_LIST, catalogue_cte, findings_sql

# Staff accesses count as explained only when the catch-all staff rule ran: it is the rule that flags a
# staff access nothing allowed (spec/rules.md, "Explained accesses").
EXPLAINING_RULE = "ACCESS-UNINVOLVED"
POLICY_RULE = "POLICY-NOT-APPROVED"
# How a staff access was explained, in the order the report lists them (access_explanations.explained_by,
# with the involvements of relation grant as a kind of their own).
EXPLAINED_KINDS = ("involvement", "grant", "role_allowance", "break_glass")
STANDING_SUBJECTS = ("agreement", "policy", "source_system")


def records(con, sql: str, params: dict | None = None) -> list[dict]:
    result = con.execute(sql, params or {})
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def one(con, sql: str, params: dict) -> tuple:
    """The single row of an aggregate query (fetched completely: DuckDB wants results finished)."""
    return con.execute(sql, params).fetchall()[0]


# ---- shared ---------------------------------------------------------------------------------------


def findings_per_week(con, weeks: Sequence[str]) -> dict[str, dict[str, int]]:
    """{week: {severity: count}} for the given weeks (weeks without findings are absent)."""
    rows = con.execute(
        "SELECT week, severity, count(*) FROM findings WHERE list_contains($weeks, week) GROUP BY ALL",
        {"weeks": list(weeks)},
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for week, severity, n in rows:
        counts.setdefault(week, {})[severity] = n
    return counts


# New versus recurring. A finding of the week is *recurring* when an earlier week in the warehouse has
# a finding with the same recurrence key, otherwise *new*. The key is what a privacy officer follows up:
# the account for an access finding (actor_id), the recipient for a disclosure finding (recipient_id),
# and the rule and subject for standing findings and for notices (info: a reminder about one subject,
# not behaviour of an account or recipient). A finding without the id its key needs is always new.
def recurrence_key_sql(alias: str) -> str:
    return f"""CASE
        WHEN {alias}.severity = 'info' OR {alias}.subject_type NOT IN ('access_event', 'disclosure')
            THEN 'subject:' || {alias}.rule_id || '|' || {alias}.subject_id
        WHEN {alias}.subject_type = 'access_event' THEN 'actor:' || {alias}.actor_id
        ELSE 'recipient:' || {alias}.recipient_id
    END"""


def earlier_findings_cte(t: Translator) -> str:
    """`earlier(recurrence_key, earlier_weeks, first_week)`: per key, how many weeks before $week had a
    finding with it, and the first of them as a label ('week 45 of 2026')."""
    return f"""earlier AS (
        SELECT {recurrence_key_sql("p")} AS recurrence_key, count(DISTINCT p.week) AS earlier_weeks,
               {t.sql_week("min(p.week)")} AS first_week
        FROM findings p
        WHERE p.week < $week
        GROUP BY 1
    )"""


def checked_weeks(con, weeks: Sequence[str]) -> set[str]:
    """The weeks among `weeks` for which the checks ran (they left coverage rows)."""
    rows = con.execute(
        "SELECT DISTINCT week FROM coverage WHERE list_contains($weeks, week)", {"weeks": list(weeks)}
    ).fetchall()
    return {week for (week,) in rows}


def new_and_recurring(con, week: str, t: Translator) -> dict[str, dict[str, int]]:
    """{severity: {'new': n, 'recurring': n}} for the findings of `week` (severities without findings
    are absent)."""
    rows = con.execute(
        f"""
        WITH {earlier_findings_cte(t)}
        SELECT f.severity, count(*) FILTER (WHERE e.recurrence_key IS NULL), count(e.recurrence_key)
        FROM findings f LEFT JOIN earlier e ON e.recurrence_key = {recurrence_key_sql("f")}
        WHERE f.week = $week
        GROUP BY f.severity
        """,
        {"week": week},
    ).fetchall()
    return {severity: {"new": new, "recurring": recurring} for severity, new, recurring in rows}


def coverage_rows(con, week: str, rules: Sequence[Rule], t: Translator) -> list[dict]:
    """The week's coverage per rule, catalogue order, with its reason in the report language: `reason`
    names the feeds by their folder name (for the privacy officer), `plain_reason` in words (for the
    council)."""
    rows = records(
        con,
        f"""
        WITH {catalogue_cte(rules, t.lang)}
        SELECT cv.rule_id, coalesce(c.title, cv.rule_id) AS title, cv.status, cv.reason AS stored_reason,
               cv.reason_code, cv.reason_feeds, cv.reason_files, cv.subjects_checked, cv.findings
        FROM coverage cv LEFT JOIN catalogue c ON c.rule_id = cv.rule_id
        WHERE cv.week = $week
        ORDER BY c.catalogue_rank NULLS LAST, cv.rule_id
        """,
        {"week": week},
    )
    parts = {rule.id: dict(rule.partial) for rule in rules}
    for row in rows:  # one row per rule of the catalogue, not per row of data
        row["reason"] = coverage_reason(row, parts.get(row["rule_id"], {}), t, plain=False)
        row["plain_reason"] = coverage_reason(row, parts.get(row["rule_id"], {}), t, plain=True)
    return rows


def coverage_reason(row: dict, partial: dict[str, str], t: Translator, plain: bool) -> str | None:
    """A coverage row's reason in the report language, from its reason code and feeds; rows written
    before reasons had codes keep their stored (English) reason. `partial`: the rule's {feed: part}."""
    code, feeds = row["reason_code"], row["reason_feeds"] or []

    def feed_name(feed: str) -> str:
        return t.get(f"coverage_reason.feed.{feed}", feed) if plain else feed

    def either(entry: str) -> str:
        names = [feed_name(feed) for feed in entry.split("|")]
        text = names[0]
        for name in names[1:]:
            text = t("coverage_reason.either", first=text, second=name)
        return text

    if code == "missing_feeds" and feeds:
        key = "coverage_reason.missing_feed" if len(feeds) == 1 else "coverage_reason.missing_feeds"
        return t(key, feeds="; ".join(either(entry) for entry in feeds))
    def partial_parts() -> list[str]:
        return [
            t(
                "coverage_reason.partial",
                part=t.get(f"coverage_reason.part.{feed}", partial.get(feed, feed)),
                feed=feed_name(feed),
            )
            for feed in feeds
        ]

    if code == "partial" and feeds:
        return "; ".join(partial_parts())
    if code in ("rejected_evidence", "rejected_events"):
        # The privacy officer is told which files; the council only which kind of data (no file names).
        files = row.get("reason_files") or []
        if plain:
            kinds = sorted({feed_name(path.split("/", 1)[0]) for path in files})
            text = t(f"coverage_reason.{code}_plain", feeds=", ".join(kinds))
        else:
            text = t(f"coverage_reason.{code}", files=", ".join(files))
        return "; ".join([text] + (partial_parts() if code == "rejected_events" else []))
    return row["stored_reason"]


# ---- privacy officer -------------------------------------------------------------------------------

# Name lists as (id, name): a staff member's latest display name; a recipient's name.
_STAFF_NAMES = """staff_names AS (
        SELECT staff_id AS id, first(display_name ORDER BY valid_from DESC NULLS LAST, display_name) AS name
        FROM staff WHERE nullif(trim(display_name), '') IS NOT NULL
        GROUP BY staff_id
    )
"""
_RECIPIENT_NAMES = """recipient_names AS (
        SELECT recipient_id AS id, min(name) AS name FROM recipients GROUP BY recipient_id
    )
"""
NAME_LISTS = {"staff_names": _STAFF_NAMES, "recipient_names": _RECIPIENT_NAMES}
_FINDING_STRUCT = """
    {'finding_id': f.finding_id, 'rule_id': f.rule_id, 'title': f.title, 'severity': f.severity,
     'local_time': f.local_time, 'student_id': f.student_id, 'subject_id': f.subject_id,
     'explanation': f.explanation, 'status': f.status, 'note': f.note, 'decision_id': f.decision_id,
     'facts': f.fact_list}
"""
_FINDING_ORDER = "f.severity_rank NULLS LAST, f.occurred_ts NULLS LAST, f.rule_id, f.finding_id"


def _cases(con, week, rules, t, subject_type: str, key: str, names: str) -> list[dict]:
    """Every finding of one subject type, grouped by `key` (an id column of the findings) into cases,
    worst case first, each with its worst findings first (with their status and latest note), and with:
    - the case's name from the name list `names`;
    - `earlier_weeks` and `first_week`: the earlier weeks that had findings for the same account or
      recipient (see recurrence_key_sql), so that repeated behaviour stands out;
    - `repeated`: each rule that applies more than once in the case, with its count and the number of
      students it concerns, for the summary at the top of the case.
    """
    ensure_registered(con)
    return records(
        con,
        f"""
        WITH week_findings AS ({findings_sql(rules, t)}), {NAME_LISTS[names]}, {earlier_findings_cte(t)},
        f AS (
            SELECT w.*, w.{key} AS case_key, e.earlier_weeks, e.first_week
            FROM week_findings w LEFT JOIN earlier e ON e.recurrence_key = {recurrence_key_sql("w")}
            WHERE w.subject_type = $subject_type AND w.severity <> 'info'
        ),
        per_rule AS (
            SELECT f.case_key, f.rule_id, any_value(f.title) AS title, count(*) AS findings,
                   count(DISTINCT f.student_id) AS students, min(f.severity_rank) AS worst
            FROM f GROUP BY f.case_key, f.rule_id
            HAVING count(*) > 1
        ),
        repeated AS (
            SELECT case_key,
                   list({{'rule_id': rule_id, 'title': title, 'findings': findings, 'students': students}}
                        ORDER BY worst, findings DESC, rule_id) AS repeated
            FROM per_rule GROUP BY case_key
        )
        SELECT f.case_key AS {key}, n.name, min(f.severity_rank) AS worst,
               {SEVERITY_LIST}[min(f.severity_rank) + 1] AS worst_severity, count(*) AS total,
               any_value(f.earlier_weeks) AS earlier_weeks, any_value(f.first_week) AS first_week,
               coalesce(any_value(r.repeated), []) AS repeated,
               list({_FINDING_STRUCT} ORDER BY {_FINDING_ORDER}) AS findings
        FROM f
        LEFT JOIN {names} n ON n.id = f.case_key
        LEFT JOIN repeated r ON r.case_key IS NOT DISTINCT FROM f.case_key
        GROUP BY f.case_key, n.name
        ORDER BY worst NULLS LAST, total DESC, f.case_key NULLS LAST
        """,
        {"week": week, "subject_type": subject_type},
    )


def access_cases(con, week: str, rules: Sequence[Rule], t: Translator) -> list[dict]:
    """Access findings per account (actor_id), worst account first; staff names where known."""
    return _cases(con, week, rules, t, "access_event", "actor_id", "staff_names")


def disclosure_cases(con, week: str, rules: Sequence[Rule], t: Translator) -> list[dict]:
    """Disclosure findings per recipient, worst recipient first."""
    return _cases(con, week, rules, t, "disclosure", "recipient_id", "recipient_names")


def standing_findings(con, week: str, rules: Sequence[Rule], t: Translator, info: bool = False) -> list[dict]:
    """Standing findings (agreements, policies, log gaps); with info=True the notices of every kind
    (consent age transitions, agreements to renew), which the report lists for review."""
    ensure_registered(con)
    where = (
        "f.severity = 'info'" if info else f"f.severity <> 'info' AND f.subject_type IN {STANDING_SUBJECTS}"
    )
    return records(
        con,
        f"""
        WITH f AS ({findings_sql(rules, t)}), {_RECIPIENT_NAMES}, {earlier_findings_cte(t)}
        SELECT f.*, f.fact_list AS facts, n.name AS recipient_name, e.earlier_weeks, e.first_week
        FROM f
        LEFT JOIN recipient_names n ON n.id = f.recipient_id
        LEFT JOIN earlier e ON e.recurrence_key = {recurrence_key_sql("f")}
        WHERE {where}
        ORDER BY {_FINDING_ORDER}, f.subject_id
        """,
        {"week": week},
    )


def justified_break_glass(con, monday: date, sunday: date, t: Translator) -> list[dict]:
    """Break-glass accesses with a justification in the week: allowed, but for the officer to review.
    The justification text itself is not shown."""
    return records(
        con,
        f"""
        WITH {_STAFF_NAMES}
        SELECT a.source_system, a.event_id, a.actor_id, n.name, a.student_id,
               coalesce(a.category, d.category, 'general') AS category,
               {t.sql_datetime("a.occurred_at")} AS local_time
        FROM access_log a
        LEFT JOIN documents d ON d.document_id = a.document_id
        LEFT JOIN staff_names n ON n.id = a.actor_id
        WHERE a.break_glass AND nullif(trim(a.justification), '') IS NOT NULL
          AND CAST(a.occurred_at AS DATE) BETWEEN $monday AND $sunday
        ORDER BY a.occurred_at, a.source_system, a.event_id
        """,
        {"monday": monday, "sunday": sunday},
    )


def access_figures(con, week: str, monday: date, sunday: date) -> dict:
    """Accesses in the week and the staff accesses that something allowed ('explained'), overall and per
    school and source system, from the record the checks keep of what explained each access."""
    per_source = records(
        con,
        """
        SELECT coalesce(sc.name, e.school_id) AS school, e.source_system,
               CAST(sum(e.accesses) AS BIGINT) AS accesses,
               CAST(coalesce(sum(e.accesses) FILTER (WHERE e.actor_type = 'staff'), 0) AS BIGINT) AS staff_accesses,
               CAST(coalesce(sum(e.accesses) FILTER (WHERE e.actor_type = 'staff'
                                AND e.explained_by NOT IN ('finding', 'not_evaluated', 'unexplained')), 0) AS BIGINT)
                   AS explained
        FROM access_explanation_counts e
        LEFT JOIN schools sc ON sc.school_id = e.school_id
        WHERE e.week = $week
        GROUP BY ALL
        ORDER BY school NULLS LAST, e.source_system
        """,
        {"week": week},
    )
    # What explained the staff accesses, per kind; grants (the privacy officer's or the feed's) apart.
    kinds = dict(
        con.execute(
            """
            SELECT CASE WHEN explained_by = 'involvement' AND detail = 'grant' THEN 'grant' ELSE explained_by END,
                   CAST(sum(accesses) AS BIGINT)
            FROM access_explanation_counts
            WHERE week = $week AND actor_type = 'staff'
              AND explained_by NOT IN ('finding', 'not_evaluated', 'unexplained')
            GROUP BY 1
            """,
            {"week": week},
        ).fetchall()
    )
    evaluated = one(
        con,
        "SELECT count(*) FROM coverage WHERE week = $week AND rule_id = $rule AND status <> 'not_evaluated'",
        {"week": week, "rule": EXPLAINING_RULE},
    )[0]
    return {
        "accesses": sum(r["accesses"] for r in per_source),
        "staff_accesses": sum(r["staff_accesses"] for r in per_source),
        "explained": sum(r["explained"] for r in per_source),
        "per_source": [r for r in per_source if r["staff_accesses"]],
        "kinds": [{"kind": kind, "accesses": kinds[kind]} for kind in EXPLAINED_KINDS if kinds.get(kind)],
        "share_computable": bool(evaluated),
    }


def delivered_files(con) -> list[dict]:
    return records(
        con,
        """
        SELECT feed, count(*) AS files, count(*) FILTER (WHERE status = 'rejected') AS rejected,
               sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
               sum(rows_quarantined) AS rows_quarantined
        FROM landing_files GROUP BY feed ORDER BY feed
        """,
    )


# ---- council summary -----------------------------------------------------------------------------


def families(rules: Sequence[Rule], found: Sequence[str] = ()) -> list[str]:
    """Rule families in report order: the known ones, then any others the catalogue or findings use."""
    extra = sorted(({r.family for r in rules} | set(found)) - set(FAMILY_ORDER))
    return list(FAMILY_ORDER) + extra


def counts_per_school_and_family(con, week: str, rules: Sequence[Rule]) -> dict:
    """{'rows': [{'kind': 'school'|'board'|'unknown', 'name': ..., 'counts': {family: n}}], 'families': [...]}.

    Every school is listed, with zeros; findings without a school (standing findings of the board) and
    findings of a school the school list lacks get a row of their own, without any id. Notices (severity
    info) are not violations and are not counted.
    """
    rows = con.execute(
        f"""
        WITH {catalogue_cte(rules, "en")},
        school_names AS (SELECT school_id, min(name) AS name FROM schools GROUP BY school_id),
        week_findings AS (
            SELECT f.school_id, coalesce(c.family, 'other') AS family
            FROM findings f LEFT JOIN catalogue c ON c.rule_id = f.rule_id
            WHERE f.week = $week AND f.severity <> 'info'
        )
        SELECT CASE WHEN w.school_id IS NULL THEN 'board'
                    WHEN s.school_id IS NULL THEN 'unknown' ELSE 'school' END AS kind,
               s.name, w.family, count(*) AS n
        FROM week_findings w LEFT JOIN school_names s ON s.school_id = w.school_id
        GROUP BY ALL
        UNION ALL
        SELECT 'school', name, NULL, 0 FROM school_names
        """,
        {"week": week},
    ).fetchall()
    order = families(rules, [family for _, _, family, _ in rows if family])
    table: dict[tuple[str, str | None], dict[str, int]] = {}
    for kind, name, family, n in rows:
        counts = table.setdefault((kind, name), {f: 0 for f in order})
        if family:
            counts[family] += n
    kind_order = {"school": 0, "board": 1, "unknown": 2}
    ordered = sorted(table.items(), key=lambda item: (kind_order[item[0][0]], item[0][1] or ""))
    return {
        "families": order,
        "rows": [{"kind": kind, "name": name, "counts": counts} for (kind, name), counts in ordered],
    }


def family_trend(con, weeks: Sequence[str], rules: Sequence[Rule]) -> dict:
    """Findings (notices not counted) per week and rule family over `weeks`, and whether each family
    was checked in each week: {'families': [...], 'weeks': {week: {family: count or None}}}, None meaning
    not checked. A family was checked in a week when one of its rules was evaluated then, or when it
    has findings then (weeks checked before coverage was kept)."""
    rows = con.execute(
        f"""
        WITH {catalogue_cte(rules, "en")},
        counted AS (
            SELECT f.week, coalesce(c.family, 'other') AS family,
                   count(*) FILTER (WHERE f.severity <> 'info') AS findings
            FROM findings f LEFT JOIN catalogue c ON c.rule_id = f.rule_id
            WHERE list_contains($weeks, f.week)
            GROUP BY ALL
        ),
        evaluated AS (
            SELECT DISTINCT cv.week, coalesce(c.family, 'other') AS family
            FROM coverage cv LEFT JOIN catalogue c ON c.rule_id = cv.rule_id
            WHERE list_contains($weeks, cv.week) AND cv.status <> 'not_evaluated'
        )
        SELECT coalesce(n.week, e.week), coalesce(n.family, e.family), coalesce(n.findings, 0)
        FROM counted n FULL JOIN evaluated e ON e.week = n.week AND e.family = n.family
        """,
        {"weeks": list(weeks)},
    ).fetchall()
    order = families(rules, [family for _, family, _ in rows])
    grid: dict[str, dict[str, int | None]] = {week: {family: None for family in order} for week in weeks}
    for week, family, findings in rows:
        grid[week][family] = findings
    return {"families": order, "weeks": grid}


def notices_count(con, week: str) -> int:
    """The week's notices (severity info): reminders, not violations."""
    return one(con, "SELECT count(*) FROM findings WHERE week = $week AND severity = 'info'", {"week": week})[
        0
    ]


def policy_status(con, week: str) -> str:
    """'approved', 'not_approved' or 'not_checked' for the policies in force at the week's end."""
    evaluated, findings = one(
        con,
        """
        SELECT count(*) FILTER (WHERE status <> 'not_evaluated'),
               (SELECT count(*) FROM findings WHERE week = $week AND rule_id = $rule)
        FROM coverage WHERE week = $week AND rule_id = $rule
        """,
        {"week": week, "rule": POLICY_RULE},
    )
    if findings:
        return "not_approved"
    return "approved" if evaluated else "not_checked"


def processors_with_agreement(con, day: date) -> dict:
    """How many recipients of kind processor have a signed agreement in force on `day`."""
    total, covered = one(
        con,
        """
        WITH processors AS (SELECT DISTINCT recipient_id FROM recipients WHERE kind = 'processor'),
        in_force AS (
            SELECT DISTINCT recipient_id FROM processor_agreements
            WHERE signed_at <= $day
              AND (valid_from IS NULL OR valid_from <= $day)
              AND (valid_to IS NULL OR $day <= valid_to)
        )
        SELECT count(*), count(i.recipient_id)
        FROM processors p LEFT JOIN in_force i ON i.recipient_id = p.recipient_id
        """,
        {"day": day},
    )
    return {"total": total, "with_agreement": covered}


# ---- signals (spec/rules.md, section F) -------------------------------------------------------------


def signal_cases(con, week: str, rules: Sequence[Rule], t: Translator) -> list[dict]:
    """Signals per account (actor_id), worst account first, with staff names where known: patterns to
    look into, kept apart from the access cases (they are not violations)."""
    return _cases(con, week, rules, t, "account", "actor_id", "staff_names")
