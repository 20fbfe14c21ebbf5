-- The answer rows are gone: since 20261206000008 every released response holds its answers packed
-- in `responses.answers`, written in the transaction that releases it, and nothing reads the rows.
-- Settling no longer writes them (half the writes of a release), and a released answer is in one
-- place only, the response that holds it.
-- The SQLite twin is migrations/sqlite/20261206000009_drop_answer_rows.sql: keep them in step.
DROP TABLE answers;
