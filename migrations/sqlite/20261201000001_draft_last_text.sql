-- The Telegram id of the last message whose text was applied to the draft. Telegram hands an
-- update over again when the bot stopped before confirming it (polling) or answering it
-- (webhook); message ids only grow within a chat, so a text not newer than this one is a
-- repeat and must not answer the next question too.
ALTER TABLE drafts ADD COLUMN last_text_message INTEGER;
