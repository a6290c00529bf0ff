/* rule
id = "SHARE-CONSENT-AGE-TRANSITION"
family = "consent"
order = 8                    # "none of the above": any other consent finding on the disclosure wins
severity = "info"            # always: not a violation
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
parameters = ["leap_day_birthday"]
legal_source = { en = "AVG art. 7(3), 8; UAVG art. 5; Ouders & Onderwijs (from 16 the student decides)", nl = "AVG art. 7(3), 8; UAVG art. 5; Ouders & Onderwijs (vanaf 16 jaar beslist de leerling zelf)" }
[title]
en = "Parental consent, student now 16 or older"
nl = "Toestemming van de ouder, leerling inmiddels 16 of ouder"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on consent {consent_id}, given on {consent_date} by guardian {given_by_id} when the student was {age_at_consent} years old; the student is now {age_at_disclosure}. Not a violation: the consent stays valid until the student withdraws it, but the student should be told that they can."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op toestemming {consent_id}, die op {consent_date} is gegeven door ouder of voogd {given_by_id} toen de leerling {age_at_consent} jaar was; de leerling is nu {age_at_disclosure}. Geen overtreding: de toestemming blijft geldig tot de leerling haar intrekt, maar de leerling moet horen dat dat kan."
*/
-- A notice, not a violation. The runner's precedence (order 8, the last of the family) makes it
-- "none of the above". An unknown student has no age, so it cannot apply.
WITH judged AS (
    SELECT d.*,
           c.consent_id, c.given_by_id, c.given_by_role, c.given_date,
           age_at(d.student_birth_date, c.given_date) AS age_at_consent,
           age_at(d.student_birth_date, d.local_date) AS age_at_disclosure
    FROM consent_disclosures_week d
    JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
    WHERE d.student_birth_date IS NOT NULL
)
SELECT j.subject_id,
       'info' AS severity,
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
           'age_at_consent', j.age_at_consent,
           'age_at_disclosure', j.age_at_disclosure
       ) AS facts
FROM judged j
WHERE j.given_by_role = 'guardian' AND j.age_at_consent < 16 AND j.age_at_disclosure >= 16
