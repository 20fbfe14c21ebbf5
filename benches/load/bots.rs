//! The bots under test as processes: the database they start on, how each is started (the real
//! `anketa run` release binary, or the aiogram peer in its own virtual environment), when it is
//! ready, and what it costs the machine (CPU time and peak RSS from `/proc`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anketa::app;
use anketa::app::campaigns::CampaignRequest;
use anketa::db::Db;
use anketa::roster;
use anyhow::{Context, bail, ensure};
use chrono::{Days, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::process::{Child, Command};

use crate::stand_in::{self, StandIn};

/// A region-like roster: 50 municipalities × 20 schools × 30 classes.
const MUNICIPALITIES: usize = 50;
const SCHOOLS_PER_MUNICIPALITY: usize = 20;
const GRADES: usize = 10;
const LETTERS: [&str; 3] = ["А", "Б", "В"];
/// 32 bytes as hex, as `ANKETA_IDENTITY_KEY` requires (`anketa key generate` prints such keys).
const IDENTITY_KEY: &str = "6c6f61642d62656e63686d61726b2d6b65792d0123456789abcdef0123456789";
pub const CAMPAIGN: &str = "НОКО load benchmark";

/// Which bot answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Anketa,
    /// aiogram 3 with its own `RedisStorage`, as its documentation recommends for production.
    AiogramRedis,
    /// aiogram 3 with a hand-made SQLite storage (Anketa's pragmas, one commit per step).
    AiogramSqlite,
    /// The least a teloxide bot does for a step, with no storage (`floor.rs`).
    TeloxideFloor,
}

impl Peer {
    pub fn name(self) -> &'static str {
        match self {
            Peer::Anketa => "Anketa",
            Peer::AiogramRedis => "aiogram 3 + Redis",
            Peer::AiogramSqlite => "aiogram 3 + SQLite",
            Peer::TeloxideFloor => "teloxide floor (no storage, no logic)",
        }
    }

    /// For file names.
    pub fn key(self) -> &'static str {
        match self {
            Peer::Anketa => "anketa",
            Peer::AiogramRedis => "aiogram-redis",
            Peer::AiogramSqlite => "aiogram-sqlite",
            Peer::TeloxideFloor => "teloxide-floor",
        }
    }
}

/// The Redis the aiogram peer's `RedisStorage` uses, and the prefix of every key it writes.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379/0";
pub const REDIS_PREFIX: &str = "anketa-load-bench";

/// Deletes every key the aiogram peer wrote to Redis (before a run, so that it starts empty like
/// the others, and after it, so that nothing is left behind); returns how many there were.
pub async fn flush_redis() -> anyhow::Result<u64> {
    const DELETE: &str = "local k = redis.call('keys', ARGV[1]) for i = 1, #k, 5000 do redis.call('del', unpack(k, i, math.min(i + 4999, #k))) end return #k";
    let output = Command::new("redis-cli")
        .args(["-u", REDIS_URL, "EVAL", DELETE, "0", &format!("{REDIS_PREFIX}:*")])
        .output()
        .await
        .context("redis-cli")?;
    ensure!(output.status.success(), "redis-cli failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().context("redis-cli EVAL answers a count")
}

/// The pid of the redis-server the Redis variant uses, to count its CPU as the variant's cost.
pub fn redis_server_pid() -> Option<u32> {
    let output = std::process::Command::new("pidof").arg("redis-server").output().ok()?;
    String::from_utf8_lossy(&output.stdout).split_whitespace().next()?.parse().ok()
}

/// How the bot gets its updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Polling,
    Webhook,
}

impl Mode {
    pub fn key(self) -> &'static str {
        match self {
            Mode::Polling => "polling",
            Mode::Webhook => "webhook",
        }
    }
}

/// The seeded database every run starts from (copied, so each bot starts on the same state).
pub struct Seed {
    pub dir: PathBuf,
    pub template: PathBuf,
    pub codes: Vec<String>,
    pub classes: usize,
}

/// Imports the roster, creates the campaign with `noko-parents` and makes the class links, through
/// the library calls `roster import`, `campaign create` and `links export` use.
pub async fn seed(dir: &Path) -> anyhow::Result<Seed> {
    let template = dir.join("template.db");
    let db = Db::connect(&format!("sqlite://{}", template.display())).await?;
    let codes = populate(&db).await?;
    // Every run copies the template's main file alone: the log must be in it first.
    if let Db::Sqlite(pool, _) = &db {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
    }
    db.close().await;
    Ok(Seed { dir: dir.to_path_buf(), template, classes: codes.len(), codes })
}

/// The roster, the campaign and the class links in `db`; returns the links' codes.
pub async fn populate(db: &Db) -> anyhow::Result<Vec<String>> {
    let mut csv = String::from("municipality;school;class;students;timezone\n");
    let mut rng = StdRng::seed_from_u64(1);
    let mut school = 0;
    for m in 0..MUNICIPALITIES {
        for _ in 0..SCHOOLS_PER_MUNICIPALITY {
            school += 1;
            for grade in 1..=GRADES {
                for letter in LETTERS {
                    let _ = writeln!(
                        csv,
                        "Район {:02};Школа № {school};{grade}{letter};{};",
                        m + 1,
                        rng.gen_range(18..=30)
                    );
                }
            }
        }
    }
    db.import_roster(&roster::parse(csv.as_bytes())?, chrono_tz::Europe::Moscow).await?;
    let starts_on = Utc::now().date_naive() - Days::new(1);
    let campaign_id = app::campaigns::create_campaign(
        db,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires"),
        CampaignRequest {
            name: CAMPAIGN,
            questionnaires: &["noko-parents".to_string()],
            starts_on,
            ends_on: starts_on + Days::new(28),
            target_percent: 40,
            grades: &[],
        },
    )
    .await?;
    let links = db
        .ensure_links(campaign_id, Utc::now(), || {
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(12).map(char::from).collect()
        })
        .await?;
    let codes: Vec<String> = links.into_iter().map(|l| l.code).collect();
    ensure!(!codes.is_empty(), "no class links");
    Ok(codes)
}

impl Seed {
    /// A fresh copy of the seeded database for one run.
    pub fn copy(&self, name: &str) -> anyhow::Result<PathBuf> {
        let file = self.dir.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        std::fs::copy(&self.template, &file).context("copy the seeded database")?;
        Ok(file)
    }
}

/// A running bot.
pub struct Bot {
    child: Child,
    pid: u32,
    pub spawned: Instant,
    pub log: PathBuf,
    pub db_file: PathBuf,
}

/// Where the aiogram peer lives and its virtual environment.
fn aiogram_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/aiogram")
}

fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("aiogram-venv")
}

/// Creates the aiogram peer's virtual environment on first use (`python3 -m venv`, then pip
/// installs the pinned requirements); returns its Python.
pub async fn aiogram_python() -> anyhow::Result<PathBuf> {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    let requirements = aiogram_dir().join("requirements.txt");
    let stamp = venv.join("requirements.installed");
    let wanted = std::fs::read_to_string(&requirements).context("bench/aiogram/requirements.txt")?;
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    eprintln!("setting up the aiogram peer in {}", venv.display());
    let status = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().await?;
    ensure!(status.success(), "python3 -m venv failed");
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .await?;
    ensure!(status.success(), "pip install -r bench/aiogram/requirements.txt failed");
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// What the webhook transport needs to reach the bot.
pub struct Webhook {
    pub listen: String,
    pub url: String,
    pub secret: String,
}

impl Webhook {
    /// A free loopback port for the bot to listen on.
    pub fn pick() -> anyhow::Result<Webhook> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let secret: String =
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(32).map(char::from).collect();
        Ok(Webhook { listen: format!("127.0.0.1:{port}"), url: format!("http://127.0.0.1:{port}/telegram"), secret })
    }
}

/// Starts `peer` on a copy of the seeded database, its Bot API at `stand_in`.
pub async fn start(
    peer: Peer,
    seed: &Seed,
    run: &str,
    stand_in: &StandIn,
    webhook: Option<&Webhook>,
    flood_control: bool,
) -> anyhow::Result<Bot> {
    let log = seed.dir.join(format!("{run}.log"));
    let (command, db_file) = match peer {
        Peer::Anketa => {
            let db_file = seed.copy(run)?;
            let mut command = anketa_command(&sqlite_url(&db_file), stand_in, webhook);
            if !flood_control {
                // Simulated respondents think 0.1–0.9 s a step, faster than people: flood
                // control, made for people, would drop their steps.
                command.env("ANKETA_FLOOD_BURST", "1000000");
            }
            (command, db_file)
        }
        Peer::AiogramRedis | Peer::AiogramSqlite => {
            let python = aiogram_python().await?;
            let db_file = seed.dir.join(format!("{run}.db"));
            let _ = std::fs::remove_file(&db_file);
            let codes = seed.dir.join("codes.txt");
            std::fs::write(&codes, seed.codes.join("\n"))?;
            let mut command = Command::new(python);
            command
                .arg(aiogram_dir().join("bot.py"))
                .env("BENCH_API_URL", stand_in.url())
                .env("BENCH_TOKEN", stand_in::TOKEN)
                .env("BENCH_DATABASE", &db_file)
                .env("BENCH_CODES", &codes)
                .env("BENCH_STORAGE", if peer == Peer::AiogramRedis { "redis" } else { "sqlite" })
                .env("BENCH_REDIS_URL", REDIS_URL)
                .env("BENCH_REDIS_PREFIX", REDIS_PREFIX)
                .env(
                    "BENCH_QUESTIONNAIRE",
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/noko-parents.toml"),
                );
            if let Some(webhook) = webhook {
                command
                    .env("BENCH_LISTEN", &webhook.listen)
                    .env("BENCH_WEBHOOK_URL", &webhook.url)
                    .env("BENCH_WEBHOOK_SECRET", &webhook.secret);
            }
            (command, db_file)
        }
        Peer::TeloxideFloor => {
            let mut command = Command::new(std::env::current_exe()?);
            command
                .arg(crate::floor::SERVE_FLAG)
                .env("TELOXIDE_TOKEN", stand_in::TOKEN)
                .env("TELOXIDE_API_URL", format!("{}/", stand_in.url()));
            // It keeps nothing: no database to count drafts in.
            (command, seed.dir.join(format!("{run}.db")))
        }
    };
    launch(command, log, db_file, stand_in, webhook).await
}

pub fn sqlite_url(db_file: &Path) -> String {
    format!("sqlite://{}", db_file.display())
}

/// `anketa run` on the database at `url`, its Bot API at `stand_in`, flood control as shipped.
pub fn anketa_command(url: &str, stand_in: &StandIn, webhook: Option<&Webhook>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anketa"));
    command
        .arg("run")
        .env("ANKETA_DATABASE_URL", url)
        .env("ANKETA_IDENTITY_KEY", IDENTITY_KEY)
        .env("ANKETA_BOT_USERNAME", stand_in::BOT_USERNAME)
        .env("TELOXIDE_TOKEN", stand_in::TOKEN)
        .env("TELOXIDE_API_URL", format!("{}/", stand_in.url()));
    if let Some(webhook) = webhook {
        command
            .env("ANKETA_TELEGRAM_MODE", "webhook")
            .env("ANKETA_LISTEN", &webhook.listen)
            .env("ANKETA_WEBHOOK_URL", &webhook.url)
            .env("ANKETA_WEBHOOK_SECRET", &webhook.secret);
    }
    command
}

pub async fn launch(
    mut command: Command,
    log: PathBuf,
    db_file: PathBuf,
    stand_in: &StandIn,
    webhook: Option<&Webhook>,
) -> anyhow::Result<Bot> {
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::options().create(true).append(true).open(&log)?)
        .kill_on_drop(true);
    let spawned = Instant::now();
    let child = command.spawn().context("start the bot")?;
    let pid = child.id().context("the bot has a pid")?;
    let mut bot = Bot { child, pid, spawned, log, db_file };
    bot.wait_ready(stand_in, webhook).await?;
    Ok(bot)
}

impl Bot {
    /// Waits until the bot polls for updates, or has set its webhook and accepts connections.
    async fn wait_ready(&mut self, stand_in: &StandIn, webhook: Option<&Webhook>) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                bail!("the bot exited ({status}) before it was ready: {}", tail.join(" / "));
            }
            let listening = match webhook {
                None => true,
                Some(webhook) => tokio::net::TcpStream::connect(&webhook.listen).await.is_ok(),
            };
            if stand_in.ready_at().is_some() && listening {
                return Ok(());
            }
            ensure!(Instant::now() < deadline, "the bot was not ready within 60 s; see {}", self.log.display());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// CPU time (user + system) so far.
    pub fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.pid))
    }

    /// Peak resident set size (`VmHWM`) and the current one (`VmRSS`), in bytes.
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// `kill -9`, then Anketa started again on the same database (polling); returns the new
    /// process once it polls, and how long that took from the kill.
    pub async fn crash_and_restart(mut self, stand_in: &StandIn) -> anyhow::Result<(Bot, Duration)> {
        let killed = Instant::now();
        self.child.start_kill()?;
        self.child.wait().await?;
        stand_in.expect_restart();
        let mut command = anketa_command(&sqlite_url(&self.db_file), stand_in, None);
        command.env("ANKETA_FLOOD_BURST", "1000000");
        let bot = launch(command, self.log, self.db_file, stand_in, None).await?;
        Ok((bot, killed.elapsed()))
    }

    /// `kill -9`, and waits for the process to be gone.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM, then up to 20 s to finish; killed if it does not.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().await;
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.start_kill()?;
                self.child.wait().await?;
                eprintln!("  the bot did not stop within 20 s of SIGTERM and was killed");
            }
        }
        Ok(())
    }
}

/// Clock ticks per second for `/proc/*/stat`.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of a process from its `/proc/<pid>/stat`.
pub fn cpu_of(stat_file: &str) -> Duration {
    let stat = std::fs::read_to_string(stat_file).unwrap_or_default();
    // Fields after the command name in parentheses: state is field 3; utime, stime are 14, 15.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / clock_ticks())
}
