//! Unfinished responses, one per chat, with a revision for optimistic concurrency: every change
//! names the revision it was computed from, so a stale button or a racing update changes nothing.
//! A draft is found by its [`ChatKey`], a keyed hash of the chat: no chat id is stored.

use chrono::{DateTime, Utc};

use sqlx::{FromRow, Row};

use super::campaigns::{link_target_columns, link_target_joins};
use super::{Db, LinkTarget, on_pool};
use crate::privacy::{ChatKey, IdentityKey};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredDraft {
    pub link_code: String,
    /// The engine's draft as JSON.
    pub state: String,
    pub revision: i64,
    /// The Telegram id of the last message whose text was applied (see [`Db::update_draft`]).
    pub last_text_message: Option<i64>,
}

/// A draft as versions before [`ChatKey`] stored it.
#[derive(sqlx::FromRow)]
struct OldDraft {
    chat_id: i64,
    link_code: String,
    state: String,
    revision: i64,
    updated_at: DateTime<Utc>,
    last_text_message: Option<i64>,
}

impl Db {
    pub async fn load_draft(&self, chat: &ChatKey) -> sqlx::Result<Option<StoredDraft>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT link_code, state, revision, last_text_message FROM drafts WHERE chat_key = $1",
        )
            .bind(chat.as_bytes())
            .fetch_optional(pool)
            .await)
    }

    /// The chat's draft and where its link leads (`None` if the link no longer resolves), in one
    /// query: this runs at every step.
    pub async fn load_draft_with_target(
        &self,
        chat: &ChatKey,
    ) -> sqlx::Result<Option<(StoredDraft, Option<LinkTarget>)>> {
        const SQL: &str = concat!(
            "SELECT d.link_code, d.state, d.revision, d.last_text_message, ",
            link_target_columns!(),
            " FROM drafts d LEFT JOIN class_links l ON l.code = d.link_code",
            link_target_joins!("LEFT JOIN"),
            " WHERE d.chat_key = $1"
        );
        on_pool!(self, pool => {
            let Some(row) = sqlx::query(SQL).bind(chat.as_bytes()).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let draft = StoredDraft::from_row(&row)?;
            let target = match row.try_get::<Option<i64>, _>("class_id")? {
                Some(_) => Some(LinkTarget::from_row(&row)?),
                None => None,
            };
            Ok(Some((draft, target)))
        })
    }

    /// Starts a draft for this chat, replacing any other. `revision` must not repeat a revision
    /// this chat has seen (the caller picks it at random) so buttons of a discarded draft stay dead.
    pub async fn start_draft(
        &self,
        chat: &ChatKey,
        link_code: &str,
        state: &str,
        revision: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO drafts (chat_key, link_code, state, revision, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (chat_key) DO UPDATE SET link_code = excluded.link_code, state = excluded.state,
                 revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(chat.as_bytes())
        .bind(link_code)
        .bind(state)
        .bind(revision)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Stores the next state if the draft is still at `expected_revision`; returns the new
    /// revision, or `None` when something else changed or removed the draft first. A typed answer
    /// names its message (`text_message`), so the same message handed over again is recognised.
    pub async fn update_draft(
        &self,
        chat: &ChatKey,
        expected_revision: i64,
        state: &str,
        text_message: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE drafts SET state = $1, revision = revision + 1, updated_at = $2,
                 last_text_message = COALESCE($3, last_text_message)
             WHERE chat_key = $4 AND revision = $5",
        )
        .bind(state)
        .bind(now)
        .bind(text_message)
        .bind(chat.as_bytes())
        .bind(expected_revision)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok((done == 1).then_some(expected_revision + 1))
    }

    /// Discards the chat's draft; returns whether there was one.
    pub async fn delete_draft(&self, chat: &ChatKey) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM drafts WHERE chat_key = $1")
            .bind(chat.as_bytes())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if done > 0 {
            self.scrub_deleted();
        }
        Ok(done > 0)
    }

    /// How many questionnaires are unfinished (for the metrics).
    pub async fn count_drafts(&self) -> sqlx::Result<i64> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM drafts").fetch_one(pool).await)
    }

    /// Deletes drafts untouched since `before`; returns how many.
    pub async fn purge_drafts(&self, before: DateTime<Utc>) -> sqlx::Result<u64> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM drafts WHERE updated_at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if done > 0 {
            self.scrub_deleted();
        }
        Ok(done)
    }

    /// How many drafts written before drafts were keyed by [`ChatKey`] wait to be rekeyed (the
    /// migration keeps them under their chat ids, in a table of their own).
    pub async fn old_drafts(&self) -> sqlx::Result<i64> {
        let tables: i64 = on_pool!(self, pool => sqlx::query_scalar(match self {
            Db::Sqlite(..) => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'drafts_by_chat_id'",
            Db::Postgres(_) => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'drafts_by_chat_id'",
        })
        .fetch_one(pool)
        .await)?;
        if tables == 0 {
            return Ok(0);
        }
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM drafts_by_chat_id").fetch_one(pool).await)
    }

    /// Drops the table of old drafts when it holds none: a new database, or no survey was unfinished.
    pub(super) async fn drop_empty_old_drafts(&self) -> sqlx::Result<()> {
        if self.old_drafts().await? == 0 {
            on_pool!(self, pool => sqlx::query("DROP TABLE IF EXISTS drafts_by_chat_id").execute(pool).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// Moves drafts written before drafts were keyed by [`ChatKey`] (kept by the migration under
    /// their chat ids) to their keys, then drops the old table: one transaction, so a respondent
    /// mid-way through the survey loses nothing in the upgrade. Needs the identity key, which
    /// only `run` has; returns how many drafts were moved.
    pub async fn rekey_old_drafts(&self, key: &IdentityKey) -> anyhow::Result<u64> {
        if self.old_drafts().await? == 0 {
            return Ok(0);
        }
        let moved = on_pool!(self, pool => {
            let mut tx = super::BeginWrite::begin_write(pool).await?;
            let old: Vec<OldDraft> = sqlx::query_as(
                "SELECT chat_id, link_code, state, revision, updated_at, last_text_message FROM drafts_by_chat_id",
            )
            .fetch_all(&mut *tx)
            .await?;
            for draft in &old {
                sqlx::query(
                    "INSERT INTO drafts (chat_key, link_code, state, revision, updated_at, last_text_message)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chat_key) DO NOTHING",
                )
                .bind(key.chat_key(draft.chat_id).as_bytes())
                .bind(&draft.link_code)
                .bind(&draft.state)
                .bind(draft.revision)
                .bind(draft.updated_at)
                .bind(draft.last_text_message)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("DROP TABLE drafts_by_chat_id").execute(&mut *tx).await?;
            tx.commit().await?;
            old.len() as u64
        });
        if moved > 0 {
            self.scrub_deleted();
        }
        Ok(moved)
    }
}
