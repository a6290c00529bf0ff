/* rule
id = "SHARE-CONSENT-INVALID-FORM"
family = "consent"
order = 2
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
legal_source = "AVG art. 4(11), 7(1); recital 32"
[title]
en = "Consent not given in a valid form"
nl = "Toestemming niet in een geldige vorm gegeven"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was not given in writing or with a digital signature (recorded form: {form}), so it is neither actively given nor provable."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die niet schriftelijk of met een digitale handtekening is gegeven (vastgelegde vorm: {form}), en dus niet actief gegeven en niet aantoonbaar is."
*/
-- Silence, opt-out, implied or verbal consent is not active and provable consent.
SELECT d.subject_id,
       CASE WHEN d.is_special THEN 'critical' ELSE 'high' END AS severity,
       d.school_id,
       d.occurred_at,
       NULL AS actor_id,
       d.student_id,
       d.recipient_id,
       json_object(
           'disclosure_id', d.disclosure_id,
           'student_id', d.student_id,
           'recipient_id', d.recipient_id,
           'local_date', CAST(d.local_date AS VARCHAR),
           'data_categories', d.disclosed_categories,
           'consent_id', c.consent_id,
           'form', c.form
       ) AS facts
FROM consent_disclosures_week d
JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
WHERE c.form NOT IN ('written', 'digital_signature')
