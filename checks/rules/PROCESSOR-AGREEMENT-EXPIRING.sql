/* rule
id = "PROCESSOR-AGREEMENT-EXPIRING"
family = "standing"
severity = "info"            # a notice to renew, not a violation
subject_type = "agreement"
population = "agreements_in_force_week"
feeds = ["recipients", "processor_agreements"]
consults = ["students"]
parameters = ["renewal_horizon_days"]
legal_source = { en = "AVG art. 28(1), 28(3); Privacyconvenant Onderwijs (model processor agreement)", nl = "AVG art. 28(1), 28(3); Privacyconvenant Onderwijs (model-verwerkersovereenkomst)" }
[title]
en = "Processor agreement to renew"
nl = "Verwerkersovereenkomst binnenkort verlengen"
[explanation]
en = "Processor agreement {agreement_id} with {recipient_name} ({recipient_id}) ends on {valid_to}, {days_left} days after {as_of} (renewal horizon: {horizon_days} days). Not a violation: renew it in time, or stop sending data to this processor when it ends."
nl = "Verwerkersovereenkomst {agreement_id} met {recipient_name} ({recipient_id}) loopt af op {valid_to}, {days_left} dagen na {as_of} (termijn voor verlenging: {horizon_days} dagen). Geen overtreding: verleng de overeenkomst op tijd, of stop met het verstrekken van gegevens aan deze verwerker als zij afloopt."
*/
-- In force on the week's last day, and its valid_to no later than that day plus the renewal horizon.
SELECT a.subject_id,
       'info' AS severity,
       NULL AS school_id,
       NULL AS occurred_at,
       NULL AS actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'agreement_id', a.agreement_id,
           'recipient_id', a.recipient_id,
           'recipient_name', a.recipient_name,
           'as_of', CAST(a.as_of AS VARCHAR),
           'valid_to', CAST(a.valid_to AS VARCHAR),
           'days_left', a.valid_to - a.as_of,
           'horizon_days', s.renewal_horizon_days
       ) AS facts
FROM agreements_in_force_week a
CROSS JOIN audit_settings s
WHERE a.valid_to <= a.as_of + s.renewal_horizon_days
