-- A live session of an active account: not past its lifetime, not idle too long. Using it
-- moves its idle clock on.
UPDATE gateway.staff_sessions ss
   SET last_seen_at = now()
  FROM gateway.staff s
 WHERE ss.token_sha256 = %(token)s AND s.id = ss.staff_id AND s.disabled_at IS NULL
   AND ss.expires_at > now() AND ss.last_seen_at > now() - %(idle)s
RETURNING s.id, s.email, s.role, s.created_at, s.disabled_at
