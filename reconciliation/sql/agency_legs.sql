-- What the ledger booked for each agency under one reference on this provider's clearing
-- account (a payment's split, or a posted refund, negative): whom a settled line pays.
SELECT substring(a.code FROM '^agency:(.+):payable$') AS agency,
       sum(CASE t.kind WHEN 'payment' THEN t.amount ELSE -t.amount END)::bigint
  FROM ledger.transfers t
  JOIN ledger.accounts a ON a.id = CASE t.kind WHEN 'payment' THEN t.credit_account_id ELSE t.debit_account_id END
 WHERE t.external_ref = %(attempt_ref)s AND t.kind = %(kind)s AND a.code LIKE 'agency:%%:payable'
   AND recon.clearing_entry(t, %(clearing_id)s)
 GROUP BY 1
 ORDER BY 1
