-- Per agency: what the ledger booked for it through this provider on the business day
-- (paid), and what the run's matched lines booked for it, whatever their day (settled);
-- refunds negative. An agency is the <A> of the agency:<A>:payable account a transfer
-- touches; a payment the run recovered was booked by the gateway to its agencies, after
-- the day, and counts as settled for them.
-- The transfers read are the day's (by the BRIN index on created_at) and those of other
-- days that this file settles, found by reference: the matched lines whose ledger entry
-- was not booked on the day (a late booking, a recovered payment) are few. Reading the
-- provider's whole history instead would cost more with every day of it.
INSERT INTO recon.agency_totals (run_id, agency, paid_minor, settled_minor)
WITH agency_accounts AS (
    SELECT id, substring(code FROM '^agency:(.+):payable$') AS agency
      FROM ledger.accounts WHERE code LIKE 'agency:%%:payable'
), matched AS (
    SELECT attempt_ref, booked_at FROM recon.matches
     WHERE run_id = %(run_id)s AND match_class = 'matched' AND line_no IS NOT NULL
), scanned AS (
    SELECT t.* FROM ledger.transfers t
     WHERE t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s AND recon.clearing_entry(t, %(clearing_id)s)
    UNION ALL
    SELECT t.* FROM ledger.transfers t
     WHERE t.external_ref IN (SELECT attempt_ref FROM matched
                               WHERE booked_at IS NULL OR booked_at < %(day_starts)s OR booked_at >= %(day_ends)s)
       AND (t.created_at < %(day_starts)s OR t.created_at >= %(day_ends)s) AND recon.clearing_entry(t, %(clearing_id)s)
), legs AS (
    SELECT a.agency, CASE t.kind WHEN 'payment' THEN t.amount ELSE -t.amount END AS amount_minor,
           t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s AS paid_today,
           m.attempt_ref IS NOT NULL AS settled
      FROM scanned t
      JOIN agency_accounts a ON a.id = CASE t.kind WHEN 'payment' THEN t.credit_account_id ELSE t.debit_account_id END
      LEFT JOIN matched m ON m.attempt_ref = t.external_ref
     WHERE t.external_ref IS NOT NULL
       AND ((t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s) OR m.attempt_ref IS NOT NULL)
)
SELECT %(run_id)s, agency, coalesce(sum(amount_minor) FILTER (WHERE paid_today), 0),
       coalesce(sum(amount_minor) FILTER (WHERE settled), 0)
  FROM legs
 GROUP BY agency
