-- Inserts transfer requests in one statement; the trigger ledger.apply_new_transfers
-- updates balances and enforces every rule. {rows} is either one row of scalar parameters
-- (the hot path: PostgreSQL plans it best) or unnest() over arrays, for batches.
-- The conflict clause at the end skips a request whose id exists already (ON CONFLICT), for
-- the caller to compare; left out, such a request is refused (a one-unit post's insert).
-- Post and void requests take their accounts, currency and kind from the pending transfer;
-- an unknown account or pending transfer leaves an account id NULL, which NOT NULL refuses.
INSERT INTO ledger.transfers
    (id, phase, debit_account_id, credit_account_id, amount, currency, kind,
     pending_id, timeout_s, timeout_at, external_ref, metadata)
SELECT r.id, r.phase,
       coalesce(p.debit_account_id, (SELECT id FROM ledger.accounts WHERE code = r.debit)),
       coalesce(p.credit_account_id, (SELECT id FROM ledger.accounts WHERE code = r.credit)),
       coalesce(r.amount, p.amount), coalesce(p.currency, r.currency), coalesce(p.kind, r.kind),
       r.pending_id, r.timeout_s, clock_timestamp() + make_interval(secs => r.timeout_s),
       r.external_ref, r.metadata::jsonb
  FROM {rows} AS r (id, phase, debit, credit, amount, currency, kind, pending_id, timeout_s, external_ref, metadata, ord)
  LEFT JOIN ledger.transfers p ON p.id = r.pending_id
 ORDER BY r.ord
{on_conflict}
RETURNING id, seq, created_at
