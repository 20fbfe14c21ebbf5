//! The command-line surface. Each subcommand calls one library function and prints its result.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::Db;
use crate::operations::{self, CampaignRequest};
use crate::startup;

#[derive(Debug, Parser)]
#[command(name = "anketa", version, about = "Anonymous, counted-once school surveys in Telegram")]
pub struct Cli {
    /// Settings file (defaults are used when the default file is absent).
    #[arg(long, global = true, default_value = "bot.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (long polling) until SIGINT or SIGTERM.
    Run,
    /// Load municipalities, schools and classes.
    Roster {
        #[command(subcommand)]
        action: RosterAction,
    },
    /// Create and list campaigns.
    Campaign {
        #[command(subcommand)]
        action: CampaignAction,
    },
    /// Class links for parents.
    Links {
        #[command(subcommand)]
        action: LinksAction,
    },
    /// Export a campaign's anonymous responses.
    Export {
        #[arg(long)]
        campaign: String,
        /// Output format (csv).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check questionnaire files.
    Questionnaire {
        #[command(subcommand)]
        action: QuestionnaireAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum RosterAction {
    /// Import a CSV with columns municipality, school, class, students[, timezone].
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum CampaignAction {
    /// Create a campaign over the whole roster.
    Create {
        #[arg(long)]
        name: String,
        /// Questionnaire id (repeat for several audiences), e.g. noko-parents.
        #[arg(long = "questionnaire", required = true)]
        questionnaires: Vec<String>,
        /// First day (YYYY-MM-DD), in each school's timezone.
        #[arg(long)]
        starts: NaiveDate,
        /// Last day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        ends: NaiveDate,
        /// Participation target, percent of the headcount.
        #[arg(long)]
        target_percent: i64,
    },
    /// List campaigns with their participation.
    List,
}

#[derive(Debug, Subcommand)]
pub enum LinksAction {
    /// Write DIR/links.csv with one deep link per class (creating missing links), and each
    /// class's QR code and A4 poster under DIR/<municipality>/<school>/.
    Export {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuestionnaireAction {
    /// Validate a questionnaire file and summarise it.
    Check { file: PathBuf },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&settings.database.url).await
}

impl Cli {
    pub async fn execute(self) -> anyhow::Result<()> {
        let explicit = std::env::args().any(|a| a == "--config" || a.starts_with("--config="));
        if let Command::Questionnaire { action: QuestionnaireAction::Check { file } } = &self.command {
            return check(file);
        }
        let settings = Settings::load(&self.config, explicit)?;
        match self.command {
            Command::Run => startup::run(settings).await,
            Command::Roster { action: RosterAction::Import { file } } => {
                let db = open(&settings).await?;
                let summary = operations::import_roster(&db, &file, &settings.survey.default_timezone).await?;
                println!(
                    "Imported {}: {} municipalities, {} schools, {} classes added, {} classes updated.",
                    file.display(),
                    summary.municipalities,
                    summary.schools,
                    summary.classes_added,
                    summary.classes_updated
                );
                Ok(())
            }
            Command::Campaign {
                action: CampaignAction::Create { name, questionnaires, starts, ends, target_percent },
            } => {
                let db = open(&settings).await?;
                let request = CampaignRequest {
                    name: &name,
                    questionnaires: &questionnaires,
                    starts_on: starts,
                    ends_on: ends,
                    target_percent,
                };
                operations::create_campaign(&db, &settings.survey.questionnaires_dir, request).await?;
                println!("Campaign {name:?} created: {starts} to {ends}, target {target_percent}%.");
                println!("Next: anketa links export --campaign {name:?} --out links/");
                Ok(())
            }
            Command::Campaign { action: CampaignAction::List } => {
                let db = open(&settings).await?;
                let campaigns = operations::list_campaigns(&db).await?;
                if campaigns.is_empty() {
                    println!("No campaigns yet. Create one with `anketa campaign create`.");
                }
                for c in campaigns {
                    let percent = if c.headcount > 0 { 100.0 * c.responses as f64 / c.headcount as f64 } else { 0.0 };
                    println!(
                        "{}\t{} – {}\t{}\t{} responses / {} students ({percent:.1}%, target {}%){}",
                        c.campaign.name,
                        c.campaign.starts_on,
                        c.campaign.ends_on,
                        c.questionnaires,
                        c.responses,
                        c.headcount,
                        c.campaign.target_percent,
                        if c.campaign.closed { "\tclosed" } else { "" }
                    );
                }
                Ok(())
            }
            Command::Links { action: LinksAction::Export { campaign, out } } => {
                let db = open(&settings).await?;
                let progress = |done, total| eprintln!("QR codes and posters: {done} of {total} classes");
                let export =
                    operations::export_links(&db, &campaign, &out, &settings.telegram.bot_username, progress).await?;
                println!("Wrote {} class links to {}.", export.classes, export.csv.display());
                println!(
                    "Wrote QR codes (PNG, SVG) and A4 posters (PDF) of {} classes in {} schools to {}.",
                    export.classes,
                    export.schools,
                    out.display()
                );
                Ok(())
            }
            Command::Export { campaign, format: ExportFormat::Csv, out } => {
                let db = open(&settings).await?;
                let count = operations::export_responses(&db, &campaign, &out).await?;
                println!("Wrote {count} responses to {}.", out.display());
                Ok(())
            }
            Command::Questionnaire { .. } => unreachable!("handled above"),
        }
    }
}

fn check(file: &Path) -> anyhow::Result<()> {
    let questionnaire = operations::check_questionnaire(file).context("the questionnaire is not valid")?;
    let conditional = questionnaire.questions.iter().filter(|q| q.show_if.is_some()).count();
    println!(
        "{}: questionnaire {:?} for {} is valid: {} questions ({conditional} conditional).",
        file.display(),
        questionnaire.id,
        questionnaire.audience,
        questionnaire.questions.len()
    );
    Ok(())
}
