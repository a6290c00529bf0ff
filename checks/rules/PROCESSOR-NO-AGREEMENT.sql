/* rule
id = "PROCESSOR-NO-AGREEMENT"
family = "processor"
severity = "high"
subject_type = "disclosure"
population = "processor_disclosures_week"
feeds = ["disclosures", "recipients", "processor_agreements"]
consults = ["students"]
legal_source = { en = "AVG art. 28(1), 28(3); Privacyconvenant Onderwijs (model processor agreement)", nl = "AVG art. 28(1), 28(3); Privacyconvenant Onderwijs (model-verwerkersovereenkomst)" }
[title]
en = "Processor without a processor agreement"
nl = "Verwerker zonder verwerkersovereenkomst"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) on {local_date} went to processor {recipient_name} ({recipient_id}), with which there is no processor agreement at all."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) op {local_date} ging naar verwerker {recipient_name} ({recipient_id}), met wie helemaal geen verwerkersovereenkomst is gesloten."
*/
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
           'data_categories', d.disclosed_categories
       ) AS facts
FROM processor_disclosures_week d
LEFT JOIN (SELECT DISTINCT recipient_id FROM processor_agreements) a
       ON a.recipient_id = d.recipient_id
WHERE a.recipient_id IS NULL
