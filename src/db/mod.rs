//! Storage: one [`Db`] type over SQLite (the default, embedded) or PostgreSQL, with every SQL
//! string of the application in this module's files.
//!
//! Queries are written once in SQL both engines run (`$1` placeholders, `ON CONFLICT`,
//! `RETURNING`) and executed on whichever pool is configured through [`on_pool!`]. The
//! schema differs only where the dialects do: `migrations/sqlite` and `migrations/postgres`
//! carry the same versions.

mod campaigns;
mod copy;
mod delegation;
mod dialogs;
mod digests;
mod drafts;
mod expert;
mod pace;
mod places;
mod responses;
mod roster;
mod staff;
mod stats;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::failure::Failure;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use campaigns::{
    Campaign, CampaignError, CampaignSummary, ClassLink, Edited, LinkTarget, NewCampaign, StoredQuestionnaire,
};
pub use delegation::{OpenInvitation, Place, PlaceRef};
pub use dialogs::StoredDialog;
pub use digests::{CLAIM_RENEW_EVERY, DigestRecipient};
pub use drafts::{DraftWrite, DueReminder, Reachable, StoredDraft};
pub use responses::{ExportRow, NewResponse, Reader, SealedSchool, SubmitOutcome};
pub use roster::{ImportOutcome, PendingUpload, RosterSummary, UploadGuard};
pub use staff::{Acceptance, InvitationRow, NewInvitation, SchoolRef, StaffMember};
pub use stats::{Counts, Participation, SchoolBase, Share, Within};

/// The file of a `sqlite:` URL (`sqlite://FILE`, `sqlite:FILE`, with or without `?options`);
/// `None` for other engines and for an in-memory database.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && file != ":memory:").then(|| std::path::PathBuf::from(file))
}

/// A connection pool to the configured database engine.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, SqliteWrites),
    Postgres(PgPool),
}

/// How long after a draft is deleted SQLite's write-ahead log is scrubbed of it (the scrub itself
/// then takes a few milliseconds). One checkpoint covers every deletion of that moment: a
/// checkpoint blocks all writers while it runs, and one after every submit held up every step.
pub const SCRUB_DELAY: Duration = Duration::from_millis(100);

/// What the clones of a SQLite pool share besides it: the [`writer::Writer`] its hot writes queue
/// on, and whether a scrub of the write-ahead log is scheduled.
#[derive(Clone, Debug)]
pub struct SqliteWrites {
    writer: Arc<writer::Writer>,
    scrub_pending: Arc<AtomicBool>,
}

/// Runs the same query code on whichever pool `$db` holds: `$pool` is bound to the concrete pool.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Db {
    /// Opens the database named by `url` (`sqlite://FILE` or `postgres://...`), creating a SQLite
    /// file on first use, and applies the embedded migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(Failure::BadDatabaseUrl)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(Failure::PostgresUnreachable)?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(Failure::BadDatabaseUrl)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With WAL, NORMAL syncs at checkpoints, not at every commit: a killed process
                // loses nothing (the log is in the OS), a power cut may lose the last commits.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Deleted drafts are overwritten, not left readable in free pages.
                .pragma("secure_delete", "on");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                // A local file does not drop connections: no ping before every query.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(|e| Failure::SqliteUnopenable(crate::config::redact_url(url), e))?;
            Db::from_sqlite(pool)
        } else {
            return Err(Failure::UnknownDatabase(crate::config::redact_url(url)).into());
        };
        db.migrate().await?;
        db.drop_empty_old_drafts().await?;
        // A process killed within SCRUB_DELAY of a deletion left it in the log: scrub it now.
        if !db.checkpoint().await {
            db.scrub_deleted();
        }
        Ok(db)
    }

    /// A SQLite pool opened elsewhere (with the pragmas of [`Db::connect`]).
    pub fn from_sqlite(pool: SqlitePool) -> Db {
        Db::Sqlite(pool, SqliteWrites { writer: Arc::new(writer::Writer::start()), scrub_pending: Arc::default() })
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool, _) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
        .map_err(|e| Failure::Migrations(e).into())
    }

    /// Whether the database answers (for health checks and start-up).
    pub async fn ping(&self) -> anyhow::Result<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Makes deleted rows unreadable on disk: SQLite keeps old page images in the write-ahead log
    /// until a checkpoint, so after a draft (which holds a chat id) is deleted the log is
    /// checkpointed and truncated, within [`SCRUB_DELAY`], by a task of its own so the respondent
    /// does not wait for it. Deletions while one is scheduled join it; one committed while a
    /// checkpoint runs schedules the next.
    pub(crate) fn scrub_deleted(&self) {
        if let Db::Sqlite(_, SqliteWrites { scrub_pending, .. }) = self
            && !scrub_pending.swap(true, Ordering::AcqRel)
        {
            let db = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SCRUB_DELAY).await;
                if let Db::Sqlite(_, SqliteWrites { scrub_pending, .. }) = &db {
                    scrub_pending.store(false, Ordering::Release);
                }
                if !db.checkpoint().await {
                    db.scrub_deleted();
                }
            });
        }
    }

    /// Checkpoints SQLite's write-ahead log into the database file and truncates it; returns
    /// `false` when readers kept it busy, so that it is scrubbed again later. It blocks every
    /// writer while it runs, so it takes its turn among them.
    async fn checkpoint(&self) -> bool {
        // A writer that is gone (it panicked) is not retried in a loop either.
        self.write(|db| async move { Ok::<_, sqlx::Error>(db.checkpoint_now().await) }).await.unwrap_or(true)
    }

    async fn checkpoint_now(&self) -> bool {
        let Db::Sqlite(pool, _) = self else { return true };
        if pool.is_closed() {
            return true;
        }
        // One row: whether the checkpoint was blocked (1), then the log's frames and those moved.
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await {
            Ok((0, _, _)) => true,
            Ok(_) => {
                tracing::warn!("the SQLite write-ahead log is busy; it is scrubbed again shortly");
                false
            }
            // A failing database (full, read-only) is not retried in a loop: the next deletion
            // or start scrubs again.
            Err(e) => {
                tracing::warn!(error = %e, "cannot checkpoint the SQLite write-ahead log");
                true
            }
        }
    }

    /// Runs a write `job` makes of this pool, to its end even if the caller stops waiting (a
    /// webhook request cut off): on SQLite on its [`writer::Writer`], after the writes queued
    /// before it; on PostgreSQL, which locks rows rather than the database, as a task of its own.
    /// A submit dropped halfway on PostgreSQL was seen half done by the pool's next borrowers (its
    /// draft gone, no response: `tests/storage.rs`), as if its connection were still inside it.
    async fn write<T, E, F>(&self, job: impl FnOnce(Db) -> F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        match self {
            Db::Sqlite(_, SqliteWrites { writer, .. }) => writer.run(job(self.clone())).await,
            Db::Postgres(_) => match tokio::spawn(job(self.clone())).await {
                Ok(outcome) => outcome,
                Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
                Err(_) => Err(sqlx::Error::WorkerCrashed.into()),
            },
        }
    }

    /// Closes the pool, after the scrub a recent deletion is waiting for.
    pub async fn close(&self) {
        if let Db::Sqlite(_, SqliteWrites { scrub_pending, .. }) = self
            && scrub_pending.swap(false, Ordering::AcqRel)
        {
            let _ = self.checkpoint().await;
        }
        on_pool!(self, pool => pool.close().await)
    }
}

/// Opens a transaction that writes. On SQLite it takes the write lock at `BEGIN IMMEDIATE`: a
/// transaction that reads first and writes later fails at once (`SQLITE_BUSY_SNAPSHOT`, which no
/// busy timeout waits out) when another connection wrote or checkpointed in between, as the bot
/// does all the time while `links export` or `roster import` runs.
pub(crate) trait BeginWrite {
    type Engine: sqlx::Database;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Engine>>> + Send;
}

impl BeginWrite for SqlitePool {
    type Engine = sqlx::Sqlite;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Engine = sqlx::Postgres;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>>> + Send {
        self.begin()
    }
}

/// Storage errors the application reacts to; anything else is an [`sqlx::Error`] with context.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Whether `error` is PostgreSQL being briefly out of reach (a restart or failover cut the
/// connection in use, the server is shutting down or starting) or a conflict PostgreSQL asks to
/// retry, rather than the statement being wrong: the same work can succeed a moment later. Waits
/// that already took their time are not: the pool's acquire timeout, SQLite's busy timeout.
pub fn is_transient(error: &anyhow::Error) -> bool {
    error.chain().filter_map(|cause| cause.downcast_ref::<sqlx::Error>()).any(transient)
}

fn transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(error) => {
            error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some_and(|error| {
                let code = error.code();
                // Connection exceptions (class 08), the server shutting down or starting
                // (57P01-57P03), too many connections, a serialisation conflict, a deadlock.
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01")
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_connection_is_transient_and_a_wrong_statement_or_a_wait_already_made_is_not() {
        let cut = || sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_transient(&anyhow::Error::from(cut())));
        assert!(is_transient(&anyhow::Error::from(cut()).context("cannot load the draft")));
        for lasting in [sqlx::Error::RowNotFound, sqlx::Error::PoolTimedOut, sqlx::Error::ColumnNotFound("x".into())] {
            assert!(!is_transient(&anyhow::Error::from(lasting)));
        }
        assert!(!is_transient(&anyhow::anyhow!("not a database error")));
    }
}
