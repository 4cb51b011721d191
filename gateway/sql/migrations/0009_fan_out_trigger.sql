-- Every event is fanned out where it is written: one delivery per endpoint enabled for its
-- type at that moment, in the event's transaction, and a NOTIFY (sent at commit) to wake the
-- delivery workers. In the database rather than in the code that appends events, so that no
-- event can be written without its deliveries, and appending one is a single statement (the
-- API's hot path pays one round trip for it, not three).
CREATE FUNCTION gateway.fan_out_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gateway.webhook_deliveries (agency_code, event_id, endpoint_id, next_attempt_at, created_at)
    SELECT NEW.agency_code, NEW.id, endpoint.id, NEW.created_at, NEW.created_at
      FROM gateway.webhook_endpoints endpoint
     WHERE endpoint.agency_code = NEW.agency_code AND endpoint.livemode = NEW.livemode
       AND endpoint.status = 'enabled'
       AND ('*' = ANY (endpoint.enabled_events) OR NEW.type = ANY (endpoint.enabled_events));
    IF FOUND THEN
        PERFORM pg_notify('publicpay_webhooks', '');  -- gateway/webhooks/store.py:CHANNEL
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER fan_out AFTER INSERT ON gateway.events
    FOR EACH ROW EXECUTE FUNCTION gateway.fan_out_event();
