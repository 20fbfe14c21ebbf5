//! Test harness: a fresh database and a Bot API stand-in per test, and the real `anketa` binary
//! run against them (the CLI for setup, `anketa run` for the bot).
//!
//! Every scenario runs on both engines: [`on_both_engines!`] turns `async fn name(app: TestApp)`
//! into the tests `name::sqlite` and `name::postgres`; [`on_every_deployment!`] adds
//! `name::replicas`, the bot as three webhook replicas on one PostgreSQL database behind a
//! [`balancer::Balancer`] that sprays the updates over them. PostgreSQL tests each get a fresh
//! database on the server named by `ANKETA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and fail, never skip, when it cannot be reached.

#![allow(dead_code)]

pub mod balancer;
pub mod bot_api;
pub mod disk;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use balancer::Balancer;
use bot_api::BotApi;
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// 32 bytes as hex, the form `anketa key generate` prints.
pub const IDENTITY_KEY: &str = "7465737420696465e7746974792b6b6579f0d1c2b3a4958677685a4b3c2d1e0f";

/// A small roster: two schools in one municipality (one in Irkutsk time), three classes.
pub const ROSTER: &str = "municipality;school;class;students;timezone\n\
Иркутск;Школа № 1;5А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;5Б;20;Asia/Irkutsk\n\
Иркутск;Лицей № 2;9В;30;\n";

/// The database engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The secret the webhook replicas share (at least 32 characters, as the bot requires).
pub const WEBHOOK_SECRET: &str = "test-webhook-secret_0123456789abcdef0123456789";
/// The path of the webhook URL the replicas register.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";
/// Replicas in [`TestApp::replicas`].
pub const REPLICAS: usize = 3;

/// One test module per scenario, one `#[tokio::test]` per `deployment => TestApp` given.
#[macro_export]
macro_rules! scenario_tests {
    ([$($scenario:ident),*] $deployments:tt) => {
        $( $crate::scenario_tests!(@one $scenario $deployments); )*
    };
    (@one $scenario:ident { $($deployment:ident => $app:expr),* }) => {
        mod $scenario {
            $(
                #[tokio::test]
                async fn $deployment() {
                    super::$scenario($app).await;
                }
            )*
        }
    };
}

/// Declares scenarios that run on SQLite, on PostgreSQL, and on three webhook replicas sharing
/// PostgreSQL.
#[macro_export]
macro_rules! on_every_deployment {
    ($($scenario:ident),* $(,)?) => {
        $crate::scenario_tests!([$($scenario),*] {
            sqlite => $crate::support::TestApp::new($crate::support::Engine::Sqlite).await,
            postgres => $crate::support::TestApp::new($crate::support::Engine::Postgres).await,
            replicas => $crate::support::TestApp::replicas().await
        });
    };
}

/// Declares scenarios that run once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        $crate::scenario_tests!([$($scenario),*] {
            sqlite => $crate::support::TestApp::new($crate::support::Engine::Sqlite).await,
            postgres => $crate::support::TestApp::new($crate::support::Engine::Postgres).await
        });
    };
}

pub struct TestApp {
    pub dir: TempDir,
    pub engine: Engine,
    pub db_url: String,
    pub api: BotApi,
    /// Running `anketa run` processes (several for replica tests).
    bots: Vec<Child>,
    /// Webhook mode: the balancer in front of the replicas (started with [`TestApp::replicas`]).
    pub balancer: Option<Balancer>,
    /// Webhook mode: each running replica's HTTP address, in the order of `bots`.
    pub replica_addrs: Vec<std::net::SocketAddr>,
    runs: u32,
    /// The PostgreSQL database to drop afterwards: (admin URL, database name).
    postgres: Option<(String, String)>,
    /// SQLite: the database file (in `dir` unless placed elsewhere with [`TestApp::sqlite_in`]).
    sqlite_file: PathBuf,
}

/// A connection for assertions about what is stored, on either engine.
pub enum Sql {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Sql {
    pub async fn count(&self, query: &str) -> i64 {
        match self {
            Sql::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Sql::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    pub async fn text(&self, query: &str) -> String {
        match self {
            Sql::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Sql::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    pub async fn execute(&self, query: &str) {
        match self {
            Sql::Sqlite(pool) => sqlx::query(query).execute(pool).await.map(|_| ()),
            Sql::Postgres(pool) => sqlx::query(query).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    pub async fn close(self) {
        match self {
            Sql::Sqlite(pool) => pool.close().await,
            Sql::Postgres(pool) => pool.close().await,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for bot in &mut self.bots {
            let _ = bot.start_kill();
        }
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime, which cannot be blocked: use a thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
                    }
                });
            })
            .join();
        }
    }
}

/// A class link as `links export` wrote it.
#[derive(Debug, Clone)]
pub struct Link {
    pub school: String,
    pub class: String,
    pub url: String,
}

impl Link {
    /// The deep-link payload (`start` parameter).
    pub fn code(&self) -> &str {
        self.url.split("?start=").nth(1).expect("deep link has a start parameter")
    }

    pub fn start_command(&self) -> String {
        format!("/start {}", self.code())
    }
}

impl TestApp {
    pub async fn new(engine: Engine) -> TestApp {
        TestApp::create(engine, None).await
    }

    /// A SQLite test app whose database file (with its write-ahead log) lives in `db_dir`, e.g. a
    /// small file system of its own; the logs and the other files stay in the app's temp dir.
    pub async fn sqlite_in(db_dir: &Path) -> TestApp {
        TestApp::create(Engine::Sqlite, Some(db_dir)).await
    }

    async fn create(engine: Engine, db_dir: Option<&Path>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite_file = db_dir.unwrap_or(dir.path()).join("anketa.db");
        let (db_url, postgres) = match engine {
            Engine::Sqlite => (format!("sqlite://{}", sqlite_file.display()), None),
            Engine::Postgres => {
                let admin = std::env::var("ANKETA_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
                let name = format!("anketa_test_{}", uuid_like());
                let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is needed for the tests but {admin} cannot be reached: {e}")
                });
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create a test database");
                pool.close().await;
                let (base, _) = admin.rsplit_once('/').expect("a database URL");
                (format!("{base}/{name}"), Some((admin, name)))
            }
        };
        TestApp {
            dir,
            engine,
            db_url,
            api: BotApi::start().await,
            bots: Vec::new(),
            balancer: None,
            replica_addrs: Vec::new(),
            runs: 0,
            postgres,
            sqlite_file,
        }
    }

    /// A PostgreSQL test app whose bot runs as [`REPLICAS`] webhook replicas behind a balancer.
    pub async fn replicas() -> TestApp {
        let mut app = TestApp::new(Engine::Postgres).await;
        app.balancer = Some(Balancer::start().await);
        app
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db_file(&self) -> PathBuf {
        self.sqlite_file.clone()
    }

    /// The `anketa` binary with the test environment, run from the repository root.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_anketa"));
        command
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ANKETA_DATABASE_URL", &self.db_url)
            .env("ANKETA_BOT_USERNAME", bot_api::BOT_USERNAME)
            .env("ANKETA_IDENTITY_KEY", IDENTITY_KEY)
            .env("TELOXIDE_TOKEN", self.api.token())
            .env("TELOXIDE_API_URL", self.api.url())
            .env("RUST_LOG", "info")
            // Scripted users press far faster than people: flood control is off but for the tests
            // of it, which start the bot with the documented limits.
            .env("ANKETA_FLOOD_BURST", "1000000")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub async fn cli(&self, args: &[&str]) -> String {
        let output = self.command(args).output().await.expect("run anketa");
        assert!(output.status.success(), "anketa {args:?} failed:\n{}", describe(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a CLI command that must fail; returns its stderr.
    pub async fn cli_fails(&self, args: &[&str]) -> String {
        let output = self.command(args).output().await.expect("run anketa");
        assert!(!output.status.success(), "anketa {args:?} should have failed:\n{}", describe(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn write(&self, name: &str, content: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write test file");
        path.display().to_string()
    }

    /// Imports [`ROSTER`], creates a running campaign "autumn" with both НОКО questionnaires and
    /// returns its class links.
    pub async fn seed(&self) -> Vec<Link> {
        self.seed_with(&["--questionnaire", "noko-parents", "--questionnaire", "noko-students"], -1, 30).await
    }

    /// Like [`seed`], with other questionnaires and campaign dates relative to today.
    pub async fn seed_with(&self, questionnaires: &[&str], starts_in_days: i64, ends_in_days: i64) -> Vec<Link> {
        let roster = self.write("roster.csv", ROSTER);
        self.cli(&["roster", "import", &roster]).await;
        let today = chrono::Utc::now().date_naive();
        let starts = (today + chrono::Duration::days(starts_in_days)).to_string();
        let ends = (today + chrono::Duration::days(ends_in_days)).to_string();
        let mut args = vec!["campaign", "create", "--name", "autumn"];
        args.extend_from_slice(questionnaires);
        args.extend(["--starts", &starts, "--ends", &ends, "--target-percent", "40"]);
        if starts_in_days < 0 {
            args.push("--allow-past-start");
        }
        self.cli(&args).await;
        self.export_links("autumn").await
    }

    pub async fn export_links(&self, campaign: &str) -> Vec<Link> {
        let out = self.path("links");
        self.cli(&["links", "export", "--campaign", campaign, "--out", out.to_str().unwrap()]).await;
        let mut rows = read_excel_csv(&out.join("links.csv")).into_iter();
        assert_eq!(rows.next().unwrap(), ["municipality", "school", "class", "url"]);
        rows.map(|r| Link { school: r[1].to_string(), class: r[2].to_string(), url: r[3].to_string() }).collect()
    }

    /// Runs an invitation command (`admin invite …`, `teacher invite …`); returns the `/start`
    /// command its link stands for (the link is the last line of stdout).
    pub async fn invite(&self, args: &[&str]) -> String {
        let out = self.cli(args).await;
        let link = out.lines().last().expect("an invitation link").trim().to_string();
        format!("/start {}", link.split("?start=").nth(1).expect("a deep link"))
    }

    /// A new Russian-speaking Telegram user `id` who opened the invitation `args` makes.
    pub async fn staff(&self, id: i64, args: &[&str]) -> bot_api::TestUser {
        let user = self.api.user(id, "ru");
        user.send_text(&self.invite(args).await).await;
        user
    }

    /// Waits (60 s) until `count` documents whose names end with `suffix` went to `chat`;
    /// returns them (name, bytes) in the order they were sent.
    pub async fn documents(&self, chat: i64, suffix: &str, count: usize) -> Vec<(String, Vec<u8>)> {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let found: Vec<(String, Vec<u8>)> = self
                .api
                .uploads()
                .into_iter()
                .filter(|u| u.chat_id == Some(chat) && u.file_name.as_deref().is_some_and(|n| n.ends_with(suffix)))
                .map(|u| (u.file_name.unwrap_or_default(), u.bytes))
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(std::time::Instant::now() < deadline, "{} of {count} {suffix} documents", found.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts the bot: `anketa run` polling, or the webhook replicas. Waits until it takes updates.
    pub async fn start_bot(&mut self) {
        assert!(self.bots.is_empty(), "the bot is already running");
        self.start_bot_with(&[]).await;
    }

    /// Starts one more `anketa run` polling with extra environment (e.g. `ANKETA_CLOCK`), or, for
    /// [`TestApp::replicas`], all the replicas with it.
    pub async fn start_bot_with(&mut self, env: &[(&str, &str)]) {
        if self.balancer.is_none() {
            let seq = self.api.seq();
            self.spawn_bot(env);
            self.api.wait_for_call_after(seq, "getUpdates", |_| true, Duration::from_secs(20)).await;
            return;
        }
        for _ in 0..REPLICAS {
            self.start_replica(env).await;
        }
    }

    /// Starts one webhook replica on a free port, adds it to the balancer and waits until it has
    /// registered the webhook and answers its health check.
    pub async fn start_replica(&mut self, env: &[(&str, &str)]) {
        let url = self.balancer.as_ref().expect("a replicas app").url(WEBHOOK_PATH);
        let seq = self.api.seq();
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.extend([
            ("ANKETA_TELEGRAM_MODE", "webhook"),
            ("ANKETA_LISTEN", "127.0.0.1:0"),
            ("ANKETA_WEBHOOK_URL", url.as_str()),
            ("ANKETA_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ]);
        let run = self.spawn_bot(&env);
        self.api.wait_for_call_after(seq, "setWebhook", |_| true, Duration::from_secs(20)).await;
        let addr = self.listening_address(run).await;
        let health = reqwest::get(format!("http://{addr}/healthz")).await.expect("the replica answers");
        assert_eq!(health.status(), 200, "a fresh replica is healthy");
        self.replica_addrs.push(addr);
        self.balancer.as_ref().unwrap().add_backend(addr);
    }

    /// Spawns `anketa run` logging to `bot-<run>.log`; returns the run number.
    fn spawn_bot(&mut self, env: &[(&str, &str)]) -> u32 {
        self.runs += 1;
        let log = std::fs::File::create(self.path(&format!("bot-{}.log", self.runs))).unwrap();
        let mut command = self.command(&["run"]);
        command.envs(env.iter().copied()).stdout(Stdio::null()).stderr(log);
        self.bots.push(command.spawn().expect("spawn anketa run"));
        self.runs
    }

    /// The address a run's HTTP server logged it listens on.
    pub async fn listening_address(&self, run: u32) -> std::net::SocketAddr {
        let log = self.path(&format!("bot-{run}.log"));
        for _ in 0..200 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text.lines().find_map(|l| l.split("address=").nth(1)) {
                return addr.split_whitespace().next().unwrap().parse().expect("a socket address");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the bot did not log its listening address:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    }

    /// Drops the test's PostgreSQL database under the running bot (an outage it cannot recover from).
    pub async fn drop_database(&mut self) {
        let (admin, name) = self.postgres.take().expect("a PostgreSQL test");
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&pool).await.expect("drop the database");
        pool.close().await;
    }

    /// Makes the test's PostgreSQL database read-only (or writable again) for every connection,
    /// the bot's included: the setting applies to new sessions, so the open ones are ended.
    pub async fn set_read_only(&self, read_only: bool) {
        let (admin, name) = self.postgres.as_ref().expect("a PostgreSQL test");
        let pool = sqlx::PgPool::connect(admin).await.expect("connect to PostgreSQL");
        let setting =
            if read_only { "SET default_transaction_read_only = on" } else { "RESET default_transaction_read_only" };
        sqlx::query(&format!("ALTER DATABASE {name} {setting}")).execute(&pool).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }

    /// Panics unless every bot started is still running (none crashed or exited).
    pub fn assert_running(&mut self) {
        assert!(!self.bots.is_empty(), "a bot was started");
        let exits: Vec<_> =
            self.bots.iter_mut().filter_map(|bot| bot.try_wait().expect("query the bot process")).collect();
        assert!(exits.is_empty(), "the bot exited ({exits:?}); its log:\n{}", self.bot_logs());
    }

    /// `kill -9` every running bot: no chance to flush anything.
    pub async fn kill_bot(&mut self) {
        assert!(!self.bots.is_empty(), "the bot is running");
        self.replica_addrs.clear();
        for mut child in self.bots.drain(..) {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("reap the bot");
        }
    }

    /// SIGTERM to every running bot; each must exit 0 within 20 s. The exit status of the last.
    pub async fn stop_bot(&mut self) -> std::process::ExitStatus {
        let children: Vec<Child> = self.bots.drain(..).collect();
        assert!(!children.is_empty(), "the bot is running");
        self.replica_addrs.clear();
        for child in &children {
            terminate(child);
        }
        let mut status = None;
        for child in children {
            status = Some(wait_for_clean_exit(child).await);
        }
        status.expect("at least one bot")
    }

    /// SIGTERM to the bot started `index`-th among the running ones (a replica); waits for exit 0.
    pub async fn stop_one(&mut self, index: usize) {
        let child = self.bots.remove(index);
        if index < self.replica_addrs.len() {
            self.replica_addrs.remove(index);
        }
        terminate(&child);
        wait_for_clean_exit(child).await;
    }

    /// Everything the bot logged, over all its runs.
    pub fn bot_logs(&self) -> String {
        (1..=self.runs)
            .map(|n| std::fs::read_to_string(self.path(&format!("bot-{n}.log"))).unwrap_or_default())
            .collect()
    }

    /// Whether the database still holds the Telegram id anywhere once the bot has had the time it
    /// takes to scrub a deleted draft from SQLite's write-ahead log (`anketa::db::SCRUB_DELAY`),
    /// checked until a generous deadline so a slow machine does not fail the test.
    pub async fn keeps_user_id(&self, id: i64) -> bool {
        let deadline = tokio::time::Instant::now() + anketa::db::SCRUB_DELAY * 50;
        loop {
            if !self.stores_user_id(id).await {
                return false;
            }
            if tokio::time::Instant::now() > deadline {
                return true;
            }
            tokio::time::sleep(anketa::db::SCRUB_DELAY).await;
        }
    }

    /// Whether the database holds the Telegram id anywhere. SQLite: the bytes of the database
    /// file and its write-ahead log (the id as text, or as the big-endian integer SQLite stores).
    /// PostgreSQL: every row of every table, as text.
    pub async fn stores_user_id(&self, id: i64) -> bool {
        match self.engine {
            Engine::Sqlite => {
                let significant = id.to_be_bytes().iter().position(|&b| b != 0).unwrap_or(7);
                let as_integer = &id.to_be_bytes()[significant.saturating_sub(1)..];
                let wal = PathBuf::from(format!("{}-wal", self.sqlite_file.display()));
                [self.sqlite_file.clone(), wal]
                    .iter()
                    .any(|path| file_contains(path, id.to_string().as_bytes()) || file_contains(path, as_integer))
            }
            Engine::Postgres => {
                let sql = self.sql().await;
                let tables = [
                    "municipalities",
                    "schools",
                    "classes",
                    "campaigns",
                    "class_links",
                    "drafts",
                    "participations",
                    "responses",
                ];
                let mut found = false;
                for table in tables {
                    found |=
                        sql.count(&format!("SELECT COUNT(*) FROM {table} t WHERE t::text LIKE '%{id}%'")).await > 0;
                }
                sql.close().await;
                found
            }
        }
    }

    /// Closes campaign "autumn" (which releases every answer from the ballot box) and reads its
    /// export as (header, rows).
    pub async fn export(&self) -> (Vec<String>, Vec<Vec<String>>) {
        // Already closed by an earlier call: that is fine.
        let _ = self.command(&["campaign", "close", "autumn"]).output().await.expect("run anketa");
        let out = self.path("export.csv");
        self.cli(&["export", "--campaign", "autumn", "--format", "csv", "--out", out.to_str().unwrap()]).await;
        let mut rows = read_excel_csv(&out);
        let header = rows.remove(0);
        (header, rows)
    }

    /// Waits (10 s) until the ballot box has released `count` responses in all.
    pub async fn wait_released(&self, count: i64) {
        let sql = self.sql().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let released = sql.count("SELECT COUNT(*) FROM responses").await;
            if released == count {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{released} responses released, not {count}");
            tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY).await;
        }
        sql.close().await;
    }

    /// An SQL connection to the test database, for assertions about what is stored.
    pub async fn sql(&self) -> Sql {
        match self.engine {
            Engine::Sqlite => {
                Sql::Sqlite(sqlx::SqlitePool::connect(&self.db_url).await.expect("open the test database"))
            }
            Engine::Postgres => {
                Sql::Postgres(sqlx::PgPool::connect(&self.db_url).await.expect("open the test database"))
            }
        }
    }
}

/// A unique, lowercase name part for a test database.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

fn terminate(child: &Child) {
    // SAFETY: sending a signal to our own child process.
    unsafe { libc_kill(child.id().expect("running") as i32, 15) };
}

async fn wait_for_clean_exit(mut child: Child) -> std::process::ExitStatus {
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the bot stops within 20 s of SIGTERM")
        .expect("reap the bot");
    assert!(exit.success(), "SIGTERM ends the bot with exit 0, got {exit}");
    exit
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Reads a CSV file as a Russian Excel does on a double-click, after checking that it is written
/// for it: UTF-8 with a byte order mark, `;` between cells, CRLF line ends. All rows, header too.
pub fn read_excel_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or_else(|| panic!("{}: no byte order mark", path.display()));
    let first_line = text.split_inclusive('\n').next().unwrap_or_default();
    assert!(first_line.ends_with("\r\n"), "{}: lines must end in CRLF", path.display());
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

/// The sum of a metric's samples whose labels contain `labels`, over the bot processes at `replicas`.
pub async fn metric(replicas: &[std::net::SocketAddr], name: &str, labels: &str) -> f64 {
    let mut total = 0.0;
    for addr in replicas {
        let text = reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap();
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (metric, series_labels) = series.split_once('{').unwrap_or((series, ""));
            if metric == name && series_labels.contains(labels) {
                total += value.parse::<f64>().unwrap();
            }
        }
    }
    total
}

/// Whether `needle` occurs anywhere in the file's bytes.
pub fn file_contains(path: &Path, needle: &[u8]) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => bytes.windows(needle.len()).any(|w| w == needle),
        Err(_) => false,
    }
}

/// Waits (10 s) until the bot has sent or edited `count` messages in the user's chat after call
/// number `after`, and returns them.
pub async fn outputs(user: &bot_api::TestUser, after: u64, count: usize) -> Vec<bot_api::BotMessage> {
    outputs_within(user, after, count, Duration::from_secs(10)).await
}

/// [`outputs`] with another timeout (for a bot that retries Telegram).
pub async fn outputs_within(
    user: &bot_api::TestUser,
    after: u64,
    count: usize,
    wait: Duration,
) -> Vec<bot_api::BotMessage> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let seen = user.outputs_after(after);
        if seen.len() >= count {
            return seen;
        }
        assert!(tokio::time::Instant::now() < deadline, "expected {count} bot outputs, saw {seen:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The rows under the header of a links table (`Ссылки.xlsx`): municipality, school, class,
/// headcount and link; panics unless every link is also a hyperlink to itself.
pub fn links_table(xlsx: &[u8]) -> Vec<[String; 5]> {
    use calamine::Reader;
    use std::io::Read;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("a valid XLSX");
    let range = workbook.worksheet_range("Ссылки").expect("the sheet «Ссылки»");
    let mut rows =
        range.rows().map(|row| std::array::from_fn(|i| row.get(i).map(|c| c.to_string()).unwrap_or_default()));
    let header: [String; 5] = rows.next().expect("a header row");
    assert_eq!(header, ["Муниципалитет", "Школа", "Класс", "Учеников", "Ссылка"].map(String::from));
    let rows: Vec<[String; 5]> = rows.collect();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("an XLSX is a ZIP");
    let mut relations = String::new();
    archive
        .by_name("xl/worksheets/_rels/sheet1.xml.rels")
        .expect("the sheet's hyperlinks")
        .read_to_string(&mut relations)
        .unwrap();
    for row in &rows {
        assert!(relations.contains(&format!("Target=\"{}\"", row[4])), "{} is not a hyperlink", row[4]);
    }
    rows
}

/// Reads a QR code PNG the way a phone camera would: find the code in the picture, decode it.
pub fn decode_qr(png_bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert!(frame.width >= 1000 && frame.width == frame.height, "print quality: {}×{}", frame.width, frame.height);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(frame.width as usize, frame.height as usize, |x, y| {
        pixels[y * frame.line_size + x]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap_or_else(|e| panic!("the QR code does not decode: {e:?}")).1
}

/// Pages of a PDF: its `/Type/Page` objects (not the `/Type/Pages` tree).
pub fn pdf_pages(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let needle = b"/Type/Page";
    pdf.windows(needle.len() + 1).filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's').count()
}

/// The sheets of an XLSX file: name → rows of cell texts.
pub fn read_workbook(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a valid XLSX");
    workbook
        .worksheets()
        .into_iter()
        .map(|(name, range)| (name, range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()))
        .collect()
}

/// What a staff member's `/export` shows: the rows of the workbook (header first), or none.
pub async fn exported_rows(app: &TestApp, user: &bot_api::TestUser) -> Vec<Vec<String>> {
    let before = app.api.uploads().len();
    let reply = user.send_text("/export").await;
    if reply.kind != "document" {
        assert!(reply.text.contains("меньше 5 ответов"), "{}", reply.text);
        return Vec::new();
    }
    let upload = app.api.uploads().into_iter().skip(before).find(|u| u.chat_id == Some(user.id())).unwrap();
    read_workbook(upload.bytes).remove(0).1
}
