/* rule
id = "ACCESS-SHARED-ACCOUNT"
family = "access"
order = 2
severity = "high"
subject_type = "access_event"
population = "staff_access_week"
condition = "shared_account"
feeds = ["access_log", "students", "staff"]
consults = ["guardians", "documents", "consents", "calendar"]
legal_source = { en = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Sharing student data (register of who viewed what)", nl = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Leerlinggegevens delen (register van wie wat heeft ingezien)" }
[title]
en = "Access through a shared account"
nl = "Inzage via een gedeeld account"
[explanation]
en = "Shared account {actor_id} accessed data of student {student_id} in the category {category} on {local_date} (system {source_system}); because several people use this account, the register cannot say which person looked."
nl = "Het gedeelde account {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd (systeem {source_system}); omdat meerdere mensen dit account gebruiken, kan het logboek niet laten zien wie er keek."
*/
-- Any staff row of the account with account_type = shared makes it a shared account (checks.judgement).
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
