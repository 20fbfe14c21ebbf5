-- Anonymous by construction: the register of who has answered (participations) is written apart
-- from the box of answers, and the box is shaken before anyone reads it.
--
-- At submit, one transaction deletes the draft, records the participation and drops the answers
-- into `ballots` under a random id. A release later moves at least `privacy.min_group_size`
-- ballots of one class (or, when the campaign is over, what is left of a school) into `responses`
-- in shuffled order under random ids, stamped with the day of the release only. Nothing stored
-- carries a submission time or order. The PostgreSQL twin is
-- migrations/postgres/20261202000001_ballot_box.sql: keep them in step.

-- Sealed answers waiting for their release. `answers` is packed as `question_id:byte_length:value`
-- repeated, the form the exports read.
CREATE TABLE ballots (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    school_id        INTEGER NOT NULL REFERENCES schools (id),
    class_id         INTEGER NOT NULL REFERENCES classes (id),
    audience         TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL,
    answers          TEXT NOT NULL
);
CREATE INDEX ballots_by_school ON ballots (campaign_id, school_id);

-- One release: responses of one class (class_id), or pooled responses of a school (NULL).
-- Staff see only releases marked shown_to_staff: each made of at least min_group_size new
-- responses, so whatever they compare, answers appear in groups no smaller than that.
CREATE TABLE releases (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
    school_id      INTEGER NOT NULL REFERENCES schools (id),
    class_id       INTEGER REFERENCES classes (id),
    released_on    TEXT NOT NULL,
    shown_to_staff BOOLEAN NOT NULL
);
CREATE INDEX releases_by_school ON releases (campaign_id, school_id);

-- Live participation per class (who has answered is not secret; what they answered is): the
-- counts of /stats, digests and the thanks screen, which pooled responses no longer carry.
CREATE TABLE class_tallies (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    class_id    INTEGER NOT NULL REFERENCES classes (id),
    responses   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, class_id)
) WITHOUT ROWID;
INSERT INTO class_tallies (campaign_id, class_id, responses)
    SELECT campaign_id, class_id, COUNT(*) FROM responses GROUP BY campaign_id, class_id;

-- The school a participation belongs to, so that a release can rewrite the school's register
-- with it (PostgreSQL: see its twin). Rows written before this migration have none.
ALTER TABLE participations ADD COLUMN school_id INTEGER REFERENCES schools (id);

-- The responses stored so far go back into the box, shuffled under random ids and without their
-- dates, so that they lose their submission order too; the bot releases them again.
INSERT INTO ballots (id, campaign_id, school_id, class_id, audience, questionnaire_id, answers)
    SELECT random() & 9223372036854775807, r.campaign_id, r.school_id, r.class_id, r.audience, r.questionnaire_id,
           COALESCE((SELECT group_concat(a.question_id || ':' || length(CAST(a.value AS BLOB)) || ':' || a.value, '')
                     FROM answers a WHERE a.response_id = r.id), '')
    FROM responses r ORDER BY random();
DROP TABLE answers;
DROP TABLE responses;

-- A released response: where it came from, which questionnaire, which release. class_id is NULL
-- where the class was too small to be named. Its id is random.
CREATE TABLE responses (
    id               INTEGER PRIMARY KEY,
    release_id       INTEGER NOT NULL REFERENCES releases (id),
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    school_id        INTEGER NOT NULL REFERENCES schools (id),
    class_id         INTEGER REFERENCES classes (id),
    audience         TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL
);
CREATE INDEX responses_by_school ON responses (campaign_id, school_id);
CREATE INDEX responses_by_release ON responses (release_id);

-- Only questions the respondent was shown; a question skipped by the questionnaire's logic has no row.
CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);

-- Drafts are keyed by a keyed hash of the chat (privacy.rs), not by the chat id: an integer key
-- would survive deletion as a separator in the b-tree's interior pages. WITHOUT ROWID: no rowid
-- either. The drafts of a running campaign are rekeyed by the bot at start, which has the key.
ALTER TABLE drafts RENAME TO drafts_by_chat_id;
DROP INDEX drafts_by_age;
CREATE TABLE drafts (
    chat_key          BLOB PRIMARY KEY,
    link_code         TEXT NOT NULL REFERENCES class_links (code),
    state             TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    updated_at        TEXT NOT NULL,
    last_text_message INTEGER
) WITHOUT ROWID;
CREATE INDEX drafts_by_age ON drafts (updated_at);
