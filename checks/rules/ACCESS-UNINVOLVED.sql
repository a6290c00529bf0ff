/* rule
id = "ACCESS-UNINVOLVED"
family = "access"
order = 10
severity = "high"            # critical when the category is special
subject_type = "access_event"
population = "staff_access_week"
condition = "NOT involved AND NOT role_allowed AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "involvements|oneroster"]
consults = ["guardians", "documents", "consents", "calendar"]
parameters = ["grace_before_days", "grace_after_days", "role_allowances"]
legal_source = { en = "AVG art. 5(1)(f), 25(2), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Sharing student data", nl = "AVG art. 5(1)(f), 25(2), 32; Kennisnet Normenkader IBP SM.04; Ouders & Onderwijs, Leerlinggegevens delen" }
[title]
en = "Access without involvement"
nl = "Inzage zonder betrokkenheid"
[explanation]
en = "Staff member {actor_id} accessed data of student {student_id} in the category {category} on {local_date}, with no involvement with this student in force that day and no role at the student's school that allows this category (earlier involvements with this student: {earlier_involvements}; last one ended: {last_involvement})."
nl = "Medewerker {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd, zonder dat er die dag een betrokkenheid bij deze leerling was en zonder een rol op de school van de leerling die inzage in deze categorie geeft (eerdere betrokkenheden bij deze leerling: {earlier_involvements}; laatste einddatum: {last_involvement})."
*/
-- Explain, then flag: an access is explained by an involvement window (with grace; checks.judgement's
-- involved) or by a role allowance at the student's school in force that day (role_allowed); what
-- remains is a finding. A justified break glass is explained too (rule 3 judges the unjustified ones).
-- A grant of the privacy officer may be limited to some categories (NULL: every category).
WITH unexplained AS (
    SELECT * FROM flagged_access
),
last_involvement AS (
    -- for the explanation only: the actor's involvements with this student that had ended by then
    SELECT u.subject_id, count(*) AS ended, max(i.valid_to) AS last_end
    FROM unexplained u
    JOIN involvement_all i
      ON i.staff_id = u.actor_id AND i.student_id = u.student_id AND i.valid_to < u.local_date
    GROUP BY u.subject_id
)
SELECT u.subject_id,
       CASE WHEN u.is_special THEN 'critical' ELSE 'high' END AS severity,
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
           'earlier_involvements', coalesce(l.ended, 0),
           'last_involvement', CAST(l.last_end AS VARCHAR)
       ) AS facts
FROM unexplained u
LEFT JOIN last_involvement l USING (subject_id)
