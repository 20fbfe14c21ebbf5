-- Audiences by grade, each counted against its own base (issue 13, item 3). The SQLite twin
-- is migrations/sqlite/20261206000001_audience_grades.sql: keep them in step.

-- The grades a campaign's questionnaire is asked in, as `survey::Grades` writes them (`9-11`,
-- `5,7,9-11`); NULL: every grade, as every campaign so far.
ALTER TABLE campaign_questionnaires ADD COLUMN grades TEXT;

-- Live participation per class and audience: parents are counted against the class's families,
-- students against its students. Like before, a tally is a counter per class (now per class and
-- audience) rewritten in place: no row per response, no time, no order. Which audience a ballot
-- came from is stored with it anyway (ballots.audience, responses.audience), so the split adds
-- nothing a reader of the box could not count.
--
-- The rows so far were counted without their audience, and it is not derived from the ballots
-- and responses: responses pooled by school lost their class on purpose, and matching them back
-- to classes is what pooling forbids. They are counted as the campaign's parents (as the
-- students where the campaign asks only students): before this change every respondent was
-- counted against the families' headcount, so the parents' line continues the old one.
CREATE TABLE class_tallies_by_audience (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    class_id    BIGINT NOT NULL REFERENCES classes (id),
    audience    TEXT NOT NULL,
    responses   BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, class_id, audience)
);
INSERT INTO class_tallies_by_audience (campaign_id, class_id, audience, responses)
    SELECT t.campaign_id, t.class_id,
           CASE WHEN EXISTS (SELECT 1 FROM campaign_questionnaires q
                             WHERE q.campaign_id = t.campaign_id AND q.audience = 'parent')
                     OR NOT EXISTS (SELECT 1 FROM campaign_questionnaires q
                                    WHERE q.campaign_id = t.campaign_id AND q.audience = 'student')
                THEN 'parent' ELSE 'student' END,
           t.responses
    FROM class_tallies t;
DROP TABLE class_tallies;
ALTER TABLE class_tallies_by_audience RENAME TO class_tallies;
ALTER TABLE class_tallies RENAME CONSTRAINT class_tallies_by_audience_pkey TO class_tallies_pkey;
