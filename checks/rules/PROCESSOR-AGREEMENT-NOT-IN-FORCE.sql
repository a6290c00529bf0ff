/* rule
id = "PROCESSOR-AGREEMENT-NOT-IN-FORCE"
family = "processor"
severity = "high"
subject_type = "disclosure"
population = "processor_disclosures_week"
feeds = ["disclosures", "recipients", "processor_agreements"]
consults = ["students"]
legal_source = { en = "AVG art. 28(3), 28(9); Privacyconvenant Onderwijs (model processor agreement)", nl = "AVG art. 28(3), 28(9); Privacyconvenant Onderwijs (model-verwerkersovereenkomst)" }
[title]
en = "Processor agreement not in force"
nl = "Verwerkersovereenkomst niet van kracht"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) on {local_date} went to processor {recipient_name} ({recipient_id}), but none of its processor agreements ({agreement_ids}) was signed on or before that day and in force on it."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) op {local_date} ging naar verwerker {recipient_name} ({recipient_id}), maar geen van de verwerkersovereenkomsten met deze verwerker ({agreement_ids}) was op die dag ondertekend en van kracht."
*/
-- Agreements exist (else PROCESSOR-NO-AGREEMENT), but none is signed on or before the disclosure's
-- date and in force on it. Per agreement we note why (facts for the report, in codes).
WITH agreement_on_day AS (
    SELECT d.subject_id,
           a.agreement_id,
           agreement_in_force(a.signed_at, a.valid_from, a.valid_to, d.local_date) AS in_force,
           list_filter(
               [CASE WHEN a.signed_at IS NULL THEN 'unsigned'
                     WHEN a.signed_at > d.local_date THEN 'signed_later' END,
                CASE WHEN a.valid_from > d.local_date THEN 'not_yet_valid' END,
                CASE WHEN a.valid_to < d.local_date THEN 'expired' END],
               lambda problem: problem IS NOT NULL) AS problems
    FROM processor_disclosures_week d
    JOIN processor_agreements a ON a.recipient_id = d.recipient_id
),
none_in_force AS (
    SELECT subject_id,
           list(agreement_id ORDER BY agreement_id) AS agreement_ids,
           list_sort(list_distinct(flatten(list(problems)))) AS agreement_problems
    FROM agreement_on_day
    GROUP BY subject_id
    HAVING NOT bool_or(in_force)
)
SELECT d.subject_id,
       'high' AS severity,
       d.school_id,
       d.occurred_at,
       NULL AS actor_id,
       d.student_id,
       d.recipient_id,
       json_object(
           'disclosure_id', d.disclosure_id,
           'student_id', d.student_id,
           'recipient_id', d.recipient_id,
           'recipient_name', d.recipient_name,
           'local_date', CAST(d.local_date AS VARCHAR),
           'data_categories', d.disclosed_categories,
           'agreement_ids', n.agreement_ids,
           'agreement_problems', n.agreement_problems
       ) AS facts
FROM processor_disclosures_week d
JOIN none_in_force n USING (subject_id)
