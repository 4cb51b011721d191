-- Every account's balance now: the sum of its slots (as SUM_SLOTS in ledger/store.py), and
-- its closed flag; grouped by the kind of account, then by code.
SELECT a.code, a.currency, a.normal_side,
       sum(b.debits_posted)::bigint, sum(b.credits_posted)::bigint,
       sum(b.debits_pending)::bigint, sum(b.credits_pending)::bigint,
       a.closed
  FROM ledger.accounts a JOIN ledger.balance_slots b ON b.account_id = a.id
 GROUP BY a.id
 ORDER BY split_part(a.code, ':', 1), a.code
