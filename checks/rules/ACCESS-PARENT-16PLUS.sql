/* rule
id = "ACCESS-PARENT-16PLUS"
family = "access"
order = 8
severity = "medium"          # high for special categories
subject_type = "access_event"
population = "guardian_access_week"
condition = "student_age IN (16, 17) AND NOT guardian_16_17_allowed AND NOT parent_access_consent AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "guardians"]
consults = ["documents", "consents", "calendar"]
parameters = ["guardian_16_17_categories", "leap_day_birthday"]
legal_source = { en = "AVG art. 5(1)(f), 8; UAVG art. 5; Ouders & Onderwijs, Sharing student data (from 16 the student exercises the file rights)", nl = "AVG art. 5(1)(f), 8; UAVG art. 5; Ouders & Onderwijs, Leerlinggegevens delen (vanaf 16 jaar oefent de leerling de rechten op het dossier zelf uit)" }
[title]
en = "Guardian viewed a 16- or 17-year-old's data beyond what they may see"
nl = "Ouder zag meer van een leerling van 16 of 17 dan toegestaan"
[explanation]
en = "Guardian {actor_id} accessed data of student {student_id} in the category {category} on {local_date}, when the student was {student_age}; without the student's permission a guardian may see only data in the categories {allowed_categories}, and no valid permission was on record (permissions for guardians on record for this student: {consent_ids})."
nl = "Ouder/verzorger {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd toen de leerling {student_age} jaar was; zonder toestemming van de leerling mag een ouder/verzorger alleen gegevens uit de categorieën {allowed_categories} inzien, en er was geen geldige toestemming vastgelegd (vastgelegde toestemmingen voor inzage door ouders bij deze leerling: {consent_ids})."
*/
-- What a guardian may see of a 16- or 17-year-old is a parameter (guardian_16_17_category; the
-- judgement's guardian_16_17_allowed).
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
       CASE WHEN u.is_special THEN 'high' ELSE 'medium' END AS severity,
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
           'allowed_categories', (SELECT coalesce(list(category ORDER BY category), [])
                                  FROM guardian_16_17_category),
           'consent_ids', coalesce(r.consent_ids, [])
       ) AS facts
FROM unpermitted u
LEFT JOIN on_record r USING (subject_id)
