-- Lines and matched lines of each run over a span of business days (the run records its
-- counts once its exceptions are queued; runs not that far yet are left out). A recovered
-- line counts as matched: the run proved it.
SELECT business_day, provider, (counts->>'lines')::bigint AS lines,
       coalesce((counts->>'matched')::bigint, 0) AS matched
  FROM recon.runs
 WHERE business_day > %(until)s::date - %(days)s::int AND business_day <= %(until)s
   AND counts ? 'lines'
 ORDER BY business_day, provider
