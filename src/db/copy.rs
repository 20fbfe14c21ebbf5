//! Copying a whole database to another engine (`anketa db copy`), e.g. a district's SQLite file
//! to a region's PostgreSQL: every table, every row, ids kept, in one transaction on the target.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sqlx::Row;

use super::{Db, on_pool};
use crate::failure::Failure;

/// The Rust type a column is read and written as (the same on both engines).
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bool,
    Date,
    Time,
    Bytes,
    Float,
}

use Kind::{Bool, Bytes, Date, Float, Int, Text, Time};

/// Every table, parents before children, with its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    ("municipalities", &[("id", Int), ("name", Text)]),
    ("schools", &[("id", Int), ("municipality_id", Int), ("name", Text), ("timezone", Text)]),
    ("classes", &[("id", Int), ("school_id", Int), ("name", Text), ("headcount", Int)]),
    (
        "campaigns",
        &[
            ("id", Int),
            ("name", Text),
            ("starts_on", Date),
            ("ends_on", Date),
            ("target_percent", Int),
            ("closed", Bool),
            ("created_at", Time),
        ],
    ),
    (
        "campaign_questionnaires",
        &[("campaign_id", Int), ("audience", Text), ("questionnaire_id", Text), ("definition", Text), ("grades", Text)],
    ),
    (
        "class_links",
        &[("code", Text), ("campaign_id", Int), ("class_id", Int), ("created_at", Time), ("revoked_at", Time)],
    ),
    (
        "drafts",
        &[
            ("chat_key", Bytes),
            ("link_code", Text),
            ("state", Text),
            ("revision", Int),
            ("updated_at", Time),
            ("last_text_message", Int),
            ("reminder_chat", Bytes),
            ("reminded_at", Time),
            ("language", Text),
        ],
    ),
    ("participations", &[("campaign_id", Int), ("school_id", Int), ("identity", Bytes)]),
    (
        "ballots",
        &[
            ("id", Int),
            ("campaign_id", Int),
            ("school_id", Int),
            ("class_id", Int),
            ("audience", Text),
            ("questionnaire_id", Text),
            ("answers", Text),
        ],
    ),
    (
        "releases",
        &[
            ("id", Int),
            ("campaign_id", Int),
            ("school_id", Int),
            ("class_id", Int),
            ("released_on", Date),
            ("shown_to_staff", Bool),
            ("audience", Text),
        ],
    ),
    (
        "responses",
        &[
            ("id", Int),
            ("release_id", Int),
            ("campaign_id", Int),
            ("school_id", Int),
            ("class_id", Int),
            ("audience", Text),
            ("questionnaire_id", Text),
            ("answers", Text),
        ],
    ),
    ("class_tallies", &[("campaign_id", Int), ("class_id", Int), ("audience", Text), ("responses", Int)]),
    (
        "invitations",
        &[
            ("code", Text),
            ("role", Text),
            ("municipality_id", Int),
            ("school_id", Int),
            ("class_id", Int),
            ("created_at", Time),
            ("expires_at", Time),
            ("accepted_at", Time),
            ("revoked_at", Time),
            ("invited_by", Int),
        ],
    ),
    (
        "staff",
        &[
            ("id", Int),
            ("user_id", Int),
            ("chat_id", Int),
            ("name", Text),
            ("role", Text),
            ("municipality_id", Int),
            ("school_id", Int),
            ("class_id", Int),
            ("invitation_code", Text),
            ("created_at", Time),
            ("revoked_at", Time),
            ("active", Bool),
            ("daily_line", Bool),
            ("language", Text),
        ],
    ),
    (
        "digest_deliveries",
        &[
            ("staff_id", Int),
            ("campaign_id", Int),
            ("day", Date),
            ("claimed_at", Time),
            ("sent_at", Time),
            ("outcome", Text),
            ("counts", Text),
            ("claimed_by", Text),
        ],
    ),
    (
        "staff_dialogs",
        &[("staff_id", Int), ("state", Text), ("revision", Int), ("updated_at", Time), ("last_message", Int)],
    ),
    (
        "expert_scores",
        &[
            ("campaign_id", Int),
            ("school_id", Int),
            ("inf", Float),
            ("dist", Float),
            ("komf_usl", Float),
            ("org_dost", Float),
            ("uslug_dost", Float),
        ],
    ),
    (
        "roster_uploads",
        &[
            ("staff_id", Int),
            ("file_name", Text),
            ("file", Bytes),
            ("fingerprint", Text),
            ("revision", Int),
            ("created_at", Time),
        ],
    ),
    ("bulk_pace", &[("bot", Int), ("next_slot", Int)]),
];

/// Tables whose `id` the database generates: PostgreSQL's sequence must continue after the copy.
const GENERATED_IDS: &[&str] = &["municipalities", "schools", "classes", "campaigns", "releases", "staff"];

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
    Bytes(Option<Vec<u8>>),
    Float(Option<f64>),
}

/// Reads column `i` of a row of either engine as `kind`.
macro_rules! read {
    ($row:expr, $i:expr, $kind:expr) => {
        match $kind {
            Int => Value::Int($row.try_get($i)?),
            Text => Value::Text($row.try_get($i)?),
            Bool => Value::Bool($row.try_get($i)?),
            Date => Value::Date($row.try_get($i)?),
            Time => Value::Time($row.try_get($i)?),
            Bytes => Value::Bytes($row.try_get($i)?),
            Float => Value::Float($row.try_get($i)?),
        }
    };
}

impl Db {
    /// Whether the database holds any roster or campaign.
    pub async fn is_empty(&self) -> sqlx::Result<bool> {
        let rows: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM municipalities) + (SELECT COUNT(*) FROM campaigns)",
        )
        .fetch_one(pool)
        .await)?;
        Ok(rows == 0)
    }

    /// Copies every row of `self` into the empty database `target`; `progress` hears each
    /// table's name and row count. Nothing is written unless everything is.
    pub async fn copy_into(&self, target: &Db, mut progress: impl FnMut(&str, u64)) -> anyhow::Result<()> {
        if !target.is_empty().await? {
            return Err(Failure::TargetNotEmpty.into());
        }
        if self.old_drafts().await? != 0 {
            return Err(Failure::OldDrafts.into());
        }
        on_pool!(target, target_pool => {
            let mut tx = target_pool.begin().await?;
            for (table, columns) in TABLES {
                let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                let select = format!("SELECT {} FROM {table}", names.join(", "));
                let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
                let insert = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
                let mut copied = 0u64;
                on_pool!(self, source_pool => {
                    let mut rows = sqlx::query(&select).fetch(source_pool);
                    while let Some(row) = rows.try_next().await? {
                        let mut query = sqlx::query(&insert);
                        for (i, (_, kind)) in columns.iter().enumerate() {
                            query = match read!(row, i, *kind) {
                                Value::Int(v) => query.bind(v),
                                Value::Text(v) => query.bind(v),
                                Value::Bool(v) => query.bind(v),
                                Value::Date(v) => query.bind(v),
                                Value::Time(v) => query.bind(v),
                                Value::Bytes(v) => query.bind(v),
                                Value::Float(v) => query.bind(v),
                            };
                        }
                        query.execute(&mut *tx).await?;
                        copied += 1;
                    }
                });
                progress(table, copied);
            }
            if let Db::Postgres(_) = target {
                for table in GENERATED_IDS {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
