"""Explained accesses (design: "explain, then flag"; spec/rules.md, "Explained accesses").

For every access event of a checked week, `access_explanations` holds exactly one row: what allowed
it, or the access finding it got. The runner runs `explanations_sql` for each slice of the week's
events, after the slice's access rules have put their candidates in `rule_candidates`, on the week's
context (checks.context).

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


def explanations_sql(evaluated: set[str]) -> str:
    """The query (parameter $week) giving one access_explanations row per row of access_week. The
    runner runs it once per slice of the week's events, after the access rules have put the slice's
    candidates in `rule_candidates`, and adds its rows to access_explanations."""
    judged = {kind: all(rule in evaluated for rule in rules) for kind, rules in JUDGED_BY.items()}
    relation_rank = (
        "CASE i.relation "
        + " ".join(f"WHEN '{relation}' THEN {rank}" for rank, relation in enumerate(RELATION_ORDER))
        + f" ELSE {len(RELATION_ORDER)} END"
    )
    flags = {kind: str(value).lower() for kind, value in judged.items()}  # SQL true / false
    return _EXPLAIN.format(relation_rank=relation_rank, **flags)


_EXPLAIN = """
WITH flagged AS (
    -- the finding an access gets: the rule that precedence keeps (the lowest order, then rule id)
    SELECT subject_id, rule_id FROM rule_candidates
    WHERE family = 'access' AND subject_type = 'access_event'
    QUALIFY row_number() OVER (PARTITION BY subject_id ORDER BY rule_order NULLS LAST, rule_id) = 1
),
-- Inside the check phase an access is joined on its access_key (a number: cheaper than subject_id).
judged AS (
    SELECT a.access_key, a.subject_id, a.source_system, a.school_id, a.actor_type, a.category, a.local_date,
           a.actor_id, a.student_id, a.document_case_id, a.justified_break_glass,
           f.rule_id AS finding_rule,
           CASE a.actor_type
               WHEN 'staff' THEN CASE WHEN a.category = 'psychological_report' THEN {psych_report}
                                      ELSE {staff} END
               WHEN 'guardian' THEN {guardian}
               WHEN 'student' THEN {student}
               ELSE false
           END AS judged
    FROM access_week a LEFT JOIN flagged f USING (subject_id)
),
-- Only judged, unflagged staff accesses need their explanation looked up.
open_staff AS (
    SELECT * FROM judged
    WHERE actor_type = 'staff' AND judged AND finding_rule IS NULL AND NOT justified_break_glass
),
relation AS (
    -- the first relation in RELATION_ORDER; among grants the one of the earliest decision
    SELECT a.access_key, arg_min(i.relation, {relation_rank}) AS relation,
           min(i.decision_id) AS decision_id
    FROM open_staff a
    JOIN involvement_window i
      ON i.staff_id = a.actor_id AND i.student_id = a.student_id
     AND a.local_date BETWEEN i.window_from AND i.window_to
     AND (i.categories IS NULL OR list_contains(i.categories, a.category))
    WHERE a.category <> 'psychological_report'
    GROUP BY a.access_key
),
assessment AS (
    -- spec A4: in force that day with no grace, the document's case (any, when it has none)
    SELECT DISTINCT a.access_key
    FROM open_staff a
    JOIN involvements i
      ON i.staff_id = a.actor_id AND i.student_id = a.student_id AND i.relation = 'assessment'
     AND in_force(i.valid_from, i.valid_to, a.local_date)
    WHERE a.category = 'psychological_report'
      AND (a.document_case_id IS NULL OR i.case_id = a.document_case_id)
),
role AS (
    SELECT a.access_key, min(r.role) AS role
    FROM open_staff a
    JOIN role_allowance_in_force r
      ON r.staff_id = a.actor_id AND r.school_id = a.school_id AND r.category = a.category
     AND a.local_date BETWEEN r.role_from AND r.role_to
    WHERE a.category <> 'psychological_report'
    GROUP BY a.access_key
),
explained AS (
    SELECT j.*, rel.decision_id,
           CASE
               WHEN j.finding_rule IS NOT NULL THEN 'finding'
               WHEN NOT j.judged THEN 'not_evaluated'
               WHEN j.justified_break_glass THEN 'break_glass'
               WHEN rel.relation IS NOT NULL THEN 'involvement'
               WHEN ass.access_key IS NOT NULL THEN 'involvement'
               WHEN ro.role IS NOT NULL THEN 'role_allowance'
               WHEN j.actor_type = 'student' AND j.actor_id = j.student_id THEN 'own_file'
               WHEN j.actor_type = 'guardian' AND g.linked THEN 'guardian'
               ELSE 'unexplained'
           END AS explained_by,
           CASE
               WHEN rel.relation IS NOT NULL THEN rel.relation
               WHEN ass.access_key IS NOT NULL THEN 'assessment'
               WHEN ro.role IS NOT NULL THEN ro.role
               WHEN g.linked THEN CASE
                   WHEN g.student_age >= 18
                        OR (g.student_age IN (16, 17)
                            AND j.category NOT IN (SELECT category FROM guardian_16_17_category))
                       THEN 'parent_access_consent'
                   WHEN g.parental_authority THEN 'parental_authority'
                   ELSE 'link'
               END
           END AS found_detail
    FROM judged j
    LEFT JOIN relation rel USING (access_key)
    LEFT JOIN assessment ass USING (access_key)
    LEFT JOIN role ro USING (access_key)
    LEFT JOIN guardian_access_week g USING (access_key)
)
SELECT CAST($week AS VARCHAR) AS week, subject_id, source_system, school_id, actor_type, category, explained_by,
       CASE WHEN explained_by IN ('involvement', 'role_allowance', 'guardian') THEN found_detail END AS detail,
       finding_rule AS rule_id,
       -- the decision whose grant explains it, when a grant does (and no relation before it)
       CASE WHEN explained_by = 'involvement' AND found_detail = 'grant' THEN decision_id END AS decision_id
FROM explained
"""


def explained_share(con, week: str, actor_type: str | None = None) -> list[dict]:
    """The share of the week's accesses that something explained, per school and source system.

    One dict per (school_id, source_system) with accesses, explained, findings, not_evaluated and
    share (explained / accesses). `actor_type` ('staff', 'guardian', 'student') narrows it to one kind
    of actor. Empty until the week has been checked. school_id is None for unknown students.
    """
    result = con.execute(
        """
        SELECT school_id, source_system,
               count(*) AS accesses,
               count(*) FILTER (WHERE explained_by NOT IN ('finding', 'not_evaluated', 'unexplained'))
                   AS explained,
               count(*) FILTER (WHERE explained_by = 'finding') AS findings,
               count(*) FILTER (WHERE explained_by = 'not_evaluated') AS not_evaluated,
               explained / accesses AS share
        FROM access_explanations
        WHERE week = $week AND ($actor_type IS NULL OR actor_type = $actor_type)
        GROUP BY school_id, source_system
        ORDER BY school_id NULLS LAST, source_system
        """,
        {"week": week.strip(), "actor_type": actor_type},
    )
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]
