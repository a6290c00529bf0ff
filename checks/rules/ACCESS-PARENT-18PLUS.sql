/* rule
id = "ACCESS-PARENT-18PLUS"
family = "access"
order = 7
severity = "high"
subject_type = "access_event"
population = "guardian_access_week"
condition = "student_age >= 18 AND NOT parent_access_consent AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "guardians"]
consults = ["documents", "consents", "calendar"]
parameters = ["leap_day_birthday"]
legal_source = { en = "AVG art. 5(1)(f), 6(1); BW 1:233, 1:245 (parental authority ends at 18); Ouders & Onderwijs, Sharing student data", nl = "AVG art. 5(1)(f), 6(1); BW 1:233, 1:245 (het ouderlijk gezag eindigt bij 18 jaar); Ouders & Onderwijs, Leerlinggegevens delen" }
[title]
en = "Guardian viewed an adult student's file without permission"
nl = "Ouder zag dossier van meerderjarige leerling zonder toestemming"
[explanation]
en = "Guardian {actor_id} accessed data of student {student_id} in the category {category} on {local_date}, when the student was {student_age} and so an adult, without a valid permission from the student to let this guardian see their file (permissions for guardians on record for this student: {consent_ids})."
nl = "Ouder/verzorger {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd toen de leerling {student_age} jaar en dus meerderjarig was, zonder geldige toestemming van de leerling om deze ouder/verzorger het dossier te laten inzien (vastgelegde toestemmingen voor inzage door ouders bij deze leerling: {consent_ids})."
*/
-- Age at the event's local date (NULL for an unknown student: the condition does not hold). The
-- student's parent_access permission covers the whole file, whatever its data_categories.
WITH unpermitted AS (
    SELECT * FROM flagged_access
),
on_record AS (
    -- for the explanation only: every parent_access consent of the student, valid that day or not
    SELECT u.subject_id, list(DISTINCT c.consent_id ORDER BY c.consent_id) AS consent_ids
    FROM unpermitted u
    JOIN consent_local c ON c.student_id = u.student_id AND lower(trim(c.purpose)) = 'parent_access'
    GROUP BY u.subject_id
)
SELECT u.subject_id,
       'high' AS severity,
       u.school_id,
       u.occurred_at,
       u.actor_id,
       u.student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', u.actor_id,
           'student_id', u.student_id,
           'category', u.category,
           'local_date', CAST(u.local_date AS VARCHAR),
           'action', u.action,
           'source_system', u.source_system,
           'student_age', u.student_age,
           'consent_ids', coalesce(r.consent_ids, [])
       ) AS facts
FROM unpermitted u
LEFT JOIN on_record r USING (subject_id)
