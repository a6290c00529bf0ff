/* rule
id = "SHARE-CONSENT-INVALID-FORM"
family = "consent"
order = 2
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = { en = "AVG art. 4(11), 7(1); recital 32", nl = "AVG art. 4(11), 7(1); overweging 32" }
[title]
en = "Consent not given in a valid form"
nl = "Toestemming niet in een geldige vorm gegeven"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was not given in writing or with a digital signature (recorded form: {form}), so it is neither actively given nor provable."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die niet schriftelijk of met een digitale handtekening is gegeven (vastgelegde vorm: {form}), en dus niet actief gegeven en niet aantoonbaar is."
*/
-- Silence, opt-out, implied or verbal consent is not active and provable consent.
SELECT subject_id,
       consent_severity AS severity,
       school_id,
       occurred_at,
       NULL AS actor_id,
       student_id,
       recipient_id,
       json_merge_patch(disclosure_facts, json_object('form', form)) AS facts
FROM consented_disclosures_week
WHERE form NOT IN ('written', 'digital_signature')
