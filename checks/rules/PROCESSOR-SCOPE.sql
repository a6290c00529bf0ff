/* rule
id = "PROCESSOR-SCOPE"
family = "processor"
severity = "medium"          # high when an uncovered category is special
subject_type = "disclosure"
population = "processor_disclosures_week"
feeds = ["disclosures", "recipients", "processor_agreements"]
consults = ["students"]
legal_source = { en = "AVG art. 28(3); Privacyconvenant Onderwijs (model processor agreement, privacy annex)", nl = "AVG art. 28(3); Privacyconvenant Onderwijs (model-verwerkersovereenkomst, privacybijlage)" }
[title]
en = "Processor agreement does not cover the data"
nl = "Verwerkersovereenkomst dekt de gegevens niet"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) on {local_date} went to processor {recipient_name} ({recipient_id}), but the processor agreements in force that day ({agreement_ids}) cover only these categories: {covered_categories}; not covered: {uncovered_categories}."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) op {local_date} ging naar verwerker {recipient_name} ({recipient_id}), maar de verwerkersovereenkomsten die die dag van kracht waren ({agreement_ids}) dekken alleen deze categorieën: {covered_categories}; niet gedekt: {uncovered_categories}."
*/
-- Only when an agreement is in force (signed and valid on the disclosure's date); without one the
-- other processor rules speak. Several agreements in force cover the union of their categories; an
-- agreement with empty data_categories covers nothing.
WITH in_force AS (
    SELECT d.subject_id,
           list(a.agreement_id ORDER BY a.agreement_id) AS agreement_ids,
           list_sort(list_distinct(flatten(list(coalesce(a.data_categories, []))))) AS covered_categories
    FROM processor_disclosures_week d
    JOIN processor_agreements a
      ON a.recipient_id = d.recipient_id
     AND agreement_in_force(a.signed_at, a.valid_from, a.valid_to, d.local_date)
    GROUP BY d.subject_id
),
judged AS (
    SELECT d.*, f.agreement_ids, f.covered_categories,
           list_sort(list_distinct(list_filter(
               d.disclosed_categories,
               lambda category: NOT list_contains(f.covered_categories, category)
           ))) AS uncovered_categories
    FROM processor_disclosures_week d
    JOIN in_force f USING (subject_id)
)
SELECT j.subject_id,
       CASE WHEN list_has_any(j.uncovered_categories, j.special_categories)
            THEN 'high' ELSE 'medium' END AS severity,
       j.school_id,
       j.occurred_at,
       NULL AS actor_id,
       j.student_id,
       j.recipient_id,
       json_object(
           'disclosure_id', j.disclosure_id,
           'student_id', j.student_id,
           'recipient_id', j.recipient_id,
           'recipient_name', j.recipient_name,
           'local_date', CAST(j.local_date AS VARCHAR),
           'data_categories', j.disclosed_categories,
           'agreement_ids', j.agreement_ids,
           -- an empty list is left out (NULL), so that the report shows its 'none' mark
           'covered_categories', nullif(j.covered_categories, []),
           'uncovered_categories', j.uncovered_categories
       ) AS facts
FROM judged j
WHERE len(j.uncovered_categories) > 0
