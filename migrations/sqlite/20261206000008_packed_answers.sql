-- A released response keeps its answers packed in one column, as its sealed ballot held them
-- (`question_id:byte_length:value` repeated, in question id order; src/db/responses.rs): the
-- export and the report read every response of a region, and packing 4 million answer rows into
-- 300,000 texts at each read was most of their time. Settling writes the column with the response.
-- Responses released before get theirs from their answer rows here, so they export the same.
-- The PostgreSQL twin is migrations/postgres/20261206000008_packed_answers.sql: keep them in step.
ALTER TABLE responses ADD COLUMN answers TEXT NOT NULL DEFAULT '';
UPDATE responses SET answers = COALESCE(
    (SELECT group_concat(a.question_id || ':' || octet_length(a.value) || ':' || a.value, '' ORDER BY a.question_id)
     FROM answers a WHERE a.response_id = responses.id), '');
