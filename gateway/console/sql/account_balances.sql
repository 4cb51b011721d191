-- Every ledger account's balance: the sum of its slots (see ledger/store.py's
-- SELECT_BALANCE), posted on its normal side, and what pending transfers reserve.
-- Read here rather than through one get_balance per account: the page lists them all.
SELECT a.code, a.currency, a.normal_side,
       CASE a.normal_side WHEN 'debit' THEN sum(b.debits_posted) - sum(b.credits_posted)
                          ELSE sum(b.credits_posted) - sum(b.debits_posted) END::bigint AS posted_minor,
       sum(b.debits_pending)::bigint AS pending_debits_minor,
       sum(b.credits_pending)::bigint AS pending_credits_minor,
       a.closed
  FROM ledger.accounts a JOIN ledger.balance_slots b ON b.account_id = a.id
 GROUP BY a.id
 ORDER BY split_part(a.code, ':', 1), a.code
