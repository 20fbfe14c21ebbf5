-- One gentle reminder per draft (issue 13, item 4). To write to a respondent who stopped half-way
-- the bot needs their chat, which drafts are not keyed by (see 20261202000001_ballot_box.sql).
-- `reminder_chat` holds the chat id sealed under the identity key (privacy.rs): unreadable without
-- the key, in the draft's own row and in no index, so it goes when the draft goes (submit, «Нет,
-- спасибо», /cancel, purge). NULL for drafts started before.
-- `reminded_at` is the claim: set once, atomically, by the process that sends the reminder, so
-- neither a restart nor a second replica sends another for the same draft.
-- `language` is the respondent's Telegram language when the draft started, for the reminder's text.
-- The SQLite twin is migrations/sqlite/20261206000002_reminders.sql: keep them in step.
ALTER TABLE drafts ADD COLUMN reminder_chat BYTEA;
ALTER TABLE drafts ADD COLUMN reminded_at TIMESTAMPTZ;
ALTER TABLE drafts ADD COLUMN language TEXT NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en'));
