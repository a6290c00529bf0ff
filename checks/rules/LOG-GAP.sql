/* rule
id = "LOG-GAP"
family = "standing"
severity = "high"
subject_type = "source_system"
population = "source_system_days_week"
feeds = ["access_log"]
consults = ["calendar"]
on_rejected_events = "not_evaluated"   # the missing events may be in the rejected file
parameters = ["log_gap_lookback_days"]
legal_source = { en = "AVG art. 5(2), 32; Kennisnet Normenkader IBP SM.04 (logging of access)", nl = "AVG art. 5(2), 32; Kennisnet Normenkader IBP SM.04 (logging van inzage)" }
[title]
en = "Gap in the access log"
nl = "Gat in de logging van inzage"
[explanation]
en = "Source system {source_system} logged no access at all on {day} (a weekday that the calendar does not mark as a holiday, study day or outage), although it did log in the {lookback_days} days before the week (events: {lookback_events}; last logged before the gap: {last_logged}). The register of who viewed what has a hole."
nl = "Bronsysteem {source_system} heeft op {day} (een werkdag die de kalender niet als vakantie, studiedag of storing aanmerkt) helemaal geen inzage gelogd, terwijl het in de {lookback_days} dagen vóór de week wel logde (gebeurtenissen: {lookback_events}; laatst gelogd vóór het gat: {last_logged}). Het register van wie wat heeft ingezien heeft een gat."
*/
-- One finding per source system and day: the population holds each system that was active in the
-- look-back on each working weekday of the week, with the events it logged that day.
SELECT s.subject_id,
       'high' AS severity,
       NULL AS school_id,
       NULL AS occurred_at,
       NULL AS actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'source_system', s.source_system,
           'day', CAST(s.day AS VARCHAR),
           'lookback_events', s.lookback_events,
           'lookback_days', s.lookback_days,
           'last_logged', CAST(s.last_logged AS VARCHAR)
       ) AS facts
FROM source_system_days_week s
WHERE s.events = 0
