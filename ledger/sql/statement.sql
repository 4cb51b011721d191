-- One page of an account's statement: its posted lines in order, each with the running
-- balance on the account's normal side, starting after line %(after_seq)s.
WITH account AS (
    SELECT id, normal_side FROM ledger.accounts WHERE id = %(account_id)s
), lines AS (
    SELECT t.seq, t.id, t.kind, t.amount, t.debit_account_id = a.id AS is_debit,
           CASE WHEN t.debit_account_id = a.id THEN t.credit_account_id ELSE t.debit_account_id END AS counterparty_id,
           t.external_ref, t.created_at
      FROM account a
      JOIN ledger.transfers t ON a.id IN (t.debit_account_id, t.credit_account_id)
     WHERE t.phase IN ('posted', 'post_pending') AND t.seq > %(after_seq)s
     ORDER BY t.seq
     LIMIT %(limit)s
)
SELECT l.seq, l.id, l.kind,
       CASE WHEN l.is_debit THEN l.amount ELSE 0 END,
       CASE WHEN l.is_debit THEN 0 ELSE l.amount END,
       sum(CASE WHEN l.is_debit = (a.normal_side = 'debit') THEN l.amount ELSE -l.amount END)
           OVER (ORDER BY l.seq)::bigint,
       c.code, l.external_ref, l.created_at
  FROM lines l CROSS JOIN account a JOIN ledger.accounts c ON c.id = l.counterparty_id
 ORDER BY l.seq
