-- The nightly run reads a business day of the ledger's transfers by created_at
-- (classify_unsettled.sql, the day part of agency_totals.sql); without an index on it
-- PostgreSQL reads every transfer ever booked, a cost that grows with each day of history.
-- Transfers are appended in created_at order (clock_timestamp() at insert), so a BRIN index
-- finds the day's blocks from a few index pages and costs the ledger's hot path next to
-- nothing. It serves reconciliation only, so reconciliation creates it. On a large existing
-- table, build it ahead with CREATE INDEX CONCURRENTLY under this name (IF NOT EXISTS).
CREATE INDEX IF NOT EXISTS transfers_by_created_at ON ledger.transfers USING brin (created_at);

-- A payment a run recovers is booked by the gateway when the run happens, the day after its
-- own: the next day's run must know it as settled, not missing at the provider.
CREATE INDEX recoveries_by_ref ON recon.recoveries (attempt_ref);
