-- The catalogue: who is paid (agencies), for what and how much (services and their fee
-- rules), the law's numbers (base salaries, violation codes), the sandboxes' bills, and the
-- dossiers citizens submit.
--
-- Sharding (Citus, by agency): services and dossiers lead with or embed the agency code
-- (a dossier's code starts with it), so a request about one of them touches one shard.
-- The small tables (agencies, base salaries, violations, data versions) would be reference
-- tables, copied to every node. Where it would not fit as is: a distributed table's primary
-- key must include the distribution column, so services and dossiers would need
-- (agency_code, code) keys, and the foreign key from dossiers to services would follow.
CREATE SCHEMA catalogue;

-- Each data file version loaded, with a checksum of its content: the same version with
-- other content is refused, so a file edited without a new version cannot slip in.
CREATE TABLE catalogue.data_versions (
    version   integer     PRIMARY KEY CHECK (version >= 1),
    checksum  text        NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalogue.agencies (
    code                    text        PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,15}$'),
    kind                    text        NOT NULL CHECK (kind IN ('ministry', 'province', 'state_corporation',
                                                                  'social_security', 'budget_level')),
    name_vi                 text        NOT NULL CHECK (name_vi <> ''),
    name_en                 text        NOT NULL CHECK (name_en <> ''),
    -- Deferred, so that a data file can name a parent defined further down.
    parent_code             text        REFERENCES catalogue.agencies DEFERRABLE INITIALLY DEFERRED
                                        CHECK (parent_code <> code),
    treasury_code           text        NOT NULL CHECK (treasury_code ~ '^[0-9]{4}$'),
    treasury_account_number text        NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- A service's definition (payer fields, fee rule, split, providers) is kept whole as the
-- data file gives it, decoded into catalogue.model.Service on the way out; the columns
-- beside it are what queries and keys need.
CREATE TABLE catalogue.services (
    code         text        PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}$'),
    agency_code  text        NOT NULL REFERENCES catalogue.agencies,
    name_vi      text        NOT NULL,
    name_en      text        NOT NULL,
    -- The code and both names without diacritics, in lower case (catalogue/folding.py).
    search_text  text        NOT NULL,
    online_level smallint    NOT NULL CHECK (online_level IN (3, 4)),
    currency     char(3)     NOT NULL REFERENCES ledger.currencies,
    active       boolean     NOT NULL,
    definition   jsonb       NOT NULL CHECK (definition ->> 'code' = code),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX services_by_agency ON catalogue.services (agency_code, code);

-- The statutory base salary (lương cơ sở), from a date on.
CREATE TABLE catalogue.base_salaries (
    effective_from date   PRIMARY KEY,
    amount_minor   bigint NOT NULL CHECK (amount_minor > 0)
);

-- Violation codes and the legal range of their fines.
CREATE TABLE catalogue.violations (
    code           text   PRIMARY KEY,
    description_vi text   NOT NULL,
    description_en text   NOT NULL,
    minimum_minor  bigint NOT NULL CHECK (minimum_minor > 0),
    maximum_minor  bigint NOT NULL,
    legal_basis    text   NOT NULL,
    CHECK (minimum_minor <= maximum_minor)
);

-- ---------------------------------------------------------------- sandboxes

-- Bills, tax notices and penalty decisions the sandbox back-ends know.
CREATE TABLE catalogue.sandbox_bills (
    biller         text        NOT NULL,
    reference      text        NOT NULL,
    subject        text        NOT NULL,
    description    text        NOT NULL,
    period         text,
    amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
    currency       char(3)     NOT NULL REFERENCES ledger.currencies,
    due_date       date,
    violation_code text,
    paid_by        text,
    paid_at        timestamptz,
    PRIMARY KEY (biller, reference),
    CHECK ((paid_by IS NULL) = (paid_at IS NULL))
);

CREATE INDEX sandbox_bills_by_subject ON catalogue.sandbox_bills (biller, subject);

-- Paid exactly once, whoever writes the row: once paid, a bill stays paid by that payment.
CREATE FUNCTION catalogue.keep_bills_paid_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.paid_by IS NOT NULL AND (NEW.paid_by, NEW.paid_at) IS DISTINCT FROM (OLD.paid_by, OLD.paid_at) THEN
        RAISE EXCEPTION 'bill %/% was paid by %', OLD.biller, OLD.reference, OLD.paid_by
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bill_paid_once';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER bills_are_paid_once BEFORE UPDATE ON catalogue.sandbox_bills
    FOR EACH ROW EXECUTE FUNCTION catalogue.keep_bills_paid_once();

CREATE TABLE catalogue.sandbox_households (
    social_insurance_number text PRIMARY KEY CHECK (social_insurance_number ~ '^[0-9]{10}$'),
    head_name               text NOT NULL,
    members                 integer NOT NULL CHECK (members BETWEEN 1 AND 50),
    coverage_end            date
);

-- ---------------------------------------------------------------- dossiers

CREATE TABLE catalogue.dossiers (
    -- The portal's style: receiving agency, day (yymmdd, Asia/Ho_Chi_Minh), daily number.
    code                   text        PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,15}-[0-9]{6}-[0-9]{4,}$'),
    agency_code            text        NOT NULL REFERENCES catalogue.agencies
                                       CHECK (starts_with(code, agency_code || '-')),
    service_code           text        NOT NULL REFERENCES catalogue.services,
    applicant_name         text        NOT NULL,
    applicant_contact      text        NOT NULL,
    fields                 jsonb       NOT NULL,
    status                 text        NOT NULL CHECK (status IN ('submitted', 'received', 'in_progress',
                                       'awaiting_payment', 'paid', 'completed', 'rejected', 'returned_for_supplement')),
    -- Only a hash: the secret is shown once, to the applicant, and a leaked table leaks no access.
    tracking_secret_sha256 bytea       NOT NULL CHECK (length(tracking_secret_sha256) = 32),
    amount_minor           bigint      CHECK (amount_minor > 0),
    currency               char(3)     REFERENCES ledger.currencies,
    payment_ref            text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((amount_minor IS NULL) = (currency IS NULL)),
    CONSTRAINT payment_requested_before_paid CHECK (status NOT IN ('awaiting_payment', 'paid') OR amount_minor IS NOT NULL),
    CONSTRAINT paid_by_a_payment CHECK (status <> 'paid' OR payment_ref IS NOT NULL)
);

CREATE INDEX dossiers_by_agency_and_status ON catalogue.dossiers (agency_code, status, created_at);

-- Every status a dossier has had, with who moved it and why; append-only.
CREATE TABLE catalogue.dossier_events (
    dossier_code text        NOT NULL REFERENCES catalogue.dossiers,
    seq          integer     NOT NULL CHECK (seq >= 1),
    status       text        NOT NULL,
    actor_kind   text        NOT NULL CHECK (actor_kind IN ('applicant', 'agency', 'payments')),
    actor        text        NOT NULL,
    note         text,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_code, seq)
);

CREATE FUNCTION catalogue.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalogue.dossier_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER dossier_events_are_append_only BEFORE UPDATE OR DELETE ON catalogue.dossier_events
    FOR EACH ROW EXECUTE FUNCTION catalogue.refuse_event_change();

-- The last dossier number given per agency and day; one row lock per agency-day.
CREATE TABLE catalogue.dossier_counters (
    agency_code text    NOT NULL REFERENCES catalogue.agencies,
    day         date    NOT NULL,
    last_number integer NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (agency_code, day)
);
