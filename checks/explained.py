"""Explained accesses (design: "explain, then flag"; spec/rules.md, "Explained accesses").

For every access event of a checked week, `access_explanations` holds exactly one row: what allowed
it, or the access finding it got, and `access_explanation_counts` the same counted per school, source
system, kind of actor and category (what the reports read). What allowed an event is decided in the
one pass of checks.judgement (`explained_by_sql`, `DETAIL_SQL`); after the slice's access rules have
put their candidates in `rule_candidates` and precedence has kept one per event (`access_findings`,
OUTCOME_VIEW), the runner stores each slice's rows with EXPLANATIONS_SQL and EXPLANATION_COUNTS_SQL.

explained_by, in the order they are tried:
    finding        the access rule that flagged it (rule_id)
    not_evaluated  a rule that judges this kind of access was not evaluated (a feed is missing)
    break_glass    a justified break glass: no later rule applies to it (spec A3)
    involvement    detail = the relation (teacher, mentor, care_coordinator, substitute, assessment,
                   grant, or roster for OneRoster), the first in that order whose window holds the
                   date; for a psychological report only a matching assessment counts (spec A4);
                   a grant of the privacy officer names its decision (decision_id)
    role_allowance detail = the role (the first by name) whose allowance at the student's school
                   covers the category that day
    own_file       a student viewing their own data
    guardian       a linked guardian within what they may see; detail = parent_access_consent (the
                   student's permission was needed and given), parental_authority, or link
    unexplained    never expected: judged, not flagged, yet nothing explains it (a rule and this
                   module disagree; the tests guard against it)
"""

from __future__ import annotations

# The access rules that must have run before an access of each kind is judged: without any of them,
# the absence of a finding says nothing. (ACCESS-GUARDIAN-NOT-LINKED needs the guardians feed, so the
# guardian part of ACCESS-UNKNOWN-ACTOR has run whenever it has.)
_BASE = ("ACCESS-UNKNOWN-ACTOR", "ACCESS-SHARED-ACCOUNT", "ACCESS-BREAK-GLASS-UNJUSTIFIED")
JUDGED_BY = {
    "staff": _BASE + ("ACCESS-UNINVOLVED",),
    "psych_report": _BASE + ("ACCESS-PSYCH-REPORT",),  # a staff access to a psychological report
    "guardian": _BASE
    + (
        "ACCESS-GUARDIAN-NOT-LINKED",
        "ACCESS-PARENT-18PLUS",
        "ACCESS-PARENT-16PLUS",
        "ACCESS-PARENT-NO-AUTHORITY",
    ),
    "student": ("ACCESS-BREAK-GLASS-UNJUSTIFIED", "ACCESS-STUDENT-OTHER"),
}

RELATION_ORDER = ("teacher", "mentor", "care_coordinator", "substitute", "assessment", "grant", "roster")


def relation_rank(column: str) -> str:
    """The rank of an involvement relation in RELATION_ORDER (unknown relations last)."""
    return (f"CASE {column} "
            + " ".join(f"WHEN '{relation}' THEN {rank}" for rank, relation in enumerate(RELATION_ORDER))
            + f" ELSE {len(RELATION_ORDER)} END")


GRANT_RANK = RELATION_ORDER.index("grant")


def explained_by_sql(evaluated: set[str]) -> str:
    """The CASE (over checks.judgement's flags) of what allowed an access that no rule flagged; an
    access a rule flags is a 'finding' whatever this says (the runner decides that after precedence)."""
    judged = {kind: str(all(rule in evaluated for rule in rules)).lower() for kind, rules in JUDGED_BY.items()}
    return f"""CASE
        WHEN NOT CASE actor_type
                     WHEN 'staff' THEN CASE WHEN category = 'psychological_report' THEN {judged["psych_report"]}
                                            ELSE {judged["staff"]} END
                     WHEN 'guardian' THEN {judged["guardian"]}
                     WHEN 'student' THEN {judged["student"]}
                     ELSE false
                 END THEN 'not_evaluated'
        WHEN justified_break_glass THEN 'break_glass'
        WHEN actor_type = 'staff' AND relation IS NOT NULL THEN 'involvement'
        WHEN actor_type = 'staff' AND category = 'psychological_report' AND assessed THEN 'involvement'
        WHEN actor_type = 'staff' AND category <> 'psychological_report' AND role IS NOT NULL THEN 'role_allowance'
        WHEN actor_type = 'student' AND actor_id = student_id THEN 'own_file'
        WHEN actor_type = 'guardian' AND linked THEN 'guardian'
        ELSE 'unexplained'
    END"""


# The detail of an explanation: the relation, the role, or how a guardian may see the file.
DETAIL_SQL = """CASE explained_by
        WHEN 'involvement' THEN coalesce(relation, 'assessment')
        WHEN 'role_allowance' THEN role
        WHEN 'guardian' THEN CASE
            WHEN student_age >= 18 OR (student_age IN (16, 17) AND NOT guardian_16_17_allowed)
                THEN 'parent_access_consent'
            WHEN parental_authority THEN 'parental_authority'
            ELSE 'link' END
    END"""

# What each access of the slice got: the access finding precedence kept among the slice's candidates
# (`access_findings`), else what explained it. The runner creates it once the findings are known; the
# three stores below read it.
OUTCOME_VIEW = """
CREATE OR REPLACE TEMP VIEW access_outcome AS
SELECT j.* REPLACE (
           CASE WHEN f.rule_id IS NOT NULL THEN 'finding' ELSE j.explained_by END AS explained_by,
           CASE WHEN f.rule_id IS NULL THEN j.detail END AS detail,
           CASE WHEN f.rule_id IS NULL THEN j.decision_id END AS decision_id,
           f.rule_id AS rule_id)
FROM access_judged j LEFT JOIN access_findings f USING (access_key)
"""

# The slice's explanations in the warehouse's compact form: the event by its place in the access log
# (the number of the landing file it was loaded from, see access_explanation_files, and its line).
EXPLANATIONS_SQL = """
SELECT CAST($week AS VARCHAR) AS week, file_no, line, explained_by, detail, rule_id, decision_id
FROM access_outcome
"""

# The slice's accesses of staff to their own child (checks.judgement), with what explained them: what
# SIGNAL-OWN-CHILD shows (own_child_accesses), without reading the week's explanations again.
OWN_CHILD_SQL = """
SELECT own_child_actor AS actor_id, own_child_student AS student_id, explained_by, detail
FROM access_outcome WHERE own_child_actor IS NOT NULL
"""

# The same slice's explanations counted per school, system, kind of actor and category: what the
# reports read (the explained share) without going through one row per access.
EXPLANATION_COUNTS_SQL = """
SELECT CAST($week AS VARCHAR) AS week, school_id, source_system, actor_type, category, explained_by, detail,
       decision_id, count(*) AS accesses
FROM access_outcome
GROUP BY ALL
"""


def explained_share(con, week: str, actor_type: str | None = None) -> list[dict]:
    """The share of the week's accesses that something explained, per school and source system.

    One dict per (school_id, source_system) with accesses, explained, findings, not_evaluated and
    share (explained / accesses). `actor_type` ('staff', 'guardian', 'student') narrows it to one kind
    of actor. Empty until the week has been checked. school_id is None for unknown students.
    """
    result = con.execute(
        """
        WITH counted AS (
            SELECT school_id, source_system,
                   CAST(sum(accesses) AS BIGINT) AS accesses,
                   CAST(coalesce(sum(accesses) FILTER (
                       WHERE explained_by NOT IN ('finding', 'not_evaluated', 'unexplained')), 0) AS BIGINT) AS explained,
                   CAST(coalesce(sum(accesses) FILTER (WHERE explained_by = 'finding'), 0) AS BIGINT) AS findings,
                   CAST(coalesce(sum(accesses) FILTER (WHERE explained_by = 'not_evaluated'), 0) AS BIGINT)
                       AS not_evaluated
            FROM access_explanation_counts
            WHERE week = $week AND ($actor_type IS NULL OR actor_type = $actor_type)
            GROUP BY school_id, source_system
        )
        SELECT *, explained / accesses AS share FROM counted
        ORDER BY school_id NULLS LAST, source_system
        """,
        {"week": week.strip(), "actor_type": actor_type},
    )
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]
