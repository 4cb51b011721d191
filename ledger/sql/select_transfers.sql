SELECT t.seq, t.id, t.phase, d.code AS debit_account, c.code AS credit_account, t.amount AS amount_minor,
       t.currency, t.kind, t.pending_id, t.timeout_s, t.external_ref, t.metadata, t.created_at
  FROM ledger.transfers t
  JOIN ledger.accounts d ON d.id = t.debit_account_id
  JOIN ledger.accounts c ON c.id = t.credit_account_id
