//! Test harness: a fresh database and a Bot API stand-in per test, and the real `anketa` binary
//! run against them (the CLI for setup, `anketa run` for the bot).

#![allow(dead_code)]

pub mod bot_api;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use bot_api::BotApi;
use tempfile::TempDir;
use tokio::process::{Child, Command};

pub const IDENTITY_KEY: &str = "test-identity-key-0123456789abcdef0123456789abcdef";

/// A small roster: two schools in one municipality (one in Irkutsk time), three classes.
pub const ROSTER: &str = "municipality;school;class;students;timezone\n\
Иркутск;Школа № 1;5А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;5Б;20;Asia/Irkutsk\n\
Иркутск;Лицей № 2;9В;30;\n";

pub struct TestApp {
    pub dir: TempDir,
    pub db_url: String,
    pub api: BotApi,
    bot: Option<Child>,
    runs: u32,
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
        self.url
            .split("?start=")
            .nth(1)
            .expect("deep link has a start parameter")
    }

    pub fn start_command(&self) -> String {
        format!("/start {}", self.code())
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = format!("sqlite://{}", dir.path().join("anketa.db").display());
        TestApp {
            dir,
            db_url,
            api: BotApi::start().await,
            bot: None,
            runs: 0,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db_file(&self) -> PathBuf {
        self.path("anketa.db")
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
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub async fn cli(&self, args: &[&str]) -> String {
        let output = self.command(args).output().await.expect("run anketa");
        assert!(
            output.status.success(),
            "anketa {args:?} failed:\n{}",
            describe(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a CLI command that must fail; returns its stderr.
    pub async fn cli_fails(&self, args: &[&str]) -> String {
        let output = self.command(args).output().await.expect("run anketa");
        assert!(
            !output.status.success(),
            "anketa {args:?} should have failed:\n{}",
            describe(&output)
        );
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
        self.seed_with(
            &[
                "--questionnaire",
                "noko-parents",
                "--questionnaire",
                "noko-students",
            ],
            -1,
            30,
        )
        .await
    }

    /// Like [`seed`], with other questionnaires and campaign dates relative to today.
    pub async fn seed_with(
        &self,
        questionnaires: &[&str],
        starts_in_days: i64,
        ends_in_days: i64,
    ) -> Vec<Link> {
        let roster = self.write("roster.csv", ROSTER);
        self.cli(&["roster", "import", &roster]).await;
        let today = chrono::Utc::now().date_naive();
        let starts = (today + chrono::Duration::days(starts_in_days)).to_string();
        let ends = (today + chrono::Duration::days(ends_in_days)).to_string();
        let mut args = vec!["campaign", "create", "--name", "autumn"];
        args.extend_from_slice(questionnaires);
        args.extend([
            "--starts",
            &starts,
            "--ends",
            &ends,
            "--target-percent",
            "40",
        ]);
        self.cli(&args).await;
        self.export_links("autumn").await
    }

    pub async fn export_links(&self, campaign: &str) -> Vec<Link> {
        let out = self.path("links");
        self.cli(&[
            "links",
            "export",
            "--campaign",
            campaign,
            "--out",
            out.to_str().unwrap(),
        ])
        .await;
        let mut reader = csv::Reader::from_path(out.join("links.csv")).expect("links.csv");
        assert_eq!(
            reader.headers().unwrap(),
            vec!["municipality", "school", "class", "url"]
        );
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                Link {
                    school: r[1].to_string(),
                    class: r[2].to_string(),
                    url: r[3].to_string(),
                }
            })
            .collect()
    }

    /// Starts `anketa run` and waits until it polls for updates.
    pub async fn start_bot(&mut self) {
        assert!(self.bot.is_none(), "the bot is already running");
        self.runs += 1;
        let log = std::fs::File::create(self.path(&format!("bot-{}.log", self.runs))).unwrap();
        let seq = self.api.seq();
        let child = self
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn anketa run");
        self.bot = Some(child);
        self.api
            .wait_for_call_after(seq, "getUpdates", |_| true, Duration::from_secs(20))
            .await;
    }

    /// `kill -9`: no chance to flush anything.
    pub async fn kill_bot(&mut self) {
        let mut child = self.bot.take().expect("the bot is running");
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reap the bot");
    }

    /// SIGTERM, and the exit status.
    pub async fn stop_bot(&mut self) -> std::process::ExitStatus {
        let mut child = self.bot.take().expect("the bot is running");
        let pid = child.id().expect("running") as i32;
        // SAFETY: sending a signal to our own child process.
        unsafe { libc_kill(pid, 15) };
        tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("the bot stops within 20 s of SIGTERM")
            .expect("reap the bot")
    }

    /// Everything the bot logged, over all its runs.
    pub fn bot_logs(&self) -> String {
        (1..=self.runs)
            .map(|n| {
                std::fs::read_to_string(self.path(&format!("bot-{n}.log"))).unwrap_or_default()
            })
            .collect()
    }

    /// Reads the export of campaign "autumn" as (header, rows).
    pub async fn export(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let out = self.path("export.csv");
        self.cli(&[
            "export",
            "--campaign",
            "autumn",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ])
        .await;
        let mut reader = csv::Reader::from_path(&out).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    }

    /// An SQL connection to the test database, for assertions about what is stored.
    pub async fn sql(&self) -> sqlx::SqlitePool {
        sqlx::SqlitePool::connect(&self.db_url)
            .await
            .expect("open the test database")
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
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
pub async fn outputs(
    user: &bot_api::TestUser,
    after: u64,
    count: usize,
) -> Vec<bot_api::BotMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = user.outputs_after(after);
        if seen.len() >= count {
            return seen;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {count} bot outputs, saw {seen:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
