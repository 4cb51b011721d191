-- A payment for a catalogue service carries the payer's inputs for it (dossier number,
-- decision number, licence class...) and the quote the catalogue priced it at: the quote's
-- allocations say which agencies' payable accounts the money goes to when it succeeds, and
-- its bills which biller items it settles.
ALTER TABLE gateway.payment_intents
    ADD COLUMN service_inputs jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN quote jsonb,
    ADD CONSTRAINT quoted_when_for_a_service CHECK ((service IS NULL) = (quote IS NULL));
