/* rule
id = "SHARE-CONSENT-EXPIRED"
family = "consent"
order = 5
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
legal_source = "AVG art. 6(1)(a), 7(1)"
[title]
en = "Consent expired"
nl = "Toestemming verlopen"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was only valid until {valid_until}."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die maar geldig was tot en met {valid_until}."
*/
-- valid_until is the last day the consent holds (inclusive); empty means open-ended.
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
           'valid_until', CAST(c.valid_until AS VARCHAR)
       ) AS facts
FROM consent_disclosures_week d
JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
WHERE c.valid_until < d.local_date
