/* rule
id = "ACCESS-STUDENT-OTHER"
family = "access"
order = 5
severity = "high"
subject_type = "access_event"
population = "student_access_week"
condition = "actor_id <> student_id AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff"]
consults = ["guardians", "documents", "consents", "calendar"]
legal_source = "AVG art. 5(1)(f), 25(2), 32; Kennisnet Normenkader IBP SM.04"
[title]
en = "Student viewed another student's data"
nl = "Leerling zag gegevens van een andere leerling"
[explanation]
en = "Student {actor_id} accessed data of another student, {student_id}, in the category {category} on {local_date} (system {source_system})."
nl = "Leerling {actor_id} heeft op {local_date} gegevens van een andere leerling, {student_id}, uit de categorie {category} geraadpleegd (systeem {source_system})."
*/
SELECT a.subject_id,
       'high' AS severity,
       a.school_id,
       a.occurred_at,
       a.actor_id,
       a.student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', a.actor_id,
           'student_id', a.student_id,
           'category', a.category,
           'local_date', CAST(a.local_date AS VARCHAR),
           'action', a.action,
           'source_system', a.source_system
       ) AS facts
FROM flagged_access a
