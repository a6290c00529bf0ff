/* rule
id = "SHARE-CONSENT-WITHDRAWN"
family = "consent"
order = 4
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = "AVG art. 7(3)"
[title]
en = "Consent withdrawn before the disclosure"
nl = "Toestemming ingetrokken vóór de verstrekking"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was withdrawn on {withdrawn_date}, on or before the day of the disclosure."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die op {withdrawn_date} is ingetrokken, op of vóór de dag van de verstrekking."
*/
-- Withdrawn on the disclosure's own (local) day already counts: nothing proves the disclosure came first.
SELECT subject_id,
       consent_severity AS severity,
       school_id,
       occurred_at,
       NULL AS actor_id,
       student_id,
       recipient_id,
       json_merge_patch(disclosure_facts, json_object('withdrawn_date', CAST(withdrawn_date AS VARCHAR))) AS facts
FROM consented_disclosures_week
WHERE withdrawn_date <= local_date
