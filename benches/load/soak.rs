//! The chaos soak (issue 14, item 7): respondents at a realistic rate over several webhook
//! replicas on PostgreSQL for many minutes, while replicas are killed with `kill -9` at random
//! and started again, PostgreSQL is restarted in the middle, the stand-in models Telegram's rate
//! limits and injects 429s, 5xx and hanging calls, one person floods the bot, and a digest round
//! falls in the window. Afterwards the crash scenario's checks: every respondent who saw thanks
//! has exactly their answers stored once, no draft is left, and no administrator got a digest
//! twice.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anketa::db::Db;
use anyhow::{Context, ensure};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::bots::{self, Bot, Webhook};
use crate::crash::{self, Stored};
use crate::respondent::{self, Flood, Record, World};
use crate::stand_in::{Chaos, Event, StandIn, Transport};

/// The soak's own database on the PostgreSQL of the machine (dropped and created anew).
const SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const DATABASE: &str = "anketa_load_soak";
/// The cluster `pg_ctlcluster` restarts.
const CLUSTER: [&str; 2] = ["15", "main"];
/// People read each screen this long (milliseconds, at random): flood control, made for people,
/// lets them through.
const THINKING_MS: std::ops::Range<u64> = 1_000..3_000;
/// Steps a respondent takes through `noko-parents`, on average (for the arrival rate).
const STEPS_PER_RESPONDENT: f64 = 16.0;
/// School administrators who get the daily digest (schools 1, 2, …).
const ADMINS: usize = 30;
const FIRST_ADMIN_CHAT: i64 = 6_000_000_000;
/// Telegram misbehaving, on top of its rate limits.
const CHAOS: Chaos = Chaos { too_many: 0.01, bad_gateway: 0.01, hang: 0.002 };

/// What happened and what the database holds afterwards.
pub struct SoakRun {
    pub length: Duration,
    pub replicas: usize,
    pub steps_per_second: f64,
    pub took: Duration,
    pub record: Record,
    /// Step latencies, sorted.
    pub latencies: Vec<Duration>,
    /// From each `kill -9` to the new replica listening.
    pub restarts: Vec<Duration>,
    /// How long `pg_ctlcluster … restart` took, and when in the soak.
    pub postgres_restart: Option<(Duration, Duration)>,
    pub flood: Flood,
    pub rate_limited: u64,
    pub injected: u64,
    pub webhook_failures: u64,
    pub stored: Stored,
    /// Digests each administrator got.
    pub digests: Vec<usize>,
    pub replica_cpu: Duration,
}

impl SoakRun {
    /// Nothing lost, nothing twice, nothing left, every digest once.
    pub fn holds(&self) -> bool {
        self.record.errors.is_empty() && self.stored.holds(&self.record) && self.digests.iter().all(|&n| n == 1)
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        let percentile = |p: f64| crate::percentile(&self.latencies, p);
        let (fastest, slowest) = (
            self.restarts.iter().min().copied().unwrap_or_default(),
            self.restarts.iter().max().copied().unwrap_or_default(),
        );
        let twice = self.digests.iter().filter(|&&n| n > 1).count();
        let none = self.digests.iter().filter(|&&n| n == 0).count();
        let _ = writeln!(
            out,
            "- soak: {:.0} min ({:.0} s with the stragglers) at {:.0} steps/s over {} webhook replicas on PostgreSQL: {} steps, p50 {} · p99 {} · max {}; {} replicas killed with `kill -9` and restarted ({}–{} ms to listening again){}.",
            self.length.as_secs_f64() / 60.0,
            self.took.as_secs_f64(),
            self.steps_per_second,
            self.replicas,
            crate::thousands(self.latencies.len()),
            crate::millis(percentile(50.0)),
            crate::millis(percentile(99.0)),
            crate::millis(self.latencies.last().copied().unwrap_or_default()),
            self.restarts.len(),
            fastest.as_millis(),
            slowest.as_millis(),
            match self.postgres_restart {
                Some((took, at)) => format!(
                    "; PostgreSQL restarted {:.0} s in (`pg_ctlcluster 15 main restart`, {:.1} s)",
                    at.as_secs_f64(),
                    took.as_secs_f64()
                ),
                None => String::new(),
            },
        );
        let _ = writeln!(
            out,
            "- Telegram's side: rate limits on (429 ×{}), injected faults ×{} (1 % 429, 1 % 502, 0.2 % hanging {} s, on the calls that send, edit or answer), webhook deliveries re-sent ×{} (refused, cut by a kill, or during the restart); a flooder sent {} messages ({:.0}/s) and got {} back ({:.2}/s, at most {} in a second).",
            self.rate_limited,
            self.injected,
            crate::stand_in::HANG.as_secs(),
            self.webhook_failures,
            crate::thousands(self.flood.sent as usize),
            self.flood.sent as f64 / self.flood.per_second.len().max(1) as f64,
            self.flood.received(),
            self.flood.received() as f64 / self.flood.per_second.len().max(1) as f64,
            self.flood.busiest_second(),
        );
        let _ = writeln!(
            out,
            "- afterwards: {} respondents finished (saw thanks or «already answered»); they tapped again {} times after 4 s without a reply and opened the link again {} times; the database holds {} responses and {} participations, {} drafts; {} responses carry exactly the answers one finished respondent gave, {} match nobody; {} administrators got {} digests ({} none, {} more than one); the replicas used {:.0} s of CPU: {}.",
            crate::thousands(self.record.completed),
            self.record.retaps,
            self.record.reopened,
            crate::thousands(self.stored.responses as usize),
            crate::thousands(self.stored.participations as usize),
            self.stored.drafts,
            crate::thousands(self.stored.matching),
            self.stored.unmatched,
            self.digests.len(),
            self.digests.iter().sum::<usize>(),
            none,
            twice,
            self.replica_cpu.as_secs_f64(),
            if self.holds() {
                "nothing lost, nothing twice, nothing left"
            } else {
                "**a loss, a duplicate or a leftover**"
            },
        );
        for (what, count) in &self.record.errors {
            let _ = writeln!(out, "  - error ×{count}: {what}");
        }
        out
    }
}

/// Whether the cluster answers; starts it if not. Called at the end whatever happened.
async fn ensure_postgres_up() -> anyhow::Result<()> {
    let status = Command::new("pg_ctlcluster").args(CLUSTER).arg("status").output().await?;
    if !status.status.success() {
        eprintln!("  PostgreSQL is down: starting it");
        let started = Command::new("pg_ctlcluster").args(CLUSTER).arg("start").status().await?;
        ensure!(started.success(), "pg_ctlcluster 15 main start failed");
    }
    Ok(())
}

/// The soak, with PostgreSQL up again afterwards whatever happened.
pub async fn run(
    stand_in: &StandIn,
    work: PathBuf,
    length: Duration,
    replicas: usize,
    steps_per_second: f64,
    flood_rate: f64,
    seed: u64,
) -> anyhow::Result<SoakRun> {
    let soaked = soak(stand_in, work, length, replicas, steps_per_second, flood_rate, seed).await;
    let up = ensure_postgres_up().await;
    let soaked = soaked?;
    up?;
    Ok(soaked)
}

/// A replica: its webhook address and the process, when it runs.
struct Replica {
    webhook: Webhook,
    bot: Option<Bot>,
    log: PathBuf,
}

/// `anketa run` as a webhook replica on the soak's database, its clock `clock` ahead of now
/// (so that the digest round falls in the window).
async fn start_replica(replica: &Replica, stand_in: &StandIn, clock: chrono::TimeDelta) -> anyhow::Result<Bot> {
    let mut command = bots::anketa_command(&format!("{SERVER}/{DATABASE}"), stand_in, Some(&replica.webhook));
    command.env("ANKETA_CLOCK", (Utc::now() + clock).to_rfc3339());
    bots::launch(command, replica.log.clone(), PathBuf::new(), stand_in, Some(&replica.webhook)).await
}

async fn soak(
    stand_in: &StandIn,
    work: PathBuf,
    length: Duration,
    replicas: usize,
    steps_per_second: f64,
    flood_rate: f64,
    seed: u64,
) -> anyhow::Result<SoakRun> {
    eprintln!("== Anketa (webhook ×{replicas}, PostgreSQL), soak: {:.0} s", length.as_secs_f64());
    let server = sqlx::PgPool::connect(&format!("{SERVER}/postgres")).await.context("PostgreSQL")?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).execute(&server).await?;
    sqlx::query(&format!("CREATE DATABASE {DATABASE}")).execute(&server).await?;
    server.close().await;
    let url = format!("{SERVER}/{DATABASE}");
    let db = Db::connect(&url).await?;
    let codes = bots::populate(&db).await?;
    db.close().await;
    let world = Arc::new(World { stand_in: stand_in.clone(), codes, seed });

    // The webhook replicas behind one secret; Telegram posts to them in turn.
    let secret = Webhook::pick()?.secret;
    let mut fleet: Vec<Replica> = (0..replicas)
        .map(|n| {
            let mut webhook = Webhook::pick()?;
            webhook.secret = secret.clone();
            Ok(Replica { webhook, bot: None, log: work.join(format!("soak-replica-{n}.log")) })
        })
        .collect::<anyhow::Result<_>>()?;
    stand_in.reset(Transport::Webhook {
        urls: fleet.iter().map(|r| r.webhook.url.clone()).collect(),
        secret,
        client: reqwest::Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build()?,
    });
    // The digest is due at 09:00 in the schools' timezone (Moscow, UTC+3): the replicas' clock is
    // set so that 06:00 UTC comes a quarter into the soak.
    let today_six = Utc::now().date_naive().and_hms_opt(6, 0, 0).context("06:00")?.and_utc();
    let clock = today_six - Utc::now() - chrono::TimeDelta::from_std(length / 4)?;
    for replica in &mut fleet {
        replica.bot = Some(start_replica(replica, stand_in, clock).await?);
    }

    // School administrators, invited and registered before the chaos begins.
    let mut inboxes = Vec::new();
    for n in 0..ADMINS {
        let chat = FIRST_ADMIN_CHAT + n as i64;
        let output = Command::new(env!("CARGO_BIN_EXE_anketa"))
            .args(["admin", "invite", "--school", &format!("Школа № {}", n + 1)])
            .env("ANKETA_DATABASE_URL", &url)
            .env("ANKETA_BOT_USERNAME", crate::stand_in::BOT_USERNAME)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .await?;
        ensure!(output.status.success(), "admin invite: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let token = stdout.lines().last().and_then(|l| l.split("?start=").nth(1)).context("an invitation link")?;
        let mut inbox = stand_in.open(chat);
        stand_in.deliver(chat, "message", &respondent::text_message(chat, 1, &format!("/start {}", token.trim())));
        tokio::time::timeout(Duration::from_secs(20), inbox.recv())
            .await
            .context("the administrator's welcome")?
            .context("the administrator's chat")?;
        inboxes.push(inbox);
    }
    // Each administrator's digests, counted as they come (a text starting with 📊).
    let digests = Arc::new(Mutex::new(vec![0usize; ADMINS]));
    let counting: Vec<_> = inboxes
        .into_iter()
        .enumerate()
        .map(|(n, mut inbox): (usize, mpsc::UnboundedReceiver<Event>)| {
            let digests = digests.clone();
            tokio::spawn(async move {
                while let Some(event) = inbox.recv().await {
                    if let Event::Screen(screen) = event
                        && screen.text.starts_with("\"📊")
                    {
                        digests.lock().expect("digests")[n] += 1;
                    }
                }
            })
        })
        .collect();

    stand_in.limit_rates(true);
    stand_in.inject(CHAOS);
    let cpu_before: Duration = fleet.iter().filter_map(|r| r.bot.as_ref()).map(Bot::cpu).sum();
    let mut replica_cpu = Duration::ZERO;
    let record = Arc::new(Mutex::new(Record::default()));
    let started = Instant::now();
    let answering = tokio::spawn(respondent::arrivals_through_crashes(
        world.clone(),
        steps_per_second / STEPS_PER_RESPONDENT,
        length,
        THINKING_MS,
        record.clone(),
    ));
    let flooding = tokio::spawn(respondent::flooder(world.clone(), flood_rate, length));
    let progress = {
        let record = record.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(15)).await;
                let record = record.lock().expect("record");
                eprintln!(
                    "  {:.0} s: {} steps, {} finished, {} retaps, {} errors",
                    started.elapsed().as_secs_f64(),
                    crate::thousands(record.steps.len()),
                    crate::thousands(record.completed),
                    record.retaps,
                    record.errors.values().sum::<u64>()
                );
            }
        })
    };

    // Kills at random (about every length/20, at least every 5–30 s), PostgreSQL restarted once in
    // the middle.
    let mut rng = StdRng::seed_from_u64(seed);
    let mean_gap = (length / 20).max(Duration::from_secs(10)).as_millis() as u64;
    let mut restarts = Vec::new();
    let mut postgres_restart = None;
    while started.elapsed() < length {
        let gap = Duration::from_millis(rng.gen_range(mean_gap / 2..mean_gap * 3 / 2));
        tokio::time::sleep(gap.min(length.saturating_sub(started.elapsed()))).await;
        if started.elapsed() >= length {
            break;
        }
        if postgres_restart.is_none() && started.elapsed() >= length / 2 {
            let at = started.elapsed();
            let restarting = Instant::now();
            let status = Command::new("pg_ctlcluster").args(CLUSTER).arg("restart").status().await?;
            ensure!(status.success(), "pg_ctlcluster 15 main restart failed");
            let took = restarting.elapsed();
            eprintln!("  PostgreSQL restarted in {:.1} s", took.as_secs_f64());
            postgres_restart = Some((took, at));
            continue;
        }
        let replica = &mut fleet[rng.gen_range(0..replicas)];
        let killed = Instant::now();
        if let Some(bot) = replica.bot.take() {
            replica_cpu += bot.cpu();
            bot.kill().await?;
        }
        replica.bot = Some(start_replica(replica, stand_in, clock).await?);
        restarts.push(killed.elapsed());
        eprintln!("  a replica killed and restarted in {} ms", killed.elapsed().as_millis());
    }
    let flood = flooding.await?;
    answering.await?;
    let took = started.elapsed();
    progress.abort();
    // The digest round is done well before the stragglers are; a few seconds more for its last
    // retries.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for replica in &mut fleet {
        if let Some(bot) = replica.bot.take() {
            replica_cpu += bot.cpu();
            bot.stop().await?;
        }
    }
    let replica_cpu = replica_cpu.saturating_sub(cpu_before);
    for task in counting {
        task.abort();
    }
    let digests = digests.lock().expect("digests").clone();
    let faults = &stand_in.shared().faults;
    let swap = |counter: &std::sync::atomic::AtomicU64| counter.swap(0, std::sync::atomic::Ordering::Relaxed);
    let (rate_limited, injected, webhook_failures) =
        (swap(&faults.rate_limited), swap(&faults.injected), swap(&faults.webhook_failures));
    stand_in.reset(Transport::Polling);

    let record = std::mem::take(&mut *record.lock().expect("record"));
    let db = Db::connect(&url).await?;
    let stored = crash::check(&db, &record).await?;
    db.close().await;
    let mut latencies: Vec<Duration> = record.steps.iter().map(|(_, d, _)| *d).collect();
    latencies.sort();
    Ok(SoakRun {
        length,
        replicas,
        steps_per_second,
        took,
        record,
        latencies,
        restarts,
        postgres_restart,
        flood,
        rate_limited,
        injected,
        webhook_failures,
        stored,
        digests,
        replica_cpu,
    })
}
