-- The file's sums in the run's currency, refunds negative, split by whether the ledger
-- proves the line (matched) or not; lines in another currency are left to the exceptions.
SELECT coalesce(sum(CASE s.kind WHEN 'payment' THEN s.amount_minor ELSE -s.amount_minor END)
                    FILTER (WHERE m.match_class = 'matched'), 0)::bigint,
       coalesce(sum(s.fee_minor) FILTER (WHERE m.match_class = 'matched'), 0)::bigint,
       coalesce(sum(CASE s.kind WHEN 'payment' THEN s.amount_minor ELSE -s.amount_minor END)
                    FILTER (WHERE m.match_class <> 'matched'), 0)::bigint,
       coalesce(sum(s.fee_minor) FILTER (WHERE m.match_class <> 'matched'), 0)::bigint
  FROM recon.settlement_lines s
  JOIN recon.matches m ON m.run_id = s.run_id AND m.line_no = s.line_no
 WHERE s.run_id = %(run_id)s AND s.currency = %(currency)s
