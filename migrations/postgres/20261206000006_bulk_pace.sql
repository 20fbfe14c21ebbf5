-- One bulk budget per bot across all the processes sharing this database: the next free moment a
-- digest or reminder may go out (microseconds since the Unix epoch). Each bulk message claims the
-- slot and moves it on by 1/telegram.bulk_per_second, so replicas together keep to the budget.
-- `bot` is the bot's Telegram id (the number before the token's colon); nothing about a person.
-- The SQLite twin is migrations/sqlite/20261206000006_bulk_pace.sql: keep them in step.
CREATE TABLE bulk_pace (
    bot BIGINT PRIMARY KEY,
    next_slot BIGINT NOT NULL
);
