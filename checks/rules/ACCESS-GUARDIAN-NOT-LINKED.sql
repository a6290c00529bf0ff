/* rule
id = "ACCESS-GUARDIAN-NOT-LINKED"
family = "access"
order = 6
severity = "high"
subject_type = "access_event"
population = "guardian_access_week"
condition = "NOT linked AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "guardians"]
consults = ["documents", "consents", "calendar"]
legal_source = "AVG art. 5(1)(f), 25(2), 32; BW 1:377c"
[title]
en = "Guardian viewed a student they are not linked to"
nl = "Ouder zag gegevens van een niet-gekoppelde leerling"
[explanation]
en = "Guardian {actor_id} accessed data of student {student_id} in the category {category} on {local_date}, but no guardian record links them to this student on that day (last link ended: {last_link_end}; next link starts: {next_link_start})."
nl = "Ouder/verzorger {actor_id} heeft op {local_date} gegevens van leerling {student_id} uit de categorie {category} geraadpleegd, maar volgens de gegevens van ouders en verzorgers was hij of zij die dag niet aan deze leerling gekoppeld (vorige koppeling eindigde: {last_link_end}; volgende koppeling begint: {next_link_start})."
*/
-- linked (checks.judgement): a guardians row for (actor, student) in force on the local date.
WITH unlinked AS (
    SELECT * FROM flagged_access
),
links AS (
    -- for the explanation only: the link with this student that ended last, or starts next
    SELECT u.subject_id,
           max(g.valid_to) FILTER (WHERE g.valid_to < u.local_date) AS last_end,
           min(g.valid_from) FILTER (WHERE g.valid_from > u.local_date) AS next_start
    FROM unlinked u
    JOIN guardians g ON g.guardian_id = u.actor_id AND g.student_id = u.student_id
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
           'last_link_end', CAST(l.last_end AS VARCHAR),
           'next_link_start', CAST(l.next_start AS VARCHAR)
       ) AS facts
FROM unlinked u
LEFT JOIN links l USING (subject_id)
