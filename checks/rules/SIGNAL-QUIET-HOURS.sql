/* rule
id = "SIGNAL-QUIET-HOURS"
family = "signal"
severity = "low"
subject_type = "account"
population = "signal_accounts_week"
feeds = ["access_log", "staff"]
consults = ["students"]
parameters = ["quiet_from", "quiet_to", "quiet_min_events", "quiet_min_students"]
legal_source = { en = "AVG art. 5(1)(f), 32 (detecting misuse of access rights); Kennisnet Normenkader IBP SM.04", nl = "AVG art. 5(1)(f), 32 (misbruik van toegangsrechten opsporen); Kennisnet Normenkader IBP SM.04" }
[title]
en = "Student files opened at night"
nl = "Leerlingdossiers 's nachts geopend"
[explanation]
en = "Staff account {actor_id} made {quiet_events} accesses between {quiet_from} and {quiet_to} (local time) in week {week}, touching the data of {quiet_students} different students; the first at {first_quiet}. The signal starts at {quiet_min_events} such accesses and {quiet_min_students} students. A pattern to look into, not a violation in itself."
nl = "Medewerkersaccount {actor_id} heeft in week {week} {quiet_events} keer gegevens geraadpleegd tussen {quiet_from} en {quiet_to} (lokale tijd), van {quiet_students} verschillende leerlingen; de eerste keer op {first_quiet}. Het signaal begint bij {quiet_min_events} zulke inzagen en {quiet_min_students} leerlingen. Een patroon om na te gaan, geen overtreding op zich."
*/
-- Quiet hours are [quiet_from, quiet_to) in local time, past midnight when quiet_from > quiet_to
-- (signal_access_days_week marks each access; signal_accounts_week adds them up per account).
SELECT a.subject_id,
       'low' AS severity,
       NULL AS school_id,
       a.first_quiet_at AS occurred_at,
       a.actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', a.actor_id,
           'week', w.week,
           'quiet_events', a.quiet_events,
           'quiet_students', a.quiet_students,
           'quiet_from', s.quiet_from,
           'quiet_to', s.quiet_to,
           'first_quiet', CAST(a.first_quiet_at AS VARCHAR),
           'quiet_min_events', s.quiet_min_events,
           'quiet_min_students', s.quiet_min_students
       ) AS facts
FROM signal_accounts_week a, audit_settings s, audit_week w
WHERE a.quiet_events > 0
  AND a.quiet_events >= s.quiet_min_events
  AND a.quiet_students >= s.quiet_min_students
