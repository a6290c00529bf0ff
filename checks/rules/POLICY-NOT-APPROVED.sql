/* rule
id = "POLICY-NOT-APPROVED"
family = "standing"
severity = "high"            # medium when the right council consented, but only after effective_from
subject_type = "policy"
population = "policies_in_force_week"
feeds = ["policies", "council_decisions"]
legal_source = { en = "WMS art. 13(i) (primary), art. 14 (secondary): prior consent of the participation council", nl = "WMS art. 13(i) (primair onderwijs), art. 14 (voortgezet onderwijs): voorafgaande instemming van de medezeggenschapsraad" }
[title]
en = "Policy in force without prior consent of the participation council"
nl = "Beleid van kracht zonder voorafgaande instemming van de medezeggenschapsraad"
[explanation]
en = "Version {version} of policy {policy_id} took effect on {effective_from} without the prior consent of the participation council concerned ({council_scope}); consent given on: {consent_date}; refused on: {refused_date} (as of {as_of})."
nl = "Versie {version} van beleid {policy_id} is op {effective_from} ingegaan zonder voorafgaande instemming van de betrokken medezeggenschapsraad ({council_scope}); instemming gegeven op: {consent_date}; geweigerd op: {refused_date} (stand op {as_of})."
*/
-- The version in force per policy and scope (see checks/populations.sql) needs a `consent` decision of
-- the right council (GMR for the board, MR for a school) dated on or before effective_from. Decisions
-- after the week's last day do not count yet. A later consent (by that day) makes it medium.
WITH decisions AS (
    SELECT p.subject_id,
           min(c.decided_at) FILTER (WHERE c.decision = 'consent' AND c.decided_at <= p.effective_from)
               AS prior_consent_date,
           min(c.decided_at) FILTER (WHERE c.decision = 'consent') AS consent_date,
           max(c.decided_at) FILTER (WHERE c.decision = 'refused') AS refused_date
    FROM policies_in_force_week p
    JOIN council_decisions c
      ON c.policy_id = p.policy_id AND trim(c.version) = trim(p.version) AND c.council = p.council
     AND c.decided_at <= p.as_of
    GROUP BY p.subject_id
)
SELECT p.subject_id,
       CASE WHEN d.consent_date IS NULL THEN 'high' ELSE 'medium' END AS severity,
       NULL AS school_id,
       NULL AS occurred_at,
       NULL AS actor_id,
       NULL AS student_id,
       NULL AS recipient_id,
       json_object(
           'policy_id', p.policy_id,
           'version', p.version,
           'scope', p.scope,
           'council', p.council,
           'council_scope', CASE WHEN p.scope = 'board' THEN p.council ELSE p.council || ' ' || p.scope END,
           'effective_from', CAST(p.effective_from AS VARCHAR),
           'as_of', CAST(p.as_of AS VARCHAR),
           'consent_date', CAST(d.consent_date AS VARCHAR),
           'refused_date', CAST(d.refused_date AS VARCHAR)
       ) AS facts
FROM policies_in_force_week p
LEFT JOIN decisions d USING (subject_id)
WHERE d.prior_consent_date IS NULL
