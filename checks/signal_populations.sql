-- Populations of the signals (spec/rules.md, section F), over the WHOLE week: a signal counts per
-- account over all of the week's events, so these are built once on the check phase's connection,
-- never per slice of events. Run by checks.context.prepare() after its own views; {earliest} and
-- {latest} are the open bounds of a date interval, {since} and {until} the week's instants widened by a
-- day, {week_start} and {week_end} its dates (constants, so that DuckDB skips row groups outside them).
--
-- Only staff accesses count: actor_type staff, a known account that is personal (every staff row of it
-- has account_type personal; the contract's default), local date in the week. An access to a student
-- the school does not list counts too. The week's events are read twice, each time folded by DuckDB's
-- hash aggregates (distinct counts and medians in SQL, no Python per row):
--   signal_access_pairs_week  every access, one row per account and student (the days as a bit mask);
--   signal_access_days_week   only the accesses a signal looks at by day or by hour, one row per
--                             account, student and local date.
-- Folding every access by day would cost twice as much as folding it by pair (10M events: 0.8 s and
-- 0.4 s); the accesses that need their day (exports, quiet hours, accounts that have left) are few.
--
-- occurred_at is a timestamp in the contract (landing.md, pipelines/contract.py): a value without a
-- time of day is quarantined at ingest, so every counted access has a real local time for quiet hours.

CREATE OR REPLACE TEMP TABLE signal_personal_account AS
SELECT staff_id AS actor_id
FROM staff
GROUP BY staff_id
HAVING bool_and(coalesce(account_type, 'personal') = 'personal');

-- Accounts that have left on some day of the week: none of their staff rows is in force that day while
-- one has ended before it (SIGNAL-AFTER-LEAVING's day). Of the other accounts, only the exports and
-- the accesses in quiet hours are folded by day.
CREATE OR REPLACE TEMP TABLE signal_left_account AS
SELECT DISTINCT actor_id
FROM (SELECT s.staff_id AS actor_id, {week_start} + CAST(d.range AS INTEGER) AS local_date,
             bool_or(in_force(s.valid_from, s.valid_to, {week_start} + CAST(d.range AS INTEGER))) AS in_force,
             bool_or(s.valid_to < {week_start} + CAST(d.range AS INTEGER)) AS ended_before
      FROM staff s, range(7) d
      GROUP BY ALL)
WHERE NOT in_force AND ended_before;

-- The week's staff accesses (every account: the personal ones are picked after folding, on fewer rows).
CREATE OR REPLACE TEMP MACRO signal_staff_accesses() AS TABLE
WITH near_week AS (
    -- the instant range is widened by a day so that DuckDB can skip row groups; the local date decides
    SELECT a.actor_id, a.student_id, a.action, a.occurred_at,
           local_date_near_week(a.occurred_at) AS local_date,
           local_day_us_near_week(a.occurred_at) AS local_us
    FROM access_log a
    WHERE a.occurred_at >= {since} AND a.occurred_at < {until} AND a.actor_type = 'staff'
)
SELECT *, CAST(local_date - {week_start} AS INTEGER) AS weekday
FROM near_week
WHERE local_date BETWEEN {week_start} AND {week_end};

CREATE OR REPLACE TEMP TABLE signal_access_pairs_week AS
SELECT a.*
FROM (SELECT actor_id, student_id,
             count(*) AS events,
             min(occurred_at) AS first_at,
             bit_or(CAST(1 AS INTEGER) << weekday) AS day_mask   -- bit d: an access on week_start + d
      FROM signal_staff_accesses()
      GROUP BY actor_id, student_id) a
JOIN signal_personal_account p ON p.actor_id = a.actor_id;

CREATE OR REPLACE TEMP TABLE signal_access_days_week AS
WITH marked AS (
    SELECT a.*,
           a.action IN ('export', 'print', 'download') AS export,
           CASE WHEN s.quiet_from_us <= s.quiet_to_us
                THEN a.local_us >= s.quiet_from_us AND a.local_us < s.quiet_to_us
                ELSE a.local_us >= s.quiet_from_us OR a.local_us < s.quiet_to_us  -- past midnight
           END AS quiet
    FROM signal_staff_accesses() a, audit_settings s
),
folded AS (
    SELECT actor_id, student_id, local_date,
           count(*) AS events,
           min(occurred_at) AS first_at,
           count(*) FILTER (WHERE export) AS export_events,
           min(occurred_at) FILTER (WHERE export) AS first_export_at,
           count(*) FILTER (WHERE quiet) AS quiet_events,
           min(occurred_at) FILTER (WHERE quiet) AS first_quiet_at
    FROM marked
    WHERE export OR quiet OR actor_id IN (SELECT actor_id FROM signal_left_account)
    GROUP BY actor_id, student_id, local_date
)
SELECT f.* FROM folded f JOIN signal_personal_account p ON p.actor_id = f.actor_id;

CREATE OR REPLACE TEMP TABLE signal_accounts_week AS
WITH quiet AS (
    SELECT actor_id,
           sum(quiet_events) AS quiet_events,
           count(DISTINCT student_id) FILTER (WHERE quiet_events > 0) AS quiet_students,
           min(first_quiet_at) AS first_quiet_at
    FROM signal_access_days_week
    GROUP BY actor_id
)
SELECT p.actor_id || '@' || w.week AS subject_id,
       p.actor_id,
       count(*) AS students,
       sum(p.events) AS events,
       min(p.first_at) AS first_at,
       bit_or(p.day_mask) AS day_mask,
       coalesce(any_value(q.quiet_events), 0) AS quiet_events,
       coalesce(any_value(q.quiet_students), 0) AS quiet_students,
       any_value(q.first_quiet_at) AS first_quiet_at
FROM signal_access_pairs_week p
CROSS JOIN audit_week w
LEFT JOIN quiet q ON q.actor_id = p.actor_id
GROUP BY p.actor_id, w.week;

-- One row per account and local date with an access (from the accounts' day masks), with its exports.
CREATE OR REPLACE TEMP VIEW signal_account_days_week AS
WITH account_day AS (
    SELECT a.actor_id, w.week_start + d.weekday AS local_date
    FROM signal_accounts_week a, audit_week w, (SELECT CAST(range AS INTEGER) AS weekday FROM range(7)) d
    WHERE a.day_mask & (CAST(1 AS INTEGER) << d.weekday) <> 0
),
exports AS (
    SELECT actor_id, local_date,
           count(*) FILTER (WHERE export_events > 0) AS export_students,
           sum(export_events) AS export_events,
           min(first_export_at) AS first_export_at
    FROM signal_access_days_week
    GROUP BY actor_id, local_date
)
SELECT d.actor_id || '@' || strftime(d.local_date, '%Y-%m-%d') AS subject_id,
       d.actor_id, d.local_date,
       coalesce(x.export_students, 0) AS export_students,
       coalesce(x.export_events, 0) AS export_events,
       x.first_export_at
FROM account_day d
LEFT JOIN exports x ON x.actor_id = d.actor_id AND x.local_date = d.local_date;

CREATE OR REPLACE TEMP VIEW signal_account_students_week AS
SELECT p.actor_id || '@' || p.student_id || '@' || w.week AS subject_id,
       p.actor_id, p.student_id,
       p.events,
       bit_count(p.day_mask) AS days,
       p.first_at
FROM signal_access_pairs_week p, audit_week w;

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
