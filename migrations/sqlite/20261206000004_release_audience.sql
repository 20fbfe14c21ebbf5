-- Releases are made audience by audience (releases.rs): a response names its class and its
-- audience, so a class released with four parents and one student would show that student's
-- answers alone under their class. `audience` is the audience of every response of the release;
-- NULL for a release made before, which mixes them (later releases never absorb one).
-- The PostgreSQL twin is migrations/postgres/20261206000004_release_audience.sql: keep them in step.
ALTER TABLE releases ADD COLUMN audience TEXT;
