/* rule
id = "PROCESSOR-AGREEMENT-INCOMPLETE"
family = "standing"
severity = "medium"
subject_type = "agreement"
population = "agreements_in_force_week"
feeds = ["recipients", "processor_agreements"]
consults = ["students"]
legal_source = { en = "AVG art. 28(3)(f), 28(3)(g); Privacyconvenant Onderwijs (model processor agreement)", nl = "AVG art. 28(3)(f), 28(3)(g); Privacyconvenant Onderwijs (model-verwerkersovereenkomst)" }
[title]
en = "Processor agreement incomplete"
nl = "Verwerkersovereenkomst onvolledig"
[explanation]
en = "Processor agreement {agreement_id} with {recipient_name} ({recipient_id}), in force on {as_of}, lacks a clause that GDPR art. 28(3) requires, point {missing_clauses} (f: notifying data breaches; g: deleting or returning the data when the service ends)."
nl = "Verwerkersovereenkomst {agreement_id} met {recipient_name} ({recipient_id}), van kracht op {as_of}, mist een bepaling die AVG art. 28 lid 3 verplicht stelt, onderdeel {missing_clauses} (f: melden van datalekken; g: verwijderen of teruggeven van de gegevens als de dienst stopt)."
*/
-- A clause counts only when the agreement records it as true; empty (unknown) is not a clause.
-- missing_clauses names the points of art. 28(3): f = breach notification, g = deletion or return.
WITH judged AS (
    SELECT a.*,
           list_filter(
               [CASE WHEN NOT coalesce(a.breach_notification, false) THEN 'f' END,
                CASE WHEN NOT coalesce(a.deletion_clause, false) THEN 'g' END],
               lambda point: point IS NOT NULL) AS missing_clauses
    FROM agreements_in_force_week a
)
SELECT j.subject_id,
       'medium' AS severity,
       NULL AS school_id,
       NULL AS occurred_at,
       NULL AS actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'agreement_id', j.agreement_id,
           'recipient_id', j.recipient_id,
           'recipient_name', j.recipient_name,
           'as_of', CAST(j.as_of AS VARCHAR),
           'breach_notification', j.breach_notification,
           'deletion_clause', j.deletion_clause,
           'missing_clauses', j.missing_clauses
       ) AS facts
FROM judged j
WHERE len(j.missing_clauses) > 0
