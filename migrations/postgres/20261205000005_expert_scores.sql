-- A campaign's audited indicators per school (Пинф, Пдист, Пкомф.усл, Порг.дост, Пуслуг.дост,
-- points 0–100), sent by the region administrator as the expert file, for the criteria К1–К5 and
-- the total of the report. Replaced whole by every new file.
CREATE TABLE expert_scores (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    school_id   BIGINT NOT NULL REFERENCES schools (id),
    inf         DOUBLE PRECISION NOT NULL,
    dist        DOUBLE PRECISION NOT NULL,
    komf_usl    DOUBLE PRECISION NOT NULL,
    org_dost    DOUBLE PRECISION NOT NULL,
    uslug_dost  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (campaign_id, school_id)
);
