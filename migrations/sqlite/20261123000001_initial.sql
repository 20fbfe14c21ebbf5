-- Roster, campaigns, class links, drafts, participation and anonymous responses.
-- The PostgreSQL twin is migrations/postgres/20261123000001_initial.sql: keep them in step.

CREATE TABLE municipalities (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE schools (
    id              INTEGER PRIMARY KEY,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    name            TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    UNIQUE (municipality_id, name)
);

CREATE TABLE classes (
    id        INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools (id),
    name      TEXT NOT NULL,
    headcount INTEGER NOT NULL CHECK (headcount > 0),
    UNIQUE (school_id, name)
);

CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    starts_on      TEXT NOT NULL,
    ends_on        TEXT NOT NULL,
    target_percent INTEGER NOT NULL CHECK (target_percent BETWEEN 1 AND 100),
    closed         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TEXT NOT NULL,
    CHECK (starts_on <= ends_on)
);

-- The questionnaire text is copied into the campaign when it is created, so editing a file under
-- questionnaires/ never changes a running campaign under its respondents.
CREATE TABLE campaign_questionnaires (
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    audience         TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL,
    definition       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, audience)
);

CREATE TABLE class_links (
    code        TEXT PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    class_id    INTEGER NOT NULL REFERENCES classes (id),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX class_links_one_active ON class_links (campaign_id, class_id) WHERE revoked_at IS NULL;

-- An unfinished response. It needs the chat to talk to; it is deleted in the transaction that
-- stores the response, and purged when abandoned.
CREATE TABLE drafts (
    chat_id    INTEGER PRIMARY KEY,
    link_code  TEXT NOT NULL REFERENCES class_links (code),
    state      TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX drafts_by_age ON drafts (updated_at);

-- "This person has answered for this school in this campaign": the keyed hash covers the
-- campaign, the school and the Telegram id. No time, no response id; WITHOUT ROWID keeps the rows
-- in hash order, so not even the insertion order can be matched against responses.
CREATE TABLE participations (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    identity    BLOB NOT NULL,
    PRIMARY KEY (campaign_id, identity)
) WITHOUT ROWID;

-- An anonymous response: where it came from, which questionnaire, and the day. Nothing else.
CREATE TABLE responses (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    school_id        INTEGER NOT NULL REFERENCES schools (id),
    class_id         INTEGER NOT NULL REFERENCES classes (id),
    audience         TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL,
    submitted_on     TEXT NOT NULL
);
CREATE INDEX responses_by_class ON responses (campaign_id, class_id);
CREATE INDEX responses_by_school ON responses (campaign_id, school_id, submitted_on);

-- Only questions the respondent was shown; a question skipped by the questionnaire's logic has no row.
CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);
