//! Load benchmark of the real bot over HTTP (issue 6): the release `anketa run` binary against a
//! fast Bot API stand-in in this process, driven by thousands of virtual respondents answering the
//! shipped `noko-parents` questionnaire, in polling or webhook mode; beside it, the same number of
//! bare SQLite draft updates (the ceiling) and the same questionnaire as a minimal aiogram 3 bot
//! (the peer, `bench/aiogram/`: with aiogram's `RedisStorage`, and with a SQLite storage); and
//! the floor under any teloxide bot (`floor.rs`: no storage, no logic).
//!
//! ```sh
//! cargo bench --bench load                                   # every scenario, Anketa only
//! cargo bench --bench load -- --scenario burst --respondents 2000
//! cargo bench --bench load -- --scenario steady --rate 1000,500 --seconds 30
//! cargo bench --bench load -- --scenario drafts --drafts 100000
//! cargo bench --bench load -- --scenario crash --kills 20      # kill -9 under 1,000 respondents
//! cargo bench --bench load -- --scenario flood --seconds 30    # a flooder beside 1,000 people
//! cargo bench --bench load -- --scenario soak --minutes 20     # chaos over webhook replicas
//! cargo bench --bench load -- --peer both --write            # with both aiogram variants
//! cargo bench --bench load -- --peer all --scenario burst     # and the teloxide floor
//! ```
//!
//! This file owns the options, the order of the runs and the report; `stand_in` the Bot API,
//! `respondent` the virtual people and load shapes, `bots` the processes under test, `ceiling`
//! the SQLite reference, `floor` the bare teloxide bot, `crash` the `kill -9` scenario and what it must leave behind, `soak`
//! the chaos soak over webhook replicas on PostgreSQL.

mod bots;
mod ceiling;
mod crash;
mod floor;
mod respondent;
mod soak;
mod stand_in;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bots::{Mode, Peer, Seed, Webhook};
use respondent::{Kind, Record, World};
use stand_in::{StandIn, Transport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Burst,
    /// Steps per second.
    Steady(u32),
    Drafts,
    /// People reading each screen, with or without a flooder beside them.
    Flood {
        flooder: bool,
    },
}

/// The scenarios in the order they run; `all` is the first four (flood and soak are asked for by
/// name).
const SCENARIOS: [&str; 6] = ["burst", "steady", "drafts", "crash", "flood", "soak"];

struct Args {
    /// [`SCENARIOS`]: which run.
    scenarios: [bool; 6],
    peers: Vec<Peer>,
    mode: Mode,
    respondents: usize,
    ramp: Duration,
    rates: Vec<u32>,
    seconds: u64,
    drafts: usize,
    concurrency: usize,
    crash_respondents: usize,
    kills: usize,
    /// Flood: the respondents, their steps per second together, and the flooder's messages per
    /// second.
    flood_respondents: usize,
    flood_steps: u32,
    flood_rate: f64,
    /// Flood: how many pairs (without, with the flooder) run alternately.
    repeat: usize,
    /// Soak: its length, replicas and steps per second.
    minutes: f64,
    replicas: usize,
    soak_steps: f64,
    seed: u64,
    write: bool,
    keep: bool,
}

impl Args {
    /// The runs in order: the burst, each steady rate, the drafts.
    fn scenarios(&self) -> Vec<Scenario> {
        let mut runs = Vec::new();
        if self.scenarios[0] {
            runs.push(Scenario::Burst);
        }
        if self.scenarios[1] {
            runs.extend(self.rates.iter().map(|&r| Scenario::Steady(r)));
        }
        if self.scenarios[2] {
            runs.push(Scenario::Drafts);
        }
        if self.scenarios[4] {
            // Back to back, the quiet run first, in the same conditions, `--repeat` times.
            for _ in 0..self.repeat {
                runs.push(Scenario::Flood { flooder: false });
                runs.push(Scenario::Flood { flooder: true });
            }
        }
        runs
    }

    fn parse() -> anyhow::Result<Args> {
        let mut args = Args {
            scenarios: [true, true, true, true, false, false],
            peers: vec![Peer::Anketa],
            mode: Mode::Polling,
            respondents: 2_000,
            ramp: Duration::from_secs(3),
            rates: vec![1_000],
            seconds: 30,
            drafts: 100_000,
            concurrency: 500,
            crash_respondents: 1_000,
            kills: 20,
            flood_respondents: 1_000,
            flood_steps: 500,
            flood_rate: 200.0,
            repeat: 1,
            minutes: 20.0,
            replicas: 3,
            soak_steps: 200.0,
            seed: 6,
            write: false,
            keep: false,
        };
        let mut given = std::env::args().skip(1);
        while let Some(arg) = given.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| given.next()).with_context(|| format!("{name} needs a value"));
            match name.as_str() {
                "--scenario" => {
                    let name = value()?;
                    args.scenarios = match SCENARIOS.iter().position(|s| *s == name) {
                        Some(chosen) => std::array::from_fn(|i| i == chosen),
                        None if name == "all" => [true, true, true, true, false, false],
                        None => bail!(
                            "--scenario takes burst, steady, drafts, crash, flood, soak or all (the first four; got {name:?})"
                        ),
                    }
                }
                "--peer" => {
                    let (redis, sqlite) = (Peer::AiogramRedis, Peer::AiogramSqlite);
                    args.peers = match value()?.as_str() {
                        "anketa" => vec![Peer::Anketa],
                        "aiogram" => vec![redis, sqlite],
                        "aiogram-redis" => vec![redis],
                        "aiogram-sqlite" => vec![sqlite],
                        "both" => vec![Peer::Anketa, redis, sqlite],
                        "floor" => vec![Peer::Anketa, Peer::TeloxideFloor],
                        "all" => vec![Peer::Anketa, redis, sqlite, Peer::TeloxideFloor],
                        other => bail!(
                            "--peer takes anketa, aiogram (both variants), aiogram-redis, aiogram-sqlite, both (Anketa and both variants), floor (Anketa and the bare teloxide bot) or all (got {other:?})"
                        ),
                    }
                }
                "--mode" => {
                    args.mode = match value()?.as_str() {
                        "polling" => Mode::Polling,
                        "webhook" => Mode::Webhook,
                        other => bail!("--mode takes polling or webhook (got {other:?})"),
                    }
                }
                "--respondents" => args.respondents = value()?.parse().context("--respondents takes a number")?,
                "--ramp" => args.ramp = Duration::from_secs_f64(value()?.parse().context("--ramp takes seconds")?),
                "--rate" => {
                    args.rates = value()?
                        .split(',')
                        .map(|r| r.trim().parse())
                        .collect::<Result<_, _>>()
                        .context("--rate takes steps per second, or several separated by commas")?
                }
                "--seconds" => args.seconds = value()?.parse().context("--seconds takes a number")?,
                "--drafts" => args.drafts = value()?.parse().context("--drafts takes a number")?,
                "--concurrency" => args.concurrency = value()?.parse().context("--concurrency takes a number")?,
                "--crash-respondents" => {
                    args.crash_respondents = value()?.parse().context("--crash-respondents takes a number")?
                }
                "--kills" => args.kills = value()?.parse().context("--kills takes a number")?,
                "--flood-respondents" => {
                    args.flood_respondents = value()?.parse().context("--flood-respondents takes a number")?
                }
                "--flood-steps" => {
                    args.flood_steps = value()?.parse().context("--flood-steps takes steps per second")?
                }
                "--flood-rate" => {
                    args.flood_rate = value()?.parse().context("--flood-rate takes messages per second")?
                }
                "--repeat" => args.repeat = value()?.parse().context("--repeat takes a number")?,
                "--minutes" => args.minutes = value()?.parse().context("--minutes takes a number")?,
                "--replicas" => args.replicas = value()?.parse().context("--replicas takes a number")?,
                "--soak-steps" => args.soak_steps = value()?.parse().context("--soak-steps takes steps per second")?,
                "--seed" => args.seed = value()?.parse().context("--seed takes a number")?,
                "--write" => args.write = true,
                "--keep" => args.keep = true,
                // `cargo bench` passes `--bench`.
                _ => {}
            }
        }
        Ok(args)
    }

    /// The options that reproduce this run.
    fn command(&self) -> String {
        let mut command = "cargo bench --bench load --".to_string();
        let chosen: Vec<&str> = SCENARIOS.iter().zip(self.scenarios).filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        if chosen.len() == 1 {
            let _ = write!(command, " --scenario {}", chosen[0]);
        }
        match chosen.as_slice() {
            ["flood"] => {
                let _ = write!(
                    command,
                    " --flood-respondents {} --flood-steps {} --flood-rate {} --seconds {} --repeat {}",
                    self.flood_respondents, self.flood_steps, self.flood_rate, self.seconds, self.repeat
                );
                return command;
            }
            ["soak"] => {
                let _ = write!(
                    command,
                    " --minutes {} --replicas {} --soak-steps {}",
                    self.minutes, self.replicas, self.soak_steps
                );
                return command;
            }
            _ => {}
        }
        match self.peers.as_slice() {
            [Peer::Anketa] => {}
            [Peer::Anketa, Peer::TeloxideFloor] => command.push_str(" --peer floor"),
            [Peer::Anketa, _, _, Peer::TeloxideFloor] => command.push_str(" --peer all"),
            [Peer::Anketa, ..] => command.push_str(" --peer both"),
            [peer] => {
                let _ = write!(command, " --peer {}", peer.key());
            }
            _ => command.push_str(" --peer aiogram"),
        }
        let _ = write!(
            command,
            " --mode {} --respondents {} --rate {} --seconds {} --drafts {} --crash-respondents {} --kills {}",
            self.mode.key(),
            self.respondents,
            self.rates.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            self.seconds,
            self.drafts,
            self.crash_respondents,
            self.kills
        );
        command
    }
}

/// One scenario on one bot.
struct Run {
    peer: Peer,
    what: String,
    startup: Duration,
    took: Duration,
    /// Step latencies, sorted.
    latencies: Vec<Duration>,
    /// p50 and p99 by kind of step.
    by_kind: Vec<(Kind, Duration, Duration)>,
    /// Steps per second the bot kept up: [`middle_rate`], or for a steady rate the replies within
    /// its window.
    sustained: f64,
    record: Record,
    /// The bot process's CPU, and for the Redis variant redis-server's besides.
    bot_cpu: Duration,
    storage_cpu: Option<Duration>,
    generator_cpu: Duration,
    peak_rss: u64,
    end_rss: u64,
    /// Unfinished surveys in the bot's database at the end.
    open_drafts: Option<i64>,
    stand_in_faults: BTreeMap<String, u64>,
    /// Calls the stand-in answered 429 under Telegram's rate limits (not errors: the bot waits).
    rate_limited: u64,
    /// The flood scenario's flooder: what it sent and got back.
    flood: Option<respondent::Flood>,
}

impl Run {
    fn steps(&self) -> usize {
        self.latencies.len()
    }

    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// What the bot cost the machine: its own CPU and its storage server's.
    fn cpu(&self) -> Duration {
        self.bot_cpu + self.storage_cpu.unwrap_or_default()
    }

    fn cpu_per_step(&self) -> f64 {
        self.cpu().as_secs_f64() * 1e6 / self.steps().max(1) as f64
    }

    fn errors(&self) -> u64 {
        self.record.errors.values().sum::<u64>() + self.stand_in_faults.values().sum::<u64>()
    }
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|arg| arg == floor::SERVE_FLAG) {
        return floor::serve();
    }
    let args = Args::parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let machine = Machine::describe();
    let work = tempfile::tempdir()?;
    eprintln!("seeding a region-like database in {}", work.path().display());
    let seed = bots::seed(work.path()).await?;
    let stand_in = StandIn::start().await?;
    let world = Arc::new(World { stand_in: stand_in.clone(), codes: seed.codes.clone(), seed: args.seed });
    let mut runs = Vec::new();
    let mut ceiling = None;
    for scenario in args.scenarios() {
        for &peer in &args.peers {
            if matches!(scenario, Scenario::Drafts | Scenario::Flood { .. }) && peer != Peer::Anketa {
                // The open-drafts figures (RSS, draft count) and flood control are Anketa's
                // targets; the peer runs the scenarios whose throughput and latency are compared.
                continue;
            }
            if peer == Peer::TeloxideFloor && (scenario != Scenario::Burst || args.mode != Mode::Polling) {
                // The floor is a step's least cost, which the burst in polling mode measures.
                continue;
            }
            let run = run_scenario(&args, scenario, peer, &seed, &stand_in, &world).await?;
            eprintln!("{}", describe(&run));
            if scenario == Scenario::Burst && peer == Peer::Anketa {
                eprintln!("the SQLite ceiling: {} draft updates", run.steps());
                let measured = ceiling::measure(&seed, run.steps().max(1)).await?;
                eprintln!("  {:.0} transactions/s", measured.per_second());
                ceiling = Some(measured);
            }
            runs.push(run);
        }
    }
    let crashed = match args.scenarios[3] {
        true => Some(crash::run(&seed, &stand_in, &world, args.crash_respondents, args.kills).await?),
        false => None,
    };
    let soaked = match args.scenarios[5] {
        true => Some(
            soak::run(
                &stand_in,
                work.path().to_path_buf(),
                Duration::from_secs_f64(args.minutes * 60.0),
                args.replicas,
                args.soak_steps,
                args.flood_rate,
                args.seed,
            )
            .await?,
        ),
        false => None,
    };
    let mut report = report(&args, &machine, &seed, &runs, ceiling.as_ref());
    if let Some(crashed) = &crashed {
        report.push_str(&crashed.report());
    }
    if let Some(soaked) = &soaked {
        report.push_str(&soaked.report());
    }
    println!("{report}");
    if args.write {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        let (key, heading) = match args.scenarios {
            [false, false, false, false, true, false] => ("load-flood", "Load: one person flooding the bot"),
            [false, false, false, false, false, true] => ("load-soak", "Load: the chaos soak"),
            _ => ("load", "Load: the real bot over HTTP"),
        };
        write_section(&path, key, heading, &report)?;
        eprintln!("figures written to {}", path.display());
    }
    if args.keep {
        eprintln!("kept {}", work.keep().display());
    }
    if crashed.is_some_and(|c| !c.holds()) {
        bail!("the crash scenario lost or doubled something, or a respondent had to tap again (see above)");
    }
    if soaked.is_some_and(|s| !s.holds()) {
        bail!("the soak lost, doubled or left something, or a digest went out twice (see above)");
    }
    Ok(())
}

async fn run_scenario(
    args: &Args,
    scenario: Scenario,
    peer: Peer,
    seed: &Seed,
    stand_in: &StandIn,
    world: &Arc<World>,
) -> anyhow::Result<Run> {
    let webhook = match args.mode {
        Mode::Polling => None,
        Mode::Webhook => Some(Webhook::pick()?),
    };
    stand_in.reset(match &webhook {
        None => Transport::Polling,
        Some(w) => Transport::Webhook {
            urls: vec![w.url.clone()],
            secret: w.secret.clone(),
            client: reqwest::Client::builder().pool_max_idle_per_host(1024).build()?,
        },
    });
    let what = match scenario {
        Scenario::Burst => format!(
            "burst: {} respondents start within {} s, each answers to the end",
            thousands(args.respondents),
            args.ramp.as_secs_f64()
        ),
        Scenario::Steady(rate) => format!("steady: {} steps/s for {} s", thousands(rate as usize), args.seconds),
        Scenario::Drafts => format!(
            "drafts: {} respondents ({} at a time) open a link, begin, answer one question and leave",
            thousands(args.drafts),
            args.concurrency
        ),
        Scenario::Flood { flooder } => format!(
            "flood: {} respondents reading each screen, {} steps/s together, for {} s, Telegram's rate limits on, {}",
            thousands(args.flood_respondents),
            thousands(args.flood_steps as usize),
            args.seconds,
            match flooder {
                true => format!("one person sending {} messages/s beside them", args.flood_rate),
                false => "no flooder".to_string(),
            }
        ),
    };
    if let Scenario::Flood { .. } = scenario {
        stand_in.limit_rates(true);
    }
    eprintln!("== {} ({}), {what}", peer.name(), args.mode.key());
    let run_name = format!("{}-{:?}", peer.key(), scenario)
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "");
    // The Redis variant's storage runs in redis-server: its CPU is that variant's cost too.
    let redis = match peer {
        Peer::AiogramRedis => {
            bots::flush_redis().await?;
            Some(format!("/proc/{}/stat", bots::redis_server_pid().context("redis-server is not running")?))
        }
        _ => None,
    };
    // Flood control stays as shipped where it is under test; elsewhere respondents that read a
    // screen for 0.1–0.9 s, faster than people, would be held back by it.
    let flood_control = matches!(scenario, Scenario::Flood { .. });
    let bot = bots::start(peer, seed, &run_name, stand_in, webhook.as_ref(), flood_control).await?;
    let startup = stand_in.ready_at().context("ready")? - bot.spawned;
    let record = Arc::new(Mutex::new(Record::default()));
    let progress = {
        let record = record.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let record = record.lock().expect("record");
                eprintln!(
                    "  {} steps, {} completed, {} errors",
                    thousands(record.steps.len()),
                    thousands(record.completed),
                    record.errors.values().sum::<u64>()
                );
            }
        })
    };
    let self_stat = format!("/proc/{}/stat", std::process::id());
    let (bot_cpu, generator_cpu) = (bot.cpu(), bots::cpu_of(&self_stat));
    let redis_cpu = redis.as_deref().map(bots::cpu_of);
    let started = Instant::now();
    match scenario {
        Scenario::Burst => respondent::burst(world.clone(), args.respondents, args.ramp, record.clone()).await,
        Scenario::Steady(rate) => {
            respondent::steady(world.clone(), f64::from(rate), Duration::from_secs(args.seconds), record.clone()).await
        }
        Scenario::Drafts => respondent::drafts(world.clone(), args.drafts, args.concurrency, record.clone()).await,
        Scenario::Flood { .. } => {}
    }
    let flood = match scenario {
        Scenario::Flood { flooder } => {
            let length = Duration::from_secs(args.seconds);
            let people = respondent::population(
                world.clone(),
                args.flood_respondents,
                f64::from(args.flood_steps),
                length,
                record.clone(),
            );
            match flooder {
                true => Some(tokio::join!(people, respondent::flooder(world.clone(), args.flood_rate, length)).1),
                false => {
                    people.await;
                    None
                }
            }
        }
        _ => None,
    };
    let took = started.elapsed();
    let (bot_cpu, generator_cpu) = (bot.cpu() - bot_cpu, bots::cpu_of(&self_stat) - generator_cpu);
    let storage_cpu = redis.as_deref().zip(redis_cpu).map(|(stat, before)| bots::cpu_of(stat) - before);
    let (peak_rss, end_rss) = bot.memory();
    progress.abort();
    let db_file = bot.db_file.clone();
    bot.stop().await?;
    if redis.is_some() {
        bots::flush_redis().await?;
    }
    let open_drafts = match scenario {
        Scenario::Drafts => Some(count_drafts(peer, &db_file).await?),
        _ => None,
    };
    let record = std::mem::take(&mut *record.lock().expect("record"));
    let mut stamps: Vec<Instant> = record.steps.iter().map(|(at, _, _)| *at).collect();
    stamps.sort();
    let sustained = match scenario {
        // The rate the bot kept up during the paced window (steps still in flight after it are
        // not counted).
        Scenario::Steady(_) | Scenario::Flood { .. } => {
            let end = started + Duration::from_secs(args.seconds);
            stamps.iter().filter(|&&at| at <= end).count() as f64 / args.seconds.max(1) as f64
        }
        _ => middle_rate(&stamps, took),
    };
    let mut latencies: Vec<Duration> = record.steps.iter().map(|(_, d, _)| *d).collect();
    latencies.sort();
    let mut by_kind: BTreeMap<Kind, Vec<Duration>> = BTreeMap::new();
    for (_, latency, kind) in &record.steps {
        by_kind.entry(*kind).or_default().push(*latency);
    }
    let by_kind = by_kind
        .into_iter()
        .map(|(kind, mut latencies)| {
            latencies.sort();
            (kind, percentile(&latencies, 50.0), percentile(&latencies, 99.0))
        })
        .collect();
    let faults = &stand_in.shared().faults;
    let rate_limited = faults.rate_limited.swap(0, std::sync::atomic::Ordering::Relaxed);
    let mut stand_in_faults = BTreeMap::new();
    for (method, count) in faults.unknown_methods.lock().expect("faults").drain() {
        stand_in_faults.insert(format!("unknown Bot API method {method}"), count);
    }
    for (what, counter) in [
        ("requests the stand-in could not read", &faults.bad_requests),
        ("webhook deliveries refused or failed", &faults.webhook_failures),
        ("updates handed over again (not confirmed by the next getUpdates offset)", &faults.redelivered),
        ("calls refused by injected faults", &faults.injected),
    ] {
        let count = counter.swap(0, std::sync::atomic::Ordering::Relaxed);
        if count > 0 {
            stand_in_faults.insert(what.to_string(), count);
        }
    }
    Ok(Run {
        peer,
        what,
        startup,
        took,
        latencies,
        by_kind,
        sustained,
        record,
        bot_cpu,
        storage_cpu,
        generator_cpu,
        peak_rss,
        end_rss,
        open_drafts,
        stand_in_faults,
        rate_limited,
        flood,
    })
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Steps per second over the middle 80 % of the steps (the ramp and the tail left out).
fn middle_rate(stamps: &[Instant], took: Duration) -> f64 {
    match stamps.len() {
        n if n >= 10 => {
            let (first, last) = (n / 10, n * 9 / 10);
            (last - first) as f64 / (stamps[last] - stamps[first]).as_secs_f64().max(1e-9)
        }
        n => n as f64 / took.as_secs_f64(),
    }
}

/// Unfinished surveys left in the bot's database.
async fn count_drafts(peer: Peer, file: &Path) -> anyhow::Result<i64> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", file.display())).await?;
    let query = match peer {
        Peer::Anketa => "SELECT COUNT(*) FROM drafts",
        Peer::AiogramRedis | Peer::AiogramSqlite => "SELECT COUNT(*) FROM fsm WHERE state IS NOT NULL",
        Peer::TeloxideFloor => return Ok(0),
    };
    let count = sqlx::query_scalar(query).fetch_one(&pool).await?;
    pool.close().await;
    Ok(count)
}

fn describe(run: &Run) -> String {
    format!(
        "  {} steps in {} ({} steps/s sustained), {} completed, p50 {} p95 {} p99 {}, {} errors; bot CPU {:.1} s, peak RSS {} MB, start-up {}",
        thousands(run.steps()),
        seconds(run.took),
        thousands(run.sustained.round() as usize),
        thousands(run.record.completed),
        millis(run.percentile(50.0)),
        millis(run.percentile(95.0)),
        millis(run.percentile(99.0)),
        run.errors(),
        run.cpu().as_secs_f64(),
        mb(run.peak_rss),
        millis(run.startup),
    )
}

fn report(args: &Args, machine: &Machine, seed: &Seed, runs: &[Run], ceiling: Option<&ceiling::Ceiling>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "- run: {}; reproduce: `{}`", machine.date, args.command());
    let _ = writeln!(out, "- machine: {} CPUs (`nproc`), {}; {}", machine.cpus, machine.cpu_model, machine.memory);
    let _ =
        writeln!(out, "- load average (1 min) at the start and the end: {}, {}", machine.load_at_start, load_average());
    if runs.is_empty() {
        // The crash and the soak describe their own database and transport.
        let _ = writeln!(out);
        return out;
    }
    let _ = writeln!(
        out,
        "- database: SQLite, a fresh copy per run of a seeded region ({} classes, one campaign with `noko-parents`, one link per class); transport: {}",
        thousands(seed.classes),
        args.mode.key()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| scenario | bot | start-up | steps | steps/s | completed/s | step p50 · p95 · p99 | errors | bot CPU (with its storage server) | peak RSS |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for run in runs {
        let completed_per_second = run.record.completed as f64 / run.took.as_secs_f64();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} in {} | {} | {} | {} · {} · {} | {} | {:.1} s ({}) | {} MB |",
            run.what,
            run.peer.name(),
            millis(run.startup),
            thousands(run.steps()),
            seconds(run.took),
            thousands(run.sustained.round() as usize),
            if run.record.completed > 0 { format!("{completed_per_second:.0}") } else { "—".to_string() },
            millis(run.percentile(50.0)),
            millis(run.percentile(95.0)),
            millis(run.percentile(99.0)),
            run.errors(),
            run.cpu().as_secs_f64(),
            match (run.steps(), run.storage_cpu) {
                (0, _) => "no step".to_string(),
                (_, None) => format!("{:.0} µs/step", run.cpu_per_step()),
                (_, Some(redis)) =>
                    format!("{:.0} µs/step, redis-server {:.1} s of it", run.cpu_per_step(), redis.as_secs_f64()),
            },
            mb(run.peak_rss),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "steps/s: over the middle 80 % of the run's steps (the ramp and the tail left out), for a steady rate the replies within its window; latency: from the stand-in handing the update over (`getUpdates` response or webhook POST) to the bot's next screen for that chat."
    );
    for run in runs {
        let mut notes = Vec::new();
        notes.push(format!("the generator and stand-in used {:.1} s of CPU", run.generator_cpu.as_secs_f64()));
        notes.push(format!(
            "p50/p99 by step: {}",
            run.by_kind
                .iter()
                .map(|(kind, p50, p99)| format!("{kind:?} {}/{}", millis(*p50), millis(*p99)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if run.what.starts_with("burst") {
            notes.push(format!(
                "{} questionnaires completed, {:.1} steps each",
                thousands(run.record.completed),
                run.steps() as f64 / run.record.completed.max(1) as f64
            ));
        }
        if let Some(open) = run.open_drafts {
            notes.push(format!(
                "{} respondents left a draft open; {} open drafts in the database at the end, RSS then {} MB",
                thousands(run.record.parked),
                thousands(open as usize),
                mb(run.end_rss)
            ));
        }
        if run.rate_limited > 0 {
            notes.push(format!(
                "{} calls answered 429 by Telegram's rate limits (carried out when retried)",
                thousands(run.rate_limited as usize)
            ));
        }
        if let Some(flood) = &run.flood {
            notes.push(format!(
                "the flooder sent {} messages and got {} back ({:.2} a second; {:.2} a second after the first 10 s; {} in its busiest second)",
                thousands(flood.sent as usize),
                flood.received(),
                flood.received() as f64 / flood.per_second.len() as f64,
                flood.rate_after(10),
                flood.busiest_second()
            ));
        }
        for (what, count) in run.record.errors.iter().chain(&run.stand_in_faults) {
            notes.push(format!("error ×{count}: {what}"));
        }
        let label = match (&run.flood, run.what.split_once(" for ")) {
            (Some(_), _) => "flood, with the flooder",
            (None, _) if run.what.starts_with("flood") => "flood, no flooder",
            (None, Some((steady, _))) => steady,
            (None, None) => run.what.split(':').next().unwrap_or_default(),
        };
        let _ = writeln!(out, "- {} ({label}): {}.", run.peer.name(), notes.join("; "));
    }
    let burst = |peer: Peer| runs.iter().find(|r| r.peer == peer && r.what.starts_with("burst"));
    if let (Some(ceiling), Some(anketa)) = (ceiling, burst(Peer::Anketa)) {
        let _ = writeln!(
            out,
            "- ceiling: {} bare SQLite draft updates (one `UPDATE … WHERE revision = ?` a transaction, a {}-byte state, 8 tasks, pool of 4, the pragmas `Db::connect` sets: WAL, synchronous=NORMAL, secure_delete) took {}: {} transactions/s; the bot's burst is {:.0} % of it.",
            thousands(ceiling.transactions),
            ceiling.state_bytes,
            seconds(ceiling.took),
            thousands(ceiling.per_second().round() as usize),
            100.0 * anketa.sustained / ceiling.per_second()
        );
    }
    let floods: Vec<&Run> = runs.iter().filter(|r| r.what.starts_with("flood")).collect();
    for pair in floods.chunks(2) {
        let [quiet, flooded] = pair else { continue };
        let (p99, quiet_p99) = (flooded.percentile(99.0), quiet.percentile(99.0));
        let change = 100.0 * (p99.as_secs_f64() / quiet_p99.as_secs_f64().max(1e-9) - 1.0);
        let Some(flood) = &flooded.flood else { continue };
        let received = flood.received() as f64 / flood.per_second.len() as f64;
        let _ = writeln!(
            out,
            "- flood: the others' p50 {} → {}, p99 {} → {} with the flooder ({change:+.0} %; target within +20 %: {}); the flooder got {received:.2} messages a second back, {:.2} after the first 10 s (target: at most 1: {}).",
            millis(quiet.percentile(50.0)),
            millis(flooded.percentile(50.0)),
            millis(quiet_p99),
            millis(p99),
            if change <= 20.0 { "met" } else { "**missed**" },
            flood.rate_after(10),
            if flood.rate_after(10) <= 1.0 { "met" } else { "**missed**" },
        );
    }
    for peer in [Peer::AiogramRedis, Peer::AiogramSqlite] {
        if let (Some(anketa), Some(aiogram)) = (burst(Peer::Anketa), burst(peer)) {
            let _ = writeln!(
                out,
                "- peer: Anketa's burst steps/s are {:.2}× those of {} ({} vs {}); CPU per step {:.2}× ({:.0} vs {:.0} µs{}).",
                anketa.sustained / aiogram.sustained,
                peer.name(),
                thousands(anketa.sustained.round() as usize),
                thousands(aiogram.sustained.round() as usize),
                anketa.cpu_per_step() / aiogram.cpu_per_step(),
                anketa.cpu_per_step(),
                aiogram.cpu_per_step(),
                if aiogram.storage_cpu.is_some() { ", redis-server's CPU included" } else { "" },
            );
        }
    }
    if let (Some(anketa), Some(floor)) = (burst(Peer::Anketa), burst(Peer::TeloxideFloor)) {
        let _ = writeln!(
            out,
            "- floor: the bare teloxide bot (the same Bot API calls a step, no storage, no logic) used {:.0} µs of CPU a step at {} steps/s; Anketa {:.0} µs, so its own work (storage, survey, screens) is {:.0} µs of its step and teloxide's frame {:.0} %.",
            floor.cpu_per_step(),
            thousands(floor.sustained.round() as usize),
            anketa.cpu_per_step(),
            anketa.cpu_per_step() - floor.cpu_per_step(),
            100.0 * floor.cpu_per_step() / anketa.cpu_per_step(),
        );
    }
    out
}

/// Replaces the generated part of a section of BENCHMARKS.md (between the markers `<!--
/// {key}:begin -->` and `<!-- {key}:end -->`), or appends a new section with that heading. The
/// flood and the soak, run on their own, have sections of their own (`load-flood`, `load-soak`).
fn write_section(path: &Path, key: &str, heading: &str, report: &str) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let (begin, end) = (format!("<!-- {key}:begin -->"), format!("<!-- {key}:end -->"));
    let body = format!("{begin}\n{report}{end}\n");
    match (text.find(&begin), text.find(&end)) {
        (Some(start), Some(stop)) if start < stop => {
            let stop = stop + end.len() + usize::from(text[stop + end.len()..].starts_with('\n'));
            text.replace_range(start..stop, &body);
        }
        _ => {
            if !text.ends_with("\n\n") {
                text.push('\n');
            }
            text.push_str(&format!("## {heading}\n\n"));
            text.push_str(&body);
        }
    }
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))
}

/// The machine the figures come from.
struct Machine {
    date: String,
    cpus: String,
    cpu_model: String,
    memory: String,
    load_at_start: String,
}

impl Machine {
    fn describe() -> Machine {
        let cpus = std::thread::available_parallelism().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = info
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map_or("?".to_string(), |m| m.trim().to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let total_kb: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        Machine {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpus,
            cpu_model,
            memory: format!("{:.0} GB of memory", total_kb as f64 / 1024.0 / 1024.0),
            load_at_start: load_average(),
        }
    }
}

/// Other work on the machine shows in every figure; the load average says whether there was any.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn mb(bytes: u64) -> String {
    format!("{:.0}", bytes as f64 / 1e6)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
