/* rule
id = "PROCESSOR-NOT-PSEUDONYMISED"
family = "processor"
severity = "medium"          # high when the bsn is sent
subject_type = "disclosure"
population = "processor_disclosures_week"
feeds = ["disclosures", "recipients", "processor_agreements"]
consults = ["students"]
legal_source = "AVG art. 4(5), 25, 32(1)(a); WPO art. 178a (ECK iD); Privacyconvenant Onderwijs"
[title]
en = "Direct identifiers sent to an educational content supplier"
nl = "Direct identificerende gegevens naar een leverancier van leermiddelen"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} on {local_date} to {recipient_name} ({recipient_id}), a supplier in the educational content chain, included the identifying fields {direct_identifiers}, although the student has a chain pseudonym (ECK iD) that should replace them."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} op {local_date} aan {recipient_name} ({recipient_id}), een leverancier in de educatieve contentketen, bevatte de identificerende velden {direct_identifiers}, terwijl de leerling een ketenpseudoniem (ECK iD) heeft dat deze gegevens hoort te vervangen."
*/
-- In the content chain the ECK iD replaces direct identifiers; sending them anyway (the student has
-- one) is avoidable identification. The citizen service number (bsn) makes it worse. An unknown
-- student has no ECK iD on record, so the rule cannot apply.
WITH judged AS (
    SELECT d.*,
           list_sort(list_distinct(list_filter(
               coalesce(d.identifiers, []),
               lambda identifier: identifier IN ('name', 'birth_date', 'address', 'bsn')
           ))) AS direct_identifiers
    FROM processor_disclosures_week d
    WHERE d.recipient_content_chain AND nullif(trim(d.student_eck_id), '') IS NOT NULL
)
SELECT j.subject_id,
       CASE WHEN list_contains(j.direct_identifiers, 'bsn') THEN 'high' ELSE 'medium' END AS severity,
       j.school_id,
       j.occurred_at,
       NULL AS actor_id,
       j.student_id,
       j.recipient_id,
       json_object(
           'disclosure_id', j.disclosure_id,
           'student_id', j.student_id,
           'recipient_id', j.recipient_id,
           'recipient_name', j.recipient_name,
           'local_date', CAST(j.local_date AS VARCHAR),
           'data_categories', j.disclosed_categories,
           'identifiers', coalesce(j.identifiers, []),
           'direct_identifiers', j.direct_identifiers
       ) AS facts
FROM judged j
WHERE len(j.direct_identifiers) > 0
