/* rule
id = "SIGNAL-BULK-EXPORT"
family = "signal"
severity = "medium"
subject_type = "account"
population = "signal_account_days_week"
feeds = ["access_log", "staff"]
consults = ["students"]
parameters = ["bulk_min_students"]
legal_source = { en = "AVG art. 5(1)(f), 32 (detecting misuse of access rights); Kennisnet Normenkader IBP SM.04", nl = "AVG art. 5(1)(f), 32 (misbruik van toegangsrechten opsporen); Kennisnet Normenkader IBP SM.04" }
[title]
en = "Many student files exported in one day"
nl = "Veel leerlingdossiers op één dag geëxporteerd"
[explanation]
en = "Staff account {actor_id} exported, printed or downloaded the data of {export_students} different students on {day} ({export_events} such actions; the signal starts at {bulk_min_students} students a day). A pattern to look into, not a violation in itself."
nl = "Medewerkersaccount {actor_id} heeft op {day} gegevens van {export_students} verschillende leerlingen geëxporteerd, afgedrukt of gedownload ({export_events} van zulke handelingen; het signaal begint bij {bulk_min_students} leerlingen op een dag). Een patroon om na te gaan, geen overtreding op zich."
*/
-- One signal per account and local date: students touched with export, print or download that day.
SELECT d.subject_id,
       'medium' AS severity,
       NULL AS school_id,
       d.first_export_at AS occurred_at,
       d.actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', d.actor_id,
           'day', CAST(d.local_date AS VARCHAR),
           'export_students', d.export_students,
           'export_events', d.export_events,
           'bulk_min_students', s.bulk_min_students
       ) AS facts
FROM signal_account_days_week d, audit_settings s
WHERE d.export_students > 0 AND d.export_students >= s.bulk_min_students
