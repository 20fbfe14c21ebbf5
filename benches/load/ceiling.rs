//! The reference ceiling: as many bare SQLite transactions as the bot made dialog steps, each the
//! write a step needs ([`STEP`]: one UPDATE of a draft row, checked by revision, with a JSON state
//! of the realistic size), on the same kind of file with the same pragmas and pool
//! (`Db::connect`), with no Telegram, HTTP or dispatcher in the way. The bot's steps/s are
//! reported as a fraction of it (the bot itself stores the steps waiting together, several in one
//! statement: `bot::draft_writes`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anketa::app;
use anketa::db::Db;
use anketa::survey::{Draft, Input};
use anyhow::Context;
use chrono::Utc;
use tokio::task::JoinSet;

use crate::bots::Seed;

/// Concurrent writers, as the bot's handlers of different chats are.
const TASKS: usize = 8;
/// One step's write, alone in its transaction.
const STEP: &str = "UPDATE drafts SET state = $1, revision = revision + 1, updated_at = $2
     WHERE chat_key = $3 AND revision = $4";

/// Draft rows the updates cycle over.
const ROWS: usize = 1_000;

pub struct Ceiling {
    pub transactions: usize,
    pub took: Duration,
    pub state_bytes: usize,
}

impl Ceiling {
    pub fn per_second(&self) -> f64 {
        self.transactions as f64 / self.took.as_secs_f64()
    }
}

/// A draft halfway through `noko-parents`: begun, seven questions answered.
async fn realistic_state(db: &Db, code: &str) -> anyhow::Result<String> {
    let target = db.resolve_link(code).await?.context("a seeded link resolves")?;
    let survey = app::campaigns::campaign_survey(db, target.campaign.id).await?;
    let mut draft = Draft::default().step(&survey, Input::Begin)?;
    for n in 0..7 {
        draft = draft.step(&survey, Input::Choose(if n % 3 == 0 { "no" } else { "yes" }.into()))?;
    }
    Ok(serde_json::to_string(&draft)?)
}

/// Runs `transactions` draft updates on a fresh copy of the seeded database.
pub async fn measure(seed: &Seed, transactions: usize) -> anyhow::Result<Ceiling> {
    let file = seed.copy("ceiling")?;
    let db = Db::connect(&format!("sqlite://{}", file.display())).await?;
    let state = Arc::new(realistic_state(&db, &seed.codes[0]).await?);
    let key = anketa::privacy::IdentityKey::new(&[7; 32])?;
    let chats: Arc<Vec<anketa::privacy::ChatKey>> =
        Arc::new((0..ROWS).map(|chat| key.chat_key(chat as i64 + 1)).collect());
    for chat in 0..ROWS {
        db.start_draft(&chats[chat], &seed.codes[chat % seed.codes.len()], &state, 1, Utc::now(), None).await?;
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for task in 0..TASKS {
        let Db::Sqlite(pool, _) = db.clone() else { anyhow::bail!("the ceiling is measured on SQLite") };
        let (state, chats) = (state.clone(), chats.clone());
        let mine: Vec<usize> = (0..ROWS).filter(|r| r % TASKS == task).collect();
        let count = transactions / TASKS + usize::from(task < transactions % TASKS);
        tasks.spawn(async move {
            let mut revisions = vec![1_i64; mine.len()];
            for n in 0..count {
                let i = n % mine.len();
                let updated = sqlx::query(STEP)
                    .bind(state.as_str())
                    .bind(Utc::now())
                    .bind(chats[mine[i]].as_bytes())
                    .bind(revisions[i])
                    .execute(&pool)
                    .await?;
                anyhow::ensure!(updated.rows_affected() == 1, "the draft moved under its only writer");
                revisions[i] += 1;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let took = started.elapsed();
    db.close().await;
    Ok(Ceiling { transactions, took, state_bytes: state.len() })
}
