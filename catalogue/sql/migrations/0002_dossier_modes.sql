-- Dossiers are kept per mode, as the gateway keeps every object: a dossier submitted to a
-- sandbox gateway (or on its pages) is a test-mode one, which only the agency's test key
-- reads and moves and only a test-mode payment marks paid; one submitted to a live gateway
-- is a live one, out of reach of test keys and test payments.
--
-- Dossiers submitted before this migration cannot say which mode they were made in. They
-- become live ones: a test key then loses a dossier it may have used, rather than keep its
-- hands on what may be a citizen's real one (a sandbox home may turn them into test ones
-- with `UPDATE catalogue.dossiers SET livemode = false`). The default serves only that: new
-- dossiers always say their mode.
ALTER TABLE catalogue.dossiers ADD COLUMN livemode boolean NOT NULL DEFAULT true;
ALTER TABLE catalogue.dossiers ALTER COLUMN livemode DROP DEFAULT;

