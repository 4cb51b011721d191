-- Every ledger entry of the business day on this provider that the file does not mention,
-- and every timing difference of the day before that this file was to settle: a timing
-- difference when booked within the carry window before the day's end (the provider
-- settles it tomorrow), otherwise missing at the provider (so a payment carried once and
-- still not settled is missing the next day, not carried for ever).
-- Left out: a payment an earlier run recovered (booked on this day, settled in that run's
-- file), and an entry whose reference is in another file of this provider from the week
-- around the day: booked on one side of midnight and settled on the other (that file's
-- run judged it, and a later booking of a line it lacked is matched by late_bookings.sql).
INSERT INTO recon.matches (run_id, line_no, attempt_ref, match_class, ledger_kind, ledger_amount_minor,
                           ledger_currency, booked_at)
WITH nearby_runs AS (
    SELECT id FROM recon.runs
     WHERE provider = %(provider)s AND id <> %(run_id)s
       AND business_day BETWEEN %(day)s::date - %(nearby_days)s AND %(day)s::date + %(nearby_days)s
), day_entries AS (
    SELECT t.external_ref AS attempt_ref, t.kind, sum(t.amount)::bigint AS amount_minor, min(t.currency) AS currency,
           min(t.created_at) AS booked_at
      FROM ledger.transfers t
     WHERE t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s
       AND t.external_ref IS NOT NULL
       AND recon.clearing_entry(t, %(clearing_id)s)
     GROUP BY t.external_ref, t.kind
), carried AS (
    SELECT m.attempt_ref, m.ledger_kind, m.ledger_amount_minor, m.ledger_currency, m.booked_at
      FROM recon.matches m JOIN recon.runs r ON r.id = m.run_id
     WHERE r.provider = %(provider)s AND r.business_day = %(day)s::date - 1
       AND m.line_no IS NULL AND m.match_class = 'timing_difference'
       AND NOT EXISTS (  -- (in day_entries: read here by reference, so that those stay inlined)
           SELECT 1 FROM ledger.transfers t
            WHERE t.external_ref = m.attempt_ref AND t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s
              AND recon.clearing_entry(t, %(clearing_id)s))
), unsettled AS (
    SELECT * FROM day_entries UNION ALL SELECT * FROM carried
)
SELECT %(run_id)s, NULL, u.attempt_ref,
       CASE WHEN u.booked_at >= %(day_ends)s - %(carry_window)s THEN 'timing_difference'
            ELSE 'missing_at_provider' END,
       u.kind, u.amount_minor, u.currency, u.booked_at
  FROM unsettled u
 WHERE NOT EXISTS (SELECT 1 FROM recon.settlement_lines s WHERE s.run_id = %(run_id)s AND s.attempt_ref = u.attempt_ref)
   AND NOT EXISTS (SELECT 1 FROM recon.recoveries r WHERE r.attempt_ref = u.attempt_ref AND r.run_id <> %(run_id)s)
   AND NOT EXISTS (SELECT 1 FROM nearby_runs n JOIN recon.settlement_lines s ON s.run_id = n.id
                    WHERE s.attempt_ref = u.attempt_ref AND s.kind = u.kind)
