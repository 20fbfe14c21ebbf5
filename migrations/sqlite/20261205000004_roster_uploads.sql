-- The roster file a region administrator sent the bot, kept until «Загрузить» or «Отмена» so that
-- a restart between the preview and the confirmation loses nothing. Staff are not anonymous: keyed
-- by staff id. The fingerprint is of the stored roster the preview compared the file with; the
-- revision (random per file) ties the preview's buttons to this file.
CREATE TABLE roster_uploads (
    staff_id    INTEGER PRIMARY KEY REFERENCES staff (id),
    file_name   TEXT NOT NULL,
    file        BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
