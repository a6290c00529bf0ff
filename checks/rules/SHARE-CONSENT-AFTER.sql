/* rule
id = "SHARE-CONSENT-AFTER"
family = "consent"
order = 3
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = "AVG art. 6(1)(a), 7(1)"
[title]
en = "Consent given after the disclosure"
nl = "Toestemming pas na de verstrekking gegeven"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was only given on {consent_date}, after the disclosure."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die pas op {consent_date} is gegeven, na de verstrekking."
*/
-- Local dates on both sides: a consent given the same day counts as given before.
SELECT subject_id,
       consent_severity AS severity,
       school_id,
       occurred_at,
       NULL AS actor_id,
       student_id,
       recipient_id,
       json_merge_patch(disclosure_facts, json_object('consent_date', CAST(given_date AS VARCHAR))) AS facts
FROM consented_disclosures_week
WHERE given_date > local_date
