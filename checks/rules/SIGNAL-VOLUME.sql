/* rule
id = "SIGNAL-VOLUME"
family = "signal"
severity = "medium"
subject_type = "account"
population = "signal_accounts_week"
feeds = ["access_log", "staff"]
consults = ["students"]
parameters = ["volume_min_students", "volume_factor", "volume_min_peers"]
legal_source = { en = "AVG art. 5(1)(f), 32 (detecting misuse of access rights); Kennisnet Normenkader IBP SM.04", nl = "AVG art. 5(1)(f), 32 (misbruik van toegangsrechten opsporen); Kennisnet Normenkader IBP SM.04" }
[title]
en = "Far more student files than colleagues"
nl = "Veel meer leerlingdossiers dan collega's"
[explanation]
en = "Staff account {actor_id} touched the data of {students} different students in week {week}: at least {volume_min_students}, and at least {volume_factor} times the median of its peers in every peer group it is in (peer groups: {peer_groups}; the highest median, {peer_median}, is that of the {peer_accounts} active accounts with the role {peer_role} at school {peer_school}). A pattern to look into, not a violation in itself."
nl = "Medewerkersaccount {actor_id} heeft in week {week} gegevens van {students} verschillende leerlingen geraadpleegd: minstens {volume_min_students}, en minstens {volume_factor} keer de mediaan van de collega's in elke vergelijkingsgroep waarin het zit (vergelijkingsgroepen: {peer_groups}; de hoogste mediaan, {peer_median}, is die van de {peer_accounts} actieve accounts met de rol {peer_role} op school {peer_school}). Een patroon om na te gaan, geen overtreding op zich."
*/
-- An account passes only when it passes in every one of its peer groups; a group with fewer than
-- volume_min_peers active accounts, or no group at all, leaves nothing to compare with: no signal.
WITH judged AS (
    SELECT a.subject_id, a.actor_id, a.students, a.first_at,
           count(*) AS peer_groups,
           bool_and(g.accounts >= s.volume_min_peers) AS comparable,
           bool_and(a.students >= s.volume_factor * g.median_students) AS above_every_median,
           -- the group that is hardest to pass, for the explanation
           first({'school_id': g.school_id, 'role': g.role, 'accounts': g.accounts,
                  'median': g.median_students} ORDER BY g.median_students DESC, g.school_id, g.role) AS hardest,
           any_value(s.volume_min_students) AS volume_min_students,
           any_value(s.volume_factor) AS volume_factor
    FROM signal_accounts_week a
    JOIN signal_peer_groups_week g ON g.actor_id = a.actor_id
    CROSS JOIN audit_settings s
    GROUP BY a.subject_id, a.actor_id, a.students, a.first_at
)
SELECT j.subject_id,
       'medium' AS severity,
       NULL AS school_id,
       j.first_at AS occurred_at,
       j.actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', j.actor_id,
           'week', w.week,
           'students', j.students,
           'volume_min_students', j.volume_min_students,
           'volume_factor', CASE WHEN j.volume_factor = floor(j.volume_factor)
                                 THEN to_json(CAST(j.volume_factor AS BIGINT)) ELSE to_json(j.volume_factor) END,
           'peer_groups', j.peer_groups,
           'peer_median', CASE WHEN j.hardest.median = floor(j.hardest.median)
                               THEN to_json(CAST(j.hardest.median AS BIGINT)) ELSE to_json(j.hardest.median) END,
           'peer_accounts', j.hardest.accounts,
           'peer_role', j.hardest.role,
           'peer_school', j.hardest.school_id
       ) AS facts
FROM judged j, audit_week w
WHERE j.comparable AND j.above_every_median AND j.students >= j.volume_min_students
