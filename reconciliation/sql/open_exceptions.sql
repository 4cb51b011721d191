-- An exception for every line and ledger entry of the run that is neither matched nor a
-- timing difference, with the evidence finance staff need: the provider's line as loaded
-- and the ledger's facts it was judged on, and for a payment the gateway refused, its
-- attempt (what it asked). Re-running adds none (exceptions_once).
INSERT INTO recon.exceptions (run_id, match_class, attempt_ref, line_no, evidence)
SELECT m.run_id, m.match_class, m.attempt_ref, m.line_no,
       jsonb_build_object(
           'line', CASE WHEN s.line_no IS NOT NULL THEN jsonb_build_object(
               'line_no', s.line_no, 'provider_ref', s.provider_ref, 'kind', s.kind,
               'amount_minor', s.amount_minor, 'fee_minor', s.fee_minor, 'currency', s.currency,
               'transacted_at', s.transacted_at, 'settlement_date', s.settlement_date) END,
           'ledger', CASE WHEN m.ledger_kind IS NOT NULL THEN jsonb_build_object(
               'kind', m.ledger_kind, 'amount_minor', m.ledger_amount_minor, 'currency', m.ledger_currency,
               'booked_at', m.booked_at) END)
       || CASE WHEN f.attempt IS NOT NULL THEN jsonb_build_object('attempt', f.attempt) ELSE '{}' END
  FROM recon.matches m
  LEFT JOIN recon.settlement_lines s ON s.run_id = m.run_id AND s.line_no = m.line_no
  LEFT JOIN recon.refused_attempts f ON f.run_id = m.run_id AND f.line_no = m.line_no
 WHERE m.run_id = %(run_id)s AND m.match_class NOT IN ('matched', 'timing_difference')
    ON CONFLICT DO NOTHING
