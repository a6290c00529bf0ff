-- Populations of the standing rules (spec/rules.md, section E), judged as of the week's last day.
-- Run by checks.context.prepare() after its own views: these read audit_week, audit_settings and the
-- macros defined there. One row per subject checked; the rules read them and the runner counts them.

-- Processor agreements in force on the week's last day: signed on or before it and valid on it.
CREATE OR REPLACE TEMP VIEW agreements_in_force_week AS
SELECT a.agreement_id AS subject_id,
       a.* EXCLUDE (_file_hash, _line),
       r.name AS recipient_name,
       w.week_end AS as_of
FROM processor_agreements a
CROSS JOIN audit_week w
LEFT JOIN recipients r ON r.recipient_id = a.recipient_id
WHERE agreement_in_force(a.signed_at, a.valid_from, a.valid_to, w.week_end);

-- The version in force of each policy and scope on the week's last day: the latest effective_from on
-- or before it; on a tie the greatest version, compared as numbers when every tied version is numeric,
-- else as text (for a tie of two, exactly "as numbers when both are numeric").
CREATE OR REPLACE TEMP VIEW policies_in_force_week AS
WITH effective AS (
    SELECT p.policy_id, p.version, p.effective_from,
           coalesce(nullif(trim(p.scope), ''), 'board') AS scope,
           w.week_end AS as_of
    FROM policies p
    CROSS JOIN audit_week w
    WHERE p.effective_from <= w.week_end
),
tie_kind AS (
    SELECT *,
           bool_and(regexp_full_match(trim(version), '[0-9]+(\.[0-9]+)?'))
               OVER (PARTITION BY policy_id, scope, effective_from) AS numeric_tie
    FROM effective
)
SELECT policy_id || '@' || version || '@' || scope AS subject_id,
       policy_id, version, scope, effective_from, as_of,
       CASE WHEN scope = 'board' THEN 'GMR' ELSE 'MR' END AS council
FROM tie_kind
QUALIFY row_number() OVER (
    PARTITION BY policy_id, scope
    ORDER BY effective_from DESC,
             CASE WHEN numeric_tie THEN TRY_CAST(trim(version) AS DOUBLE) END DESC NULLS LAST,
             version DESC
) = 1;

-- Each source system that logged at least one event in the look-back before the week, on each weekday
-- of the week that no board-wide calendar row (empty school_id) marks as holiday, study day or outage;
-- with the number of events it logged that day and the last earlier day it logged any. Quarantined
-- rows never reach access_log, so they do not count as logged.
-- A TEMP TABLE: LOG-GAP reads it and the runner counts it; the access log is scanned once.
CREATE OR REPLACE TEMP TABLE source_system_days_week AS
WITH logged AS (
    -- the instant range is widened by a day so that DuckDB can skip row groups; the local date decides
    SELECT a.source_system, local_date_near_week(a.occurred_at) AS day, count(*) AS events
    FROM access_log a, audit_week w, audit_settings s
    WHERE a.occurred_at >= w.start_at - to_days(s.log_gap_lookback_days + 1)
      AND a.occurred_at < w.end_at + INTERVAL 1 DAY
    GROUP BY ALL
),
lookback AS (
    SELECT l.source_system, sum(l.events) AS lookback_events, s.log_gap_lookback_days AS lookback_days
    FROM logged l, audit_week w, audit_settings s
    WHERE l.day BETWEEN w.week_start - s.log_gap_lookback_days AND w.week_start - 1
    GROUP BY ALL
),
weekdays AS (
    SELECT w.week_start + CAST(i AS INTEGER) AS day
    FROM audit_week w, range(5) AS t(i)
),
working_days AS (
    SELECT d.day
    FROM weekdays d
    LEFT JOIN calendar c
           ON nullif(trim(c.school_id), '') IS NULL
          AND c.kind IN ('holiday', 'study_day', 'outage')
          AND d.day BETWEEN c.date_from AND c.date_to
    WHERE c.kind IS NULL
)
SELECT b.source_system || '@' || strftime(d.day, '%Y-%m-%d') AS subject_id,
       b.source_system,
       d.day,
       coalesce(sum(l.events) FILTER (WHERE l.day = d.day), 0) AS events,
       max(l.day) FILTER (WHERE l.day < d.day) AS last_logged,
       b.lookback_events,
       b.lookback_days
FROM lookback b
CROSS JOIN working_days d
LEFT JOIN logged l ON l.source_system = b.source_system AND l.day <= d.day
GROUP BY ALL;

-- Consent-based disclosures whose consent is on record for the same student: what consent rules 2–5
-- judge (rule 1 flags the others). `disclosure_facts` holds the facts every consent finding names;
-- a rule adds its own with json_merge_patch.
CREATE OR REPLACE TEMP VIEW consented_disclosures_week AS
SELECT d.* EXCLUDE (consent_id),
       c.consent_id, c.form, c.given_date, c.withdrawn_date, c.valid_until,
       CASE WHEN d.is_special THEN 'critical' ELSE 'high' END AS consent_severity,
       json_object(
           'disclosure_id', d.disclosure_id,
           'student_id', d.student_id,
           'recipient_id', d.recipient_id,
           'local_date', CAST(d.local_date AS VARCHAR),
           'data_categories', d.disclosed_categories,
           'consent_id', c.consent_id
       ) AS disclosure_facts
FROM consent_disclosures_week d
JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id;
