-- The people who run a campaign: regional, municipal and school administrators and class
-- teachers, who join through one-time invitations. Unlike respondents they are not anonymous:
-- the bot must know whom to show which numbers.

CREATE TABLE invitations (
    code            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('region', 'municipality', 'school', 'teacher')),
    municipality_id INTEGER REFERENCES municipalities (id),
    school_id       INTEGER REFERENCES schools (id),
    class_id        INTEGER REFERENCES classes (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    accepted_at     TEXT,
    revoked_at      TEXT
);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    chat_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('region', 'municipality', 'school', 'teacher')),
    municipality_id INTEGER REFERENCES municipalities (id),
    school_id       INTEGER REFERENCES schools (id),
    class_id        INTEGER REFERENCES classes (id),
    invitation_code TEXT NOT NULL UNIQUE REFERENCES invitations (code),
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX staff_by_user ON staff (user_id) WHERE revoked_at IS NULL;
