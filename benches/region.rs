//! Region-scale benchmark: a whole region's roster (1,000 schools, 30,000 classes), respondents
//! walking the shipped `noko-parents` questionnaire, submits, a database filled to 300,000
//! responses, the counts a daily digest needs, every digest of the region, the results report and
//! the export (CSV and XLSX), on SQLite and PostgreSQL.
//!
//! Everything measured goes through the library's public API, the way the bot and the command line
//! call it. Run with `cargo bench --bench region [-- --engine sqlite|postgres|both]`; the figures
//! are printed and written to `BENCHMARKS.md` (one section per engine, replaced on each full run).

#[path = "shared/administrators.rs"]
mod administrators;
#[path = "shared/region_roster.rs"]
mod region_roster;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use administrators::administrators;
use anketa::app;
use anketa::app::campaigns::CampaignRequest;
use anketa::config::Settings;
use anketa::db::{Db, DraftWrite, NewResponse, SubmitOutcome, Within};
use anketa::digest::{Digests, Figures};
use anketa::i18n::Texts;
use anketa::privacy::IdentityKey;
use anketa::roster;
use anketa::survey::{Draft, Input, Lang, QuestionKind, Stage, Survey};
use anyhow::{Context, bail, ensure};
use chrono::{Days, Utc};
use futures_util::{StreamExt, TryStreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use region_roster::{GRADES, LETTERS, MUNICIPALITIES, SCHOOLS_PER_MUNICIPALITY, region_csv};

const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;
const CAMPAIGN: &str = "НОКО region benchmark";
const CAMPAIGN_DAYS: u64 = 28;
const DEFAULT_RESPONSES: usize = 300_000;
const DEFAULT_RESPONDENTS: usize = 2_000;
const CONCURRENCY: usize = 8;
/// How long the fill runs with the production durability settings before the rest of it is
/// written with fsync relaxed (the same library calls), to keep the whole run near 10 minutes.
const FULL_SYNC_FILL_BUDGET: Duration = Duration::from_secs(45);
/// Samples for the counting queries.
const SCHOOL_SAMPLES: usize = 50;
const MUNICIPALITY_SAMPLES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

struct Args {
    engines: Vec<Engine>,
    responses: usize,
    respondents: usize,
    keep: bool,
    /// A database kept by an earlier `--keep` run: no fill, only the region's jobs on it.
    reuse: Option<String>,
    /// Only these region jobs (`JOBS`' keys); all when `None`.
    only: Option<Vec<String>>,
    /// How many times each region job runs (figures as ranges).
    runs: usize,
    /// The `anketa` binary the report and the exports run as: this build's unless `--bin` names
    /// another (an earlier build, for A/B comparisons on one kept database).
    bin: PathBuf,
}

/// The region-scale jobs an operator waits for, by the key `--only` takes.
const JOBS: [&str; 6] = ["counts", "digests", "report", "export-csv", "export-xlsx", "scan"];

impl Args {
    fn parse() -> anyhow::Result<Args> {
        let mut args = Args {
            engines: vec![Engine::Sqlite, Engine::Postgres],
            responses: DEFAULT_RESPONSES,
            respondents: DEFAULT_RESPONDENTS,
            keep: false,
            reuse: None,
            only: None,
            runs: 1,
            bin: PathBuf::from(env!("CARGO_BIN_EXE_anketa")),
        };
        let mut given = std::env::args().skip(1);
        while let Some(arg) = given.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| given.next()).with_context(|| format!("{name} needs a value"));
            match name.as_str() {
                "--engine" => {
                    args.engines = match value()?.as_str() {
                        "sqlite" => vec![Engine::Sqlite],
                        "postgres" => vec![Engine::Postgres],
                        "both" => vec![Engine::Sqlite, Engine::Postgres],
                        other => bail!("--engine takes sqlite, postgres or both (got {other:?})"),
                    }
                }
                "--responses" => args.responses = value()?.parse().context("--responses takes a number")?,
                "--respondents" => args.respondents = value()?.parse().context("--respondents takes a number")?,
                "--keep" => args.keep = true,
                "--reuse" => {
                    let url = value()?;
                    args.engines = vec![if url.starts_with("sqlite:") { Engine::Sqlite } else { Engine::Postgres }];
                    args.reuse = Some(url);
                }
                "--only" => {
                    let only: Vec<String> = value()?.split(',').map(str::to_string).collect();
                    if let Some(unknown) = only.iter().find(|job| !JOBS.contains(&job.as_str())) {
                        bail!("--only takes some of {} (got {unknown:?})", JOBS.join(","));
                    }
                    args.only = Some(only);
                }
                "--runs" => args.runs = value()?.parse().context("--runs takes a number")?,
                "--bin" => args.bin = PathBuf::from(value()?),
                // `cargo bench` passes `--bench`; other libtest options mean nothing here either.
                _ => {}
            }
        }
        ensure!(args.respondents >= CONCURRENCY, "--respondents must be at least {CONCURRENCY}");
        Ok(args)
    }

    /// Only whole runs at the design scale overwrite the figures in BENCHMARKS.md.
    fn is_full_scale(&self) -> bool {
        self.responses == DEFAULT_RESPONSES
            && self.respondents == DEFAULT_RESPONDENTS
            && self.reuse.is_none()
            && self.only.is_none()
    }

    fn runs_job(&self, job: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.iter().any(|j| j == job))
    }
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|arg| arg == LAUNCHER_FLAG) {
        return serve_launches();
    }
    // First, while this process is small (see `Launcher`).
    LAUNCHER.set(Mutex::new(Launcher::start()?)).map_err(|_| anyhow::anyhow!("one launcher"))?;
    let args = Args::parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let machine = Machine::describe();
    let mut sections = Vec::new();
    for &engine in &args.engines {
        eprintln!("== {} ==", engine.name());
        let section = runtime.block_on(run_engine(engine, &args))?;
        println!("{}", section.to_markdown(&machine));
        sections.push(section);
    }
    if args.is_full_scale() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        write_benchmarks(&path, &sections, &machine)?;
        eprintln!("figures written to {}", path.display());
    } else {
        eprintln!("not a whole run at the design scale: BENCHMARKS.md left as it is");
    }
    Ok(())
}

/// Where the database lives for one engine's run, removed afterwards unless `--keep`.
enum Place {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
    /// A database an earlier `--keep` run left, used as it is and left in place.
    Reused {
        url: String,
    },
}

impl Place {
    async fn create(engine: Engine) -> anyhow::Result<Place> {
        Ok(match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("anketa.db").display());
                Place::Sqlite { dir, url }
            }
            Engine::Postgres => {
                let admin = std::env::var("ANKETA_BENCH_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
                let name = format!("anketa_bench_{}", std::process::id());
                let pool = sqlx::PgPool::connect(&admin).await.with_context(|| format!("cannot reach {admin}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
                pool.close().await;
                let (base, _) = admin.rsplit_once('/').context("ANKETA_BENCH_POSTGRES_URL names no database")?;
                let url = format!("{base}/{name}");
                Place::Postgres { admin, name, url }
            }
        })
    }

    fn url(&self) -> &str {
        match self {
            Place::Sqlite { url, .. } | Place::Postgres { url, .. } | Place::Reused { url } => url,
        }
    }

    fn work_dir(&self) -> PathBuf {
        match self {
            Place::Sqlite { dir, .. } => dir.path().to_path_buf(),
            Place::Postgres { .. } | Place::Reused { .. } => {
                std::env::temp_dir().join(format!("anketa-bench-{}", std::process::id()))
            }
        }
    }

    async fn remove(self, keep: bool) -> anyhow::Result<()> {
        let work = self.work_dir();
        match self {
            Place::Sqlite { dir, url } if keep => {
                let _ = dir.keep();
                eprintln!("kept {url}");
            }
            Place::Sqlite { .. } => {}
            Place::Postgres { url, .. } if keep => eprintln!("kept {url}"),
            Place::Reused { .. } => {
                let _ = std::fs::remove_dir_all(work);
            }
            Place::Postgres { admin, name, .. } => {
                let pool = sqlx::PgPool::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await?;
                pool.close().await;
                let _ = std::fs::remove_dir_all(work);
            }
        }
        Ok(())
    }
}

async fn run_engine(engine: Engine, args: &Args) -> anyhow::Result<Section> {
    let place = match &args.reuse {
        Some(url) => Place::Reused { url: url.clone() },
        None => Place::create(engine).await?,
    };
    let work = place.work_dir();
    std::fs::create_dir_all(&work)?;
    let db = Db::connect(place.url()).await?;
    let mut section = Section::new(engine, engine_facts(&db).await?, args);
    let result = measure(&db, &place, &work, args, &mut section).await;
    section.load.push(load_average());
    db.close().await;
    place.remove(args.keep).await?;
    result?;
    Ok(section)
}

async fn measure(db: &Db, place: &Place, work: &Path, args: &Args, section: &mut Section) -> anyhow::Result<()> {
    let target = match place {
        Place::Reused { .. } => {
            let campaign = db.campaign_by_name(CAMPAIGN).await?.context("no benchmark campaign in --reuse")?;
            ensure!(db.sealed_count(campaign.id).await? == 0, "the reused database has answers in the box");
            let responses = app::campaigns::list_campaigns(db).await?;
            let responses = responses.first().context("no campaign")?.participation.responses();
            section.note(format!(
                "Jobs run on a database kept by an earlier run ({} responses).",
                thousands(responses as usize)
            ));
            responses as usize
        }
        _ => fill_region(db, place, work, args, section).await?,
    };
    region_jobs(db, place, work, args, section, target).await
}

/// Builds the region: roster, campaign, links, respondents walking and submitting, the fill to
/// the design scale and the release of every ballot box. Returns the number of responses.
async fn fill_region(db: &Db, place: &Place, work: &Path, args: &Args, section: &mut Section) -> anyhow::Result<usize> {
    // 1. Roster import.
    let roster_file = work.join("roster.csv");
    std::fs::write(&roster_file, region_csv())?;
    eprintln!("importing the roster");
    // What `app::roster::import_roster` does, in two timed halves.
    let started = Instant::now();
    let rows = roster::parse(&std::fs::read(&roster_file)?)?;
    let parsed = started.elapsed();
    let summary = db.import_roster(&rows, DEFAULT_TIMEZONE).await?;
    let took = started.elapsed();
    ensure!(summary.classes_added == (MUNICIPALITIES * SCHOOLS_PER_MUNICIPALITY * GRADES * LETTERS.len()) as i64);
    section.row(
        format!(
            "Roster import (`roster import`): {} classes, {} schools, {} municipalities",
            thousands(summary.classes_added as usize),
            thousands(summary.schools as usize),
            summary.municipalities
        ),
        format!(
            "{} ({} classes/s; parsing the CSV {})",
            seconds(took),
            rate(summary.classes_added as usize, took),
            millis(parsed)
        ),
    );

    // Campaign and links, as the operator makes them.
    let today = Utc::now().date_naive();
    let starts_on = today - Days::new(1);
    let questionnaires = ["noko-parents".to_string()];
    let questionnaires_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
    let campaign_id = app::campaigns::create_campaign(
        db,
        &questionnaires_dir,
        CampaignRequest {
            name: CAMPAIGN,
            questionnaires: &questionnaires,
            starts_on,
            ends_on: starts_on + Days::new(CAMPAIGN_DAYS - 1),
            target_percent: 40,
            grades: &[],
        },
    )
    .await?;
    let started = Instant::now();
    // The links themselves, as `links export` makes them, without drawing 30,000 posters.
    let links = db
        .ensure_links(campaign_id, chrono::Utc::now(), || {
            use rand::Rng;
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(12).map(char::from).collect()
        })
        .await?;
    section.row(
        format!("Class links for a campaign (`Db::ensure_links`, posters not drawn): {} links", thousands(links.len())),
        seconds(started.elapsed()),
    );
    // The class and school ids behind each link, as the bot finds them: `resolve_link`.
    let links = Arc::new(links);
    let shared = (db.clone(), links.clone());
    let (resolved, took) = on_tasks(CONCURRENCY, links.len(), move |_, index| {
        let (db, links) = shared.clone();
        async move {
            let link = &links[index];
            let started = Instant::now();
            let target = db.resolve_link(&link.code).await?.context("a link just made does not resolve")?;
            let class = Class { code: link.code.clone(), school_id: target.school_id, class_id: target.class_id };
            Ok((class, started.elapsed()))
        }
    })
    .await?;
    let (classes, latencies): (Vec<Class>, Vec<Duration>) = resolved.into_iter().unzip();
    section.row(
        format!("`resolve_link`, {CONCURRENCY} tasks, each of the {} links once", thousands(classes.len())),
        format!("{} · {} links/s", Latencies::new(latencies).summary(&[50.0, 99.0]), rate(classes.len(), took)),
    );

    let survey = campaign_survey(db, campaign_id).await?;
    let bench = Arc::new(Bench {
        db: db.clone(),
        survey,
        classes,
        campaign_id,
        key: IdentityKey::new(&[0x5a; 32])?,
        next_person: AtomicI64::new(1),
    });

    // 2 and 3. Respondents walking the questionnaire, then submitting, with 1 and with 8 tasks.
    let sequential = args.respondents / 3;
    for (tasks, respondents) in [(1, sequential), (CONCURRENCY, args.respondents - sequential)] {
        eprintln!("{respondents} respondents walking the questionnaire, {tasks} task(s)");
        let (walked, steps, took) = walk_all(&bench, tasks, respondents).await?;
        let step_count = steps.len();
        let steps = Latencies::new(steps);
        section.row(
            format!(
                "Respondent step (`load_draft_with_target` + `Draft::step` + `update_drafts`), {tasks} task{}: {} respondents, {} steps",
                if tasks == 1 { "" } else { "s" },
                thousands(respondents),
                thousands(step_count)
            ),
            format!("{} · {} steps/s", steps.summary(&[50.0, 95.0, 99.0]), rate(step_count, took)),
        );
        eprintln!("submitting {} responses, {tasks} task(s)", walked.len());
        let (submits, took) = submit_all(&bench, tasks, walked).await?;
        let count = submits.len();
        let submits = Latencies::new(submits);
        section.row(
            format!(
                "Submit (`submit_response`), {tasks} task{}: {} responses",
                if tasks == 1 { "" } else { "s" },
                thousands(count)
            ),
            format!("{} · {} submits/s", submits.summary(&[50.0, 99.0]), rate(count, took)),
        );
    }

    // 4. Fill to the design scale: the production settings for a while, then fsync relaxed.
    let already = args.respondents;
    let templates = Arc::new(completed_drafts(&bench.survey, 256));
    let target = args.responses.max(already);
    let progress = Arc::new(AtomicUsize::new(already));
    let deadline = Instant::now() + FULL_SYNC_FILL_BUDGET;
    eprintln!("filling to {} responses, {CONCURRENCY} tasks", thousands(target));
    let started = Instant::now();
    let filled = fill(&bench, db, &templates, &progress, target, Some(deadline)).await?;
    let took = started.elapsed();
    let full_rate = filled as f64 / took.as_secs_f64();
    let mut fill_figure =
        format!("{} responses in {} ({} responses/s)", thousands(filled), seconds(took), rate(filled, took));
    let remaining = target - progress.load(Ordering::Relaxed);
    if remaining > 0 {
        let _ = write!(
            fill_figure,
            "; all {} would take ≈ {} at that rate",
            thousands(target - already),
            seconds(Duration::from_secs_f64((target - already) as f64 / full_rate))
        );
        let relaxed = relaxed_durability(place).await?;
        eprintln!("the rest ({}) with fsync relaxed", thousands(remaining));
        let started = Instant::now();
        let more = fill(&bench, &relaxed, &templates, &progress, target, None).await?;
        let took = started.elapsed();
        relaxed.close().await;
        let _ = write!(
            fill_figure,
            "; the other {} written with {} ({} responses/s)",
            thousands(more),
            match place {
                Place::Sqlite { .. } => "`synchronous=OFF`",
                Place::Postgres { .. } | Place::Reused { .. } => "`synchronous_commit=off`",
            },
            rate(more, took)
        );
    }
    section.row(
        format!("Fill to {} responses (`start_draft` + `submit_response`, {CONCURRENCY} tasks)", thousands(target)),
        fill_figure,
    );
    ensure!(progress.load(Ordering::Relaxed) == target, "the fill stopped short");

    // The campaign's end: every school's ballot box released (shuffled, in groups of five or more).
    let started = Instant::now();
    let today = Utc::now().date_naive();
    let mut released = 0;
    for school in db.sealed_schools().await? {
        released += db.settle_school(school.campaign_id, school.school_id, 5, today, true).await?;
    }
    let took = started.elapsed();
    ensure!(db.sealed_count(campaign_id).await? == 0, "answers left in the box");
    section.row(
        format!(
            "Release every school's ballot box at the campaign's end (`settle_school`): {} responses",
            thousands(released as usize)
        ),
        format!("{} ({} responses/s)", seconds(took), rate(released as usize, took)),
    );

    // A default PostgreSQL server's autovacuum would have analysed the filled tables by now; a
    // server with it turned off plans the counts and the export on no statistics at all.
    if let Db::Postgres(pool) = db {
        let autovacuum: String = sqlx::query_scalar("SHOW autovacuum").fetch_one(pool).await?;
        if autovacuum == "off" {
            sqlx::query("ANALYZE").execute(pool).await?;
            section.note(
                "autovacuum is off on this server, so the benchmark runs `ANALYZE` after the fill (as autovacuum \
                 would have) before timing the counts and the export."
                    .to_string(),
            );
        }
    }

    Ok(target)
}

/// The jobs an operator waits for, on the filled region (`target` responses), each `--runs`
/// times: the counts a digest needs, every digest, the report and the exports. The report and
/// the exports run as the real `anketa` binary in a child process, as the operator runs them,
/// so that its peak RSS is theirs alone; the digests run in this process (the scheduler's call),
/// its peak reset before them.
async fn region_jobs(
    db: &Db,
    place: &Place,
    work: &Path,
    args: &Args,
    section: &mut Section,
    target: usize,
) -> anyhow::Result<()> {
    let campaign = db.campaign_by_name(CAMPAIGN).await?.context("the benchmark's campaign")?;
    let campaign_id = campaign.id;
    if args.runs_job("scan") {
        scans(db, campaign_id, args.runs, section).await?;
    }
    if args.runs_job("counts") {
        counts(db, campaign_id, target, section).await?;
    }

    // Every digest of the region, as the scheduler builds them: text and bar chart for the
    // region's administrator, each municipality's and each school's.
    if args.runs_job("digests") {
        let (texts, settings) = (Texts::default(), Settings::default());
        let digests = Digests { db, texts: &texts, settings: &settings };
        let recipients = administrators(db).await?;
        let mut runs = Vec::new();
        for _ in 0..args.runs {
            eprintln!("building every digest");
            reset_peak_rss();
            let started = Instant::now();
            // As a digest round builds them: the counts read once, then `BUILD_AHEAD` digests at
            // a time, each handed on when ready.
            let figures = Figures::read(db, campaign.id, Within::Region).await?;
            let built: Vec<(Duration, usize)> = futures_util::stream::iter(&recipients)
                .map(|recipient| {
                    let (digests, campaign, figures) = (&digests, &campaign, &figures);
                    async move {
                        let one = Instant::now();
                        let digest =
                            digests.prepare(recipient, campaign, figures, campaign.starts_on, Lang::Ru).await?;
                        let digest = digest.context("a digest is due")?;
                        anyhow::Ok((one.elapsed(), digest.chart.map_or(0, |c| c.len())))
                    }
                })
                .buffer_unordered(anketa::digest::BUILD_AHEAD)
                .try_collect()
                .await?;
            let took = started.elapsed();
            let chart_bytes: usize = built.iter().map(|(_, bytes)| bytes).sum();
            let built = Latencies::new(built.into_iter().map(|(took, _)| took).collect());
            runs.push(Run { wall: took, cpu: None, peak_mb: peak_rss_mb() });
            if runs.len() == args.runs {
                section.row(
                    format!(
                        "Every digest of the region (the region's counts read once, then `Digests::prepare`: text and bar chart), {} at a time as a digest round builds them: {} administrators (region, {MUNICIPALITIES} municipalities, {} schools)",
                        anketa::digest::BUILD_AHEAD,
                        thousands(recipients.len()),
                        thousands(MUNICIPALITIES * SCHOOLS_PER_MUNICIPALITY)
                    ),
                    format!(
                        "{} (last run: {} per digest; charts {:.0} KB on average)",
                        Run::summary(&runs),
                        built.summary(&[50.0, 99.0]),
                        chart_bytes as f64 / 1e3 / recipients.len() as f64
                    ),
                );
            }
        }
    }

    // The results report by the official criteria, with the proposals beside it.
    if args.runs_job("report") {
        let out = work.join("results.xlsx");
        let proposals = work.join("results-proposals.xlsx");
        let mut runs = Vec::new();
        for _ in 0..args.runs {
            eprintln!("writing the results report");
            runs.push(run_anketa(
                &args.bin,
                place,
                &["report", "--campaign", CAMPAIGN, "--format", "xlsx", "--out", path(&out)?],
            )?);
        }
        section.row(
            format!(
                "Results report (`anketa report --format xlsx`, results and proposals): {} responses",
                thousands(target)
            ),
            format!("{} ({:.1} MB with the proposals file)", Run::summary(&runs), file_mb(&[&out, &proposals])),
        );
    }

    // The exports.
    for (job, format) in [("export-csv", "csv"), ("export-xlsx", "xlsx")] {
        if !args.runs_job(job) {
            continue;
        }
        let out = work.join(format!("responses.{format}"));
        let mut runs = Vec::new();
        for _ in 0..args.runs {
            eprintln!("exporting {} responses as {format}", thousands(target));
            runs.push(run_anketa(
                &args.bin,
                place,
                &["export", "--campaign", CAMPAIGN, "--format", format, "--out", path(&out)?],
            )?);
        }
        if format == "csv" {
            let lines = std::fs::read(&out)?.iter().filter(|b| **b == b'\n').count();
            ensure!(lines == target + 1, "exported {} rows, expected {target}", lines - 1);
        }
        let what = match format {
            "csv" => "Export (`anketa export --format csv`)".to_string(),
            _ => "Export (`anketa export --format xlsx`: responses, answer distributions, questions)".to_string(),
        };
        section.row(
            format!("{what}: {} responses", thousands(target)),
            format!("{} ({:.0} MB)", Run::summary(&runs), file_mb(&[&out])),
        );
    }
    if let Place::Sqlite { url, .. } | Place::Reused { url } = place
        && let Some(file) = url.strip_prefix("sqlite://")
    {
        let size = std::fs::metadata(file)?.len();
        section.note(format!("Database file at {} responses: {:.0} MB.", thousands(target), size as f64 / 1e6));
    }
    Ok(())
}

fn path(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("a work path that is not UTF-8")
}

/// How fast the engine hands over the rows the export reads, with nothing done to them: the
/// export's own query fetched and dropped, and a bare `SELECT` of the responses with and without
/// their packed answers. The floor under every job that reads the region's answers.
async fn scans(db: &Db, campaign_id: i64, runs: usize, section: &mut Section) -> anyhow::Result<()> {
    const ANSWERS: &str = "SELECT r.id, r.school_id, r.class_id, r.audience, r.release_id, r.answers FROM responses r
                           WHERE r.campaign_id = $1";
    const RESPONSES: &str = "SELECT r.id, r.school_id, r.class_id, r.audience, r.release_id FROM responses r
                             WHERE r.campaign_id = $1";
    for (what, sql) in [
        (
            "responses with their answers (`SELECT id, school_id, class_id, audience, release_id, answers FROM responses`)",
            ANSWERS,
        ),
        (
            "responses without their answers (`SELECT id, school_id, class_id, audience, release_id FROM responses`)",
            RESPONSES,
        ),
    ] {
        let mut took = Vec::new();
        let mut rows = 0usize;
        for _ in 0..runs {
            let started = Instant::now();
            rows = match db {
                Db::Sqlite(pool, _) => {
                    sqlx::query(sql)
                        .bind(campaign_id)
                        .fetch(pool)
                        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                        .await?
                }
                Db::Postgres(pool) => {
                    sqlx::query(sql)
                        .bind(campaign_id)
                        .fetch(pool)
                        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                        .await?
                }
            };
            took.push(started.elapsed());
        }
        section.row(
            format!("Bare scan of the {what}, fetched through sqlx: {} rows", thousands(rows)),
            format!("{} ({} rows/s)", range(&took), rate(rows, *took.iter().min().expect("a run"))),
        );
    }
    let mut took = Vec::new();
    let mut rows = 0u64;
    for _ in 0..runs {
        let started = Instant::now();
        rows = db
            .export_responses(campaign_id, anketa::roles::Scope::Region, anketa::db::Reader::Operator, |_| Ok(()))
            .await?;
        took.push(started.elapsed());
    }
    section.row(
        format!(
            "The export's query alone (`Db::export_responses`, rows decoded and dropped): {} rows",
            thousands(rows as usize)
        ),
        format!("{} ({} rows/s)", range(&took), rate(rows as usize, *took.iter().min().expect("a run"))),
    );
    Ok(())
}

/// The counts a digest needs, at this scale.
async fn counts(db: &Db, campaign_id: i64, target: usize, section: &mut Section) -> anyhow::Result<()> {
    const CLASSES: &str =
        "SELECT k.id, k.school_id, s.municipality_id FROM classes k JOIN schools s ON s.id = k.school_id";
    let classes: Vec<(i64, i64, i64)> = match db {
        Db::Sqlite(pool, _) => sqlx::query_as(CLASSES).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(CLASSES).fetch_all(pool).await?,
    };
    let mut by_school: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut by_municipality: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (class_id, school_id, municipality_id) in classes {
        by_school.entry(school_id).or_default().push(class_id);
        by_municipality.entry(municipality_id).or_default().push(class_id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let mut per_school = Vec::new();
    let mut counted = 0;
    let schools: Vec<&Vec<i64>> = by_school.values().collect();
    for classes in schools.choose_multiple(&mut rng, SCHOOL_SAMPLES) {
        let started = Instant::now();
        for &class_id in classes.iter() {
            counted += db.class_participation(campaign_id, class_id).await?.map_or(0, |c| c.responses());
        }
        per_school.push(started.elapsed());
    }
    ensure!(counted > 0, "the sampled schools have no responses");
    let per_school = Latencies::new(per_school);
    section.row(
        format!("`class_participation` for every class of one school (30 queries), {SCHOOL_SAMPLES} schools"),
        format!(
            "{} per school · {} per query",
            per_school.summary(&[50.0, 99.0]),
            millis(per_school.percentile(50.0) / 30)
        ),
    );
    let mut per_municipality = Vec::new();
    let municipalities: Vec<&Vec<i64>> = by_municipality.values().collect();
    for classes in municipalities.choose_multiple(&mut rng, MUNICIPALITY_SAMPLES) {
        let started = Instant::now();
        for &class_id in classes.iter() {
            db.class_participation(campaign_id, class_id).await?;
        }
        per_municipality.push(started.elapsed());
    }
    let per_municipality = Latencies::new(per_municipality);
    let classes_per_municipality = SCHOOLS_PER_MUNICIPALITY * GRADES * LETTERS.len();
    section.row(
        format!(
            "Per-school counts for a municipality: no library function yet, so `class_participation` over its {classes_per_municipality} classes, {MUNICIPALITY_SAMPLES} municipalities"
        ),
        format!("{} per municipality", per_municipality.summary(&[50.0, 99.0])),
    );
    let started = Instant::now();
    let campaigns = app::campaigns::list_campaigns(db).await?;
    ensure!(
        campaigns.first().is_some_and(|c| c.participation.responses() == target as i64),
        "the campaign count is off"
    );
    section.row("Campaign totals (`campaign list`: headcount and responses)".to_string(), millis(started.elapsed()));
    Ok(())
}

/// The size of these files together, in MB.
fn file_mb(files: &[&Path]) -> f64 {
    files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum::<u64>() as f64 / 1e6
}

/// One class as the benchmark uses it.
struct Class {
    code: String,
    school_id: i64,
    class_id: i64,
}

struct Bench {
    db: Db,
    survey: Arc<Survey>,
    classes: Vec<Class>,
    campaign_id: i64,
    key: IdentityKey,
    /// Chat and Telegram user ids of simulated people, never reused.
    next_person: AtomicI64,
}

/// A draft at the review screen, ready to submit.
struct Walked {
    chat_id: i64,
    user_id: u64,
    revision: i64,
    class: usize,
    draft: Draft,
}

async fn campaign_survey(db: &Db, campaign_id: i64) -> anyhow::Result<Arc<Survey>> {
    let mut questionnaires = Vec::new();
    for stored in db.campaign_questionnaires(campaign_id).await? {
        let id = &stored.questionnaire_id;
        let questionnaire = anketa::survey::Questionnaire::from_toml(&stored.definition)
            .map_err(|e| anyhow::anyhow!("stored questionnaire {id}: {e}"))?;
        questionnaires.push(Arc::new(questionnaire));
    }
    Ok(Arc::new(Survey::new(questionnaires)))
}

/// What a respondent presses on the screen `draft` shows: mostly "yes", sometimes a suggestion.
fn press(survey: &Survey, draft: &Draft, rng: &mut StdRng) -> Input {
    let Some(question) = draft.current_question(survey) else {
        return Input::Begin;
    };
    match &question.kind {
        QuestionKind::YesNo => Input::Choose(if rng.gen_bool(0.75) { "yes" } else { "no" }.into()),
        QuestionKind::Single { options } => Input::Choose(options.choose(rng).expect("options").code.clone()),
        QuestionKind::Rating { min, max, .. } => Input::Choose(rng.gen_range(*min..=*max).to_string()),
        QuestionKind::Multiple { options, min, .. } => {
            if draft.selection.len() >= (*min).max(1) {
                Input::Done
            } else {
                let free: Vec<_> = options.iter().filter(|o| !draft.selection.contains(&o.code)).collect();
                Input::Toggle(free.choose(rng).expect("an option left").code.clone())
            }
        }
        QuestionKind::Text { optional, .. } => {
            if *optional && rng.gen_bool(0.7) {
                Input::Skip
            } else {
                Input::Text("Больше кружков после уроков и горячего питания для старших классов.".into())
            }
        }
    }
}

/// Drafts at the review screen, walked through the engine alone, for the fill.
fn completed_drafts(survey: &Survey, count: usize) -> Vec<Draft> {
    let mut rng = StdRng::seed_from_u64(3);
    (0..count)
        .map(|_| {
            let mut draft = Draft::default();
            while draft.stage != Stage::Review {
                let input = press(survey, &draft, &mut rng);
                draft = draft.step(survey, input).expect("the simulated press is valid");
            }
            draft
        })
        .collect()
}

/// One respondent, from opening the link to the review screen, timing each button press the way
/// the bot's handler serves it.
async fn walk(bench: &Bench, rng: &mut StdRng, steps: &mut Vec<Duration>) -> anyhow::Result<Walked> {
    let db = &bench.db;
    let person = bench.next_person.fetch_add(1, Ordering::Relaxed);
    let class = rng.gen_range(0..bench.classes.len());
    let revision = rng.gen_range(1..1_i64 << 40);
    let mut screen = Draft::default();
    let chat = bench.key.chat_key(person);
    db.start_draft(&chat, &bench.classes[class].code, &serde_json::to_string(&screen)?, revision, Utc::now(), None)
        .await?;
    while screen.stage != Stage::Review {
        let input = press(&bench.survey, &screen, rng);
        let started = Instant::now();
        let (stored, target) = db.load_draft_with_target(&chat).await?.context("the draft is gone")?;
        ensure!(target.context("the link is gone")?.campaign.id == bench.campaign_id);
        let draft: Draft = serde_json::from_str(&stored.state)?;
        let next = draft.step(&bench.survey, input)?;
        let state = serde_json::to_string(&next)?;
        let write = DraftWrite { chat, expected_revision: stored.revision, state, text_message: None, at: Utc::now() };
        db.update_drafts(vec![write]).await?.remove(0).context("the draft changed under us")?;
        steps.push(started.elapsed());
        screen = next;
    }
    let revision = db.load_draft(&chat).await?.context("the draft is gone")?.revision;
    Ok(Walked { chat_id: person, user_id: person as u64, revision, class, draft: screen })
}

/// The response a walked draft becomes, as the bot builds it on "submit".
fn response(bench: &Bench, class: &Class, draft: &Draft) -> anyhow::Result<NewResponse> {
    let answers = draft.completed_answers(&bench.survey).context("the draft is not complete")?;
    let questionnaire = draft.questionnaire(&bench.survey).context("no questionnaire")?;
    Ok(NewResponse {
        campaign_id: bench.campaign_id,
        school_id: class.school_id,
        class_id: class.class_id,
        audience: questionnaire.audience,
        questionnaire_id: questionnaire.id.clone(),
        answers: answers.iter().map(|(id, answer)| (id.clone(), answer.to_value())).collect(),
    })
}

async fn submit(bench: &Bench, walked: &Walked) -> anyhow::Result<Duration> {
    let class = &bench.classes[walked.class];
    let response = response(bench, class, &walked.draft)?;
    let identity = bench.key.identity(walked.user_id, bench.campaign_id, class.school_id);
    let started = Instant::now();
    let outcome = bench
        .db
        .submit_response(&bench.key.chat_key(walked.chat_id), walked.revision, identity.as_bytes(), &response)
        .await?;
    let took = started.elapsed();
    ensure!(outcome == SubmitOutcome::Stored, "submit gave {outcome:?}");
    Ok(took)
}

/// Runs `work(task, index)` for `count` items on `tasks` concurrent tasks; returns the results
/// in no particular order and the wall time.
async fn on_tasks<T, F, Fut>(tasks: usize, count: usize, work: F) -> anyhow::Result<(Vec<T>, Duration)>
where
    T: Send + 'static,
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (work, next) = (work.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return anyhow::Ok(done);
                }
                done.push(work(task, index).await?);
            }
        }));
    }
    let mut results = Vec::with_capacity(count);
    for handle in handles {
        results.extend(handle.await??);
    }
    Ok((results, started.elapsed()))
}

async fn walk_all(
    bench: &Arc<Bench>,
    tasks: usize,
    respondents: usize,
) -> anyhow::Result<(Vec<Walked>, Vec<Duration>, Duration)> {
    let shared = bench.clone();
    let (done, took) = on_tasks(tasks, respondents, move |_, index| {
        let bench = shared.clone();
        async move {
            let mut rng = StdRng::seed_from_u64(index as u64 + 1_000_000 * tasks as u64);
            let mut steps = Vec::new();
            let walked = walk(&bench, &mut rng, &mut steps).await?;
            Ok((walked, steps))
        }
    })
    .await?;
    let mut walked = Vec::with_capacity(done.len());
    let mut steps = Vec::new();
    for (w, s) in done {
        walked.push(w);
        steps.extend(s);
    }
    Ok((walked, steps, took))
}

async fn submit_all(
    bench: &Arc<Bench>,
    tasks: usize,
    walked: Vec<Walked>,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let count = walked.len();
    let walked = Arc::new(walked);
    let shared = bench.clone();
    on_tasks(tasks, count, move |_, index| {
        let (bench, walked) = (shared.clone(), walked.clone());
        async move { submit(&bench, &walked[index]).await }
    })
    .await
}

/// Stores responses through `db` (start a draft, submit it) on [`CONCURRENCY`] tasks until
/// `progress` reaches `target` or the deadline passes; returns how many this call stored.
async fn fill(
    bench: &Arc<Bench>,
    db: &Db,
    templates: &Arc<Vec<Draft>>,
    progress: &Arc<AtomicUsize>,
    target: usize,
    deadline: Option<Instant>,
) -> anyhow::Result<usize> {
    let before = progress.load(Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let reporter = {
        let (progress, stop) = (progress.clone(), stop.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let mut shown = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let now = progress.load(Ordering::Relaxed);
                if shown.elapsed() >= Duration::from_secs(5) {
                    shown = Instant::now();
                    let done = now - before;
                    let per_second = done as f64 / started.elapsed().as_secs_f64();
                    let eta = (target - now) as f64 / per_second.max(1.0);
                    eprintln!(
                        "  {} / {} responses ({per_second:.0}/s, {:.0} s to go)",
                        thousands(now),
                        thousands(target),
                        eta
                    );
                }
            }
        })
    };
    let mut handles = Vec::new();
    for task in 0..CONCURRENCY {
        let (bench, db, templates, progress) = (bench.clone(), db.clone(), templates.clone(), progress.clone());
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(task as u64 + 99 + before as u64);
            let mut stored = 0;
            while deadline.is_none_or(|d| Instant::now() < d) {
                if progress.fetch_add(1, Ordering::Relaxed) >= target {
                    progress.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
                let person = bench.next_person.fetch_add(1, Ordering::Relaxed);
                let class_index = rng.gen_range(0..bench.classes.len());
                let class = &bench.classes[class_index];
                let draft = templates.choose(&mut rng).expect("templates");
                let revision = rng.gen_range(1..1_i64 << 40);
                let chat = bench.key.chat_key(person);
                db.start_draft(&chat, &class.code, &serde_json::to_string(draft)?, revision, Utc::now(), None).await?;
                let response = response(&bench, class, draft)?;
                let identity = bench.key.identity(person as u64, bench.campaign_id, class.school_id);
                let outcome = db.submit_response(&chat, revision, identity.as_bytes(), &response).await?;
                ensure!(outcome == SubmitOutcome::Stored, "submit gave {outcome:?}");
                stored += 1;
            }
            anyhow::Ok(stored)
        }));
    }
    let mut stored = 0;
    let mut failure = None;
    for handle in handles {
        match handle.await? {
            Ok(n) => stored += n,
            Err(e) => failure = Some(e),
        }
    }
    stop.store(true, Ordering::Relaxed);
    reporter.await?;
    match failure {
        Some(e) => Err(e),
        None => {
            ensure!(progress.load(Ordering::Relaxed) == before + stored);
            Ok(stored)
        }
    }
}

/// A second pool on the same database with the commit-time fsync relaxed, for the part of the
/// fill that only has to put rows in place.
async fn relaxed_durability(place: &Place) -> anyhow::Result<Db> {
    Ok(match place {
        Place::Sqlite { url, .. } => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("secure_delete", "on");
            Db::from_sqlite(sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(options).await?)
        }
        Place::Postgres { url, .. } => {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)?.options([("synchronous_commit", "off")]);
            Db::Postgres(sqlx::postgres::PgPoolOptions::new().max_connections(10).connect_with(options).await?)
        }
        Place::Reused { .. } => bail!("a reused database is not filled"),
    })
}

/// The engine's version and the settings that matter for the figures.
async fn engine_facts(db: &Db) -> anyhow::Result<String> {
    Ok(match db {
        Db::Sqlite(pool, _) => {
            let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(pool).await?;
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await?;
            let synchronous = ["OFF", "NORMAL", "FULL", "EXTRA"].get(synchronous as usize).copied().unwrap_or("?");
            format!(
                "SQLite {version} (bundled with sqlx), a file in a temp dir, WAL, synchronous={synchronous}, secure_delete, pool of 4 (as `Db::connect` opens it)"
            )
        }
        Db::Postgres(pool) => {
            let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(pool).await?;
            let commit: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(pool).await?;
            let shared: String = sqlx::query_scalar("SHOW shared_buffers").fetch_one(pool).await?;
            let work_mem: String = sqlx::query_scalar("SHOW work_mem").fetch_one(pool).await?;
            format!(
                "PostgreSQL {version} on the same machine over TCP loopback, synchronous_commit={commit}, shared_buffers={shared}, work_mem={work_mem}, pool of 10 (as `Db::connect` opens it)"
            )
        }
    })
}

struct Latencies(Vec<Duration>);

impl Latencies {
    fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Latencies(samples)
    }

    /// Nearest-rank percentile.
    fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    fn summary(&self, percentiles: &[f64]) -> String {
        percentiles.iter().map(|&p| format!("p{p} {}", millis(self.percentile(p)))).collect::<Vec<_>>().join(" · ")
    }
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 100.0 { format!("{s:.1} s") } else { format!("{:.0} min {:.0} s", (s / 60.0).floor(), s % 60.0) }
}

fn rate(count: usize, took: Duration) -> String {
    thousands((count as f64 / took.as_secs_f64()).round() as usize)
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

/// The machine the figures come from.
struct Machine {
    date: String,
    cpus: String,
    cpu_model: String,
    memory: String,
}

impl Machine {
    fn describe() -> Machine {
        let run = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
                .unwrap_or_else(|| "?".to_string())
        };
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "?".to_string());
        Machine {
            date: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpus: run("nproc", &[]),
            cpu_model,
            memory: run("free", &["-g"]),
        }
    }
}

/// One run of a job: its wall time, the CPU it used (user + system, for a child process) and its
/// peak resident memory.
struct Run {
    wall: Duration,
    cpu: Option<Duration>,
    peak_mb: f64,
}

impl Run {
    /// "1.2–1.4 s (CPU 1.1–1.3 s), peak RSS 40–42 MB" over the runs.
    fn summary(runs: &[Run]) -> String {
        let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
        let mut text = range(&walls);
        let cpus: Vec<Duration> = runs.iter().filter_map(|r| r.cpu).collect();
        if !cpus.is_empty() {
            let _ = write!(text, " (CPU {})", range(&cpus));
        }
        let peak = |f: fn(f64, f64) -> f64| runs.iter().map(|r| r.peak_mb).fold(runs[0].peak_mb, f);
        let (low, high) = (peak(f64::min), peak(f64::max));
        if (high - low).abs() < 0.5 {
            let _ = write!(text, ", peak RSS {high:.0} MB");
        } else {
            let _ = write!(text, ", peak RSS {low:.0}–{high:.0} MB");
        }
        text
    }
}

/// "1.23 s" or "1.23–1.45 s" over the samples.
fn range(samples: &[Duration]) -> String {
    let low = samples.iter().min().copied().unwrap_or_default();
    let high = samples.iter().max().copied().unwrap_or_default();
    if samples.len() < 2 { seconds(high) } else { format!("{:.2}–{:.2} s", low.as_secs_f64(), high.as_secs_f64()) }
}

/// `struct rusage` of Linux (x86_64 and aarch64: two `timeval`s, then 14 `long`s).
#[repr(C)]
#[derive(Default)]
struct Rusage {
    user: [i64; 2],
    system: [i64; 2],
    /// Peak resident set size, in KiB.
    max_rss: i64,
    rest: [i64; 13],
}

unsafe extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, usage: *mut Rusage) -> i32;
}

/// The argument that makes this binary serve as the [`Launcher`].
const LAUNCHER_FLAG: &str = "--launch-for-bench";

static LAUNCHER: std::sync::OnceLock<Mutex<Launcher>> = std::sync::OnceLock::new();

/// The process that starts the `anketa` commands the benchmark measures: this binary started
/// again before the benchmark grows. A command started by the benchmark itself (vfork and exec)
/// got the benchmark's own peak RSS as its `ru_maxrss`, 126–146 MB after the digests job,
/// whatever the command used; started by the launcher, it gets at most the launcher's few MB.
struct Launcher {
    _child: std::process::Child,
    requests: std::process::ChildStdin,
    replies: std::io::BufReader<std::process::ChildStdout>,
}

impl Launcher {
    fn start() -> anyhow::Result<Launcher> {
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .arg(LAUNCHER_FLAG)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("start the launcher")?;
        let requests = child.stdin.take().context("the launcher's stdin")?;
        let replies = std::io::BufReader::new(child.stdout.take().context("the launcher's stdout")?);
        Ok(Launcher { _child: child, requests, replies })
    }

    /// Runs `bin` with `args` on the database at `url`: its wait status, CPU time and peak RSS.
    fn run(&mut self, bin: &Path, url: &str, args: &[&str]) -> anyhow::Result<(i32, Duration, i64)> {
        use std::io::{BufRead, Write};
        let mut request: Vec<&str> = vec![path(bin)?, url];
        request.extend(args);
        writeln!(self.requests, "{}", serde_json::to_string(&request)?)?;
        let mut reply = String::new();
        self.replies.read_line(&mut reply)?;
        let numbers: Vec<i64> = reply.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
        let [status, cpu_micros, max_rss] = numbers[..] else { bail!("the launcher replied {reply:?}") };
        Ok((status as i32, Duration::from_micros(cpu_micros as u64), max_rss))
    }
}

/// The launcher's side: each line of stdin a JSON array (program, database URL, arguments), each
/// reply a line `status cpu-microseconds peak-rss-kib`.
fn serve_launches() -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let mut replies = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let request: Vec<String> = serde_json::from_str(&line?)?;
        let [bin, url, args @ ..] = &request[..] else { bail!("a launch request without a program") };
        let child = std::process::Command::new(bin)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("ANKETA_DATABASE_URL", url)
            .env("ANKETA_BOT_USERNAME", "anketa_bench_bot")
            .env("ANKETA_IDENTITY_KEY", "5a".repeat(32))
            .env("TELOXIDE_TOKEN", "0:bench")
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("run anketa")?;
        let (mut status, mut usage) = (0, Rusage::default());
        // SAFETY: waiting for our own child, with pointers to locals that outlive the call.
        let waited = unsafe { wait4(child.id() as i32, &mut status, 0, &mut usage) };
        ensure!(waited == child.id() as i32, "wait4 failed: {}", std::io::Error::last_os_error());
        let micros = |t: [i64; 2]| t[0] * 1_000_000 + t[1];
        writeln!(replies, "{status} {} {}", micros(usage.user) + micros(usage.system), usage.max_rss)?;
        replies.flush()?;
    }
    Ok(())
}

/// Runs the real `anketa` binary (`--bin`, this build's by default) with `args` on the benchmark's
/// database, as the operator does, through the [`Launcher`]; its CPU and peak RSS come from the
/// kernel's account of the child.
fn run_anketa(bin: &Path, place: &Place, args: &[&str]) -> anyhow::Result<Run> {
    let started = Instant::now();
    let launcher = LAUNCHER.get().context("the launcher is started first")?;
    let (status, cpu, max_rss) = launcher.lock().expect("launcher").run(bin, place.url(), args)?;
    let wall = started.elapsed();
    ensure!(status == 0, "anketa {args:?} failed (wait status {status})");
    Ok(Run { wall, cpu: Some(cpu), peak_mb: max_rss as f64 / 1024.0 })
}

/// Resets this process's peak RSS (`VmHWM`) to its present RSS, so a job's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak RSS (`VmHWM`) since the last [`reset_peak_rss`], in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Other work on the machine shows in every figure; the load average says whether there was any.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// One engine's figures.
struct Section {
    engine: Engine,
    facts: String,
    command: String,
    /// The 1-minute load average when the run started and when it ended.
    load: Vec<String>,
    rows: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Section {
    fn new(engine: Engine, facts: String, args: &Args) -> Section {
        let mut command = format!("cargo bench --bench region -- --engine {}", engine.key());
        if !args.is_full_scale() {
            let _ = write!(command, " --responses {} --respondents {}", args.responses, args.respondents);
        }
        Section { engine, facts, command, load: vec![load_average()], rows: Vec::new(), notes: Vec::new() }
    }

    fn row(&mut self, what: String, figure: String) {
        eprintln!("  {what}: {figure}");
        self.rows.push((what, figure));
    }

    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    fn begin_marker(&self) -> String {
        format!("<!-- region:{}:begin -->", self.engine.key())
    }

    fn end_marker(&self) -> String {
        format!("<!-- region:{}:end -->", self.engine.key())
    }

    fn to_markdown(&self, machine: &Machine) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## {}: a region on one machine", self.engine.name());
        let _ = writeln!(out);
        let _ = writeln!(out, "- run: {}", machine.date);
        let _ = writeln!(out, "- machine: {} CPUs (`nproc`), {}", machine.cpus, machine.cpu_model);
        let _ = writeln!(out, "- memory (`free -g`):");
        let _ = writeln!(out);
        let _ = writeln!(out, "  ```text");
        for line in machine.memory.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  ```");
        let _ = writeln!(out);
        let _ =
            writeln!(out, "- load average (1 min, `/proc/loadavg`) at the start and the end: {}", self.load.join(", "));
        let _ = writeln!(out, "- engine: {}", self.facts);
        let _ = writeln!(out, "- reproduce: `{}`", self.command);
        let _ = writeln!(out);
        let _ = writeln!(out, "| measurement | figure |");
        let _ = writeln!(out, "| --- | --- |");
        for (what, figure) in &self.rows {
            let _ = writeln!(out, "| {what} | {figure} |");
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for note in &self.notes {
                let _ = writeln!(out, "{note}");
            }
        }
        out
    }
}

const BENCHMARKS_HEADER: &str = "# Benchmarks

Speed is measured here, by a separate command, never in timed tests. The design target is a whole
region: 1,000 schools, 30,000 classes, 300,000 responses. `benches/region.rs` builds such a region
through the library's own calls (roster import, campaign, links), walks simulated respondents
through the shipped `noko-parents` questionnaire the way the bot's button handler does
(`load_draft_with_target` + `Draft::step` + `update_drafts` per press), submits, fills the
database to 300,000 responses, then times the counts, every digest of the region, the results
report and the export.

```sh
cargo bench --bench region                      # both engines
cargo bench --bench region -- --engine sqlite   # or postgres
```

PostgreSQL comes from `ANKETA_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
the benchmark creates a database of its own next to it and drops it afterwards. Each run replaces
the section of the engine it ran on.
";

/// Replaces (or appends) each engine's section of BENCHMARKS.md, keeping everything else.
fn write_benchmarks(path: &Path, sections: &[Section], machine: &Machine) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(path).unwrap_or_else(|_| BENCHMARKS_HEADER.to_string());
    for section in sections {
        let (begin, end) = (section.begin_marker(), section.end_marker());
        let body = format!("{begin}\n{}{end}\n", section.to_markdown(machine));
        match (text.find(&begin), text.find(&end)) {
            (Some(start), Some(stop)) if start < stop => {
                let stop = stop + end.len() + usize::from(text[stop + end.len()..].starts_with('\n'));
                text.replace_range(start..stop, &body);
            }
            _ => {
                if !text.ends_with("\n\n") {
                    text.push('\n');
                }
                text.push_str(&body);
            }
        }
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
