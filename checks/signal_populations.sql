-- Populations of the signals (spec/rules.md, section F), over the WHOLE week: a signal counts per
-- account over all of the week's events, so these are built once on the check phase's connection,
-- never per slice of events. Run by checks.context.prepare() after its own views; {earliest} and
-- {latest} are the open bounds of a date interval.
--
-- Only staff accesses count: actor_type staff, a known account that is personal (every staff row of it
-- has account_type personal; the contract's default), local date in the week. An access to a student
-- the school does not list counts too. The week's events are folded once into one row per account,
-- student and local date; every signal aggregates that much smaller table (DuckDB's hash aggregates:
-- distinct counts and medians in SQL, no Python per row).
--
-- occurred_at is a timestamp in the contract (landing.md, pipelines/contract.py): a value without a
-- time of day is quarantined at ingest, so every counted access has a real local time for quiet hours.

CREATE OR REPLACE TEMP TABLE signal_access_days_week AS
WITH personal_account AS (
    SELECT staff_id AS actor_id
    FROM staff
    GROUP BY staff_id
    HAVING bool_and(coalesce(account_type, 'personal') = 'personal')
),
near_week AS (
    -- the instant range is widened by a day so that DuckDB can skip row groups; the local date decides
    SELECT a.actor_id, a.student_id, a.action, a.occurred_at,
           local_date_near_week(a.occurred_at) AS local_date,
           local_day_us_near_week(a.occurred_at) AS local_us
    FROM access_log a, audit_week w
    WHERE a.occurred_at >= w.start_at - INTERVAL 1 DAY AND a.occurred_at < w.end_at + INTERVAL 1 DAY
      AND a.actor_type = 'staff'
),
counted AS (
    SELECT a.*,
           CASE WHEN s.quiet_from_us <= s.quiet_to_us
                THEN a.local_us >= s.quiet_from_us AND a.local_us < s.quiet_to_us
                ELSE a.local_us >= s.quiet_from_us OR a.local_us < s.quiet_to_us  -- past midnight
           END AS quiet
    FROM near_week a
    JOIN personal_account p ON p.actor_id = a.actor_id
    CROSS JOIN audit_week w
    CROSS JOIN audit_settings s
    WHERE a.local_date BETWEEN w.week_start AND w.week_end
)
SELECT actor_id, student_id, local_date,
       count(*) AS events,
       min(occurred_at) AS first_at,
       count(*) FILTER (WHERE action IN ('export', 'print', 'download')) AS export_events,
       min(occurred_at) FILTER (WHERE action IN ('export', 'print', 'download')) AS first_export_at,
       count(*) FILTER (WHERE quiet) AS quiet_events,
       min(occurred_at) FILTER (WHERE quiet) AS first_quiet_at
FROM counted
GROUP BY actor_id, student_id, local_date;

CREATE OR REPLACE TEMP TABLE signal_accounts_week AS
SELECT d.actor_id || '@' || w.week AS subject_id,
       d.actor_id,
       count(DISTINCT d.student_id) AS students,
       sum(d.events) AS events,
       min(d.first_at) AS first_at,
       sum(d.quiet_events) AS quiet_events,
       count(DISTINCT d.student_id) FILTER (WHERE d.quiet_events > 0) AS quiet_students,
       min(d.first_quiet_at) AS first_quiet_at
FROM signal_access_days_week d, audit_week w
GROUP BY d.actor_id, w.week;

CREATE OR REPLACE TEMP VIEW signal_account_days_week AS
SELECT actor_id || '@' || strftime(local_date, '%Y-%m-%d') AS subject_id,
       actor_id, local_date,
       count(*) FILTER (WHERE export_events > 0) AS export_students,
       sum(export_events) AS export_events,
       min(first_export_at) AS first_export_at
FROM signal_access_days_week
GROUP BY actor_id, local_date;

CREATE OR REPLACE TEMP VIEW signal_account_students_week AS
SELECT d.actor_id || '@' || d.student_id || '@' || w.week AS subject_id,
       d.actor_id, d.student_id,
       sum(d.events) AS events,
       count(*) AS days,
       min(d.first_at) AS first_at
FROM signal_access_days_week d, audit_week w
GROUP BY d.actor_id, d.student_id, w.week;

-- The peer groups of SIGNAL-VOLUME: the accounts with a staff row in force on any day of the week with
-- the same school_id and role, counting only those with a staff access in the week (the account itself
-- included). One row per active account and group it is in, with the group's size and median.
CREATE OR REPLACE TEMP TABLE signal_peer_groups_week AS
WITH member AS (
    SELECT DISTINCT s.staff_id AS actor_id, s.school_id, s.role
    FROM staff s, audit_week w
    WHERE coalesce(s.valid_from, {earliest}) <= w.week_end AND w.week_start <= coalesce(s.valid_to, {latest})
)
SELECT m.actor_id, m.school_id, m.role, a.students,
       count(*) OVER (PARTITION BY m.school_id, m.role) AS accounts,
       median(a.students) OVER (PARTITION BY m.school_id, m.role) AS median_students
FROM member m
JOIN signal_accounts_week a ON a.actor_id = m.actor_id;
