-- Every line of a run's settlement file, classified against the ledger: the set-based form
-- of reconciliation.matching.classify_line and classify_day (the tests hold them equal).
-- A ledger entry is what the gateway posted under the line's reference on this provider's
-- clearing account: payments (posted, debiting it) summed over their agency splits, or a
-- refund's post of its pending transfer (crediting it).
-- A reference repeated in the file keeps its best-fitting line (earliest among equals);
-- its other lines are duplicates.
INSERT INTO recon.matches (run_id, line_no, attempt_ref, match_class, ledger_kind, ledger_amount_minor,
                           ledger_currency, booked_at)
WITH entries AS (
    SELECT t.external_ref, t.kind, sum(t.amount)::bigint AS amount_minor, min(t.currency) AS currency,
           min(t.created_at) AS booked_at
      FROM ledger.transfers t
     WHERE t.external_ref IN (SELECT s.attempt_ref FROM recon.settlement_lines s WHERE s.run_id = %(run_id)s)
       AND recon.clearing_entry(t, %(clearing_id)s)
     GROUP BY t.external_ref, t.kind
), merits AS (
    SELECT s.line_no, s.attempt_ref, e.kind, e.amount_minor, e.currency, e.booked_at,
           CASE WHEN e.external_ref IS NULL THEN 'missing_in_ledger'
                WHEN e.currency <> s.currency THEN 'currency_mismatch'
                WHEN e.amount_minor <> s.amount_minor THEN 'amount_mismatch'
                ELSE 'matched' END AS merit
      FROM recon.settlement_lines s
      LEFT JOIN entries e ON e.external_ref = s.attempt_ref AND e.kind = s.kind
     WHERE s.run_id = %(run_id)s
)
SELECT %(run_id)s, line_no, attempt_ref,
       CASE WHEN row_number() OVER (
                     PARTITION BY attempt_ref
                     ORDER BY array_position(ARRAY['matched', 'amount_mismatch', 'currency_mismatch', 'missing_in_ledger'],
                                             merit), line_no) = 1
            THEN merit ELSE 'duplicate_in_file' END,
       kind, amount_minor, currency, booked_at
  FROM merits
