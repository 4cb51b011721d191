-- Failed (or still unfinished) logins in the window before the given attempt, for the
-- account and for the address, and how long until the oldest of each leaves the window
-- (when the next attempt is allowed again).
SELECT count(*) FILTER (WHERE email = %(email)s),
       count(*) FILTER (WHERE address = %(address)s),
       min(at) FILTER (WHERE email = %(email)s) + %(window)s - now(),
       min(at) FILTER (WHERE address = %(address)s) + %(window)s - now()
  FROM gateway.staff_login_attempts
 WHERE NOT succeeded AND id < %(attempt_id)s AND at > now() - %(window)s
   AND (email = %(email)s OR address = %(address)s)
