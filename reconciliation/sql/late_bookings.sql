-- The open exceptions of this provider's other runs from the week around the day whose
-- line the ledger lacked, and now has, booked after that run, for the line's amount and
-- currency: a payment (or refund) settled in a file before the gateway booked it.
SELECT e.id
  FROM recon.runs r
  JOIN recon.exceptions e ON e.run_id = r.id AND e.status = 'open' AND e.match_class = 'missing_in_ledger'
  JOIN LATERAL (
      SELECT sum(t.amount)::bigint AS amount_minor, min(t.currency) AS currency
        FROM ledger.transfers t
       WHERE t.external_ref = e.attempt_ref AND t.kind = e.evidence -> 'line' ->> 'kind'
         AND recon.clearing_entry(t, %(clearing_id)s)
      HAVING count(*) > 0
  ) booked ON booked.amount_minor = (e.evidence -> 'line' ->> 'amount_minor')::bigint
          AND booked.currency = e.evidence -> 'line' ->> 'currency'
 WHERE r.provider = %(provider)s AND r.id <> %(run_id)s
   AND r.business_day BETWEEN %(day)s::date - %(nearby_days)s AND %(day)s::date + %(nearby_days)s
 ORDER BY e.id
