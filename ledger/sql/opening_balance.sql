-- The posted balance on an account's normal side after its line %(after_seq)s.
SELECT coalesce(sum(CASE WHEN t.debit_account_id = a.id THEN t.amount ELSE -t.amount END)
                * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END, 0)::bigint
  FROM ledger.accounts a
  LEFT JOIN ledger.transfers t
    ON a.id IN (t.debit_account_id, t.credit_account_id)
   AND t.phase IN ('posted', 'post_pending') AND t.seq <= %(after_seq)s
 WHERE a.id = %(account_id)s
 GROUP BY a.id, a.normal_side
