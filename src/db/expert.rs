//! A campaign's expert scores: the audited indicators per school that the report's criteria need,
//! stored when the region administrator sends the expert file in the bot.

use std::collections::HashMap;

use super::{BeginWrite, Db, on_pool};
use crate::report::SchoolKey;
use crate::survey::scoring::ExpertScores;

#[derive(sqlx::FromRow)]
struct StoredScores {
    municipality: String,
    school: String,
    inf: f64,
    dist: f64,
    komf_usl: f64,
    org_dost: f64,
    uslug_dost: f64,
}

impl Db {
    /// Replaces the campaign's expert scores with `scores` (school id → scores), in one transaction.
    pub async fn save_expert_scores(&self, campaign_id: i64, scores: &[(i64, ExpertScores)]) -> sqlx::Result<()> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM expert_scores WHERE campaign_id = $1").bind(campaign_id).execute(&mut *tx).await?;
            for (school_id, s) in scores {
                sqlx::query(
                    "INSERT INTO expert_scores (campaign_id, school_id, inf, dist, komf_usl, org_dost, uslug_dost)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(campaign_id)
                .bind(school_id)
                .bind(s.inf)
                .bind(s.dist)
                .bind(s.komf_usl)
                .bind(s.org_dost)
                .bind(s.uslug_dost)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        }.await)
    }

    /// The campaign's expert scores by (municipality, school) name, as the report keys schools.
    pub async fn expert_scores(&self, campaign_id: i64) -> sqlx::Result<HashMap<SchoolKey, ExpertScores>> {
        let rows: Vec<StoredScores> = on_pool!(self, pool => sqlx::query_as(
            "SELECT m.name AS municipality, s.name AS school, e.inf, e.dist, e.komf_usl, e.org_dost, e.uslug_dost
             FROM expert_scores e JOIN schools s ON s.id = e.school_id JOIN municipalities m ON m.id = s.municipality_id
             WHERE e.campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let scores = ExpertScores {
                    inf: r.inf,
                    dist: r.dist,
                    komf_usl: r.komf_usl,
                    org_dost: r.org_dost,
                    uslug_dost: r.uslug_dost,
                };
                ((r.municipality, r.school), scores)
            })
            .collect())
    }
}
