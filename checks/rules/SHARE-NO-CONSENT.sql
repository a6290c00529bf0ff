/* rule
id = "SHARE-NO-CONSENT"
family = "consent"
order = 1
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = { en = "AVG art. 4(11), 6(1)(a), 7(1); recital 32", nl = "AVG art. 4(11), 6(1)(a), 7(1); overweging 32" }
[title]
en = "Disclosure on consent without a consent"
nl = "Verstrekking op toestemming zonder toestemming"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent, but no consent of this student is on record under the consent named (consent: {consent_id}; registered for student: {consent_student_id})."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming, maar onder de genoemde toestemming is geen toestemming van deze leerling geregistreerd (toestemming: {consent_id}; geregistreerd voor leerling: {consent_student_id})."
*/
-- The consent relied on must exist and be this student's. consent_id is the consents key.
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
           'consent_id', d.consent_ref,
           'consent_problem', CASE WHEN d.consent_ref IS NULL THEN 'missing'
                                   WHEN c.consent_id IS NULL THEN 'unknown'
                                   ELSE 'other_student' END,
           'consent_student_id', c.student_id
       ) AS facts
FROM consent_disclosures_week d
LEFT JOIN consents c ON c.consent_id = d.consent_ref
WHERE c.consent_id IS NULL
   OR c.student_id IS DISTINCT FROM d.student_id
