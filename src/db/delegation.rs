//! Invitations delegated in the bot: the places a staff member may invite to (one level below
//! their own), the people they invited and their invitations still open.

use chrono::{DateTime, Utc};

use super::staff::{STAFF_SELECT, scope_of};
use super::{Db, StaffMember, on_pool};
use crate::roles::Scope;

/// A place of the roster offered on an invitation button: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Place {
    pub id: i64,
    pub name: String,
}

/// A place of the roster with the ids and names of everything above it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaceRef {
    pub municipality_id: i64,
    pub municipality: String,
    pub school_id: Option<i64>,
    pub school: Option<String>,
    pub class_id: Option<i64>,
    pub class: Option<String>,
}

impl PlaceRef {
    pub fn scope(&self) -> Scope {
        let municipality_id = self.municipality_id;
        match (self.school_id, self.class_id) {
            (Some(school_id), Some(class_id)) => Scope::Class { municipality_id, school_id, class_id },
            (Some(school_id), None) => Scope::School { municipality_id, school_id },
            _ => Scope::Municipality { municipality_id },
        }
    }

    /// "Иркутск / Школа № 1 / 5А", as far as the place goes.
    pub fn name(&self) -> String {
        let parts = [Some(&self.municipality), self.school.as_ref(), self.class.as_ref()];
        parts.into_iter().flatten().map(String::as_str).collect::<Vec<_>>().join(" / ")
    }
}

/// An invitation not yet accepted, revoked or expired, with the names of its place.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenInvitation {
    pub code: String,
    pub role: String,
    pub municipality_id: Option<i64>,
    pub school_id: Option<i64>,
    pub class_id: Option<i64>,
    pub municipality: Option<String>,
    pub school: Option<String>,
    pub class: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl OpenInvitation {
    pub fn scope(&self) -> Option<Scope> {
        scope_of(&self.role, self.municipality_id, self.school_id, self.class_id)
    }

    /// "Иркутск / Школа № 1", as far as the scope goes.
    pub fn scope_name(&self) -> String {
        let parts = [&self.municipality, &self.school, &self.class];
        let parts: Vec<&str> = parts.into_iter().filter_map(|p| p.as_deref()).collect();
        if parts.is_empty() { "—".to_string() } else { parts.join(" / ") }
    }
}

const OPEN_INVITATION_SELECT: &str =
    "SELECT i.code, i.role, i.municipality_id, i.school_id, i.class_id, m.name AS municipality, s.name AS school,
            k.name AS class, i.expires_at
     FROM invitations i
     LEFT JOIN municipalities m ON m.id = i.municipality_id
     LEFT JOIN schools s ON s.id = i.school_id
     LEFT JOIN classes k ON k.id = i.class_id
     WHERE i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $1";

impl Db {
    /// The region's municipalities (listed by [`crate::names::sort_key`], the same on both engines).
    pub async fn municipality_places(&self) -> sqlx::Result<Vec<Place>> {
        on_pool!(self, pool => sqlx::query_as("SELECT id, name FROM municipalities ORDER BY id")
            .fetch_all(pool)
            .await)
    }

    /// The schools of a municipality.
    pub async fn school_places(&self, municipality_id: i64) -> sqlx::Result<Vec<Place>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT id, name FROM schools WHERE municipality_id = $1 ORDER BY id",
        )
        .bind(municipality_id)
        .fetch_all(pool)
        .await)
    }

    /// The classes of a school.
    pub async fn class_places(&self, school_id: i64) -> sqlx::Result<Vec<Place>> {
        on_pool!(self, pool => sqlx::query_as("SELECT id, name FROM classes WHERE school_id = $1 ORDER BY id")
            .bind(school_id)
            .fetch_all(pool)
            .await)
    }

    pub async fn municipality_place(&self, id: i64) -> sqlx::Result<Option<PlaceRef>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT id AS municipality_id, name AS municipality, CAST(NULL AS BIGINT) AS school_id,
                    CAST(NULL AS TEXT) AS school, CAST(NULL AS BIGINT) AS class_id, CAST(NULL AS TEXT) AS class
             FROM municipalities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
    }

    pub async fn school_place(&self, id: i64) -> sqlx::Result<Option<PlaceRef>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT m.id AS municipality_id, m.name AS municipality, s.id AS school_id, s.name AS school,
                    CAST(NULL AS BIGINT) AS class_id, CAST(NULL AS TEXT) AS class
             FROM schools s JOIN municipalities m ON m.id = s.municipality_id
             WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
    }

    pub async fn class_place(&self, id: i64) -> sqlx::Result<Option<PlaceRef>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT m.id AS municipality_id, m.name AS municipality, s.id AS school_id, s.name AS school,
                    k.id AS class_id, k.name AS class
             FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id
             WHERE k.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
    }

    /// The active staff who joined through an invitation of `staff_id`, in the order they joined.
    pub async fn invitees_of(&self, staff_id: i64) -> sqlx::Result<Vec<StaffMember>> {
        let sql = format!(
            "{STAFF_SELECT} JOIN invitations i ON i.code = st.invitation_code
             WHERE i.invited_by = $1 AND st.revoked_at IS NULL ORDER BY st.id"
        );
        on_pool!(self, pool => sqlx::query_as(&sql).bind(staff_id).fetch_all(pool).await)
    }

    /// The invitations `staff_id` sent that can still be accepted, oldest first.
    pub async fn open_invitations_by(&self, staff_id: i64, now: DateTime<Utc>) -> sqlx::Result<Vec<OpenInvitation>> {
        let sql = format!("{OPEN_INVITATION_SELECT} AND i.invited_by = $2 ORDER BY i.created_at, i.code");
        on_pool!(self, pool => sqlx::query_as(&sql).bind(now).bind(staff_id).fetch_all(pool).await)
    }

    /// Revokes the invitations `staff_id` sent that nobody accepted yet; returns how many.
    pub async fn revoke_invitations_by(&self, staff_id: i64, now: DateTime<Utc>) -> sqlx::Result<u64> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE invitations SET revoked_at = $1
             WHERE invited_by = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(staff_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
    }

    /// The invitation with this code, if it can still be accepted.
    pub async fn open_invitation(&self, code: &str, now: DateTime<Utc>) -> sqlx::Result<Option<OpenInvitation>> {
        let sql = format!("{OPEN_INVITATION_SELECT} AND i.code = $2");
        on_pool!(self, pool => sqlx::query_as(&sql).bind(now).bind(code).fetch_optional(pool).await)
    }
}
