-- Daily digests: each delivery is claimed in the database before it is sent, so a restart
-- neither repeats nor skips one, and several bot processes never send the same digest twice.

-- Whether the person can still be reached (false once they block the bot).
ALTER TABLE staff ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
-- Class teachers opt in to a short daily line (/digest on).
ALTER TABLE staff ADD COLUMN daily_line BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE digest_deliveries (
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    day         DATE NOT NULL,
    claimed_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    -- 'sent', 'blocked' (the person blocked the bot), or NULL while being sent.
    outcome     TEXT,
    -- The counts this digest showed (JSON: group id → responses), for the next day's change.
    counts      TEXT,
    PRIMARY KEY (staff_id, campaign_id, day)
);
