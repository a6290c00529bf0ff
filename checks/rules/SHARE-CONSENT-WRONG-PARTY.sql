/* rule
id = "SHARE-CONSENT-WRONG-PARTY"
family = "consent"
order = 6
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
parameters = ["leap_day_birthday"]
legal_source = "AVG art. 8; UAVG art. 5; AVG art. 7(1)"
[title]
en = "Consent given by the wrong person"
nl = "Toestemming door de verkeerde persoon gegeven"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, given on {consent_date} by {given_by_id} when the student was {age_at_consent} years old: under 16 only a guardian with parental authority on that day can consent, from 16 only the student."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die op {consent_date} is gegeven door {given_by_id} toen de leerling {age_at_consent} jaar was: onder de 16 kan alleen een ouder of voogd die die dag het ouderlijk gezag had toestemming geven, vanaf 16 alleen de leerling zelf."
*/
-- Judged at the consent's (local) date. An unknown student has no age, so the rule cannot apply.
-- Under 16: given_by_id must be a guardian of this student with parental authority in force that day
-- (whatever given_by_role says). From 16: the student must have given it.
WITH judged AS (
    SELECT d.*,
           c.consent_id, c.given_by_id, c.given_by_role, c.given_date,
           age_at(d.student_birth_date, c.given_date) AS age_at_consent
    FROM consent_disclosures_week d
    JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
    WHERE d.student_birth_date IS NOT NULL
),
authority_on_consent_date AS (
    SELECT DISTINCT j.subject_id
    FROM judged j
    JOIN guardians g
      ON g.guardian_id = j.given_by_id AND g.student_id = j.student_id AND g.parental_authority
     AND in_force(g.valid_from, g.valid_to, j.given_date)
)
SELECT j.subject_id,
       CASE WHEN j.is_special THEN 'critical' ELSE 'high' END AS severity,
       j.school_id,
       j.occurred_at,
       NULL AS actor_id,
       j.student_id,
       j.recipient_id,
       json_object(
           'disclosure_id', j.disclosure_id,
           'student_id', j.student_id,
           'recipient_id', j.recipient_id,
           'local_date', CAST(j.local_date AS VARCHAR),
           'data_categories', j.disclosed_categories,
           'consent_id', j.consent_id,
           'consent_date', CAST(j.given_date AS VARCHAR),
           'given_by_id', j.given_by_id,
           'given_by_role', j.given_by_role,
           'age_at_consent', j.age_at_consent
       ) AS facts
FROM judged j
LEFT JOIN authority_on_consent_date a USING (subject_id)
WHERE CASE WHEN j.age_at_consent < 16 THEN a.subject_id IS NULL
           ELSE NOT (j.given_by_role = 'student' AND j.given_by_id = j.student_id) END
