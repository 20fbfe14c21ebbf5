//! Roster storage: municipalities, schools and classes, upserted by name.

use std::collections::HashMap;

use anyhow::Context;

use super::{BeginWrite, Db, on_pool};
use crate::roster::RosterRow;

/// What an import changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterSummary {
    pub municipalities: i64,
    pub schools: i64,
    pub classes_added: i64,
    pub classes_updated: i64,
}

impl Db {
    /// Stores a parsed roster in one transaction: new names are added, headcounts and given
    /// timezones updated; nothing is ever duplicated or deleted.
    pub async fn import_roster(
        &self,
        rows: &[RosterRow],
        default_timezone: chrono_tz::Tz,
    ) -> anyhow::Result<RosterSummary> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let classes_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM classes").fetch_one(&mut *tx).await?;
            let mut municipalities: HashMap<&str, i64> = HashMap::new();
            let mut schools: HashMap<(i64, &str), i64> = HashMap::new();
            for row in rows {
                let municipality_id = match municipalities.get(row.municipality.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO municipalities (name) VALUES ($1)
                             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                        )
                        .bind(&row.municipality)
                        .fetch_one(&mut *tx)
                        .await?;
                        municipalities.insert(&row.municipality, id);
                        id
                    }
                };
                let school_id = match schools.get(&(municipality_id, row.school.as_str())) {
                    Some(id) => *id,
                    None => {
                        let timezone = row.timezone.map(|tz| tz.name().to_string());
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO schools (municipality_id, name, timezone) VALUES ($1, $2, COALESCE($3, $4))
                             ON CONFLICT (municipality_id, name) DO UPDATE SET timezone = COALESCE($3, schools.timezone)
                             RETURNING id",
                        )
                        .bind(municipality_id)
                        .bind(&row.school)
                        .bind(timezone)
                        .bind(default_timezone.name())
                        .fetch_one(&mut *tx)
                        .await?;
                        schools.insert((municipality_id, &row.school), id);
                        id
                    }
                };
                sqlx::query(
                    "INSERT INTO classes (school_id, name, headcount) VALUES ($1, $2, $3)
                     ON CONFLICT (school_id, name) DO UPDATE SET headcount = excluded.headcount",
                )
                .bind(school_id)
                .bind(&row.class)
                .bind(row.headcount)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("line {}: cannot store the class", row.line))?;
            }
            let classes_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM classes").fetch_one(&mut *tx).await?;
            tx.commit().await?;
            let added = classes_after - classes_before;
            Ok(RosterSummary {
                municipalities: municipalities.len() as i64,
                schools: schools.len() as i64,
                classes_added: added,
                classes_updated: rows.len() as i64 - added,
            })
        })
    }
}
