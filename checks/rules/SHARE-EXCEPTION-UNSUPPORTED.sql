/* rule
id = "SHARE-EXCEPTION-UNSUPPORTED"
family = "exception"
severity = "high"            # critical when a special category is disclosed
subject_type = "disclosure"
population = "exception_disclosures_week"
feeds = ["disclosures", "recipients"]
legal_source = "AVG art. 6(1)(c)-(e); WPO art. 42 / WEC art. 43; WOT, Awb 5:16-5:20; Wmo 2015 art. 5.2.6 (meldcode)"
[title]
en = "Legal exception not supported"
nl = "Wettelijke uitzondering niet onderbouwd"
[explanation]
en = "Disclosure {disclosure_id} of data of student {student_id} ({data_categories}) to {recipient_id} on {local_date} relies on the legal exception '{legal_basis}', which the recorded kind of recipient ({recipient_kind}) and evidence reference ({evidence_ref}) do not support."
nl = "Verstrekking {disclosure_id} van gegevens van leerling {student_id} ({data_categories}) aan {recipient_id} op {local_date} steunt op de wettelijke uitzondering '{legal_basis}', maar het vastgelegde soort ontvanger ({recipient_kind}) en de verwijzing naar het bewijsstuk ({evidence_ref}) onderbouwen die uitzondering niet."
*/
-- Section C: each basis names the recipient kind and/or evidence it needs. An unknown recipient
-- supports no exception; a processor basis with a processor recipient is left to section D.
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
           'recipient_known', d.recipient_known,
           'recipient_kind', d.recipient_kind,
           'local_date', CAST(d.local_date AS VARCHAR),
           'data_categories', d.disclosed_categories,
           'legal_basis', d.legal_basis,
           'evidence_ref', d.evidence
       ) AS facts
FROM exception_disclosures_week d
WHERE NOT coalesce(
    d.recipient_known AND CASE d.legal_basis
        WHEN 'educational_report' THEN d.recipient_kind = 'school'
        WHEN 'admissibility' THEN d.recipient_kind = 'samenwerkingsverband'
        WHEN 'inspectorate' THEN d.recipient_kind = 'inspectorate' AND d.evidence IS NOT NULL
        WHEN 'emergency' THEN d.recipient_kind IN ('child_protection', 'emergency_services')
                              AND d.evidence IS NOT NULL
        WHEN 'legal_obligation' THEN d.evidence IS NOT NULL
        WHEN 'processor' THEN d.recipient_kind = 'processor'
        ELSE false
    END,
    false)
