-- Both audit trails, newest first: the console's own actions and reconciliation's
-- exception resolutions (which it records in the resolution's transaction).
SELECT * FROM (
    SELECT 'console' AS source, id, actor, action, target, reason, details, at
      FROM gateway.staff_audit
     WHERE %(before)s::timestamptz IS NULL OR at < %(before)s
    UNION ALL
    SELECT 'reconciliation', ev.id, ev.actor, ev.action, 'exception:' || ev.exception_id, ev.reason, ev.details, ev.at
      FROM recon.exception_events ev
     WHERE %(before)s::timestamptz IS NULL OR ev.at < %(before)s
) entries
ORDER BY at DESC, id DESC
LIMIT %(limit)s
