-- The limit check runs only when a transfer moves an account's limited side. 0001 ran it
-- whenever a limited account took part: for every payment, which credits an agency's
-- payable account (limited on its debits) and so can only widen its room. An amount on the
-- other side never narrows the room: the check weighs the limited side's posted and pending
-- amounts against the other side's posted ones, which only grow (its pending ones do not
-- count).
-- The function is 0001's otherwise, unchanged (slot_limited below).
CREATE OR REPLACE FUNCTION ledger.apply_new_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Concurrent transactions get consecutive ids, so this spreads them over the slots.
    spread          bigint := txid_current();
    checked         boolean := false;  -- resolutions (and accounts) already checked
    deltas          ledger.balance_delta[];
    accounts_ok     boolean;
    has_resolutions boolean;
    has_limits      boolean;
    bad             record;
    rule            text;
    updated         bigint;
BEGIN
    LOOP
        -- Each transfer's effect on each of its two accounts, posted and pending apart:
        -- pending amounts and an account's limited side always go to slot 0, the rest is
        -- spread. The slots are locked in one global order (ORDER BY ... FOR UPDATE), so that
        -- transfers between the same accounts never deadlock, then updated.
        WITH per_slot AS MATERIALIZED (SELECT e.account_id,
                   CASE WHEN e.pending <> 0
                          OR (e.is_debit AND a.debits_must_not_exceed_credits)
                          OR (NOT e.is_debit AND a.credits_must_not_exceed_debits) THEN 0
                        ELSE (spread % a.slot_count)::smallint END AS slot,
                   sum(e.posted) FILTER (WHERE e.is_debit)::bigint AS debits_posted,
                   sum(e.posted) FILTER (WHERE NOT e.is_debit)::bigint AS credits_posted,
                   sum(e.pending) FILTER (WHERE e.is_debit)::bigint AS debits_pending,
                   sum(e.pending) FILTER (WHERE NOT e.is_debit)::bigint AS credits_pending,
                   bool_and(a.currency IS NOT DISTINCT FROM n.currency) AS slot_accounts_ok,
                   bool_or(n.pending_id IS NOT NULL) AS slot_resolutions,
                   bool_or((e.is_debit AND a.debits_must_not_exceed_credits)
                           OR (NOT e.is_debit AND a.credits_must_not_exceed_debits)) AS slot_limited
              FROM new_transfers n
             -- The pending transfer is looked up only for resolutions, by index: a join
             -- here would be planned once per connection and could scan the whole table.
             CROSS JOIN LATERAL (
                   SELECT CASE WHEN n.phase IN ('posted', 'post_pending') THEN n.amount ELSE 0 END AS posted,
                          CASE n.phase WHEN 'pending' THEN n.amount WHEN 'posted' THEN 0
                               ELSE -(SELECT p.amount FROM ledger.transfers p WHERE p.id = n.pending_id) END AS pending
                   ) amounts
             CROSS JOIN LATERAL (VALUES
                   (n.debit_account_id, true, amounts.posted, 0::bigint),
                   (n.debit_account_id, true, 0::bigint, amounts.pending),
                   (n.credit_account_id, false, amounts.posted, 0::bigint),
                   (n.credit_account_id, false, 0::bigint, amounts.pending)) e (account_id, is_debit, posted, pending)
              LEFT JOIN ledger.accounts a ON a.id = e.account_id
             -- a resolution of a missing pending transfer has a NULL pending amount: keep it,
             -- so that has_resolutions is set and the check below names the problem
             WHERE e.posted <> 0 OR e.pending IS DISTINCT FROM 0
             GROUP BY 1, 2),
        summary AS (
            SELECT array_agg((account_id, slot, debits_posted, credits_posted, debits_pending, credits_pending)::ledger.balance_delta
                             ORDER BY account_id, slot) AS deltas,
                   bool_and(slot_accounts_ok) AS accounts_ok, bool_or(slot_resolutions) AS has_resolutions,
                   bool_or(slot_limited) AS has_limits
              FROM per_slot
        ), locked AS (
            SELECT l.account_id, l.slot, d.debits_posted, d.credits_posted, d.debits_pending, d.credits_pending
              FROM ledger.balance_slots l
              JOIN per_slot d ON (l.account_id, l.slot) = (d.account_id, d.slot)
             WHERE (SELECT summary.accounts_ok AND (NOT summary.has_resolutions OR checked) FROM summary)
             ORDER BY l.account_id, l.slot FOR UPDATE OF l
        ), applied AS (
            UPDATE ledger.balance_slots b
               SET debits_posted   = b.debits_posted   + coalesce(d.debits_posted, 0),
                   credits_posted  = b.credits_posted  + coalesce(d.credits_posted, 0),
                   debits_pending  = b.debits_pending  + coalesce(d.debits_pending, 0),
                   credits_pending = b.credits_pending + coalesce(d.credits_pending, 0)
              FROM locked d
             WHERE (b.account_id, b.slot) = (d.account_id, d.slot) AND NOT b.closed
            RETURNING 1
        )
        SELECT summary.deltas, summary.accounts_ok, summary.has_resolutions, summary.has_limits,
               (SELECT count(*) FROM applied)
          INTO deltas, accounts_ok, has_resolutions, has_limits, updated
          FROM summary;
        EXIT WHEN checked OR (accounts_ok AND NOT has_resolutions);

        IF NOT accounts_ok THEN
            SELECT n.id, a.id IS NULL AS missing, e.is_debit INTO bad
              FROM new_transfers n
             CROSS JOIN LATERAL (VALUES (n.debit_account_id, true), (n.credit_account_id, false)) e (account_id, is_debit)
              LEFT JOIN ledger.accounts a ON a.id = e.account_id
             WHERE a.id IS NULL OR a.currency <> n.currency
             LIMIT 1;
            rule := CASE WHEN NOT bad.missing THEN 'accounts_must_have_the_same_currency'
                         WHEN bad.is_debit THEN 'debit_account_not_found' ELSE 'credit_account_not_found' END;
            RAISE EXCEPTION 'transfer %: %', bad.id, rule USING ERRCODE = 'check_violation', CONSTRAINT = rule;
        END IF;

        IF has_resolutions THEN
            SELECT n.id, p.phase AS pending_phase, p.amount AS pending_amount, n.amount, n.phase,
                   (n.debit_account_id, n.credit_account_id, n.currency) IS DISTINCT FROM
                   (p.debit_account_id, p.credit_account_id, p.currency) AS differs
              INTO bad
              FROM new_transfers n LEFT JOIN ledger.transfers p ON p.id = n.pending_id
             WHERE n.pending_id IS NOT NULL
               AND (p.id IS NULL
                    OR p.phase <> 'pending'
                    OR (n.debit_account_id, n.credit_account_id, n.currency) IS DISTINCT FROM
                       (p.debit_account_id, p.credit_account_id, p.currency)
                    OR (n.phase = 'post_pending' AND (n.amount > p.amount OR p.timeout_at <= clock_timestamp()))
                    OR (n.phase IN ('void_pending', 'expire_pending') AND n.amount <> p.amount))
             LIMIT 1;
            IF FOUND THEN
                rule := CASE
                    WHEN bad.pending_phase IS NULL THEN 'pending_transfer_not_found'
                    WHEN bad.pending_phase <> 'pending' THEN 'pending_transfer_not_pending'
                    WHEN bad.differs THEN 'pending_transfer_has_different_accounts'
                    WHEN bad.phase = 'post_pending' AND bad.amount > bad.pending_amount THEN 'exceeds_pending_transfer_amount'
                    WHEN bad.phase = 'post_pending' THEN 'pending_transfer_expired'
                    ELSE 'void_amount_must_equal_pending_amount' END;
                RAISE EXCEPTION 'transfer %: %', bad.id, rule USING ERRCODE = 'check_violation', CONSTRAINT = rule;
            END IF;
        END IF;
        checked := true;
    END LOOP;

    IF updated < cardinality(deltas) THEN
        SELECT a.code INTO bad FROM ledger.accounts a WHERE a.closed AND a.id IN (SELECT account_id FROM unnest(deltas)) LIMIT 1;
        RAISE EXCEPTION 'account %: account_closed', bad.code USING ERRCODE = 'check_violation', CONSTRAINT = 'account_closed';
    END IF;

    -- Limits: the limited side sits in the locked slot 0; the other side's posted amounts
    -- in other slots only grow, so reading them unlocked can only understate the room.
    IF has_limits THEN
        SELECT a.code, a.debits_must_not_exceed_credits AS debit_limited INTO bad
          FROM ledger.accounts a
          JOIN ledger.balance_slots b ON b.account_id = a.id
         WHERE a.id IN (SELECT account_id FROM unnest(deltas))
           AND (a.debits_must_not_exceed_credits OR a.credits_must_not_exceed_debits)
         GROUP BY a.id
        HAVING (a.debits_must_not_exceed_credits AND sum(b.debits_posted + b.debits_pending) > sum(b.credits_posted))
            OR (a.credits_must_not_exceed_debits AND sum(b.credits_posted + b.credits_pending) > sum(b.debits_posted))
         LIMIT 1;
        IF FOUND THEN
            rule := CASE WHEN bad.debit_limited THEN 'exceeds_credits' ELSE 'exceeds_debits' END;
            RAISE EXCEPTION 'account %: %', bad.code, rule USING ERRCODE = 'check_violation', CONSTRAINT = rule;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
