/* rule
id = "SIGNAL-AFTER-LEAVING"
family = "signal"
severity = "high"
subject_type = "account"
population = "signal_accounts_week"
feeds = ["access_log", "staff"]
consults = ["students"]
legal_source = { en = "AVG art. 5(1)(f), 32 (withdrawing access rights); Kennisnet Normenkader IBP SM.04", nl = "AVG art. 5(1)(f), 32 (toegangsrechten intrekken); Kennisnet Normenkader IBP SM.04" }
[title]
en = "Account still in use after its roles ended"
nl = "Account nog in gebruik nadat de rollen zijn beëindigd"
[explanation]
en = "Staff account {actor_id} was still used in week {week} after all its roles had ended (the last one on {role_ended}): first on {first_day}; days of use: {days}; accesses: {events}, to the data of different students: {students}. The account should have been closed when its holder left."
nl = "Medewerkersaccount {actor_id} is in week {week} nog gebruikt nadat al zijn rollen waren beëindigd (de laatste op {role_ended}): het eerst op {first_day}; dagen van gebruik: {days}; inzagen: {events}, in gegevens van verschillende leerlingen: {students}. Het account had gesloten moeten worden toen de houder vertrok."
*/
-- A day counts when no staff row of the account is in force on it while at least one has ended before
-- it; a role still in force (another school, another role) means the account is still in use rightly.
WITH account_days AS (
    SELECT actor_id, local_date FROM signal_access_days_week GROUP BY actor_id, local_date
),
left_days AS (
    SELECT d.actor_id, d.local_date, max(s.valid_to) FILTER (WHERE s.valid_to < d.local_date) AS role_ended
    FROM account_days d
    JOIN staff s ON s.staff_id = d.actor_id
    GROUP BY d.actor_id, d.local_date
    HAVING NOT bool_or(in_force(s.valid_from, s.valid_to, d.local_date))
       AND count(*) FILTER (WHERE s.valid_to < d.local_date) > 0
)
SELECT l.actor_id || '@' || w.week AS subject_id,
       'high' AS severity,
       NULL AS school_id,
       min(a.first_at) AS occurred_at,
       l.actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', l.actor_id,
           'week', w.week,
           'days', count(DISTINCT l.local_date),
           'first_day', CAST(min(l.local_date) AS VARCHAR),
           'role_ended', CAST(max(l.role_ended) AS VARCHAR),
           'events', sum(a.events),
           'students', count(DISTINCT a.student_id)
       ) AS facts
FROM left_days l
JOIN signal_access_days_week a ON a.actor_id = l.actor_id AND a.local_date = l.local_date
CROSS JOIN audit_week w
GROUP BY l.actor_id, w.week
