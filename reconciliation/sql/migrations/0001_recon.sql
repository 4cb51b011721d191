-- Nightly reconciliation: one run per provider and business day, the settlement file's
-- lines as loaded (the evidence), how each was classified, the exceptions queue for
-- finance staff with its audit trail, remittance batches, and closed days.
-- Ledger rows are referred to by transfer id and external_ref only: the ledger's schema
-- knows nothing of ours.
-- Sharding (Citus): these tables shard well by run_id (one provider's day), but the
-- classification joins them to ledger.transfers by external_ref, and a provider's
-- payments credit every agency: with the ledger sharded by agency that join spans shards
-- (a repartition join Citus can run, not a single-shard query). The postings themselves
-- touch one provider's clearing account plus one agency per remittance.
CREATE SCHEMA recon;

CREATE TABLE recon.runs (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider           text        NOT NULL,
    business_day       date        NOT NULL,
    bank               text        NOT NULL,
    currency           char(3)     NOT NULL,
    -- running: steps remain; awaiting_statement: posted, waiting for the bank's credit
    -- before remitting; completed: every step done.
    status             text        NOT NULL DEFAULT 'running'
                                   CHECK (status IN ('running', 'awaiting_statement', 'completed')),
    -- The steps already done, in order; a resumed run starts after the last of them.
    steps_done         text[]      NOT NULL DEFAULT '{}',
    settlement_sha256  text        NOT NULL,
    statement_sha256   text,
    bank_entry_ref     text,       -- the camt.053 entry that confirmed the net settlement
    counts             jsonb       NOT NULL DEFAULT '{}',
    totals             jsonb       NOT NULL DEFAULT '{}',
    attempts           integer     NOT NULL DEFAULT 1,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    UNIQUE (provider, business_day)
);

-- The settlement file as loaded by COPY: one row per line, in file order.
CREATE TABLE recon.settlement_lines (
    run_id          bigint      NOT NULL REFERENCES recon.runs,
    line_no         integer     NOT NULL,
    attempt_ref     text        NOT NULL,
    provider_ref    text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('payment', 'refund')),
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    fee_minor       bigint      NOT NULL CHECK (fee_minor >= 0),
    currency        char(3)     NOT NULL,
    transacted_at   timestamptz NOT NULL,
    settlement_date date        NOT NULL,
    PRIMARY KEY (run_id, line_no)
);
CREATE INDEX settlement_lines_by_ref ON recon.settlement_lines (run_id, attempt_ref);

-- Every line of the file (line_no set) and every ledger entry of the day the file left out
-- (line_no NULL), with its class and the ledger's facts it was judged on.
CREATE TABLE recon.matches (
    run_id              bigint      NOT NULL REFERENCES recon.runs,
    line_no             integer,
    attempt_ref         text        NOT NULL,
    match_class         text        NOT NULL CHECK (match_class IN (
                            'matched', 'amount_mismatch', 'currency_mismatch', 'missing_in_ledger',
                            'missing_at_provider', 'duplicate_in_file', 'timing_difference')),
    ledger_kind         text,
    ledger_amount_minor bigint,
    ledger_currency     char(3),
    booked_at           timestamptz
);
CREATE UNIQUE INDEX matches_line_once ON recon.matches (run_id, line_no) WHERE line_no IS NOT NULL;
CREATE UNIQUE INDEX matches_entry_once ON recon.matches (run_id, attempt_ref) WHERE line_no IS NULL;

-- Lines missing in the ledger that the provider's status query proved paid, booked by us.
CREATE TABLE recon.recoveries (
    run_id       bigint      NOT NULL REFERENCES recon.runs,
    line_no      integer     NOT NULL,
    attempt_ref  text        NOT NULL,
    transfer_id  text        NOT NULL,
    status       jsonb       NOT NULL,  -- the provider's answer, as evidence
    recovered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, line_no)
);

CREATE TABLE recon.exceptions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       bigint      NOT NULL REFERENCES recon.runs,
    -- a line's class, or bank_credit_missing when the statement lacks the net settlement
    match_class  text        NOT NULL,
    attempt_ref  text        NOT NULL,
    line_no      integer,
    evidence     jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution   text        CHECK (resolution IN ('manual_match', 'write_off', 'refund', 're_query')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'resolved') = (resolution IS NOT NULL))
);
-- One exception per line, per ledger-only entry, and per bank check of a run: re-runs add none.
CREATE UNIQUE INDEX exceptions_once ON recon.exceptions (run_id, match_class, attempt_ref, coalesce(line_no, -1));
CREATE INDEX exceptions_open ON recon.exceptions (run_id) WHERE status = 'open';

-- Who did what to an exception, when and why; append-only.
CREATE TABLE recon.exception_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    exception_id bigint      NOT NULL REFERENCES recon.exceptions,
    action       text        NOT NULL,
    actor        text        NOT NULL CHECK (length(actor) > 0),
    reason       text        NOT NULL CHECK (length(reason) > 0),
    details      jsonb       NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recon.remittances (
    run_id           bigint  NOT NULL REFERENCES recon.runs,
    agency           text    NOT NULL,
    treasury_account text    NOT NULL,
    amount_minor     bigint  NOT NULL CHECK (amount_minor > 0),
    currency         char(3) NOT NULL,
    transfer_id      text    NOT NULL UNIQUE,
    PRIMARY KEY (run_id, agency)
);

-- What each agency was paid (ledger, this provider, this day) and what of it settled.
CREATE TABLE recon.agency_totals (
    run_id        bigint NOT NULL REFERENCES recon.runs,
    agency        text   NOT NULL,
    paid_minor    bigint NOT NULL,
    settled_minor bigint NOT NULL,
    PRIMARY KEY (run_id, agency)
);

CREATE TABLE recon.closed_days (
    business_day date        PRIMARY KEY,
    closed_by    text        NOT NULL,
    reason       text        NOT NULL,
    closed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION recon.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'recon.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER exception_events_are_append_only BEFORE UPDATE OR DELETE ON recon.exception_events
    FOR EACH ROW EXECUTE FUNCTION recon.refuse_change();
CREATE TRIGGER closed_days_stay_closed BEFORE UPDATE OR DELETE ON recon.closed_days
    FOR EACH ROW EXECUTE FUNCTION recon.refuse_change();
