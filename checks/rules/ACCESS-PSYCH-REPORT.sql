/* rule
id = "ACCESS-PSYCH-REPORT"
family = "access"
order = 4
severity = "critical"
subject_type = "access_event"
population = "psych_report_access_week"
condition = "NOT assessed AND NOT justified_break_glass"
feeds = ["access_log", "students", "staff", "involvements"]
consults = ["guardians", "documents", "consents", "calendar"]
legal_source = { en = "AVG art. 5(1)(f), 9, 25(2), 32; Ouders & Onderwijs, Sharing student data (a psychological report only for those involved in the assessment)", nl = "AVG art. 5(1)(f), 9, 25(2), 32; Ouders & Onderwijs, Leerlinggegevens delen (een psychologisch rapport alleen voor wie bij het onderzoek betrokken is)" }
[title]
en = "Psychological report viewed outside the assessment"
nl = "Psychologisch rapport ingezien buiten het onderzoek"
[explanation]
en = "Staff member {actor_id} accessed psychological report {document_id} of student {student_id} on {local_date} without taking part that day in the assessment it belongs to (case of the report: {case_id}; cases this staff member was assessing for this student that day: {assessment_cases}; last assessment involvement with this student ended: {last_assessment_end})."
nl = "Medewerker {actor_id} heeft op {local_date} het psychologisch rapport {document_id} van leerling {student_id} geraadpleegd zonder die dag betrokken te zijn bij het onderzoek waar het bij hoort (casus van het rapport: {case_id}; casussen waarin deze medewerker die dag bij deze leerling onderzoek deed: {assessment_cases}; laatste onderzoeksbetrokkenheid bij deze leerling eindigde: {last_assessment_end})."
*/
-- assessed (checks.judgement): only an assessment involvement in force on the local date counts, with
-- no grace, and it must be for the document's case (any assessment when the document has no case).
-- Teacher, mentor and role allowances do not count. A justified break glass is left alone (rule 3).
WITH unassessed AS (
    SELECT * FROM flagged_access
),
assessments AS (
    -- for the explanation only: the actor's other assessment cases that day, and the last one ended
    SELECT u.subject_id,
           list_sort(list_distinct(list(i.case_id) FILTER (
               WHERE in_force(i.valid_from, i.valid_to, u.local_date)))) AS cases_in_force,
           max(i.valid_to) FILTER (WHERE i.valid_to < u.local_date) AS last_end
    FROM unassessed u
    JOIN involvements i
      ON i.staff_id = u.actor_id AND i.student_id = u.student_id AND i.relation = 'assessment'
    GROUP BY u.subject_id
)
SELECT u.subject_id,
       'critical' AS severity,
       u.school_id,
       u.occurred_at,
       u.actor_id,
       u.student_id,
       NULL AS recipient_id,
       json_object(
           'actor_id', u.actor_id,
           'student_id', u.student_id,
           'document_id', u.document_id,
           'case_id', u.document_case_id,
           'local_date', CAST(u.local_date AS VARCHAR),
           'action', u.action,
           'source_system', u.source_system,
           'assessment_cases', coalesce(s.cases_in_force, []),
           'last_assessment_end', CAST(s.last_end AS VARCHAR)
       ) AS facts
FROM unassessed u
LEFT JOIN assessments s USING (subject_id)
