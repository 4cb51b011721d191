-- Webhook endpoints and the delivery of events to them.
CREATE TABLE gateway.webhook_endpoints (
    agency_code    gateway.agency_code NOT NULL,
    id             text        NOT NULL CHECK (id ~ '^we_[A-Za-z0-9]{24}$'),
    livemode       boolean     NOT NULL,
    url            text        NOT NULL,
    enabled_events text[]      NOT NULL CHECK (cardinality(enabled_events) > 0),
    description    text,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    status         text        NOT NULL CHECK (status IN ('enabled', 'disabled')),
    api_version    text,
    -- Kept as it is, not hashed: every delivery is signed with it (HMAC needs the secret).
    secret         text        NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (agency_code, id)
);
CREATE INDEX webhook_endpoints_list ON gateway.webhook_endpoints (agency_code, livemode, created_at DESC, id DESC);

-- One row per event and endpoint, written with the event (so "every endpoint enabled for it
-- when it happened" is exact); the worker claims due rows with SKIP LOCKED.
CREATE TABLE gateway.webhook_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_code     gateway.agency_code NOT NULL,
    event_id        text        NOT NULL,
    endpoint_id     text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    FOREIGN KEY (agency_code, event_id) REFERENCES gateway.events,
    FOREIGN KEY (agency_code, endpoint_id) REFERENCES gateway.webhook_endpoints ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON gateway.webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE gateway.webhook_attempts (
    delivery_id bigint      NOT NULL REFERENCES gateway.webhook_deliveries ON DELETE CASCADE,
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL,
    http_status integer,
    error       text,
    duration_ms integer     NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
