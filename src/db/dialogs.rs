//! Staff members' unfinished bot dialogs (see `bot::campaigns`): a JSON state per staff member
//! with a revision that changes with every save, so buttons of an older screen are recognised.

use chrono::{DateTime, Utc};

use super::{Db, on_pool};

/// A stored dialog: its state as JSON and its revision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredDialog {
    pub state: String,
    pub revision: i64,
    /// The Telegram id of the last typed message the dialog took in.
    pub last_message: Option<i64>,
}

impl Db {
    /// The staff member's dialog, if one is under way.
    pub async fn load_dialog(&self, staff_id: i64) -> sqlx::Result<Option<StoredDialog>> {
        on_pool!(self, pool => sqlx::query_as("SELECT state, revision, last_message FROM staff_dialogs WHERE staff_id = $1")
            .bind(staff_id)
            .fetch_optional(pool)
            .await)
    }

    /// Stores the dialog's new state; returns its new revision. A new dialog starts at
    /// `first_revision` (random, so buttons of an ended dialog never match a new one). `message`:
    /// the typed message that moved it on, if one did.
    pub async fn save_dialog(
        &self,
        staff_id: i64,
        state: &str,
        first_revision: i64,
        message: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO staff_dialogs (staff_id, state, revision, updated_at, last_message) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (staff_id) DO UPDATE SET state = excluded.state,
                 revision = staff_dialogs.revision + 1, updated_at = excluded.updated_at,
                 last_message = COALESCE(excluded.last_message, staff_dialogs.last_message)
             RETURNING revision",
        )
        .bind(staff_id)
        .bind(state)
        .bind(first_revision)
        .bind(now)
        .bind(message)
        .fetch_one(pool)
        .await)
    }

    /// Ends the staff member's dialog; returns whether there was one.
    pub async fn end_dialog(&self, staff_id: i64) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM staff_dialogs WHERE staff_id = $1")
            .bind(staff_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }
}
