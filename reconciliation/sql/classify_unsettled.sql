-- Every ledger entry of the business day on this provider that the file does not mention:
-- a timing difference when booked within the carry window before the day's end (the
-- provider settles it tomorrow), otherwise missing at the provider. A payment an earlier
-- run recovered was booked on this day but settled in that run's file: it is left out.
INSERT INTO recon.matches (run_id, line_no, attempt_ref, match_class, ledger_kind, ledger_amount_minor,
                           ledger_currency, booked_at)
SELECT %(run_id)s, NULL, t.external_ref,
       CASE WHEN min(t.created_at) >= %(day_ends)s - %(carry_window)s THEN 'timing_difference'
            ELSE 'missing_at_provider' END,
       t.kind, sum(t.amount)::bigint, min(t.currency), min(t.created_at)
  FROM ledger.transfers t
 WHERE t.created_at >= %(day_starts)s AND t.created_at < %(day_ends)s
   AND t.external_ref IS NOT NULL
   AND ((t.kind = 'payment' AND t.phase = 'posted' AND t.debit_account_id = %(clearing_id)s)
     OR (t.kind = 'refund' AND t.phase = 'post_pending' AND t.credit_account_id = %(clearing_id)s))
   AND NOT EXISTS (SELECT 1 FROM recon.settlement_lines s WHERE s.run_id = %(run_id)s AND s.attempt_ref = t.external_ref)
   AND NOT EXISTS (SELECT 1 FROM recon.recoveries r WHERE r.attempt_ref = t.external_ref AND r.run_id <> %(run_id)s)
 GROUP BY t.external_ref, t.kind
