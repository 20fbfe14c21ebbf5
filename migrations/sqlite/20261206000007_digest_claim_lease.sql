-- Who holds an unfinished digest claim: a random token of one digest round, which renews the
-- claim's claimed_at while it runs. A claim not renewed for two minutes belongs to a round that is
-- gone (a process killed with kill -9) and is taken over, where it used to wait ten minutes.
-- The PostgreSQL twin is migrations/postgres/20261206000007_digest_claim_lease.sql: keep them in step.
ALTER TABLE digest_deliveries ADD COLUMN claimed_by TEXT;
