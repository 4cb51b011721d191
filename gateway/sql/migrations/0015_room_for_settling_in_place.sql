-- A PaymentIntent is written again by each confirm and by its settling, never in an indexed
-- column: with room left on its page, PostgreSQL keeps the new version beside the old one
-- (a heap-only update) instead of adding an entry to each of the table's indexes. Pages
-- written from now on keep that room.
ALTER TABLE gateway.payment_intents SET (fillfactor = 70);
