-- The system of record Tideline captures with Debezium: account profiles and chargebacks.
--
-- The tables are deliberately looser than the Avro contracts (home_country and risk_tier may be
-- null, risk_tier is free text): they belong to the business, may hold legacy rows, and a row the
-- contract cannot carry must reach cdc.dlq with a reason rather than be refused or lost here.
--
-- Replica identity stays DEFAULT (the primary key): an update carries the whole new row, which is
-- all pgoutput needs to send the latest profile, and a delete carries the key, which is all a
-- tombstone on cdc.accounts needs. Chargebacks are facts: a delete is not forwarded (a withdrawn
-- chargeback is a new row with is_fraud = false), so the key is enough there too.

CREATE TABLE accounts (
    account_id         text        PRIMARY KEY,
    created_at         timestamptz NOT NULL,
    credit_limit_minor bigint      NOT NULL,
    home_country       text,
    risk_tier          text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION accounts_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_touch();

CREATE TABLE chargebacks (
    txn_id      text        PRIMARY KEY,
    account_id  text,
    is_fraud    boolean     NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now()
);
