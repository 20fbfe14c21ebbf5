//! The roster's places within a scope, for finding them by name and for `/stats` navigation.

use super::{Db, on_pool};
use crate::places::{Level, Place};
use crate::roles::Scope;

#[derive(sqlx::FromRow)]
struct PlaceRow {
    id: i64,
    name: String,
    municipality_id: i64,
    municipality: String,
    school_id: Option<i64>,
    school: Option<String>,
}

impl Db {
    /// The places of one level lying in `scope` (a school administrator's schools are their own).
    pub async fn places_at(&self, level: Level, scope: Scope) -> sqlx::Result<Vec<Place>> {
        let (municipality, school, class) = scope.ids();
        let places = self.places_where(level, municipality, school, class).await?;
        Ok(places.into_iter().filter(|p| scope.covers(p.scope())).collect())
    }

    /// Every municipality, school and class lying in `scope`.
    pub async fn places_within(&self, scope: Scope) -> sqlx::Result<Vec<Place>> {
        let mut places = Vec::new();
        for level in [Level::Municipality, Level::School, Level::Class] {
            places.extend(self.places_at(level, scope).await?);
        }
        Ok(places)
    }

    /// One place by its level and id, with the places it lies in.
    pub async fn place(&self, level: Level, id: i64) -> sqlx::Result<Option<Place>> {
        let (municipality, school, class) = match level {
            Level::Municipality => (Some(id), None, None),
            Level::School => (None, Some(id), None),
            Level::Class => (None, None, Some(id)),
        };
        Ok(self.places_where(level, municipality, school, class).await?.into_iter().next())
    }

    async fn places_where(
        &self,
        level: Level,
        municipality: Option<i64>,
        school: Option<i64>,
        class: Option<i64>,
    ) -> sqlx::Result<Vec<Place>> {
        let sql = match level {
            Level::Municipality => {
                "SELECT m.id, m.name, m.id AS municipality_id, m.name AS municipality,
                        CAST(NULL AS BIGINT) AS school_id, CAST(NULL AS TEXT) AS school
                 FROM municipalities m
                 WHERE ($1 IS NULL OR m.id = $1) AND $2 IS NULL AND $3 IS NULL
                 ORDER BY m.name"
            }
            Level::School => {
                "SELECT s.id, s.name, m.id AS municipality_id, m.name AS municipality,
                        CAST(NULL AS BIGINT) AS school_id, CAST(NULL AS TEXT) AS school
                 FROM schools s JOIN municipalities m ON m.id = s.municipality_id
                 WHERE ($1 IS NULL OR m.id = $1) AND ($2 IS NULL OR s.id = $2) AND $3 IS NULL
                 ORDER BY s.name, m.name"
            }
            Level::Class => {
                "SELECT k.id, k.name, m.id AS municipality_id, m.name AS municipality,
                        s.id AS school_id, s.name AS school
                 FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id
                 WHERE ($1 IS NULL OR m.id = $1) AND ($2 IS NULL OR s.id = $2) AND ($3 IS NULL OR k.id = $3)
                 ORDER BY s.name, k.name"
            }
        };
        let rows: Vec<PlaceRow> = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(municipality)
            .bind(school)
            .bind(class)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|row| Place {
                level,
                id: row.id,
                name: row.name,
                municipality_id: row.municipality_id,
                municipality: row.municipality,
                school: row.school_id.zip(row.school),
            })
            .collect())
    }
}
