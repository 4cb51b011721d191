-- The gateway's own state: agencies' API keys, idempotent request records, payment intents
-- and the events that announce their changes.
--
-- Every business table leads with agency_code, and every lookup filters on it: a key sees
-- only its agency's objects, and the tables can later be distributed (Citus) by agency
-- without a cross-shard query on the request path.
CREATE SCHEMA gateway;

-- catalogue.agencies is being written concurrently; until it lands, agency_code is checked
-- for shape only (the shape of catalogue.agencies.code). It becomes a foreign key to the
-- catalogue in a later migration.
CREATE DOMAIN gateway.agency_code AS text CHECK (VALUE ~ '^[A-Z][A-Z0-9]{1,15}$');

CREATE TABLE gateway.api_keys (
    id            bigint             GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_code   gateway.agency_code NOT NULL,
    mode          text               NOT NULL CHECK (mode IN ('test', 'live')),
    -- Only the hash is kept: a leaked database does not leak working keys. The secret has
    -- ~190 random bits, so an unsalted fast hash is enough (nothing to brute-force).
    secret_sha256 bytea              NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    -- The first characters of the secret, so that operators can tell keys apart.
    display_prefix text              NOT NULL,
    created_at    timestamptz        NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- One row per (API key, Idempotency-Key). The row is inserted (committed) first, then locked
-- by the request that runs it for the length of its transaction: a concurrent request with
-- the same key fails to take the lock (409), and a crashed request releases it with its
-- connection, so a retry can run. The response is written in the same transaction as the
-- change it reports.
CREATE TABLE gateway.idempotency_keys (
    api_key_id      bigint      NOT NULL REFERENCES gateway.api_keys,
    key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_sha256  bytea       NOT NULL CHECK (length(request_sha256) = 32),
    response_status smallint,
    response_body   bytea,  -- the exact bytes sent, so that a replay is byte-identical
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key),
    CHECK ((response_status IS NULL) = (response_body IS NULL))
);
CREATE INDEX idempotency_keys_created_at ON gateway.idempotency_keys (created_at);

CREATE TABLE gateway.payment_intents (
    agency_code         gateway.agency_code NOT NULL,
    id                  text        NOT NULL CHECK (id ~ '^pi_[A-Za-z0-9]{24}$'),
    livemode            boolean     NOT NULL,
    status              text        NOT NULL CHECK (status IN (
                            'requires_payment_method', 'requires_confirmation', 'requires_action',
                            'processing', 'requires_capture', 'succeeded', 'canceled')),
    amount_minor        bigint      NOT NULL CHECK (amount_minor > 0),
    currency            char(3)     NOT NULL REFERENCES ledger.currencies,
    client_secret       text        NOT NULL,
    description         text,
    receipt_email       text,
    payment_method_types text[]     NOT NULL,
    metadata            jsonb       NOT NULL DEFAULT '{}',
    service             text,
    reference           text,
    payer               text,
    cancellation_reason text,
    canceled_at         timestamptz,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (agency_code, id),
    CHECK ((status = 'canceled') = (canceled_at IS NOT NULL))
);
-- Lists are newest first, paged by keyset on (created_at, id).
CREATE INDEX payment_intents_list ON gateway.payment_intents (agency_code, livemode, created_at DESC, id DESC);

-- The transactional outbox: an event is written in the same transaction as the change it
-- announces; webhook delivery reads from here.
CREATE TABLE gateway.events (
    agency_code     gateway.agency_code NOT NULL,
    id              text        NOT NULL CHECK (id ~ '^evt_[A-Za-z0-9]{24}$'),
    livemode        boolean     NOT NULL,
    type            text        NOT NULL,
    api_version     text,
    data            jsonb       NOT NULL,
    request_id      text,
    idempotency_key text,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (agency_code, id)
);
CREATE INDEX events_list ON gateway.events (agency_code, livemode, created_at DESC, id DESC);
CREATE INDEX events_list_by_type ON gateway.events (agency_code, livemode, type, created_at DESC, id DESC);
