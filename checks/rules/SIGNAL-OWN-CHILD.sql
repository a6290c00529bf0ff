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
-- explained is taken from what the week's access judgement recorded (access_explanations): shown, not
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
events AS (
    SELECT a.actor_id, a.student_id, a._file_hash AS file_hash, a._line AS line
    FROM access_log a
    JOIN pairs p ON p.actor_id = a.actor_id AND p.student_id = a.student_id
    CROSS JOIN audit_week w
    WHERE a.actor_type = 'staff'
      AND a.occurred_at >= w.start_at - INTERVAL 1 DAY AND a.occurred_at < w.end_at + INTERVAL 1 DAY
      AND local_date_near_week(a.occurred_at) BETWEEN w.week_start AND w.week_end
),
explained AS (
    SELECT e.actor_id, e.student_id,
           count(x.line) AS explained_events,
           list(DISTINCT coalesce(x.detail, x.explained_by) ORDER BY coalesce(x.detail, x.explained_by))
               FILTER (WHERE x.line IS NOT NULL) AS explained_by
    FROM events e
    CROSS JOIN audit_week w
    LEFT JOIN access_explanation_files f ON f.week = w.week AND f.file_hash = e.file_hash
    LEFT JOIN access_explanations x
           ON x.week = w.week AND x.file_no = f.file_no AND x.line = e.line
          AND x.explained_by IN ('involvement', 'role_allowance', 'break_glass')
    GROUP BY e.actor_id, e.student_id
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
