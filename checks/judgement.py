"""The week's access events judged in one pass (spec/rules.md sections A and "Explained accesses").

Every access rule, and what explains an access that no rule flags, depends on the same few lookups: is
the actor a known (or shared) account, which involvement or role allowance holds that day, is the
guardian linked and with parental authority, is there the student's permission for guardians. So the
lookups are built once per week as *timelines* (`prepare_lookups`): per key, disjoint date segments with
what holds on them, so that an event finds at most one row in each with a plain equality-and-range
join, and no grouping per event is needed. Then one query per slice of events (`judge_slice`) reads the
access log once and gives every event

    its flags        what the lookups found (involved, role, linked, student_age, ...)
    rule_id          the first access rule, in precedence order, whose condition holds (the rule files'
                     `condition`, composed by the runner), or NULL
    explained_by     what allowed it when no rule flags it (checks.explained)

into the TEMP table `access_judged`, with only the columns the explanation, the counts and the
populations need (the week's millions of events carry no text they do not need). The same pass, run
again on the few flagged events alone, gives them every column the rules' facts name
(`access_flagged`); run on every event, the view `access_week` (for rules without a condition, and
tests).
"""

from __future__ import annotations

# The populations of the access rules: a view name and which judged events it holds.
POPULATIONS = {
    "access_week": "true",
    "staff_access_week": "actor_type = 'staff'",
    "psych_report_access_week": "actor_type = 'staff' AND category = 'psychological_report'",
    "student_access_week": "actor_type = 'student'",
    "guardian_access_week": "actor_type = 'guardian'",
    # Without any guardians row no guardian account can be judged known or unknown (spec: the guardian
    # part of ACCESS-UNKNOWN-ACTOR needs that feed), so only staff actors are checked then.
    "identified_access_week": "actor_type = 'staff' OR (actor_type = 'guardian' AND EXISTS (SELECT 1 FROM guardians))",
}


def in_pass(rule) -> bool:
    """Whether the one pass judges `rule`: an access rule with a condition and an order (the registry
    allows a condition on no other)."""
    return bool(rule.condition) and rule.family == "access" and rule.order is not None


def rule_case(rules) -> str:
    """The SQL CASE naming, per event, the first of `rules` (in precedence order) whose population and
    condition hold; the rules the pass does not judge are left to their own queries."""
    conditioned = sorted((r for r in rules if in_pass(r)), key=lambda r: (r.order, r.id))
    unknown = [r.id for r in conditioned if r.population not in POPULATIONS]
    if unknown:
        raise ValueError(f"rules {', '.join(unknown)}: a condition needs a population of {', '.join(POPULATIONS)}")
    if not conditioned:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(
        f"WHEN ({POPULATIONS[r.population]}) AND ({r.condition}) THEN '{r.id}'" for r in conditioned
    ) + " END"


def select_flagged(con, rule) -> None:
    """The view `flagged_access`: the judged slice's events that the pass gave `rule` (its query reads them)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW flagged_access AS SELECT * FROM access_flagged WHERE rule_id = '{rule.id}'")


def _timeline(name: str, source: str, keys: list[str], values: str) -> str:
    """A TEMP table `name`(keys..., seg_from, seg_to, values...) from `source` (keys..., d_from, d_to:
    inclusive dates, and the columns `values` aggregates): the dates are cut at every interval's
    bounds into disjoint segments, and each segment gets `values` over the intervals that hold all of
    it. A date finds at most one segment per key; segments that no interval holds are left out."""
    k = ", ".join(keys)
    match = " AND ".join(f"i.{key} = s.{key}" for key in keys)
    not_null = " AND ".join(f"{key} IS NOT NULL" for key in keys)
    return f"""
CREATE OR REPLACE TEMP TABLE {name} AS
WITH interval_ AS (
    SELECT * FROM ({source}) WHERE {not_null} AND d_from IS NOT NULL AND d_to IS NOT NULL AND d_from <= d_to
),
bound AS (
    SELECT {k}, d_from AS d FROM interval_ UNION SELECT {k}, d_to + 1 FROM interval_
),
segment AS (
    SELECT {k}, d AS seg_from, lead(d) OVER (PARTITION BY {k} ORDER BY d) - 1 AS seg_to FROM bound
)
SELECT {", ".join(f"s.{key}" for key in keys)}, s.seg_from, s.seg_to, {values}
FROM segment s JOIN interval_ i ON {match} AND i.d_from <= s.seg_from AND s.seg_to <= i.d_to
GROUP BY ALL;
"""


def prepare_lookups(con, relation_rank: str, earliest: str, latest: str) -> None:
    """The week's lookup timelines (on the views of checks.context: involvement_window,
    role_allowance_in_force, parent_access_consent). `relation_rank` ranks the column `relation` in the
    order explanations name the relations (checks.explained.RELATION_ORDER)."""
    lookups = [
        # involvements, OneRoster and grants for every category: the best relation and the earliest grant
        _timeline(
            "lookup_involvement",
            f"""SELECT staff_id, student_id, window_from AS d_from, window_to AS d_to, relation, decision_id,
                       {relation_rank} AS relation_rank
                FROM involvement_window WHERE categories IS NULL""",
            ["staff_id", "student_id"],
            "arg_min(i.relation, i.relation_rank) AS relation, min(i.relation_rank) AS relation_rank, "
            "min(i.decision_id) AS decision_id",
        ),
        # the privacy officer's grants limited to some categories, per category
        _timeline(
            "lookup_category_grant",
            """SELECT staff_id, student_id, unnest(categories) AS category, window_from AS d_from,
                      window_to AS d_to, decision_id
               FROM involvement_window WHERE categories IS NOT NULL""",
            ["staff_id", "student_id", "category"],
            "min(i.decision_id) AS decision_id",
        ),
        _timeline(
            "lookup_role",
            "SELECT staff_id, school_id, category, role_from AS d_from, role_to AS d_to, role "
            "FROM role_allowance_in_force",
            ["staff_id", "school_id", "category"],
            "min(i.role) AS role",
        ),
        # spec A4: an assessment in force that day (no grace), for the document's case; case_key ''
        # holds every assessment (for a document without a case)
        _timeline(
            "lookup_assessment",
            f"""SELECT staff_id, student_id, case_key, coalesce(valid_from, {earliest}) AS d_from,
                       coalesce(valid_to, {latest}) AS d_to
                FROM (SELECT *, '' AS case_key FROM involvements WHERE relation = 'assessment'
                      UNION ALL
                      SELECT *, case_id FROM involvements WHERE relation = 'assessment' AND case_id IS NOT NULL)""",
            ["staff_id", "student_id", "case_key"],
            "true AS assessed",
        ),
        _timeline(
            "lookup_guardian_link",
            f"""SELECT guardian_id, student_id, coalesce(valid_from, {earliest}) AS d_from,
                       coalesce(valid_to, {latest}) AS d_to, parental_authority
                FROM guardians""",
            ["guardian_id", "student_id"],
            "coalesce(bool_or(i.parental_authority), false) AS parental_authority",
        ),
        # the student's permission for guardians; guardian_key '' = for every guardian
        _timeline(
            "lookup_parent_consent",
            """SELECT student_id, coalesce(guardian_id, '') AS guardian_key, valid_from AS d_from,
                      valid_to AS d_to
               FROM parent_access_consent""",
            ["student_id", "guardian_key"],
            "true AS consented",
        ),
    ]
    con.execute("\n".join(lookups))
    con.execute(_ACCOUNTS)
    con.execute(_FILES)
    con.execute(_OWN_CHILDREN)


# The landing files of the week's events, numbered: an explanation names its event by (file_no, line),
# two numbers, instead of the file's 64-character hash (access_explanation_files keeps the numbering).
_FILES = """
CREATE OR REPLACE TEMP TABLE judgement_file AS
SELECT file_hash, CAST(row_number() OVER (ORDER BY file_hash) AS INTEGER) AS file_no
FROM (SELECT DISTINCT a._file_hash AS file_hash
      FROM access_log a, audit_week w
      WHERE a.occurred_at >= w.start_at - INTERVAL 1 DAY AND a.occurred_at < w.end_at + INTERVAL 1 DAY);
"""

# Staff accounts whose holder is a guardian of a student (guardians.staff_id, any dates): their accesses
# to that student are kept apart for SIGNAL-OWN-CHILD (with what explained them).
_OWN_CHILDREN = """
CREATE OR REPLACE TEMP TABLE lookup_own_child AS
SELECT DISTINCT trim(staff_id) AS staff_id, student_id FROM guardians WHERE nullif(trim(staff_id), '') IS NOT NULL;
"""

# Every known account of each kind, so that an event finds its actor with one join.
_ACCOUNTS = """
CREATE OR REPLACE TEMP TABLE judgement_account AS
SELECT 'staff' AS actor_type, staff_id AS actor_id, bool_or(account_type = 'shared') AS shared
FROM staff GROUP BY staff_id
UNION ALL
SELECT DISTINCT 'guardian', guardian_id, false FROM guardians
UNION ALL
SELECT DISTINCT 'student', student_id, false FROM students;
"""


# What the one pass keeps of every event: what the explanation, the counts and the populations need.
# The flagged events' other columns (the rules' facts) come from the same pass run again on them alone.
JUDGED_COLUMNS = ("access_key, file_no, line, source_system, school_id, actor_type, category, rule_id, "
                  "explained_by, detail, decision_id, "
                  "CASE WHEN own_child THEN actor_id END AS own_child_actor, "
                  "CASE WHEN own_child THEN student_id END AS own_child_student")


def bound_literals(con, bounds: str) -> dict:
    """{"since", "until", "week_start", "week_end"}: the row of `bounds` (SQL giving two instants and two
    dates) as SQL constants. A filter on constants lets DuckDB skip row groups outside them; on a join
    with a one-row table it becomes a nested-loop join."""
    since, until, week_start, week_end = con.execute(
        f"""SELECT strftime(timezone('UTC', b.since), '%Y-%m-%d %H:%M:%S.%f'),
                   strftime(timezone('UTC', b.until), '%Y-%m-%d %H:%M:%S.%f'),
                   CAST(b.week_start AS VARCHAR), CAST(b.week_end AS VARCHAR)
            FROM ({bounds}) AS b(since, until, week_start, week_end)"""
    ).fetchall()[0]
    return {"since": f"TIMESTAMPTZ '{since}+00'", "until": f"TIMESTAMPTZ '{until}+00'",
            "week_start": f"DATE '{week_start}'", "week_end": f"DATE '{week_end}'"}


def judge_slice(con, rule_case: str, explained_by: str, detail: str, grant_rank: int,
                population: str = "true") -> None:
    """(Re)build access_judged for the events of the current access_slice, access_flagged for those a
    rule flags (every column), and the views access_week (every event, every column: computed when
    read, for rules without a condition and for tests) and its populations. `rule_case` is the SQL
    CASE naming the first access rule whose condition holds; `explained_by` and `detail` the CASEs of
    what allowed an event that no rule flags (checks.explained); `grant_rank` the rank of a grant among
    the relations; `population` which of the slice's events access_judged keeps (DuckDB pushes it down
    to the scan: the other kinds of actor are not judged at all)."""
    bounds = bound_literals(con, "SELECT s.since, s.until, w.week_start, w.week_end FROM access_slice s, audit_week w")

    def judgement(events: str, rich: bool) -> str:
        return _JUDGE.format(rule_case=rule_case,
                             explained_by=explained_by, detail=detail, grant_rank=grant_rank, events=events,
                             rich=_RICH if rich else "", **bounds)

    lean = judgement("true", rich=False)
    con.execute(f"CREATE OR REPLACE TEMP TABLE access_judged AS SELECT {JUDGED_COLUMNS} FROM ({lean}) "
                f"WHERE {population}")
    flagged = "a.rowid IN (SELECT access_key FROM access_judged WHERE rule_id IS NOT NULL)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE access_flagged AS {judgement(flagged, rich=True)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW access_week AS {judgement('true', rich=True)}")
    con.execute("".join(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM access_week WHERE {where};\n"
                        for name, where in POPULATIONS.items() if name != "access_week"))


_RICH = ("a.source_system || ':' || a.event_id AS subject_id, a.event_id, a.occurred_at, a.action, "
         "a.justification,")

# Every event of the slice that `events` (SQL over access_log a) selects, with every flag.
_JUDGE = """
WITH near AS (
    -- {rich}: the columns only the rules' facts need (every column carried is copied through every join)
    SELECT a.rowid AS access_key, f.file_no, a._line AS line, a.source_system, a.actor_id, a.actor_type,
           a.student_id, a.document_id, a.category AS logged_category, {rich}
           coalesce(a.break_glass, false) AS break_glass,
           coalesce(a.break_glass, false) AND coalesce(trim(a.justification), '') <> '' AS justified_break_glass,
           local_date_near_week(a.occurred_at) AS local_date
    FROM access_log a JOIN judgement_file f ON f.file_hash = a._file_hash
    -- the slice's instants as constants: DuckDB skips row groups outside them
    WHERE a.occurred_at >= {since} AND a.occurred_at < {until} AND {events}
),
event AS (
    SELECT * FROM near WHERE local_date BETWEEN {week_start} AND {week_end}   -- the local date decides
),
resolved AS NOT MATERIALIZED (
    SELECT e.* EXCLUDE (logged_category),
           coalesce(nullif(e.logged_category, ''), nullif(d.category, ''), 'general') AS category,
           nullif(trim(d.case_id), '') AS document_case_id,
           st.school_id,
           st.student_id IS NOT NULL AS student_known,
           st.birth_date AS student_birth_date
    FROM event e
    LEFT JOIN documents d ON d.document_id = e.document_id
    LEFT JOIN students st ON st.student_id = e.student_id
),
-- Each kind of actor meets only its own lookups (UNION ALL BY NAME: the others' columns are NULL).
staff AS (
    SELECT r.*,
           ac.actor_id IS NOT NULL AS actor_known,
           coalesce(ac.shared, false) AS shared_account,
           -- involvement: any relation (with grace) for this category; relation: the one explanations
           -- name (a grant limited to categories ranks as a grant), not for a psychological report
           inv.staff_id IS NOT NULL OR cg.staff_id IS NOT NULL AS involved,
           CASE WHEN r.category = 'psychological_report' THEN NULL
                WHEN inv.relation_rank <= {grant_rank} THEN inv.relation
                WHEN cg.staff_id IS NOT NULL THEN 'grant'
                ELSE inv.relation END AS relation,
           least(inv.decision_id, cg.decision_id) AS decision_id,
           ro.role,
           ro.role IS NOT NULL AS role_allowed,
           coalesce(asm.assessed, false) AS assessed,
           oc.staff_id IS NOT NULL AS own_child
    FROM resolved r
    LEFT JOIN judgement_account ac ON ac.actor_type = 'staff' AND ac.actor_id = r.actor_id
    LEFT JOIN lookup_involvement inv
           ON inv.staff_id = r.actor_id AND inv.student_id = r.student_id
          AND r.local_date BETWEEN inv.seg_from AND inv.seg_to
    LEFT JOIN lookup_category_grant cg
           ON cg.staff_id = r.actor_id AND cg.student_id = r.student_id
          AND cg.category = r.category AND r.local_date BETWEEN cg.seg_from AND cg.seg_to
    LEFT JOIN lookup_role ro
           ON ro.staff_id = r.actor_id AND ro.school_id = r.school_id
          AND ro.category = r.category AND r.local_date BETWEEN ro.seg_from AND ro.seg_to
    LEFT JOIN lookup_assessment asm
           ON r.category = 'psychological_report'
          AND asm.staff_id = r.actor_id AND asm.student_id = r.student_id
          AND asm.case_key = coalesce(r.document_case_id, '')
          AND r.local_date BETWEEN asm.seg_from AND asm.seg_to
    LEFT JOIN lookup_own_child oc ON oc.staff_id = r.actor_id AND oc.student_id = r.student_id
    WHERE r.actor_type = 'staff'
),
guardian AS (
    SELECT r.*,
           ac.actor_id IS NOT NULL AS actor_known,
           age_at(r.student_birth_date, r.local_date) AS student_age,       -- NULL for an unknown student
           gl.guardian_id IS NOT NULL AS linked,
           coalesce(gl.parental_authority, false) AS parental_authority,
           pc_any.student_id IS NOT NULL OR pc_own.student_id IS NOT NULL AS parent_access_consent,
           r.category IN (SELECT category FROM guardian_16_17_category) AS guardian_16_17_allowed
    FROM resolved r
    LEFT JOIN judgement_account ac ON ac.actor_type = 'guardian' AND ac.actor_id = r.actor_id
    LEFT JOIN lookup_guardian_link gl
           ON gl.guardian_id = r.actor_id AND gl.student_id = r.student_id
          AND r.local_date BETWEEN gl.seg_from AND gl.seg_to
    LEFT JOIN lookup_parent_consent pc_any
           ON pc_any.student_id = r.student_id AND pc_any.guardian_key = ''
          AND r.local_date BETWEEN pc_any.seg_from AND pc_any.seg_to
    LEFT JOIN lookup_parent_consent pc_own
           ON pc_own.student_id = r.student_id AND pc_own.guardian_key = r.actor_id
          AND r.local_date BETWEEN pc_own.seg_from AND pc_own.seg_to
    WHERE r.actor_type = 'guardian'
),
student AS (
    SELECT r.*, ac.actor_id IS NOT NULL AS actor_known
    FROM resolved r
    LEFT JOIN judgement_account ac ON ac.actor_type = 'student' AND ac.actor_id = r.actor_id
    WHERE r.actor_type = 'student'
),
flags AS (
    SELECT * FROM staff
    UNION ALL BY NAME SELECT * FROM guardian
    UNION ALL BY NAME SELECT * FROM student
    UNION ALL BY NAME SELECT * FROM resolved
    WHERE actor_type IS NULL OR actor_type NOT IN ('staff', 'guardian', 'student')
),
defaults AS (
    -- the flags every event has (false where its kind of actor has no such lookup)
    SELECT * REPLACE (
               coalesce(shared_account, false) AS shared_account,
               coalesce(involved, false) AS involved,
               coalesce(role_allowed, false) AS role_allowed,
               coalesce(assessed, false) AS assessed,
               coalesce(linked, false) AS linked,
               coalesce(parental_authority, false) AS parental_authority,
               coalesce(parent_access_consent, false) AS parent_access_consent,
               coalesce(guardian_16_17_allowed, false) AS guardian_16_17_allowed),
           category IN (SELECT category FROM special_category) AS is_special   -- only the facts read it
    FROM flags
),
ruled AS (
    SELECT *, {rule_case} AS rule_id FROM defaults
),
explained AS (
    SELECT *, {explained_by} AS explained_by FROM ruled
)
SELECT * EXCLUDE (decision_id, relation, role),
       {detail} AS detail,
       CASE WHEN explained_by = 'involvement' AND relation = 'grant' THEN decision_id END AS decision_id
FROM explained
"""
