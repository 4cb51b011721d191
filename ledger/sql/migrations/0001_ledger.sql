-- The double-entry ledger. Transfers are immutable; balances are derived from them by a
-- trigger, so that no SQL, from our code or anyone's, can post an unbalanced transfer,
-- break an account's limit, or rewrite history.
CREATE SCHEMA ledger;

CREATE TABLE ledger.currencies (
    code     char(3)  PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4)
);

-- ISO 4217 currencies the portal may meet, with their minor-unit exponents.
INSERT INTO ledger.currencies (code, exponent) VALUES
    ('VND', 0), ('USD', 2), ('EUR', 2), ('JPY', 0), ('KRW', 0), ('CNY', 2), ('SGD', 2),
    ('THB', 2), ('GBP', 2), ('AUD', 2), ('CHF', 2), ('HKD', 2), ('LAK', 2), ('KHR', 2),
    ('KWD', 3), ('BHD', 3), ('CLF', 4);

CREATE TABLE ledger.accounts (
    id                             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                           text        NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.:-]{1,200}$'),
    currency                       char(3)     NOT NULL REFERENCES ledger.currencies,
    normal_side                    text        NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    debits_must_not_exceed_credits boolean     NOT NULL DEFAULT false,
    credits_must_not_exceed_debits boolean     NOT NULL DEFAULT false,
    -- How many rows the account's balance is spread over; see ledger.balance_slots.
    slot_count                     smallint    NOT NULL CHECK (slot_count BETWEEN 1 AND 64),
    metadata                       jsonb       NOT NULL DEFAULT '{}',
    closed                         boolean     NOT NULL DEFAULT false,
    created_at                     timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits))
);

-- An account's balance is the sum of its slots. Concurrent transfers that touch the same
-- account update different slots, so a hot account (a provider's clearing account, a big
-- agency's payable account) does not serialise every payment behind one row lock. The side
-- an account limits (debits for debits_must_not_exceed_credits) and every pending amount
-- live in slot 0 only, which is locked for each such change: a limit is checked against
-- one locked row plus other slots' posted amounts, which only ever grow.
CREATE TABLE ledger.balance_slots (
    account_id      bigint   NOT NULL REFERENCES ledger.accounts,
    slot            smallint NOT NULL,
    currency        char(3)  NOT NULL,
    closed          boolean  NOT NULL DEFAULT false,
    debits_posted   bigint   NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  bigint   NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  bigint   NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending bigint   NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    PRIMARY KEY (account_id, slot)
) WITH (fillfactor = 50);  -- room for HOT updates of these very busy rows

CREATE TABLE ledger.transfers (
    seq               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                text        NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 200),
    -- posted: moves money now; pending: reserves it; post_pending / void_pending /
    -- expire_pending: resolve the pending transfer named by pending_id.
    phase             text        NOT NULL CHECK (phase IN ('posted', 'pending', 'post_pending', 'void_pending', 'expire_pending')),
    debit_account_id  bigint      NOT NULL,
    credit_account_id bigint      NOT NULL,
    amount            bigint      NOT NULL CONSTRAINT amount_must_be_positive CHECK (amount > 0),
    currency          char(3)     NOT NULL,
    kind              text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    -- Checked by the trigger below rather than by a foreign key, which would queue a
    -- check for every transfer, pending or not.
    pending_id        text,
    timeout_s         integer     CHECK (timeout_s > 0),
    timeout_at        timestamptz,
    external_ref      text,
    metadata          jsonb       NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT accounts_must_be_different CHECK (debit_account_id <> credit_account_id),
    CONSTRAINT pending_id_only_on_resolutions CHECK ((phase IN ('posted', 'pending')) = (pending_id IS NULL)),
    CONSTRAINT timeout_only_on_pending CHECK (timeout_s IS NULL OR phase = 'pending'),
    CHECK ((timeout_s IS NULL) = (timeout_at IS NULL))
);

-- A pending transfer is resolved (posted, voided or expired) at most once.
CREATE UNIQUE INDEX transfers_resolve_pending_once ON ledger.transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX transfers_by_debit_account ON ledger.transfers (debit_account_id, seq) INCLUDE (amount, phase);
CREATE INDEX transfers_by_credit_account ON ledger.transfers (credit_account_id, seq) INCLUDE (amount, phase);
CREATE INDEX transfers_by_external_ref ON ledger.transfers (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX transfers_pending_timeouts ON ledger.transfers (timeout_at) WHERE timeout_at IS NOT NULL;

CREATE TYPE ledger.balance_delta AS (
    account_id      bigint,
    slot            smallint,
    debits_posted   bigint,
    credits_posted  bigint,
    debits_pending  bigint,
    credits_pending bigint
);

-- Errors name the rule broken in CONSTRAINT, so that callers can report it per transfer.
-- The common case is one statement: compute the deltas (checking accounts on the way), lock
-- the slots in order and update them. A batch with resolutions of pending transfers, or a
-- refused one, is checked first and applied by running that statement again.
CREATE FUNCTION ledger.apply_new_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
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
                   bool_or(a.debits_must_not_exceed_credits OR a.credits_must_not_exceed_debits) AS slot_limited
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

CREATE TRIGGER apply_new_transfers AFTER INSERT ON ledger.transfers
    REFERENCING NEW TABLE AS new_transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger.apply_new_transfers();

-- Posted history is never rewritten: corrections are new transfers.
CREATE FUNCTION ledger.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER transfers_are_append_only BEFORE UPDATE OR DELETE ON ledger.transfers
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_history_change();
CREATE TRIGGER transfers_are_not_truncated BEFORE TRUNCATE ON ledger.transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_history_change();

-- Balances change only through new transfers, or by closing or reopening an account.
-- The WHEN clause lets the ledger's own trigger (which runs at depth 1) through without
-- calling a function for each of its rows.
CREATE FUNCTION ledger.refuse_balance_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'balances change only through transfers' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER balance_slots_follow_transfers BEFORE UPDATE ON ledger.balance_slots
    FOR EACH ROW WHEN (pg_trigger_depth() < 1 AND
        (OLD.debits_posted, OLD.credits_posted, OLD.debits_pending, OLD.credits_pending, OLD.account_id, OLD.slot, OLD.currency)
        IS DISTINCT FROM
        (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending, NEW.account_id, NEW.slot, NEW.currency))
    EXECUTE FUNCTION ledger.refuse_balance_change();
CREATE TRIGGER balance_slots_are_not_deleted BEFORE DELETE OR TRUNCATE ON ledger.balance_slots
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_history_change();

-- Every account has its balance slots from the start, all at zero.
CREATE FUNCTION ledger.create_balance_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.balance_slots (account_id, slot, currency)
    SELECT a.id, s.slot, a.currency FROM new_accounts a CROSS JOIN LATERAL generate_series(0, a.slot_count - 1) s (slot);
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_get_balance_slots AFTER INSERT ON ledger.accounts
    REFERENCING NEW TABLE AS new_accounts FOR EACH STATEMENT EXECUTE FUNCTION ledger.create_balance_slots();

CREATE FUNCTION ledger.guard_new_balance_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.debits_posted, NEW.credits_posted, NEW.debits_pending, NEW.credits_pending) <> (0, 0, 0, 0) THEN
        RAISE EXCEPTION 'balances start at zero' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER balance_slots_start_at_zero BEFORE INSERT ON ledger.balance_slots
    FOR EACH ROW EXECUTE FUNCTION ledger.guard_new_balance_slots();

-- What defines an account never changes; only its metadata and whether it is closed.
CREATE FUNCTION ledger.guard_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.id, OLD.code, OLD.currency, OLD.normal_side, OLD.debits_must_not_exceed_credits,
        OLD.credits_must_not_exceed_debits, OLD.slot_count)
       IS DISTINCT FROM (NEW.id, NEW.code, NEW.currency, NEW.normal_side, NEW.debits_must_not_exceed_credits,
                         NEW.credits_must_not_exceed_debits, NEW.slot_count) THEN
        RAISE EXCEPTION 'only an account''s metadata and closed flag can change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_keep_their_definition BEFORE UPDATE ON ledger.accounts
    FOR EACH ROW EXECUTE FUNCTION ledger.guard_accounts();
CREATE TRIGGER accounts_are_not_deleted BEFORE DELETE OR TRUNCATE ON ledger.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_history_change();
