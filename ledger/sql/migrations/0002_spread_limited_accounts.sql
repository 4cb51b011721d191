-- Accounts with a limit flag were created with one balance slot, so every transfer to one
-- (each payment to an agency's payable account) waited for the one before it to commit.
-- The transfer trigger already keeps a limited side and pending amounts in slot 0 and
-- spreads the rest (0001_ledger.sql); give those accounts the default sixteen slots. The
-- new slots start at zero, so every balance stays what it is.
ALTER TABLE ledger.accounts DISABLE TRIGGER accounts_keep_their_definition;
UPDATE ledger.accounts SET slot_count = 16
 WHERE slot_count = 1 AND (debits_must_not_exceed_credits OR credits_must_not_exceed_debits);
ALTER TABLE ledger.accounts ENABLE TRIGGER accounts_keep_their_definition;

INSERT INTO ledger.balance_slots (account_id, slot, currency, closed)
SELECT a.id, s.slot, a.currency, a.closed
  FROM ledger.accounts a CROSS JOIN LATERAL generate_series(1, a.slot_count - 1) s (slot)
 WHERE NOT EXISTS (SELECT 1 FROM ledger.balance_slots b WHERE b.account_id = a.id AND b.slot = s.slot);

