//! Unfinished responses, one per chat, with a revision for optimistic concurrency: every change
//! names the revision it was computed from, so a stale button or a racing update changes nothing.
//! A draft is found by its [`ChatKey`], a keyed hash of the chat: no chat id is stored in the
//! clear (a draft keeps it sealed under the identity key for its one reminder, see [`Reachable`]).

use chrono::{DateTime, NaiveDate, Utc};

use sqlx::{FromRow, Row};

use super::campaigns::{link_target_columns, link_target_joins};
use super::{Db, LinkTarget, on_pool};
use crate::privacy::{ChatKey, IdentityKey};
use crate::survey::Lang;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredDraft {
    pub link_code: String,
    /// The engine's draft as JSON.
    pub state: String,
    pub revision: i64,
    /// The Telegram id of the last message whose text was applied (see [`Db::update_drafts`]).
    pub last_text_message: Option<i64>,
}

/// A step's new draft, stored only if the draft is still at the revision it was computed from
/// (no `Debug`: its state holds answers, which never reach a log).
pub struct DraftWrite {
    pub chat: ChatKey,
    pub expected_revision: i64,
    /// The engine's draft as JSON.
    pub state: String,
    /// The typed answer's message, if the step applied one (see [`StoredDraft::last_text_message`]).
    pub text_message: Option<i64>,
    pub at: DateTime<Utc>,
}

/// `UPDATE … FROM (VALUES …)` for `rows` writes, five parameters each (the same text for both
/// engines: sqlx tells PostgreSQL each parameter's type).
fn update_drafts_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let first = row * 5 + 1;
            format!("(${}, ${}, ${}, ${}, ${})", first, first + 1, first + 2, first + 3, first + 4)
        })
        .collect();
    format!(
        "UPDATE drafts SET state = w.column3, revision = drafts.revision + 1, updated_at = w.column5,
             last_text_message = COALESCE(w.column4, drafts.last_text_message)
         FROM (VALUES {}) AS w
         WHERE drafts.chat_key = w.column1 AND drafts.revision = w.column2
         RETURNING drafts.chat_key",
        values.join(", ")
    )
}

/// How to reach a draft's respondent for its one reminder: their chat id sealed under the
/// identity key ([`IdentityKey::seal_chat`]) and the language of their Telegram.
#[derive(Debug, Clone, Copy)]
pub struct Reachable {
    pub sealed_chat: [u8; 8],
    pub language: Lang,
}

/// A draft old enough for its reminder and not reminded yet, with where its link leads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub chat_key: Vec<u8>,
    pub reminder_chat: Vec<u8>,
    pub state: String,
    pub revision: i64,
    #[sqlx(try_from = "String")]
    pub language: Lang,
    #[sqlx(flatten)]
    pub target: LinkTarget,
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
    /// A draft that is `reachable` gets one reminder; the new draft has had none.
    pub async fn start_draft(
        &self,
        chat: &ChatKey,
        link_code: &str,
        state: &str,
        revision: i64,
        now: DateTime<Utc>,
        reachable: Option<&Reachable>,
    ) -> sqlx::Result<()> {
        let (chat, link_code, state, reachable) = (*chat, link_code.to_owned(), state.to_owned(), reachable.copied());
        self.write(move |db| async move {
            on_pool!(&db, pool => sqlx::query(
                "INSERT INTO drafts (chat_key, link_code, state, revision, updated_at, reminder_chat, language)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (chat_key) DO UPDATE SET link_code = excluded.link_code, state = excluded.state,
                     revision = excluded.revision, updated_at = excluded.updated_at,
                     reminder_chat = excluded.reminder_chat, language = excluded.language, reminded_at = NULL",
            )
            .bind(chat.as_bytes())
            .bind(link_code)
            .bind(state)
            .bind(revision)
            .bind(now)
            .bind(reachable.map(|r| r.sealed_chat.to_vec()))
            .bind(reachable.map_or(Lang::Ru, |r| r.language).code())
            .execute(pool)
            .await
            .map(|_| ()))
        })
        .await
    }

    /// Stores each write whose draft is still at its expected revision, all in one statement (one
    /// transaction, one commit); returns, in the writes' order, each draft's new revision, or `None`
    /// where something else changed or removed the draft first. The writes must be of different
    /// chats. A typed answer names its message (`text_message`), so the same message handed over
    /// again is recognised.
    pub async fn update_drafts(&self, writes: Vec<DraftWrite>) -> sqlx::Result<Vec<Option<i64>>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.write(move |db| async move { db.store_drafts(&writes).await }).await
    }

    async fn store_drafts(&self, writes: &[DraftWrite]) -> sqlx::Result<Vec<Option<i64>>> {
        debug_assert!(
            writes.iter().enumerate().all(|(i, w)| writes[..i].iter().all(|earlier| earlier.chat != w.chat)),
            "one write a chat"
        );
        let sql = update_drafts_sql(writes.len());
        let stored: Vec<Vec<u8>> = on_pool!(self, pool => {
            let mut query = sqlx::query_scalar(&sql);
            for write in writes {
                query = query
                    .bind(write.chat.as_bytes())
                    .bind(write.expected_revision)
                    .bind(&write.state)
                    .bind(write.text_message)
                    .bind(write.at);
            }
            query.fetch_all(pool).await
        })?;
        Ok(writes
            .iter()
            .map(|write| stored.iter().any(|key| key == write.chat.as_bytes()).then_some(write.expected_revision + 1))
            .collect())
    }

    /// Discards the chat's draft; returns whether there was one.
    pub async fn delete_draft(&self, chat: &ChatKey) -> sqlx::Result<bool> {
        let chat = *chat;
        let done = self
            .write(move |db| async move {
                on_pool!(&db, pool => sqlx::query("DELETE FROM drafts WHERE chat_key = $1")
                    .bind(chat.as_bytes())
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected()))
            })
            .await?;
        if done > 0 {
            self.scrub_deleted();
        }
        Ok(done > 0)
    }

    /// Drafts untouched since `before`, reachable and not reminded yet, whose campaign is open
    /// on `earliest_today` (the earliest date anywhere: the exact day is the school's, which the
    /// caller checks), oldest first.
    pub async fn due_reminders(
        &self,
        before: DateTime<Utc>,
        earliest_today: NaiveDate,
    ) -> sqlx::Result<Vec<DueReminder>> {
        const SQL: &str = concat!(
            "SELECT d.chat_key, d.reminder_chat, d.state, d.revision, d.language, ",
            link_target_columns!(),
            " FROM drafts d JOIN class_links l ON l.code = d.link_code",
            link_target_joins!("JOIN"),
            " WHERE d.reminded_at IS NULL AND d.reminder_chat IS NOT NULL AND d.updated_at < $1
               AND NOT c.closed AND c.ends_on >= $2 AND l.revoked_at IS NULL
             ORDER BY d.updated_at"
        );
        on_pool!(self, pool => sqlx::query_as(SQL).bind(before).bind(earliest_today).fetch_all(pool).await)
    }

    /// Claims a draft's one reminder for this process: true when it is still at `revision`, and
    /// no process (this one before a restart, or another replica) claimed it before.
    pub async fn claim_reminder(&self, chat: &ChatKey, revision: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let claimed = on_pool!(self, pool => sqlx::query(
            "UPDATE drafts SET reminded_at = $1 WHERE chat_key = $2 AND revision = $3 AND reminded_at IS NULL",
        )
        .bind(now)
        .bind(chat.as_bytes())
        .bind(revision)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(claimed == 1)
    }

    /// How many respondents started on the class's link(s) in the campaign and have not finished.
    pub async fn unfinished_in_class(&self, campaign_id: i64, class_id: i64) -> sqlx::Result<i64> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM drafts d JOIN class_links l ON l.code = d.link_code
             WHERE l.campaign_id = $1 AND l.class_id = $2",
        )
        .bind(campaign_id)
        .bind(class_id)
        .fetch_one(pool)
        .await)
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
