-- Every invariant of the ledger, recomputed from history; one row per problem found.
WITH slots AS (
    SELECT b.account_id, sum(b.debits_posted) AS dp, sum(b.credits_posted) AS cp,
           sum(b.debits_pending) AS dq, sum(b.credits_pending) AS cq
      FROM ledger.balance_slots b GROUP BY b.account_id
), effects AS (
    SELECT e.account_id,
           sum(CASE WHEN e.is_debit AND t.phase IN ('posted', 'post_pending') THEN t.amount ELSE 0 END) AS dp,
           sum(CASE WHEN NOT e.is_debit AND t.phase IN ('posted', 'post_pending') THEN t.amount ELSE 0 END) AS cp,
           sum(CASE WHEN e.is_debit AND t.phase = 'pending' AND r.id IS NULL THEN t.amount ELSE 0 END) AS dq,
           sum(CASE WHEN NOT e.is_debit AND t.phase = 'pending' AND r.id IS NULL THEN t.amount ELSE 0 END) AS cq
      FROM ledger.transfers t
      LEFT JOIN ledger.transfers r ON r.pending_id = t.id
     CROSS JOIN LATERAL (VALUES (t.debit_account_id, true), (t.credit_account_id, false)) e (account_id, is_debit)
     GROUP BY e.account_id
)
SELECT format('currency %s: debits %s <> credits %s', a.currency, sum(s.dp), sum(s.cp))
  FROM slots s JOIN ledger.accounts a ON a.id = s.account_id
 GROUP BY a.currency HAVING sum(s.dp) <> sum(s.cp) OR sum(s.dq) <> sum(s.cq)
UNION ALL
SELECT format('account %s: balance (%s, %s, %s, %s) <> history (%s, %s, %s, %s)', a.code,
              s.dp, s.cp, s.dq, s.cq, coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))
  FROM slots s JOIN ledger.accounts a ON a.id = s.account_id LEFT JOIN effects e ON e.account_id = s.account_id
 WHERE (s.dp, s.cp, s.dq, s.cq) IS DISTINCT FROM (coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))
UNION ALL
SELECT format('account %s: limit broken', a.code)
  FROM slots s JOIN ledger.accounts a ON a.id = s.account_id
 WHERE (a.debits_must_not_exceed_credits AND s.dp + s.dq > s.cp)
    OR (a.credits_must_not_exceed_debits AND s.cp + s.cq > s.dp)
UNION ALL
SELECT format('transfer %s: currency %s differs from an account''s', t.id, t.currency)
  FROM ledger.transfers t
  JOIN ledger.accounts d ON d.id = t.debit_account_id
  JOIN ledger.accounts c ON c.id = t.credit_account_id
 WHERE t.currency <> d.currency OR t.currency <> c.currency
