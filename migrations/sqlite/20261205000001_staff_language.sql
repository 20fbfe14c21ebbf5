-- The language a staff member's Telegram speaks, so that digests, sent outside any update of
-- theirs, are written in it. Set when they accept their invitation, kept up to date as they use
-- the bot.
ALTER TABLE staff ADD COLUMN language TEXT NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en'));
