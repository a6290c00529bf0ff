"""An independent, compact reading of the WHOLE rule catalogue (spec/rules.md, sections A-F), used
only to test the generator: its background must be clean and each plant must give exactly its one
finding. It reads the canonical warehouse tables (after ingest) and is written straight from the spec,
deliberately apart from checks/ so that the two can disagree and a test can notice.

Default parameters except the time zone, grace days, renewal horizon and log-gap look-back (which
follow `settings`); OneRoster is not generated, so involvements come from the feed alone.
"""

from __future__ import annotations

import pandas as pd

from pipelines.settings import Settings
from pipelines.weeks import parse_week

SETUP = """
CREATE OR REPLACE TEMP MACRO loc(ts) AS CAST(timezone('{tz}', ts) AS DATE);
CREATE OR REPLACE TEMP MACRO age(b, d) AS
    year(d) - year(b) - CASE WHEN month(d) * 100 + day(d) < month(b) * 100 + day(b) THEN 1 ELSE 0 END;
CREATE OR REPLACE TEMP MACRO inforce(f, t, d) AS (f IS NULL OR f <= d) AND (t IS NULL OR d <= t);
CREATE OR REPLACE TEMP MACRO special(c) AS c IN ('care', 'psychological_report', 'medical');
CREATE OR REPLACE TEMP MACRO any_special(cs) AS
    len(list_filter(coalesce(cs, []), lambda c: c IN ('care', 'psychological_report', 'medical'))) > 0;
CREATE OR REPLACE TEMP MACRO allowed(role, c) AS CASE role
    WHEN 'management' THEN c IN ('administrative', 'attendance', 'progress', 'general')
    WHEN 'administration' THEN c IN ('administrative', 'attendance', 'general')
    WHEN 'care_coordinator' THEN c IN ('administrative', 'attendance', 'progress', 'care', 'general')
    ELSE false END;

CREATE OR REPLACE TEMP TABLE o_week AS SELECT DATE '{monday}' AS mon, DATE '{sunday}' AS sun;

CREATE OR REPLACE TEMP TABLE o_access AS
SELECT a.source_system || ':' || a.event_id AS subject_id, a.*, loc(a.occurred_at) AS d,
       coalesce(a.category, doc.category, 'general') AS cat, doc.case_id AS doc_case,
       st.school_id AS student_school, st.birth_date
FROM access_log a
LEFT JOIN documents doc USING (document_id)
LEFT JOIN students st ON st.student_id = a.student_id, o_week w
WHERE loc(a.occurred_at) BETWEEN w.mon AND w.sun;

-- A parent_access consent valid for (student, guardian) on d.
CREATE OR REPLACE TEMP MACRO parent_access_ok(stu, guardian, d) AS EXISTS (
    SELECT 1 FROM consents c
    WHERE c.purpose = 'parent_access' AND c.student_id = stu AND c.given_by_role = 'student'
      AND c.given_by_id = stu AND c.form IN ('written', 'digital_signature') AND loc(c.given_at) <= d
      AND (c.withdrawn_at IS NULL OR loc(c.withdrawn_at) > d) AND (c.valid_until IS NULL OR c.valid_until >= d)
      AND (c.recipient_id IS NULL OR c.recipient_id = guardian));

CREATE OR REPLACE TEMP TABLE o_access_findings AS
WITH judged AS (
    SELECT a.subject_id, a.cat,
        CASE
        WHEN (a.actor_type = 'staff' AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id))
          OR (a.actor_type = 'guardian' AND NOT EXISTS (SELECT 1 FROM guardians g WHERE g.guardian_id = a.actor_id))
            THEN 'ACCESS-UNKNOWN-ACTOR|high'
        WHEN a.actor_type = 'staff'
             AND EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id AND s.account_type = 'shared')
            THEN 'ACCESS-SHARED-ACCOUNT|high'
        WHEN coalesce(a.break_glass, false) AND coalesce(trim(a.justification), '') = ''
            THEN 'ACCESS-BREAK-GLASS-UNJUSTIFIED|high'
        WHEN coalesce(a.break_glass, false) THEN NULL
        WHEN a.cat = 'psychological_report' AND a.actor_type = 'staff' AND NOT EXISTS (
                SELECT 1 FROM involvements i
                WHERE i.staff_id = a.actor_id AND i.student_id = a.student_id AND i.relation = 'assessment'
                  AND inforce(i.valid_from, i.valid_to, a.d) AND (a.doc_case IS NULL OR i.case_id = a.doc_case))
            THEN 'ACCESS-PSYCH-REPORT|critical'
        WHEN a.actor_type = 'student' AND a.actor_id <> a.student_id THEN 'ACCESS-STUDENT-OTHER|high'
        WHEN a.actor_type = 'guardian' AND NOT EXISTS (
                SELECT 1 FROM guardians g WHERE g.guardian_id = a.actor_id AND g.student_id = a.student_id
                  AND inforce(g.valid_from, g.valid_to, a.d))
            THEN 'ACCESS-GUARDIAN-NOT-LINKED|high'
        WHEN a.actor_type = 'guardian' AND a.birth_date IS NOT NULL AND age(a.birth_date, a.d) >= 18
             AND NOT parent_access_ok(a.student_id, a.actor_id, a.d)
            THEN 'ACCESS-PARENT-18PLUS|high'
        WHEN a.actor_type = 'guardian' AND a.birth_date IS NOT NULL AND age(a.birth_date, a.d) IN (16, 17)
             AND a.cat NOT IN ('progress', 'attendance', 'administrative', 'general')
             AND NOT parent_access_ok(a.student_id, a.actor_id, a.d)
            THEN 'ACCESS-PARENT-16PLUS|' || CASE WHEN special(a.cat) THEN 'high' ELSE 'medium' END
        WHEN a.actor_type = 'guardian' AND a.birth_date IS NOT NULL AND age(a.birth_date, a.d) < 18
             AND a.cat NOT IN ('progress', 'attendance', 'general') AND NOT EXISTS (
                SELECT 1 FROM guardians g WHERE g.guardian_id = a.actor_id AND g.student_id = a.student_id
                  AND g.parental_authority AND inforce(g.valid_from, g.valid_to, a.d))
            THEN 'ACCESS-PARENT-NO-AUTHORITY|medium'
        WHEN a.actor_type = 'staff'
             AND NOT EXISTS (
                SELECT 1 FROM involvements i WHERE i.staff_id = a.actor_id AND i.student_id = a.student_id
                  AND (i.valid_from IS NULL OR i.valid_from - {before} <= a.d)
                  AND (i.valid_to IS NULL OR a.d <= i.valid_to + {after}))
             AND NOT EXISTS (
                SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id AND s.school_id = a.student_school
                  AND inforce(s.valid_from, s.valid_to, a.d) AND allowed(s.role, a.cat))
            THEN 'ACCESS-UNINVOLVED|' || CASE WHEN special(a.cat) THEN 'critical' ELSE 'high' END
        END AS verdict
    FROM o_access a
)
SELECT split_part(verdict, '|', 1) AS rule_id, split_part(verdict, '|', 2) AS severity,
       'access_event' AS subject_type, subject_id
FROM judged WHERE verdict IS NOT NULL;

CREATE OR REPLACE TEMP TABLE o_disclosures AS
SELECT d.*, loc(d.occurred_at) AS d, d.disclosure_id AS subject_id, any_special(d.data_categories) AS sp,
       st.birth_date, st.eck_id, r.kind, r.recipient_id AS known_recipient, coalesce(r.content_chain, false) AS chain
FROM disclosures d
LEFT JOIN students st ON st.student_id = d.student_id
LEFT JOIN recipients r ON r.recipient_id = d.recipient_id, o_week w
WHERE loc(d.occurred_at) BETWEEN w.mon AND w.sun;

CREATE OR REPLACE TEMP TABLE o_consent_findings AS
WITH judged AS (
    SELECT x.subject_id, x.sp,
        CASE
        WHEN c.consent_id IS NULL OR c.student_id <> x.student_id THEN 'SHARE-NO-CONSENT'
        WHEN c.form NOT IN ('written', 'digital_signature') THEN 'SHARE-CONSENT-INVALID-FORM'
        WHEN loc(c.given_at) > x.d THEN 'SHARE-CONSENT-AFTER'
        WHEN c.withdrawn_at IS NOT NULL AND loc(c.withdrawn_at) <= x.d THEN 'SHARE-CONSENT-WITHDRAWN'
        WHEN c.valid_until IS NOT NULL AND c.valid_until < x.d THEN 'SHARE-CONSENT-EXPIRED'
        WHEN x.birth_date IS NOT NULL AND (
                (age(x.birth_date, loc(c.given_at)) < 16 AND NOT EXISTS (
                    SELECT 1 FROM guardians g WHERE g.guardian_id = c.given_by_id AND g.student_id = x.student_id
                      AND g.parental_authority AND inforce(g.valid_from, g.valid_to, loc(c.given_at))))
             OR (age(x.birth_date, loc(c.given_at)) >= 16
                 AND NOT (c.given_by_role = 'student' AND c.given_by_id = c.student_id)))
            THEN 'SHARE-CONSENT-WRONG-PARTY'
        WHEN (c.recipient_id IS NOT NULL AND c.recipient_id <> x.recipient_id)
          OR lower(trim(c.purpose)) <> lower(trim(x.purpose))
          OR len(list_filter(coalesce(x.data_categories, []),
                             lambda k: NOT list_contains(coalesce(c.data_categories, []), k))) > 0
            THEN 'SHARE-CONSENT-SCOPE'
        WHEN x.birth_date IS NOT NULL AND c.given_by_role = 'guardian' AND age(x.birth_date, loc(c.given_at)) < 16
             AND age(x.birth_date, x.d) >= 16
            THEN 'SHARE-CONSENT-AGE-TRANSITION'
        END AS rule_id
    FROM o_disclosures x LEFT JOIN consents c ON c.consent_id = nullif(trim(x.consent_id), '')
    WHERE x.legal_basis = 'consent'
)
SELECT rule_id,
       CASE WHEN rule_id = 'SHARE-CONSENT-AGE-TRANSITION' THEN 'info' WHEN sp THEN 'critical' ELSE 'high' END
           AS severity,
       'disclosure' AS subject_type, subject_id
FROM judged WHERE rule_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE o_exception_findings AS
SELECT 'SHARE-EXCEPTION-UNSUPPORTED' AS rule_id, CASE WHEN sp THEN 'critical' ELSE 'high' END AS severity,
       'disclosure' AS subject_type, subject_id
FROM o_disclosures
WHERE legal_basis <> 'consent' AND NOT (known_recipient IS NOT NULL AND CASE legal_basis
    WHEN 'educational_report' THEN kind = 'school'
    WHEN 'admissibility' THEN kind = 'samenwerkingsverband'
    WHEN 'inspectorate' THEN kind = 'inspectorate' AND coalesce(trim(evidence_ref), '') <> ''
    WHEN 'emergency' THEN kind IN ('child_protection', 'emergency_services') AND coalesce(trim(evidence_ref), '') <> ''
    WHEN 'legal_obligation' THEN coalesce(trim(evidence_ref), '') <> ''
    WHEN 'processor' THEN kind = 'processor'
    ELSE false END);

CREATE OR REPLACE TEMP TABLE o_processor_findings AS
WITH p AS (
    SELECT x.*,
        (SELECT count(*) FROM processor_agreements a WHERE a.recipient_id = x.recipient_id) AS agreements,
        (SELECT list(DISTINCT k) FROM processor_agreements a, unnest(coalesce(a.data_categories, [])) t(k)
         WHERE a.recipient_id = x.recipient_id AND a.signed_at IS NOT NULL AND a.signed_at <= x.d
           AND inforce(a.valid_from, a.valid_to, x.d)) AS covered,
        (SELECT count(*) FROM processor_agreements a
         WHERE a.recipient_id = x.recipient_id AND a.signed_at IS NOT NULL AND a.signed_at <= x.d
           AND inforce(a.valid_from, a.valid_to, x.d)) AS in_force
    FROM o_disclosures x WHERE x.legal_basis = 'processor' AND x.kind = 'processor'
),
uncovered AS (
    SELECT p.*, list_filter(coalesce(p.data_categories, []),
                            lambda k: NOT list_contains(coalesce(p.covered, []), k)) AS missing FROM p
)
SELECT 'PROCESSOR-NO-AGREEMENT' AS rule_id, 'high' AS severity, 'disclosure' AS subject_type, subject_id
FROM uncovered WHERE agreements = 0
UNION ALL
SELECT 'PROCESSOR-AGREEMENT-NOT-IN-FORCE', 'high', 'disclosure', subject_id
FROM uncovered WHERE agreements > 0 AND in_force = 0
UNION ALL
SELECT 'PROCESSOR-SCOPE', CASE WHEN any_special(missing) THEN 'high' ELSE 'medium' END, 'disclosure', subject_id
FROM uncovered WHERE in_force > 0 AND len(missing) > 0
UNION ALL
SELECT 'PROCESSOR-NOT-PSEUDONYMISED', CASE WHEN list_contains(identifiers, 'bsn') THEN 'high' ELSE 'medium' END,
       'disclosure', subject_id
FROM uncovered
WHERE chain AND coalesce(eck_id, '') <> ''
  AND len(list_filter(coalesce(identifiers, []), lambda k: k IN ('name', 'birth_date', 'address', 'bsn'))) > 0;

CREATE OR REPLACE TEMP TABLE o_standing_findings AS
WITH agreements_in_force AS (
    SELECT a.* FROM processor_agreements a, o_week w
    WHERE a.signed_at IS NOT NULL AND a.signed_at <= w.sun AND inforce(a.valid_from, a.valid_to, w.sun)
),
policy_versions AS (
    SELECT p.*, coalesce(p.scope, 'board') AS sc,
           -- versions taking effect on the same day compare as numbers only when all are numeric
           bool_and(TRY_CAST(p.version AS DOUBLE) IS NOT NULL)
               OVER (PARTITION BY p.policy_id, coalesce(p.scope, 'board'), p.effective_from) AS numeric_tie
    FROM policies p, o_week w WHERE p.effective_from <= w.sun
),
policy_in_force AS (
    SELECT *, row_number() OVER (PARTITION BY policy_id, sc
                                 ORDER BY effective_from DESC,
                                          CASE WHEN numeric_tie THEN TRY_CAST(version AS DOUBLE) END DESC,
                                          version DESC) AS rn
    FROM policy_versions
),
policy_judged AS (
    SELECT p.policy_id || '@' || p.version || '@' || p.sc AS subject_id,
        EXISTS (SELECT 1 FROM council_decisions c, o_week w WHERE c.policy_id = p.policy_id AND c.version = p.version
                  AND c.council = CASE WHEN p.sc = 'board' THEN 'GMR' ELSE 'MR' END AND c.decision = 'consent'
                  AND c.decided_at <= w.sun) AS consent_by_day,
        EXISTS (SELECT 1 FROM council_decisions c WHERE c.policy_id = p.policy_id AND c.version = p.version
                  AND c.council = CASE WHEN p.sc = 'board' THEN 'GMR' ELSE 'MR' END AND c.decision = 'consent'
                  AND c.decided_at <= p.effective_from) AS prior_consent
    FROM policy_in_force p WHERE rn = 1
),
logged AS (SELECT DISTINCT source_system, loc(occurred_at) AS d FROM access_log),
active AS (
    SELECT DISTINCT l.source_system FROM logged l, o_week w WHERE l.d BETWEEN w.mon - {lookback} AND w.mon - 1
),
weekdays AS (
    SELECT w.mon + CAST(i AS INTEGER) AS d FROM o_week w, range(5) t(i)
    WHERE NOT EXISTS (SELECT 1 FROM calendar c WHERE coalesce(c.school_id, '') = ''
                        AND c.kind IN ('holiday', 'study_day', 'outage')
                        AND w.mon + CAST(i AS INTEGER) BETWEEN c.date_from AND c.date_to)
)
SELECT 'PROCESSOR-AGREEMENT-INCOMPLETE' AS rule_id, 'medium' AS severity, 'agreement' AS subject_type,
       agreement_id AS subject_id
FROM agreements_in_force WHERE NOT coalesce(breach_notification, false) OR NOT coalesce(deletion_clause, false)
UNION ALL
SELECT 'PROCESSOR-AGREEMENT-EXPIRING', 'info', 'agreement', agreement_id
FROM agreements_in_force a, o_week w WHERE a.valid_to IS NOT NULL AND a.valid_to <= w.sun + {horizon}
UNION ALL
SELECT 'POLICY-NOT-APPROVED', CASE WHEN NOT consent_by_day THEN 'high' ELSE 'medium' END, 'policy', subject_id
FROM policy_judged WHERE NOT prior_consent
UNION ALL
SELECT 'LOG-GAP', 'high', 'source_system', a.source_system || '@' || strftime(wd.d, '%Y-%m-%d')
FROM active a CROSS JOIN weekdays wd
WHERE NOT EXISTS (SELECT 1 FROM logged l WHERE l.source_system = a.source_system AND l.d = wd.d);
"""

# Section F, default parameters: 30 students and 3 x the peers' median (groups of 3 or more), 20 students
# exported in a day, 5 accesses of 2 students in [00:00, 05:00) local time.
SIGNALS = """
CREATE OR REPLACE TEMP TABLE o_signal_access AS
SELECT a.actor_id, a.student_id, a.action, a.occurred_at, loc(a.occurred_at) AS d,
       CAST(timezone('{tz}', a.occurred_at) AS TIME) AS t
FROM access_log a, o_week w
WHERE a.actor_type = 'staff' AND loc(a.occurred_at) BETWEEN w.mon AND w.sun
  AND EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id)
  AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id AND coalesce(s.account_type, 'personal') <> 'personal');

CREATE OR REPLACE TEMP TABLE o_signal_findings AS
WITH per_account AS (
    SELECT actor_id, count(DISTINCT student_id) AS n FROM o_signal_access GROUP BY actor_id
),
membership AS (
    SELECT DISTINCT s.staff_id AS actor_id, s.school_id, s.role FROM staff s, o_week w
    WHERE (s.valid_from IS NULL OR s.valid_from <= w.sun) AND (s.valid_to IS NULL OR s.valid_to >= w.mon)
),
grp AS (
    SELECT m.school_id, m.role, count(*) AS accounts, median(p.n) AS med
    FROM membership m JOIN per_account p USING (actor_id) GROUP BY ALL
),
volume AS (
    SELECT p.actor_id FROM per_account p JOIN membership m USING (actor_id) JOIN grp g USING (school_id, role)
    GROUP BY p.actor_id, p.n
    HAVING p.n >= 30 AND bool_and(g.accounts >= 3 AND p.n >= 3 * g.med)
),
bulk AS (
    SELECT actor_id, d FROM o_signal_access WHERE action IN ('export', 'print', 'download')
    GROUP BY ALL HAVING count(DISTINCT student_id) >= 20
),
own_child AS (
    SELECT DISTINCT a.actor_id, a.student_id FROM o_signal_access a
    JOIN guardians g ON g.staff_id = a.actor_id AND g.student_id = a.student_id
),
after_leaving AS (
    SELECT DISTINCT a.actor_id FROM o_signal_access a
    WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id AND inforce(s.valid_from, s.valid_to, a.d))
      AND EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = a.actor_id AND s.valid_to < a.d)
),
quiet AS (
    SELECT actor_id FROM o_signal_access WHERE t >= TIME '00:00' AND t < TIME '05:00'
    GROUP BY actor_id HAVING count(*) >= 5 AND count(DISTINCT student_id) >= 2
)
SELECT 'SIGNAL-VOLUME' AS rule_id, 'medium' AS severity, 'account' AS subject_type,
       actor_id || '@{week}' AS subject_id FROM volume
UNION ALL SELECT 'SIGNAL-BULK-EXPORT', 'medium', 'account', actor_id || '@' || strftime(d, '%Y-%m-%d') FROM bulk
UNION ALL SELECT 'SIGNAL-OWN-CHILD', 'medium', 'account', actor_id || '@' || student_id || '@{week}' FROM own_child
UNION ALL SELECT 'SIGNAL-AFTER-LEAVING', 'high', 'account', actor_id || '@{week}' FROM after_leaving
UNION ALL SELECT 'SIGNAL-QUIET-HOURS', 'low', 'account', actor_id || '@{week}' FROM quiet;
"""

RESULT = """
SELECT * FROM o_access_findings UNION ALL SELECT * FROM o_consent_findings
UNION ALL SELECT * FROM o_exception_findings UNION ALL SELECT * FROM o_processor_findings
UNION ALL SELECT * FROM o_standing_findings UNION ALL SELECT * FROM o_signal_findings
"""


def oracle_findings(con, week: str, settings: Settings | None = None) -> pd.DataFrame:
    """Every finding of the catalogue for `week`: rule_id, severity, week, subject_type, subject_id."""
    settings = settings or Settings()
    monday, sunday = parse_week(week)
    con.execute(
        SETUP.format(tz=settings.timezone.replace("'", "''"), monday=monday, sunday=sunday,
                     before=settings.grace_before_days, after=settings.grace_after_days,
                     horizon=settings.renewal_horizon_days, lookback=settings.log_gap_lookback_days)
    )
    con.execute(SIGNALS.format(tz=settings.timezone.replace("'", "''"), week=week))
    frame = con.execute(RESULT).df()
    frame.insert(2, "week", week)
    return frame.sort_values(["rule_id", "subject_id"]).reset_index(drop=True)
