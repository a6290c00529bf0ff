/* rule
id = "ACCESS-PARENT-NO-AUTHORITY"
family = "access"
order = 9
severity = "medium"
subject_type = "access_event"
population = "guardian_access_week"
condition = "NOT parental_authority AND student_age < 18 AND category NOT IN ('progress', 'attendance', 'general') AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "guardians"]
consults = ["documents", "consents", "calendar"]
parameters = ["leap_day_birthday"]
legal_source = "BW 1:377c; AVG art. 5(1)(f)"
[title]
en = "Guardian without parental authority viewed restricted data"
nl = "Ouder zonder gezag zag afgeschermde gegevens"
[explanation]
en = "Guardian {actor_id} accessed data of student {student_id} (aged {student_age}) in the category {category} on {local_date} without holding parental authority for this student that day; without it a guardian may see only data in the categories {allowed_categories}."
nl = "Ouder/verzorger {actor_id} heeft op {local_date} gegevens van leerling {student_id} ({student_age} jaar) uit de categorie {category} geraadpleegd zonder die dag het ouderlijk gezag over deze leerling te hebben; zonder gezag mag een ouder/verzorger alleen gegevens uit de categorieën {allowed_categories} inzien."
*/
-- Parental authority: any linking row in force on the local date that says so (checks.judgement). The
-- categories a parent without authority keeps (BW 1:377c: information on progress) are fixed by the spec.
SELECT a.subject_id,
       'medium' AS severity,
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
           'source_system', a.source_system,
           'student_age', a.student_age,
           'allowed_categories', ['progress', 'attendance', 'general']
       ) AS facts
FROM flagged_access a
