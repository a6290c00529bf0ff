/* rule
id = "ACCESS-BREAK-GLASS-UNJUSTIFIED"
family = "access"
order = 3
severity = "high"
subject_type = "access_event"
population = "access_week"
condition = "break_glass AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff"]
consults = ["guardians", "documents", "consents", "calendar"]
legal_source = { en = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Sharing student data (register of who viewed what)", nl = "AVG art. 5(1)(f), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Leerlinggegevens delen (register van wie wat heeft ingezien)" }
[title]
en = "Emergency access without a justification"
nl = "Noodtoegang zonder reden"
[explanation]
en = "Account {actor_id} used the emergency override (break glass) to access data of student {student_id} in the category {category} on {local_date} (system {source_system}) without giving a justification."
nl = "Account {actor_id} heeft op {local_date} via de noodtoegang gegevens van leerling {student_id} uit de categorie {category} geraadpleegd (systeem {source_system}) zonder een reden op te geven."
*/
-- A justification of only spaces is empty. A justified break glass gets no finding from this or any
-- later access rule; the report lists it for review.
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
