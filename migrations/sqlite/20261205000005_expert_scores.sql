-- A campaign's audited indicators per school (Пинф, Пдист, Пкомф.усл, Порг.дост, Пуслуг.дост,
-- points 0–100), sent by the region administrator as the expert file, for the criteria К1–К5 and
-- the total of the report. Replaced whole by every new file.
CREATE TABLE expert_scores (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    school_id   INTEGER NOT NULL REFERENCES schools (id),
    inf         REAL NOT NULL,
    dist        REAL NOT NULL,
    komf_usl    REAL NOT NULL,
    org_dost    REAL NOT NULL,
    uslug_dost  REAL NOT NULL,
    PRIMARY KEY (campaign_id, school_id)
);
