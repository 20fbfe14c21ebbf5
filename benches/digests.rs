//! Every digest of a region, in a loop short enough to profile: the region benchmark's roster
//! (50 municipalities, 1,000 schools, 30,000 classes), a campaign, and 300,000 responses as the
//! class tallies the digests read (written straight into `class_tallies`: a digest reads nothing
//! else of a response, so the fill of `benches/region.rs` is not needed here). Then, `--rounds`
//! times, the 1,051 administrators' digests built as a digest round builds them (the region's
//! counts read once, then `Digests::prepare`, `BUILD_AHEAD` at a time, each taken as soon as it
//! is ready), and the charts alone.
//!
//! `cargo bench --bench digests -- --engine sqlite|postgres [--rounds 3]`

#[path = "shared/administrators.rs"]
mod administrators;
#[path = "shared/region_roster.rs"]
mod region_roster;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use administrators::administrators;
use anketa::app::campaigns::{CampaignRequest, create_campaign};
use anketa::config::Settings;
use anketa::db::{Db, Within};
use anketa::digest::{BUILD_AHEAD, Digests, Figures};
use anketa::i18n::Texts;
use anketa::survey::Lang;
use anyhow::{Context, bail};
use chrono::{Days, Utc};
use futures_util::{StreamExt, TryStreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use region_roster::{GRADES, LETTERS, MUNICIPALITIES, SCHOOLS_PER_MUNICIPALITY, region_csv};

const RESPONSES: i64 = 300_000;

fn main() -> anyhow::Result<()> {
    let (mut engine, mut rounds) = ("sqlite".to_string(), 3usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--engine" => engine = args.next().context("--engine needs a value")?,
            "--rounds" => rounds = args.next().context("--rounds needs a value")?.parse()?,
            _ => {}
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(&engine, rounds))
}

async fn run(engine: &str, rounds: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, postgres) = match engine {
        "sqlite" => (format!("sqlite://{}", dir.path().join("anketa.db").display()), None),
        "postgres" => {
            let admin = std::env::var("ANKETA_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
            let name = format!("anketa_digests_{}", std::process::id());
            let pool = sqlx::PgPool::connect(&admin).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
            pool.close().await;
            let (base, _) = admin.rsplit_once('/').context("a database URL")?;
            (format!("{base}/{name}"), Some((admin, name)))
        }
        other => bail!("--engine takes sqlite or postgres (got {other:?})"),
    };
    let db = Db::connect(&url).await?;
    let result = measure(&db, rounds).await;
    db.close().await;
    if let Some((admin, name)) = postgres {
        let pool = sqlx::PgPool::connect(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await?;
        pool.close().await;
    }
    result
}

async fn measure(db: &Db, rounds: usize) -> anyhow::Result<()> {
    let rows = anketa::roster::parse(region_csv().as_bytes())?;
    db.import_roster(&rows, chrono_tz::Europe::Moscow).await?;
    let starts_on = Utc::now().date_naive() - Days::new(1);
    let campaign_id = create_campaign(
        db,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires"),
        CampaignRequest {
            name: "НОКО digests benchmark",
            questionnaires: &["noko-parents".to_string()],
            starts_on,
            ends_on: starts_on + Days::new(27),
            target_percent: 40,
            grades: &[],
        },
    )
    .await?;
    fill_tallies(db, campaign_id).await?;
    let campaign = db.campaign_by_name("НОКО digests benchmark").await?.context("the campaign")?;
    let (texts, settings) = (Texts::default(), Settings::default());
    let digests = Digests { db, texts: &texts, settings: &settings };
    let recipients = administrators(db).await?;
    eprintln!("{} administrators; load {}", recipients.len(), load());
    for round in 1..=rounds {
        let (started, cpu_before) = (Instant::now(), cpu_time());
        // As a round reads them: once, when its first digest is claimed.
        let figures = Figures::read(db, campaign.id, Within::Region).await?;
        let read = started.elapsed();
        let built: Vec<(Duration, usize)> = futures_util::stream::iter(&recipients)
            .map(|recipient| {
                let (digests, campaign, figures) = (&digests, &campaign, &figures);
                async move {
                    let one = Instant::now();
                    let digest = digests.prepare(recipient, campaign, figures, campaign.starts_on, Lang::Ru).await?;
                    let digest = digest.context("a digest is due")?;
                    anyhow::Ok((one.elapsed(), digest.chart.map_or(0, |c| c.len())))
                }
            })
            .buffer_unordered(BUILD_AHEAD)
            .try_collect()
            .await?;
        let (took, cpu) = (started.elapsed(), cpu_time() - cpu_before);
        let mut each: Vec<Duration> = built.iter().map(|(took, _)| *took).collect();
        each.sort();
        let bytes: usize = built.iter().map(|(_, bytes)| bytes).sum();
        println!(
            "round {round}: every digest {:.0} ms ({:.0} ms of CPU; the figures read in {:.0} ms) · p50 {:.2} ms · p99 {:.1} ms · max {:.1} ms · charts {:.0} KB on average · load {}",
            took.as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e3,
            read.as_secs_f64() * 1e3,
            each[each.len() / 2].as_secs_f64() * 1e3,
            each[each.len() * 99 / 100].as_secs_f64() * 1e3,
            each[each.len() - 1].as_secs_f64() * 1e3,
            bytes as f64 / built.len() as f64 / 1e3,
            load()
        );
    }
    // The chart alone, one thread: a school's 30 classes.
    let school = db.participation_by_class(campaign_id, 1).await?;
    let started = Instant::now();
    let charts = 200;
    for _ in 0..charts {
        anketa::digest::chart::participation_png("«НОКО» — Школа № 1, 01.12.2026", &school, 40)?;
    }
    println!("a school's chart alone: {:.2} ms", started.elapsed().as_secs_f64() * 1e3 / charts as f64);
    Ok(())
}

/// 300,000 responses spread over the classes at random (a fixed seed), as tallies.
async fn fill_tallies(db: &Db, campaign_id: i64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(3);
    let classes = (MUNICIPALITIES * SCHOOLS_PER_MUNICIPALITY * GRADES * LETTERS.len()) as i64;
    let mut tallies = vec![0i64; classes as usize];
    for _ in 0..RESPONSES {
        tallies[rng.gen_range(0..classes as usize)] += 1;
    }
    for chunk in tallies.chunks(1_000).enumerate() {
        let (start, chunk) = chunk;
        let mut sql = String::from("INSERT INTO class_tallies (campaign_id, class_id, audience, responses) VALUES ");
        for (offset, responses) in chunk.iter().enumerate() {
            let class_id = (start * 1_000 + offset + 1) as i64;
            let _ =
                write!(sql, "{}({campaign_id}, {class_id}, 'parent', {responses})", if offset > 0 { ", " } else { "" });
        }
        match db {
            Db::Sqlite(pool, _) => sqlx::query(&sql).execute(pool).await.map(|_| ())?,
            Db::Postgres(pool) => sqlx::query(&sql).execute(pool).await.map(|_| ())?,
        }
    }
    if let Db::Postgres(pool) = db {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// The CPU time of the whole process so far (user and system, every thread, in clock ticks of
/// 10 ms): a round's CPU against its wall time shows whether both cores were kept busy.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(String::from))
        .unwrap_or_default()
}
