-- Checkout Sessions: an agency's request that a citizen pay some line items on our hosted
-- page. Each owns one PaymentIntent for its total, created with it, through which the
-- payment itself runs (confirm, callbacks, refunds); the session follows that intent:
-- complete when it succeeds, expired (and the intent canceled) when its time is up.
CREATE TABLE gateway.checkout_sessions (
    agency_code         gateway.agency_code NOT NULL,
    id                  text        NOT NULL CHECK (id ~ '^cs_(test|live)_[A-Za-z0-9]{24}$'),
    livemode            boolean     NOT NULL,
    status              text        NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
    payment_status      text        NOT NULL CHECK (payment_status IN ('unpaid', 'paid')),
    payment_intent_id   text        NOT NULL,
    amount_total_minor  bigint      NOT NULL CHECK (amount_total_minor > 0),
    currency            char(3)     NOT NULL REFERENCES ledger.currencies,
    -- What the agency asked to be paid, in its order: [{id, price_id, product_id, name,
    -- unit_amount_minor, quantity}]. Never changed after creation, read whole by the page.
    line_items          jsonb       NOT NULL CHECK (jsonb_typeof(line_items) = 'array'),
    url                 text        NOT NULL,  -- the hosted page, shown while open
    success_url         text        NOT NULL,
    cancel_url          text,
    expires_at          timestamptz NOT NULL,
    metadata            jsonb       NOT NULL DEFAULT '{}',
    client_reference_id text,
    customer_email      text,
    payment_method_types text[]    NOT NULL,  -- its intent's, as created
    -- The portal's fields as the agency gave them (the intent carries them too).
    service             text,
    service_inputs      jsonb       NOT NULL DEFAULT '{}',
    reference           text,
    payer               text,
    created_at          timestamptz NOT NULL,
    completed_at        timestamptz,
    expired_at          timestamptz,
    PRIMARY KEY (agency_code, id),
    -- The hosted page finds a session by its id alone (the id is its address).
    UNIQUE (id),
    -- The intent's success finds its session (gateway.sessions.completion).
    UNIQUE (agency_code, payment_intent_id),
    FOREIGN KEY (agency_code, payment_intent_id) REFERENCES gateway.payment_intents,
    CHECK ((status = 'complete') = (completed_at IS NOT NULL)),
    CHECK ((status = 'expired') = (expired_at IS NOT NULL)),
    CHECK ((status = 'complete') = (payment_status = 'paid'))
);
-- Lists are newest first, paged by keyset on (created_at, id).
CREATE INDEX checkout_sessions_list ON gateway.checkout_sessions (agency_code, livemode, created_at DESC, id DESC);
CREATE INDEX checkout_sessions_list_by_status
    ON gateway.checkout_sessions (agency_code, livemode, status, created_at DESC, id DESC);
-- The expiry job's look-up: open sessions by the time they end.
CREATE INDEX checkout_sessions_open_until ON gateway.checkout_sessions (expires_at) WHERE status = 'open';
