-- The merchant of the charged-back payment, as the card network reports it: features keyed by
-- merchant count the frauds known at each merchant. Nullable, as legacy rows lack it; a label
-- without a merchant reaches only the training job.
ALTER TABLE chargebacks ADD COLUMN merchant_id text;
