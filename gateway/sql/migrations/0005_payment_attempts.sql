-- Confirming a PaymentIntent starts an attempt at one provider; the provider's messages
-- about it are applied once each.

ALTER TABLE gateway.payment_intents
    ADD COLUMN payment_method     text,
    ADD COLUMN next_action        jsonb,
    ADD COLUMN last_payment_error jsonb,
    ADD COLUMN latest_attempt_ref text;

-- One row per try at a provider. ``attempt_ref`` is what the provider echoes back in every
-- message (VNPAY's vnp_TxnRef, MoMo's orderId, the VietQR purpose, the card acquirer's
-- metadata), and the ledger's external_ref for the payment, which reconciliation matches.
CREATE TABLE gateway.payment_attempts (
    attempt_ref    text        PRIMARY KEY CHECK (attempt_ref ~ '^[A-Za-z0-9_]{8,40}$'),
    agency_code    gateway.agency_code NOT NULL,
    intent_id      text        NOT NULL,
    livemode       boolean     NOT NULL,
    provider       text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
    currency       char(3)     NOT NULL REFERENCES ledger.currencies,
    payment_method text,
    return_url     text,  -- where the payer's browser goes once back from the provider
    provider_ref   text,
    failure_code   text,
    -- Why finance staff must look at it: a wrong amount reported, a second success on an
    -- intent already paid (refunded automatically), a success after the intent was canceled.
    flag           text        CHECK (flag IN ('amount_mismatch', 'second_success', 'succeeded_after_cancel')),
    created_at     timestamptz NOT NULL,
    resolved_at    timestamptz,
    queried_at     timestamptz,  -- when the status-query job last asked the provider
    -- Whoever confirmed with this Idempotency-Key, so that a retried confirm finds its attempt.
    idempotency_key text,
    FOREIGN KEY (agency_code, intent_id) REFERENCES gateway.payment_intents,
    CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX payment_attempts_of_intent ON gateway.payment_attempts (agency_code, intent_id, created_at);
-- The status-query job looks for attempts nobody called back about.
CREATE INDEX payment_attempts_pending ON gateway.payment_attempts (created_at) WHERE status = 'pending';
CREATE INDEX payment_attempts_flagged ON gateway.payment_attempts (created_at) WHERE flag IS NOT NULL;

-- Each provider event (every copy of one callback shares its event_key) is applied once:
-- the row is inserted in the transaction that applies it, and its answer is what every
-- later copy gets.
CREATE TABLE gateway.provider_events (
    provider    text        NOT NULL,
    event_key   text        NOT NULL,
    attempt_ref text,
    outcome     text        NOT NULL,
    answer      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_key)
);
