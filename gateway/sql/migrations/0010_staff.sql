-- Finance console: staff accounts with one role each, their sessions, the login attempts
-- that throttle guessing, and an append-only audit log of what staff do.
--
-- Resolutions of reconciliation exceptions are audited where they happen, in
-- recon.exception_events (same transaction as their postings); this log holds everything
-- else (logins aside): closing days, managing staff.
-- Sharding: staff tables are small and global (a Citus reference table each).

CREATE TABLE gateway.staff (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-cased and trimmed by the application; the CHECK keeps it so.
    email         text        NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+$'),
    role          text        NOT NULL CHECK (role IN ('officer', 'auditor', 'admin')),
    -- "scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>": the parameters travel with the
    -- hash, so they can be raised later without invalidating existing passwords.
    password_hash text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

-- A session is a random token held by the browser; only its SHA-256 is kept (the token has
-- 256 random bits, so a fast unsalted hash leaves nothing to brute-force).
CREATE TABLE gateway.staff_sessions (
    token_sha256  bytea       PRIMARY KEY CHECK (length(token_sha256) = 32),
    staff_id      bigint      NOT NULL REFERENCES gateway.staff,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX staff_sessions_by_staff ON gateway.staff_sessions (staff_id);

-- Every login attempt, kept to throttle by account and by client address (across all
-- gateway processes) and as the record of who signed in from where.
CREATE TABLE gateway.staff_login_attempts (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text        NOT NULL,
    address    text        NOT NULL,
    succeeded  boolean     NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_login_failures_by_email ON gateway.staff_login_attempts (email, at) WHERE NOT succeeded;
CREATE INDEX staff_login_failures_by_address ON gateway.staff_login_attempts (address, at) WHERE NOT succeeded;

-- Who did what, when and why. Actor is the staff email (or "cli:<user>" for the command
-- line): staff rows may be disabled, never deleted, but the log must read on its own.
CREATE TABLE gateway.staff_audit (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor    text        NOT NULL CHECK (length(actor) > 0),
    action   text        NOT NULL CHECK (length(action) > 0),
    target   text        NOT NULL,
    reason   text        NOT NULL CHECK (length(reason) > 0),
    details  jsonb       NOT NULL DEFAULT '{}',
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_audit_by_time ON gateway.staff_audit (at DESC, id DESC);

CREATE FUNCTION gateway.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'gateway.staff_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER staff_audit_is_append_only BEFORE UPDATE OR DELETE ON gateway.staff_audit
    FOR EACH ROW EXECUTE FUNCTION gateway.refuse_audit_change();
