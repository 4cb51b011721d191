-- Inserts a batch of transfer requests in one statement; the trigger
-- ledger.apply_new_transfers updates balances and enforces every rule.
-- A request whose id exists already is skipped (ON CONFLICT), for the caller to compare.
-- Post and void requests take their accounts, currency and kind from the pending transfer;
-- an unknown account or pending transfer leaves an account id NULL, which NOT NULL refuses.
INSERT INTO ledger.transfers
    (id, phase, debit_account_id, credit_account_id, amount, currency, kind,
     pending_id, timeout_s, timeout_at, external_ref, metadata)
SELECT r.id, r.phase,
       coalesce(p.debit_account_id, d.id), coalesce(p.credit_account_id, c.id),
       coalesce(r.amount, p.amount), coalesce(p.currency, r.currency), coalesce(p.kind, r.kind),
       r.pending_id, r.timeout_s, clock_timestamp() + make_interval(secs => r.timeout_s),
       r.external_ref, r.metadata::jsonb
  FROM unnest(%(ids)s::text[], %(phases)s::text[], %(debits)s::text[], %(credits)s::text[],
              %(amounts)s::bigint[], %(currencies)s::text[], %(kinds)s::text[], %(pending_ids)s::text[],
              %(timeouts)s::integer[], %(external_refs)s::text[], %(metadata)s::text[])
       WITH ORDINALITY AS r (id, phase, debit, credit, amount, currency, kind, pending_id, timeout_s,
                             external_ref, metadata, ord)
  LEFT JOIN ledger.accounts d ON d.code = r.debit
  LEFT JOIN ledger.accounts c ON c.code = r.credit
  LEFT JOIN ledger.transfers p ON p.id = r.pending_id
 ORDER BY r.ord
    ON CONFLICT (id) DO NOTHING
RETURNING id, seq, created_at
