/* rule
id = "SHARE-CONSENT-AFTER"
family = "consent"
order = 3
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
legal_source = "AVG art. 6(1)(a), 7(1)"
[title]
en = "Consent given after the disclosure"
nl = "Toestemming pas na de verstrekking gegeven"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, which was only given on {consent_date}, after the disclosure."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die pas op {consent_date} is gegeven, na de verstrekking."
*/
-- Local dates on both sides: a consent given the same day counts as given before.
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
           'consent_date', CAST(c.given_date AS VARCHAR)
       ) AS facts
FROM consent_disclosures_week d
JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
WHERE c.given_date > d.local_date
