-- A staff member's unfinished dialog in the bot (creating a campaign, extending one, confirming a
-- change), so that a restart mid-dialog loses nothing. Staff are not anonymous: keyed by staff id.
-- The revision ties the dialog's buttons to the screen they were drawn on.
CREATE TABLE staff_dialogs (
    staff_id   BIGINT PRIMARY KEY REFERENCES staff (id),
    state      TEXT NOT NULL,
    revision   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
