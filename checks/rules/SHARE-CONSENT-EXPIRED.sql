/* rule
id = "SHARE-CONSENT-EXPIRED"
family = "consent"
order = 5
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = "AVG art. 6(1)(a), 7(1)"
[title]
en = "Consent expired"
nl = "Toestemming verlopen"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was only valid until {valid_until}."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die maar geldig was tot en met {valid_until}."
*/
-- valid_until is the last day the consent holds (inclusive); empty means open-ended.
SELECT subject_id,
       consent_severity AS severity,
       school_id,
       occurred_at,
       NULL AS actor_id,
       student_id,
       recipient_id,
       json_merge_patch(disclosure_facts, json_object('valid_until', CAST(valid_until AS VARCHAR))) AS facts
FROM consented_disclosures_week
WHERE valid_until < local_date
