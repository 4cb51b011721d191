-- What a run holds against a provider's settlement file: the ledger's entries on the
-- provider's clearing account. A payment is one when posted (it debits the account, once
-- per agency of its split); a refund when its pending transfer is posted (crediting it).
-- Named once here for every statement of reconciliation/sql that reads them. A single
-- expression of its arguments, so PostgreSQL inlines it into each query (t.kind and so on
-- become plain columns): the plans are those of the condition written out.
CREATE FUNCTION recon.clearing_entry(t ledger.transfers, clearing_id bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (t.kind = 'payment' AND t.phase = 'posted' AND t.debit_account_id = clearing_id)
        OR (t.kind = 'refund' AND t.phase = 'post_pending' AND t.credit_account_id = clearing_id);
