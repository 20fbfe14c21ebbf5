//! The crash scenario: respondents answer the whole questionnaire while the bot is killed with
//! `kill -9` at random moments and started again on the same database each time. Afterwards the
//! database must hold exactly one response for each respondent that saw its survey stored, no
//! response twice, no draft left, and every response must carry exactly the answers its
//! respondent gave (nothing lost with a draft, nothing applied twice).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anketa::db::Db;
use anketa::roles::Scope;
use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bots::{self, Peer, Seed};
use crate::respondent::{self, Record, World};
use crate::stand_in::{StandIn, Transport};

/// The pause before each `kill -9`, in milliseconds, at random.
const KILL_EVERY_MS: std::ops::Range<u64> = 300..1_500;

/// What happened and what the database holds afterwards.
pub struct CrashRun {
    pub respondents: usize,
    pub kills: usize,
    /// From each `kill -9` to the new process polling.
    pub restarts: Vec<Duration>,
    pub took: Duration,
    pub record: Record,
    pub responses: i64,
    pub participations: i64,
    pub drafts: i64,
    /// Updates the restarted bot was handed again (not confirmed before the kill).
    pub redelivered: u64,
    /// Responses whose answers are exactly those of a respondent that finished (matched one to
    /// one), and those that match nobody.
    pub matching: usize,
    pub unmatched: usize,
}

impl CrashRun {
    /// Nothing lost, nothing twice, and nobody had to tap again.
    pub fn holds(&self) -> bool {
        let stored = Stored {
            responses: self.responses,
            participations: self.participations,
            drafts: self.drafts,
            matching: self.matching,
            unmatched: self.unmatched,
        };
        self.record.errors.is_empty()
            && self.record.retaps == 0
            && self.record.completed == self.respondents
            && stored.holds(&self.record)
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        let (fastest, slowest) = (
            self.restarts.iter().min().copied().unwrap_or_default(),
            self.restarts.iter().max().copied().unwrap_or_default(),
        );
        let _ = writeln!(
            out,
            "- crash: {} respondents (reading each screen 0.1–0.9 s) answered the whole questionnaire in {:.1} s while the bot was killed with `kill -9` {} times at random moments (every 0.3–1.5 s) and restarted on the same database ({}–{} ms from the kill to polling again). {} updates the killed bot had not confirmed were handed to the new one; respondents tapped again {} times after 4 s without a reply, as people do, and opened the link again {} times after a submit the bot no longer knew. {} of {} finished (saw thanks or «already answered»); the database holds {} responses and {} participations, {} drafts; {} responses carry exactly the answers one finished respondent gave, {} match nobody: {}.",
            self.respondents,
            self.took.as_secs_f64(),
            self.kills,
            fastest.as_millis(),
            slowest.as_millis(),
            self.redelivered,
            self.record.retaps,
            self.record.reopened,
            self.record.completed,
            self.respondents,
            self.responses,
            self.participations,
            self.drafts,
            self.matching,
            self.unmatched,
            if self.holds() {
                "nothing lost, nothing twice, no tap repeated"
            } else {
                "**a loss, a duplicate or a re-tap**"
            },
        );
        for (what, count) in &self.record.errors {
            let _ = writeln!(out, "  - error ×{count}: {what}");
        }
        out
    }
}

/// What the database holds after a run under crashes, against what the respondents gave.
pub struct Stored {
    pub responses: i64,
    pub participations: i64,
    pub drafts: i64,
    /// Responses whose answers are exactly those of a respondent that finished (matched one to
    /// one), and those that match nobody.
    pub matching: usize,
    pub unmatched: usize,
}

impl Stored {
    /// Every finished respondent's answers stored exactly once, nothing else, no draft left.
    pub fn holds(&self, record: &Record) -> bool {
        let finished = record.completed as i64;
        self.responses == finished
            && self.participations == finished
            && self.drafts == 0
            && self.unmatched == 0
            && self.matching == record.completed
    }
}

/// Counts what `db` holds and matches its responses with the answers each finished respondent
/// gave. Ends the campaign's ballot box first: every sealed answer is released, so that the
/// responses can be matched.
pub async fn check(db: &Db, record: &Record) -> anyhow::Result<Stored> {
    for school in db.sealed_schools().await? {
        db.settle_school(school.campaign_id, school.school_id, 5, chrono::Utc::now().date_naive(), true).await?;
    }
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            match &db {
                Db::Sqlite(pool, _) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.context(sql),
                Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.context(sql),
            }
        }
    };
    let (responses, participations, drafts) = (
        count("SELECT COUNT(*) FROM responses").await?,
        count("SELECT COUNT(*) FROM participations").await?,
        count("SELECT COUNT(*) FROM drafts").await?,
    );
    let campaign = db.campaign_by_name(bots::CAMPAIGN).await?.context("the benchmark's campaign")?;
    // Each response's answers in question order, against what each finished respondent gave.
    let mut wanted: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for given in &record.given {
        *wanted.entry(given.clone()).or_default() += 1;
    }
    let (mut matching, mut unmatched) = (0, 0);
    db.export_responses(campaign.id, Scope::Region, anketa::db::Reader::Operator, |row: &anketa::db::ExportRow| {
        let mut answers = row.answers.clone();
        answers.sort_by_key(|(question, _)| question.trim_start_matches('q').parse::<u32>().unwrap_or(u32::MAX));
        let answers: Vec<String> = answers.into_iter().map(|(_, value)| value).filter(|v| !v.is_empty()).collect();
        match wanted.get_mut(&answers) {
            Some(left) if *left > 0 => {
                *left -= 1;
                matching += 1;
            }
            _ => unmatched += 1,
        }
        Ok(())
    })
    .await?;
    Ok(Stored { responses, participations, drafts, matching, unmatched })
}

/// Runs the scenario on a fresh copy of the seeded database, polling.
pub async fn run(
    seed: &Seed,
    stand_in: &StandIn,
    world: &Arc<World>,
    respondents: usize,
    kills: usize,
) -> anyhow::Result<CrashRun> {
    stand_in.reset(Transport::Polling);
    eprintln!("== Anketa (polling), crash: {respondents} respondents, {kills} kills");
    let mut bot = bots::start(Peer::Anketa, seed, "anketa-crash", stand_in, None, false).await?;
    let record = Arc::new(Mutex::new(Record::default()));
    let started = Instant::now();
    let answering =
        tokio::spawn(respondent::through_crashes(world.clone(), respondents, Duration::from_secs(5), record.clone()));
    let mut rng = StdRng::seed_from_u64(world.seed);
    let mut restarts = Vec::new();
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(KILL_EVERY_MS))).await;
        if answering.is_finished() {
            break;
        }
        let (restarted, took) = bot.crash_and_restart(stand_in).await?;
        bot = restarted;
        restarts.push(took);
        let record = record.lock().expect("record");
        eprintln!("  killed and restarted in {} ms; {} finished so far", took.as_millis(), record.completed);
    }
    answering.await?;
    let took = started.elapsed();
    let redelivered = stand_in.shared().faults.redelivered.swap(0, std::sync::atomic::Ordering::Relaxed);
    let db_file = bot.db_file.clone();
    bot.stop().await?;
    let record = std::mem::take(&mut *record.lock().expect("record"));

    let db = Db::connect(&format!("sqlite://{}", db_file.display())).await?;
    let Stored { responses, participations, drafts, matching, unmatched } = check(&db, &record).await?;
    db.close().await;
    Ok(CrashRun {
        respondents,
        kills: restarts.len(),
        restarts,
        took,
        record,
        responses,
        participations,
        drafts,
        redelivered,
        matching,
        unmatched,
    })
}
