/* rule
id = "SHARE-CONSENT-SCOPE"
family = "consent"
order = 7
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
consults = ["guardians"]
legal_source = { en = "AVG art. 5(1)(b), 6(1)(a), 7(1); Ouders & Onderwijs (consent used for that purpose only)", nl = "AVG art. 5(1)(b), 6(1)(a), 7(1); Ouders & Onderwijs (toestemming alleen gebruikt voor dat doel)" }
[title]
en = "Disclosure outside the scope of the consent"
nl = "Verstrekking valt buiten de toestemming"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} for the purpose '{purpose}' on {local_date} goes beyond consent {consent_id}, which covers recipient {consent_recipient_id}, purpose '{consent_purpose}' and the categories {consent_categories} (disclosed categories it does not cover: {uncovered_categories})."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} voor het doel '{purpose}' op {local_date} gaat verder dan toestemming {consent_id}, die geldt voor ontvanger {consent_recipient_id}, het doel '{consent_purpose}' en de categorieën {consent_categories} (verstrekte categorieën die er niet onder vallen: {uncovered_categories})."
*/
-- Three ways out of scope: another named recipient (an empty recipient_id names nobody in particular),
-- another purpose (compared without surrounding white space, case-insensitive), or a disclosed
-- category the consent does not list (empty data_categories: its categories are unknown, none covered).
WITH judged AS (
    SELECT d.*,
           c.consent_id,
           nullif(trim(c.recipient_id), '') AS consent_recipient_id,
           c.purpose AS consent_purpose,
           lower(regexp_replace(c.purpose, '^\s+|\s+$', '', 'g'))
               <> lower(regexp_replace(d.purpose, '^\s+|\s+$', '', 'g')) AS other_purpose,
           coalesce(c.data_categories, []) AS consent_categories,
           list_distinct(list_filter(
               d.disclosed_categories,
               lambda category: NOT list_contains(coalesce(c.data_categories, []), category)
           )) AS uncovered_categories
    FROM consent_disclosures_week d
    JOIN consent_local c ON c.consent_id = d.consent_ref AND c.student_id = d.student_id
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
           'purpose', j.purpose,
           'consent_id', j.consent_id,
           'consent_recipient_id', j.consent_recipient_id,
           'consent_purpose', j.consent_purpose,
           -- empty lists are left out (NULL), so that the report shows its 'none' mark
           'consent_categories', nullif(j.consent_categories, []),
           'uncovered_categories', nullif(list_sort(j.uncovered_categories), []),
           'other_recipient', coalesce(j.consent_recipient_id <> j.recipient_id, false),
           'other_purpose', j.other_purpose
       ) AS facts
FROM judged j
WHERE (j.consent_recipient_id IS NOT NULL AND j.consent_recipient_id <> j.recipient_id)
   OR j.other_purpose
   OR len(j.uncovered_categories) > 0
