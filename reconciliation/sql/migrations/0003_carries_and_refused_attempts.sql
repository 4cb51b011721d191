-- What a day's remittance could not take, carried to a later one; the gateway's refused
-- attempts as evidence; payments booked after the run that their line was in; and the
-- agency indexes that an agency's balance reads by.

-- An agency's balance (gateway/balance) sums its settled and remitted amounts over every
-- run: by agency, not by run.
CREATE INDEX agency_totals_by_agency ON recon.agency_totals (agency) INCLUDE (settled_minor);
CREATE INDEX remittances_by_agency ON recon.remittances (agency, currency) INCLUDE (amount_minor);

-- Money owed to (positive) or by (negative) an agency's treasury account that the
-- remittance of its own run did not carry:
--   negative_settlement: a run whose refunds for the agency exceeded its payments (run_id);
--     no remittance is ever negative, so the next one is that much smaller;
--   settled_after_run: money settled by resolving an exception (exception_id), after the
--     run that would have remitted it had computed its totals.
-- The first remittance of the agency in that currency after it takes it (taken_by_run_id:
-- remitted, or folded into a new negative carry), in the transaction that posts it: each
-- carry is taken exactly once.
CREATE TABLE recon.remittance_carries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency          text        NOT NULL,
    currency        char(3)     NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor <> 0),
    cause           text        NOT NULL CHECK (cause IN ('negative_settlement', 'settled_after_run')),
    run_id          bigint      REFERENCES recon.runs,
    exception_id    bigint      REFERENCES recon.exceptions,
    taken_by_run_id bigint      REFERENCES recon.runs,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE cause WHEN 'negative_settlement' THEN run_id IS NOT NULL AND exception_id IS NULL
                      ELSE exception_id IS NOT NULL AND run_id IS NULL END)
);
CREATE UNIQUE INDEX remittance_carries_once
    ON recon.remittance_carries (cause, coalesce(run_id, exception_id), agency);
CREATE INDEX remittance_carries_pending ON recon.remittance_carries (currency, agency) WHERE taken_by_run_id IS NULL;
CREATE INDEX remittance_carries_by_agency ON recon.remittance_carries (agency, currency) INCLUDE (amount_minor, cause);
CREATE INDEX remittance_carries_taken ON recon.remittance_carries (taken_by_run_id) WHERE taken_by_run_id IS NOT NULL;
CREATE INDEX remittance_carries_of_run ON recon.remittance_carries (run_id) WHERE run_id IS NOT NULL;

-- A line the ledger lacks because the gateway refused its payment: the provider took
-- another amount than the attempt asked (the attempt was flagged, nothing moved). The
-- gateway's attempt is kept as the exception's evidence.
CREATE TABLE recon.refused_attempts (
    run_id      bigint NOT NULL REFERENCES recon.runs,
    line_no     integer NOT NULL,
    attempt_ref text   NOT NULL,
    attempt     jsonb  NOT NULL,
    PRIMARY KEY (run_id, line_no)
);

ALTER TABLE recon.matches DROP CONSTRAINT matches_match_class_check;
ALTER TABLE recon.matches ADD CONSTRAINT matches_match_class_check CHECK (match_class IN (
    'matched', 'amount_mismatch', 'currency_mismatch', 'missing_in_ledger', 'missing_at_provider',
    'duplicate_in_file', 'timing_difference', 'amount_mismatch_refused')) NOT VALID;
ALTER TABLE recon.matches VALIDATE CONSTRAINT matches_match_class_check;

-- late_booking: a run found the payment of a line the ledger lacked booked after that
-- line's run (a callback after the run) and matched it; only a run resolves so.
ALTER TABLE recon.exceptions DROP CONSTRAINT exceptions_resolution_check;
ALTER TABLE recon.exceptions ADD CONSTRAINT exceptions_resolution_check
    CHECK (resolution IN ('manual_match', 'write_off', 'refund', 're_query', 'late_booking')) NOT VALID;
ALTER TABLE recon.exceptions VALIDATE CONSTRAINT exceptions_resolution_check;
