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

-- A slot is a bigint, so one slot overflowing is refused by PostgreSQL itself; an account
-- spread over several slots could still total more than a bigint. Refuse that too, after
-- the slots are updated (triggers on one event fire in name order), with the same error.
CREATE FUNCTION ledger.refuse_overflowing_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM ledger.balance_slots b
         WHERE b.account_id IN (SELECT debit_account_id FROM new_transfers
                                UNION SELECT credit_account_id FROM new_transfers)
         GROUP BY b.account_id
        HAVING greatest(sum(b.debits_posted + b.debits_pending), sum(b.credits_posted + b.credits_pending))
               > 9223372036854775807)
    THEN
        RAISE EXCEPTION 'an account''s balance would exceed the largest amount' USING ERRCODE = 'numeric_value_out_of_range';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER check_balance_totals AFTER INSERT ON ledger.transfers
    REFERENCING NEW TABLE AS new_transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_overflowing_totals();
