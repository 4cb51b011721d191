-- Refunds of paid attempts. The money is reserved in the ledger by a pending transfer when
-- the refund is created, posted when the provider confirms it, voided if it fails.
CREATE TABLE gateway.refunds (
    agency_code     gateway.agency_code NOT NULL,
    id              text        NOT NULL CHECK (id ~ '^re_[A-Za-z0-9]{24}$'),
    livemode        boolean     NOT NULL,
    intent_id       text        NOT NULL,
    attempt_ref     text        NOT NULL REFERENCES gateway.payment_attempts,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        char(3)     NOT NULL REFERENCES ledger.currencies,
    status          text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    reason          text        CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer',
                                                  'expired_uncaptured_charge')),
    metadata        jsonb       NOT NULL DEFAULT '{}',
    -- Refunds we started ourselves: a second success, a success after cancellation.
    automatic       boolean     NOT NULL DEFAULT false,
    provider_ref    text,
    failure_reason  text,
    -- When the provider was last asked to refund (NULL: not yet; the refund job sends it).
    requested_at    timestamptz,
    created_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    -- The request's Idempotency-Key: a create retried after a crash finds its refund.
    idempotency_key text,
    PRIMARY KEY (agency_code, id),
    UNIQUE (id),
    FOREIGN KEY (agency_code, intent_id) REFERENCES gateway.payment_intents,
    CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX refunds_list ON gateway.refunds (agency_code, livemode, created_at DESC, id DESC);
CREATE INDEX refunds_of_intent ON gateway.refunds (agency_code, intent_id);
CREATE INDEX refunds_pending ON gateway.refunds (created_at) WHERE status = 'pending';
