-- One publication per capture set, so each connector (or the embedded runner) streams exactly its
-- tables. Debezium is configured with publication.autocreate.mode=disabled and uses these.
CREATE PUBLICATION tideline_accounts FOR TABLE accounts;
CREATE PUBLICATION tideline_chargebacks FOR TABLE chargebacks;
CREATE PUBLICATION tideline_cdc FOR TABLE accounts, chargebacks;
