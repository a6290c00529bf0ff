/* rule
id = "SIGNAL-OWN-CHILD"
family = "signal"
severity = "medium"
subject_type = "account"
population = "signal_account_students_week"
feeds = ["access_log", "staff", "guardians"]
consults = ["students"]
legal_source = { en = "AVG art. 5(1)(b), 5(1)(f), 32 (access for the school's tasks only); Kennisnet Normenkader IBP SM.04", nl = "AVG art. 5(1)(b), 5(1)(f), 32 (inzage alleen voor de taak van de school); Kennisnet Normenkader IBP SM.04" }
[title]
en = "Own child's file opened through a staff account"
nl = "Dossier van het eigen kind geopend via een medewerkersaccount"
[explanation]
en = "Staff account {actor_id} accessed the data of student {student_id}, of whom its holder is registered as guardian ({relation}), in week {week}: accesses: {events}, the first on {first_day}. Of these, explained by an involvement, a role or a justified break glass: {explained_events} ({explained_by}). Whether the parent looked as a staff member or as a parent is for the privacy officer to judge."
nl = "Medewerkersaccount {actor_id} heeft in week {week} gegevens geraadpleegd van leerling {student_id}, van wie de houder als ouder of verzorger is geregistreerd ({relation}): inzagen: {events}, de eerste op {first_day}. Daarvan verklaard door een betrokkenheid, een rol of een gerechtvaardigde noodtoegang: {explained_events} ({explained_by}). Of de ouder keek als medewerker of als ouder, beoordeelt de privacyfunctionaris."
*/
-- A guardians row for the student (any dates) whose staff_id is the actor. Whether the accesses were
-- explained is taken from what the week's access judgement recorded (own_child_accesses): shown, not
-- judged; without the access rules, none counts as explained.
WITH own_child AS (
    SELECT trim(staff_id) AS actor_id, student_id, min(relation) AS relation
    FROM guardians
    WHERE nullif(trim(staff_id), '') IS NOT NULL
    GROUP BY trim(staff_id), student_id
),
pairs AS (
    SELECT p.*, o.relation FROM signal_account_students_week p
    JOIN own_child o ON o.actor_id = p.actor_id AND o.student_id = p.student_id
),
explained AS (
    -- the week's accesses of the pair as the access judgement explained them (the runner's
    -- own_child_accesses, from checks.judgement)
    SELECT actor_id, student_id,
           count(*) FILTER (WHERE explained_by IN ('involvement', 'role_allowance', 'break_glass'))
               AS explained_events,
           list(DISTINCT coalesce(detail, explained_by) ORDER BY coalesce(detail, explained_by))
               FILTER (WHERE explained_by IN ('involvement', 'role_allowance', 'break_glass')) AS explained_by
    FROM own_child_accesses
    GROUP BY actor_id, student_id
)
SELECT p.subject_id,
       'medium' AS severity,
       st.school_id,
       p.first_at AS occurred_at,
       p.actor_id,
       p.student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', p.actor_id,
           'student_id', p.student_id,
           'week', w.week,
           'relation', p.relation,
           'events', p.events,
           'first_day', CAST(local_date_of(p.first_at) AS VARCHAR),
           'explained_events', coalesce(x.explained_events, 0),
           'explained_by', coalesce(x.explained_by, [])
       ) AS facts
FROM pairs p
CROSS JOIN audit_week w
LEFT JOIN explained x ON x.actor_id = p.actor_id AND x.student_id = p.student_id
LEFT JOIN students st ON st.student_id = p.student_id
