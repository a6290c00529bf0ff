/* rule
id = "ACCESS-UNKNOWN-ACTOR"
family = "access"
order = 1
severity = "high"
subject_type = "access_event"
population = "identified_access_week"
condition = "NOT actor_known"
feeds = ["access_log", "students", "staff"]
consults = ["guardians", "documents", "consents", "calendar"]
legal_source = { en = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Sharing student data (register of who viewed what)", nl = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Leerlinggegevens delen (register van wie wat heeft ingezien)" }
[partial]
guardians = "guardian actors"
[title]
en = "Access by an unknown account"
nl = "Inzage door een onbekend account"
[explanation]
en = "Account {actor_id} accessed data of student {student_id} in the category {category} on {local_date} (system {source_system}), but it is not a known account of the kind it was logged as (staff member or guardian), so who looked cannot be established."
nl = "Account {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd (systeem {source_system}), maar het is geen bekend account van het soort waaronder het is vastgelegd (medewerker of ouder/verzorger), dus is niet vast te stellen wie er keek."
*/
-- A staff actor is known when staff has any row for it, a guardian actor when guardians has any row
-- for it, whatever the dates (checks.judgement: actor_known). Guardian actors are only in the
-- population when the guardians feed has rows: without it they cannot be judged (coverage says so).
SELECT a.subject_id,
       'high' AS severity,
       a.school_id,
       a.occurred_at,
       a.actor_id,
       a.student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', a.actor_id,
           'actor_type', a.actor_type,
           'student_id', a.student_id,
           'category', a.category,
           'local_date', CAST(a.local_date AS VARCHAR),
           'action', a.action,
           'source_system', a.source_system
       ) AS facts
FROM flagged_access a
