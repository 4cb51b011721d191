-- An account's balance as it stood at %(at)s, from history alone. A pending amount counts
-- while its pending transfer existed and had not yet been resolved.
WITH account AS (
    SELECT id, code, currency, normal_side FROM ledger.accounts WHERE code = %(code)s
), effects AS (
    SELECT t.debit_account_id = a.id AS is_debit, t.phase, t.amount, t.id, t.created_at
      FROM account a JOIN ledger.transfers t ON t.debit_account_id = a.id
     WHERE t.created_at <= %(at)s
    UNION ALL
    SELECT false, t.phase, t.amount, t.id, t.created_at
      FROM account a JOIN ledger.transfers t ON t.credit_account_id = a.id
     WHERE t.created_at <= %(at)s
), open_pending AS (
    SELECT e.* FROM effects e
     WHERE e.phase = 'pending'
       AND NOT EXISTS (SELECT 1 FROM ledger.transfers r WHERE r.pending_id = e.id AND r.created_at <= %(at)s)
)
SELECT a.code, a.currency, a.normal_side,
       coalesce((SELECT sum(amount) FROM effects WHERE is_debit AND phase IN ('posted', 'post_pending')), 0)::bigint,
       coalesce((SELECT sum(amount) FROM effects WHERE NOT is_debit AND phase IN ('posted', 'post_pending')), 0)::bigint,
       coalesce((SELECT sum(amount) FROM open_pending WHERE is_debit), 0)::bigint,
       coalesce((SELECT sum(amount) FROM open_pending WHERE NOT is_debit), 0)::bigint
  FROM account a
