//! Participation counts by class, school and municipality: what staff see in `/stats` and what
//! the daily digests are built from. Counts only, never answers: they come from the class tallies
//! kept at submit, live, while answers wait in the box for their release.

use super::{Db, on_pool};

/// Responses against headcount for one group (a class, a school or a municipality).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Participation {
    pub id: i64,
    pub name: String,
    pub responses: i64,
    pub headcount: i64,
}

impl Participation {
    pub fn percent(&self) -> f64 {
        if self.headcount > 0 { 100.0 * self.responses as f64 / self.headcount as f64 } else { 0.0 }
    }
}

/// A school and the base of its minimum sample.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SchoolBase {
    pub municipality_id: i64,
    pub municipality: String,
    pub school_id: i64,
    pub school: String,
    /// The students of the school's classes (families are counted as students).
    pub students: i64,
}

impl Db {
    /// Every school of the roster with the base of its minimum sample in `campaign_id`: the sum
    /// of its classes' headcounts. The one place the base is counted, so that it can later count
    /// only the grades a campaign asks; today every class counts. Empty for a campaign that does
    /// not exist.
    pub async fn school_bases(&self, campaign_id: i64) -> sqlx::Result<Vec<SchoolBase>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT m.id AS municipality_id, m.name AS municipality, s.id AS school_id, s.name AS school,
                    CAST(COALESCE((SELECT SUM(k.headcount) FROM classes k WHERE k.school_id = s.id), 0) AS BIGINT) AS students
             FROM campaigns c CROSS JOIN schools s JOIN municipalities m ON m.id = s.municipality_id
             WHERE c.id = $1 ORDER BY m.name, s.name",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)
    }

    /// Each class of a school.
    pub async fn participation_by_class(&self, campaign_id: i64, school_id: i64) -> sqlx::Result<Vec<Participation>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT k.id, k.name, k.headcount,
                    COALESCE((SELECT t.responses FROM class_tallies t WHERE t.campaign_id = $1 AND t.class_id = k.id), 0) AS responses
             FROM classes k WHERE k.school_id = $2 ORDER BY k.name",
        )
        .bind(campaign_id)
        .bind(school_id)
        .fetch_all(pool)
        .await)
    }

    /// Each school of a municipality.
    pub async fn participation_by_school(
        &self,
        campaign_id: i64,
        municipality_id: i64,
    ) -> sqlx::Result<Vec<Participation>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT s.id, s.name,
                    CAST(COALESCE((SELECT SUM(k.headcount) FROM classes k WHERE k.school_id = s.id), 0) AS BIGINT) AS headcount,
                    CAST(COALESCE((SELECT SUM(t.responses) FROM class_tallies t JOIN classes k ON k.id = t.class_id
                                   WHERE t.campaign_id = $1 AND k.school_id = s.id), 0) AS BIGINT) AS responses
             FROM schools s WHERE s.municipality_id = $2 ORDER BY s.name",
        )
        .bind(campaign_id)
        .bind(municipality_id)
        .fetch_all(pool)
        .await)
    }

    /// Each municipality of the region.
    pub async fn participation_by_municipality(&self, campaign_id: i64) -> sqlx::Result<Vec<Participation>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT m.id, m.name,
                    CAST(COALESCE((SELECT SUM(k.headcount) FROM classes k JOIN schools s ON s.id = k.school_id
                                   WHERE s.municipality_id = m.id), 0) AS BIGINT) AS headcount,
                    CAST(COALESCE((SELECT SUM(t.responses) FROM class_tallies t JOIN classes k ON k.id = t.class_id
                                   JOIN schools s ON s.id = k.school_id
                                   WHERE t.campaign_id = $1 AND s.municipality_id = m.id), 0) AS BIGINT) AS responses
             FROM municipalities m ORDER BY m.name",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)
    }
}
