-- The Telegram id of the last typed message a staff dialog took in. Polling confirms an update
-- only once it is handled, so after a crash Telegram hands a message over again that may already
-- have moved the dialog on; a message whose id is not above this one is not taken in twice.
-- The PostgreSQL twin is migrations/postgres/20261206000005_staff_dialog_last_message.sql: keep them in step.
ALTER TABLE staff_dialogs ADD COLUMN last_message INTEGER;
