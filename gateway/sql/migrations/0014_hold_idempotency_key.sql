-- Holding an idempotency key inside a longer query string (gateway/idempotency/store.py,
-- commit_first_try): takes the key's transaction-level lock without waiting, then raises
-- when the lock is another request's or the key has a response kept still, so that the
-- statements sent after it (the operation's write, its stored response, COMMIT) do not run.
-- The row is read by a statement of its own after the lock is granted: in READ COMMITTED it
-- sees what the key's previous holder committed before letting the lock go.
CREATE FUNCTION gateway.hold_idempotency_key(held_api_key_id bigint, held_key text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended(held_key, held_api_key_id)) THEN
        RAISE EXCEPTION 'idempotency key % is in use by another request', held_key USING ERRCODE = 'PPKEY';
    END IF;
    IF EXISTS (SELECT FROM gateway.idempotency_keys
                WHERE api_key_id = held_api_key_id AND key = held_key
                  AND response_status IS NOT NULL AND created_at >= now() - interval '24 hours') THEN
        RAISE EXCEPTION 'idempotency key % has a response already', held_key USING ERRCODE = 'PPKEY';
    END IF;
END
$$;
