//! The command-line surface. Each subcommand calls one library function and prints its result
//! through [`Console`], in the operator's language. The doc comments here document the code;
//! `--help` shows their Fluent counterparts (see [`crate::console`]).

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};

use crate::app;
use crate::app::campaigns::CampaignRequest;
use crate::app::staff::InviteFor;
use crate::args;
use crate::ballot_box::BallotBox;
use crate::bot::sending::BulkBudget;
use crate::campaign::CampaignState;
use crate::clock::Clock;
use crate::config::{Settings, redact_url};
use crate::console::{self, Console};
use crate::db::Db;
use crate::digest::report::shares_text;
use crate::digest::{Digests, Only};
use crate::failure::Failure;
use crate::roles::Scope;
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
        /// Output format: csv (one row per response) or xlsx (plus answer distributions).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// Results by the official НОКО criteria: per school, municipality and region; writes the
    /// free-text proposals beside it (OUT's name with `-proposals`).
    Report {
        #[arg(long)]
        campaign: String,
        /// Output format: csv or xlsx (a results sheet and a notes sheet).
        #[arg(long, value_enum, default_value = "xlsx")]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
        /// CSV of the five audited indicators per school (municipality, school, p_inf, p_dist,
        /// p_komf_usl, p_org_dost, p_uslug_dost), for the criteria К1–К5 and the total.
        #[arg(long)]
        expert: Option<PathBuf>,
    },
    /// Check questionnaire files.
    Questionnaire {
        #[command(subcommand)]
        action: QuestionnaireAction,
    },
    /// Invite, list and revoke administrators (and list every staff member).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Invite class teachers.
    Teacher {
        #[command(subcommand)]
        action: TeacherAction,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Daily participation digests.
    Digest {
        #[command(subcommand)]
        action: DigestAction,
    },
    /// The identity key.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Print a new identity key (32 random bytes as hex) for ANKETA_IDENTITY_KEY or the key file:
    /// `(umask 077; anketa key generate > identity.key)`.
    Generate,
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Create the database if needed and apply pending migrations (`run` does this too).
    Migrate,
    /// Copy every row into a new, empty database, e.g. from sqlite://anketa.db to postgres://...
    Copy {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DigestAction {
    /// Send today's digests now (to those who have not had today's yet).
    Send {
        /// A school name, or "municipality/school".
        #[arg(long, group = "only")]
        school: Option<String>,
        #[arg(long, group = "only")]
        municipality: Option<String>,
    },
    /// Print the digest a school's administrators get today, without sending it.
    Preview {
        /// A school name, or "municipality/school".
        #[arg(long)]
        school: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Print a one-time invitation link (last line of stdout) for an administrator of a scope.
    Invite {
        /// A school name, or "municipality/school" when the name is not unique.
        #[arg(long, group = "scope")]
        school: Option<String>,
        #[arg(long, group = "scope")]
        municipality: Option<String>,
        /// The whole region.
        #[arg(long, group = "scope")]
        region: bool,
        /// How long the invitation stays valid: 7d, 48h, 90m.
        #[arg(long, default_value = "7d")]
        expires_in: String,
    },
    /// List staff members and invitations.
    List,
    /// Revoke a staff member (by the number `admin list` shows) or an unused invitation (by its link or code).
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum TeacherAction {
    /// Print a one-time invitation link (last line of stdout) for a class teacher.
    Invite {
        /// A school name, or "municipality/school" when the name is not unique.
        #[arg(long)]
        school: String,
        #[arg(long)]
        class: String,
        /// How long the invitation stays valid: 7d, 48h, 90m.
        #[arg(long, default_value = "7d")]
        expires_in: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RosterAction {
    /// Import a CSV (UTF-8 or Windows-1251) or XLSX with columns municipality, school, class,
    /// students[, timezone] (or Муниципалитет, Школа, Класс, Учеников[, Часовой пояс]).
    Import {
        file: PathBuf,
        /// Also remove the classes the file lacks (those without responses, staff or invitations).
        #[arg(long)]
        remove_missing: bool,
        /// Only check the file and show what would change.
        #[arg(long)]
        dry_run: bool,
    },
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
        /// The grades a questionnaire is asked in, e.g. noko-students=9-11 or noko-parents=1-8,
        /// or 5,7,9-11 (repeatable); a questionnaire without it is asked in every grade.
        #[arg(long = "grades")]
        grades: Vec<String>,
        /// First day, in each school's timezone: DD.MM.YYYY (23.11.2026) or YYYY-MM-DD (read by
        /// [`day`] once the language is known, so that a bad date is refused in it).
        #[arg(long)]
        starts: String,
        /// Last day, inclusive: DD.MM.YYYY or YYYY-MM-DD.
        #[arg(long)]
        ends: String,
        /// Participation target for each audience, percent of its base.
        #[arg(long)]
        target_percent: i64,
        /// Accept a first day that is already past.
        #[arg(long)]
        allow_past_start: bool,
    },
    /// List campaigns with their participation.
    List,
    /// Close a campaign: its links then answer politely and store nothing.
    Close { name: String },
    /// Move a campaign's last day.
    Extend {
        name: String,
        /// The new last day: DD.MM.YYYY or YYYY-MM-DD, today or later.
        #[arg(long)]
        ends: String,
    },
    /// Reopen a closed campaign.
    Reopen {
        name: String,
        /// A new last day (DD.MM.YYYY or YYYY-MM-DD, today or later); required when the old one is past.
        #[arg(long)]
        ends: Option<String>,
    },
    /// Rename a campaign nobody has answered yet.
    Rename {
        name: String,
        /// The new name.
        #[arg(long = "to")]
        new_name: String,
    },
    /// Delete a campaign nobody has answered yet, with its links and digest records.
    Delete { name: String },
}

/// A day as operators type it.
fn day(text: &str) -> Result<NaiveDate, crate::campaign::DateError> {
    crate::campaign::parse_date(text)
}

/// The earliest day it is anywhere in the region (UTC: Russia's time zones are all ahead of it),
/// by the clock `ANKETA_CLOCK` may set.
fn earliest_today() -> anyhow::Result<NaiveDate> {
    Ok(Clock::from_env()?.now().date_naive())
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
    /// Revoke a class's link (e.g. after it leaked) and print the new one.
    Revoke {
        #[arg(long)]
        campaign: String,
        /// A school name, or "municipality/school" when the name is not unique.
        #[arg(long)]
        school: String,
        #[arg(long)]
        class: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuestionnaireAction {
    /// Validate a questionnaire file and summarise it.
    Check { file: PathBuf },
    /// Walk a questionnaire (an id from the questionnaires folder, or a file) in the terminal as
    /// the bot would show it: type a button's number, or text for free-text questions; q quits.
    Preview {
        id_or_file: String,
        /// Language of the screens: ru or en; the command line's by default.
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl From<ExportFormat> for app::exports::ExportFormat {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Csv => app::exports::ExportFormat::Csv,
            ExportFormat::Xlsx => app::exports::ExportFormat::Xlsx,
        }
    }
}

/// Opens the database, which must exist: a command run in the wrong folder or with the wrong
/// settings would otherwise work on a new empty file. Says which database it is.
async fn open(settings: &Settings, console: &Console) -> anyhow::Result<Db> {
    if let Some(file) = crate::db::sqlite_file(&settings.database.url)
        && !file.exists()
    {
        return Err(Failure::NoDatabase(std::path::absolute(&file).unwrap_or(file)).into());
    }
    create(settings, console).await
}

/// Opens the database, making a new SQLite file if there is none (`roster import`, `db migrate`).
async fn create(settings: &Settings, console: &Console) -> anyhow::Result<Db> {
    console.note("cli-database", &args![("url", redact_url(&settings.database.url))]);
    Db::connect(&settings.database.url).await
}

/// Releases what the ballot box may release now (a campaign that has ended releases everything),
/// so that the command reads what the bot would; says how many answers stay sealed.
async fn settle(db: &Db, settings: &Settings, campaign: &str, console: &Console) -> anyhow::Result<()> {
    let timezone = settings.survey.default_timezone;
    let min_group = usize::try_from(settings.privacy.min_group_size)?;
    BallotBox::new(db.clone(), min_group, timezone, Clock::from_env()?).settle_all().await?;
    if let Some(campaign) = db.campaign_by_name(campaign).await? {
        let sealed = db.sealed_count(campaign.id).await?;
        if sealed > 0 {
            console.note("cli-sealed", &args![("count", sealed), ("min", min_group)]);
        }
    }
    Ok(())
}

/// `roster import`: the preview of the file, then what the import did; a file with errors is
/// refused with all of them.
async fn import_roster(
    db: &Db,
    settings: &Settings,
    file: &Path,
    remove_missing: bool,
    dry_run: bool,
    console: &Console,
) -> anyhow::Result<String> {
    let (texts, lang) = (&console.texts, console.lang);
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| crate::failure::Failure::Read(file.to_path_buf(), e))?;
    let timezone = settings.survey.default_timezone;
    let not_imported = texts.get_with(lang, "roster-cli-not-imported", &crate::args![("file", name.as_str())]);
    match app::roster::import_roster(db, &bytes, timezone, remove_missing, dry_run).await? {
        app::roster::RosterImport::Rejected(error) => anyhow::bail!("{not_imported}\n{}", error.render(texts, lang)),
        app::roster::RosterImport::Checked { preview, applied } => {
            let shown = preview.render(texts, lang);
            match applied {
                _ if preview.has_errors() => {
                    anyhow::bail!("{not_imported}\n{shown}\n\n{}", texts.get(lang, "roster-preview-fix"))
                }
                Some(applied) => Ok(format!("{shown}\n\n{}", applied.render(texts, lang))),
                None => Ok(format!("{shown}\n\n{}", texts.get(lang, "roster-cli-dry-run"))),
            }
        }
    }
}

impl Cli {
    /// The runtime the command runs on. The bot gets one thread for all its updates: an update's
    /// work is small, and handing it between two workers cost more CPU than it saved (its heavy work
    /// goes to the blocking pool, and SQLite's to its connection threads). A command-line job gets a
    /// worker a core, so that reading the database overlaps building the file.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut builder = match self.command {
            Command::Run => tokio::runtime::Builder::new_current_thread(),
            _ => tokio::runtime::Builder::new_multi_thread(),
        };
        builder.enable_all().build()
    }

    /// Runs the command; `console` starts in the language chosen before the settings load and
    /// speaks the settings' language once they have.
    pub async fn execute(self, console: &mut Console) -> anyhow::Result<()> {
        let explicit = std::env::args().any(|a| a == "--config" || a.starts_with("--config="));
        if let Command::Questionnaire { action: QuestionnaireAction::Check { file } } = &self.command {
            return check(file, console);
        }
        if let Command::Key { action: KeyAction::Generate } = &self.command {
            println!("{}", crate::privacy::generate_key());
            return Ok(());
        }
        let settings = Settings::load(&self.config, explicit)?;
        console.lang = console::choose(settings.ui.language.map(Into::into));
        let console = &*console;
        if let Command::Questionnaire { action: QuestionnaireAction::Preview { id_or_file, lang } } = &self.command {
            let (questionnaire, _) =
                app::campaigns::find_questionnaire(&settings.survey.questionnaires_dir, id_or_file)?;
            let lang = lang.as_deref().map_or(console.lang, |code| crate::survey::Lang::from_code(Some(code)));
            crate::preview::run(questionnaire, lang, &mut std::io::stdin().lock(), &mut std::io::stdout())?;
            return Ok(());
        }
        match self.command {
            Command::Run => startup::run(settings).await,
            Command::Roster { action: RosterAction::Import { file, remove_missing, dry_run } } => {
                let db = create(&settings, console).await?;
                let text = import_roster(&db, &settings, &file, remove_missing, dry_run, console).await?;
                println!("{text}");
                Ok(())
            }
            Command::Campaign {
                action:
                    CampaignAction::Create { name, questionnaires, grades, starts, ends, target_percent, allow_past_start },
            } => {
                let (starts, ends) = (day(&starts)?, day(&ends)?);
                let grades =
                    grades.iter().map(|text| app::campaigns::parse_grades_arg(text)).collect::<Result<Vec<_>, _>>()?;
                let db = open(&settings, console).await?;
                let request = CampaignRequest {
                    name: &name,
                    questionnaires: &questionnaires,
                    starts_on: starts,
                    ends_on: ends,
                    target_percent,
                    grades: &grades,
                };
                let guards = app::campaigns::CreateGuards { today: earliest_today()?, allow_past_start };
                let created =
                    app::campaigns::create_campaign_checked(&db, &settings.survey.questionnaires_dir, request, guards)
                        .await?;
                console.say(
                    "cli-campaign-created",
                    &args![
                        ("name", name.as_str()),
                        ("starts", console.day(starts)),
                        ("ends", console.day(ends)),
                        ("target", target_percent)
                    ],
                );
                if !created.ungraded.is_empty() {
                    console.say(
                        "cli-campaign-ungraded",
                        &args![("count", created.ungraded.len()), ("classes", created.ungraded.join("\n"))],
                    );
                }
                console.say("cli-next-links-export", &args![("name", name.as_str())]);
                Ok(())
            }
            Command::Campaign { action: CampaignAction::List } => {
                let db = open(&settings, console).await?;
                let campaigns = app::campaigns::list_campaigns(&db).await?;
                let today = Clock::from_env()?.now().with_timezone(&settings.survey.default_timezone).date_naive();
                if campaigns.is_empty() {
                    console.say("cli-campaigns-none", &args![]);
                }
                for c in campaigns {
                    let shares = shares_text(&console.texts, console.lang, &c.participation, None);
                    let participation = console.text(
                        "cli-campaign-participation",
                        &args![("shares", shares), ("target", c.campaign.target_percent)],
                    );
                    let state = CampaignState::on(today, c.campaign.starts_on, c.campaign.ends_on, c.campaign.closed);
                    println!(
                        "{}\t{} – {}\t{}\t{participation}\t{}",
                        c.campaign.name,
                        console.day(c.campaign.starts_on),
                        console.day(c.campaign.ends_on),
                        c.questionnaires,
                        console.text(state.message_id(), &args![])
                    );
                }
                Ok(())
            }
            Command::Links { action: LinksAction::Export { campaign, out } } => {
                let db = open(&settings, console).await?;
                let progress = |done: usize, total: usize| {
                    console.note("cli-links-progress", &args![("done", done), ("total", total)]);
                };
                let export = app::links::export_links(
                    &db,
                    &campaign,
                    &out,
                    &settings.telegram.bot_username,
                    settings.files.csv,
                    progress,
                )
                .await?;
                console.say(
                    "cli-links-csv",
                    &args![("classes", export.classes), ("path", export.csv.display().to_string())],
                );
                console.say("cli-links-xlsx", &args![("path", export.xlsx.display().to_string())]);
                console.say(
                    "cli-links-posters",
                    &args![
                        ("classes", export.classes),
                        ("schools", export.schools),
                        ("path", out.display().to_string())
                    ],
                );
                Ok(())
            }
            Command::Export { campaign, format, out } => {
                let db = open(&settings, console).await?;
                settle(&db, &settings, &campaign, console).await?;
                let count =
                    app::exports::export_responses(&db, &campaign, &out, format.into(), settings.files.csv).await?;
                console.say("cli-export-written", &args![("count", count), ("path", out.display().to_string())]);
                Ok(())
            }
            Command::Report { campaign, format, out, expert } => {
                let db = open(&settings, console).await?;
                settle(&db, &settings, &campaign, console).await?;
                let request = app::reports::ReportRequest {
                    campaign: &campaign,
                    out: &out,
                    format: format.into(),
                    expert: expert.as_deref(),
                    method: settings.report.method(),
                    sample: settings.report.sample(),
                    min_group_size: usize::try_from(settings.privacy.min_group_size)?,
                    csv_dialect: settings.files.csv,
                };
                let summary = app::reports::report(&db, request).await?;
                console.say(
                    "cli-report-written",
                    &args![
                        ("schools", summary.schools),
                        ("respondents", summary.respondents),
                        ("path", out.display().to_string())
                    ],
                );
                console.say(
                    "cli-report-proposals",
                    &args![
                        ("count", summary.proposals),
                        ("held_back", summary.proposals_held_back),
                        ("path", summary.proposals_file.display().to_string()),
                        ("min", settings.privacy.min_group_size)
                    ],
                );
                if !summary.without_expert.is_empty() {
                    console.say(
                        "cli-report-without-expert",
                        &args![("count", summary.without_expert.len()), ("schools", summary.without_expert.join("; "))],
                    );
                }
                Ok(())
            }
            Command::Campaign { action: CampaignAction::Close { name } } => {
                let db = open(&settings, console).await?;
                app::campaigns::close_campaign(&db, &name).await?;
                settle(&db, &settings, &name, console).await?;
                console.say("cli-campaign-closed", &args![("name", name.as_str())]);
                Ok(())
            }
            Command::Campaign { action: CampaignAction::Extend { name, ends } } => {
                let ends = day(&ends)?;
                let db = open(&settings, console).await?;
                app::campaigns::extend_campaign(&db, &name, ends).await?;
                console.say("cli-campaign-extended", &args![("name", name.as_str()), ("ends", console.day(ends))]);
                Ok(())
            }
            Command::Campaign { action: CampaignAction::Reopen { name, ends } } => {
                let ends = ends.as_deref().map(day).transpose()?;
                let db = open(&settings, console).await?;
                let ends = app::campaigns::reopen_campaign(&db, &name, ends, earliest_today()?).await?;
                console.say("cli-campaign-reopened", &args![("name", name.as_str()), ("ends", console.day(ends))]);
                Ok(())
            }
            Command::Campaign { action: CampaignAction::Rename { name, new_name: to } } => {
                let db = open(&settings, console).await?;
                let renamed =
                    async { app::campaign_edit::rename(&db, &app::campaign_edit::named(&db, &name).await?, &to).await };
                renamed.await.map_err(|e| anyhow::anyhow!(e.message(&console.texts, console.lang)))?;
                let to = app::campaign_edit::checked_name(&to)?;
                console.say("campaign-edit-renamed", &args![("name", name), ("new", to)]);
                Ok(())
            }
            Command::Campaign { action: CampaignAction::Delete { name } } => {
                let db = open(&settings, console).await?;
                let deleted =
                    async { app::campaign_edit::delete(&db, &app::campaign_edit::named(&db, &name).await?).await };
                deleted.await.map_err(|e| anyhow::anyhow!(e.message(&console.texts, console.lang)))?;
                console.say("campaign-edit-deleted", &args![("name", name)]);
                Ok(())
            }
            Command::Links { action: LinksAction::Revoke { campaign, school, class } } => {
                let db = open(&settings, console).await?;
                let url =
                    app::links::reissue_link(&db, &campaign, &school, &class, &settings.telegram.bot_username).await?;
                console.say("cli-link-revoked", &args![("class", class.as_str())]);
                println!("{url}");
                Ok(())
            }
            Command::Admin { action: AdminAction::Invite { school, municipality, region, expires_in } } => {
                let target = match (school, municipality, region) {
                    (Some(school), None, false) => InviteFor::School(school),
                    (None, Some(municipality), false) => InviteFor::Municipality(municipality),
                    (None, None, true) => InviteFor::Region,
                    _ => return Err(Failure::OneScope.into()),
                };
                invite(&settings, &target, &expires_in, console).await
            }
            Command::Teacher { action: TeacherAction::Invite { school, class, expires_in } } => {
                invite(&settings, &InviteFor::Class { school, class }, &expires_in, console).await
            }
            Command::Admin { action: AdminAction::List } => {
                let db = open(&settings, console).await?;
                let (staff, invitations) = app::staff::list(&db).await?;
                console.say("cli-staff-heading", &args![]);
                if staff.is_empty() {
                    println!("  {}", console.text("cli-staff-none", &args![]));
                }
                let revoked = console.text("cli-staff-revoked", &args![]);
                for member in staff {
                    println!(
                        "  {}\t{}\t{}\t{}{}",
                        member.id,
                        member.role,
                        member.scope_name(),
                        member.name,
                        if member.revoked { format!("\t{revoked}") } else { String::new() }
                    );
                }
                console.say("cli-invitations-heading", &args![]);
                for invitation in invitations {
                    let state = if invitation.accepted {
                        invitation.accepted_by.map_or_else(
                            || console.text("cli-invitation-accepted", &args![]),
                            |id| console.text("cli-invitation-accepted-by", &args![("id", id)]),
                        )
                    } else if invitation.revoked {
                        console.text("cli-invitation-revoked", &args![])
                    } else {
                        console.text(
                            "cli-invitation-open",
                            &args![("until", local_time(&settings, invitation.expires_at))],
                        )
                    };
                    let scope: Vec<&str> = [&invitation.municipality, &invitation.school, &invitation.class]
                        .into_iter()
                        .filter_map(|p| p.as_deref())
                        .collect();
                    // Who sent it, by the number the staff list shows: a staff member is traced
                    // to their inviter through their invitation.
                    let by = invitation
                        .invited_by
                        .map(|id| format!("\t{}", console.text("cli-invitation-invited-by", &args![("id", id)])))
                        .unwrap_or_default();
                    println!("  {}\t{}\t{}\t{state}{by}", invitation.code, invitation.role, scope.join(" / "));
                }
                Ok(())
            }
            Command::Admin { action: AdminAction::Revoke { id } } => {
                let db = open(&settings, console).await?;
                // Without a token the revocation still holds; only Telegram is not told.
                let bot = crate::startup::bot_from_env().ok();
                match app::staff::revoke(&db, bot.as_ref(), &console.texts, &id, Utc::now()).await? {
                    app::staff::Revoked::Staff { member, told } => {
                        console.say(
                            "cli-revoked-staff",
                            &args![
                                ("name", member.name.as_str()),
                                ("role", member.role.to_string()),
                                ("scope", member.scope_name())
                            ],
                        );
                        if !told {
                            console.note("cli-revoked-not-told", &args![]);
                        }
                    }
                    app::staff::Revoked::Invitation => {
                        console.say("cli-revoked-invitation", &args![("code", id.as_str())]);
                    }
                }
                Ok(())
            }
            Command::Digest { action: DigestAction::Send { school, municipality } } => {
                let db = open(&settings, console).await?;
                let only = match (school, municipality) {
                    (Some(school), _) => {
                        let school = app::staff::resolve_school(&db, &school).await?;
                        Only::Within(Scope::School {
                            municipality_id: school.municipality_id,
                            school_id: school.school_id,
                        })
                    }
                    (None, Some(name)) => {
                        let (id, _) =
                            db.find_municipality(name.trim()).await?.ok_or_else(|| Failure::NoMunicipality(name))?;
                        Only::Within(Scope::Municipality { municipality_id: id })
                    }
                    (None, None) => Only::Everyone,
                };
                let bot = crate::startup::bot_from_env()?;
                // Within the bulk budget the running bot uses too.
                let budget = BulkBudget::new(db.clone(), &bot, settings.telegram.bulk_per_second);
                let outbox = crate::bot::digests::Outbox { bot, budget };
                let digests = Digests { db: &db, texts: &console.texts, settings: &settings };
                // Ctrl-C ends the run between two digests; the rest are given back for the bot.
                let (_signals, mut stop) = crate::shutdown::on_signal()?;
                let summary = digests.run(Clock::from_env()?.now(), only, true, &mut stop, &outbox).await?;
                console.say(
                    "cli-digests-sent",
                    &args![("sent", summary.sent), ("blocked", summary.blocked), ("failed", summary.failed)],
                );
                Ok(())
            }
            Command::Digest { action: DigestAction::Preview { school } } => {
                let db = open(&settings, console).await?;
                let school = app::staff::resolve_school(&db, &school).await?;
                let digests = Digests { db: &db, texts: &console.texts, settings: &settings };
                let previews = digests.preview_school(&school, Clock::from_env()?.now(), console.lang).await?;
                if previews.is_empty() {
                    console.say("cli-digest-none", &args![("school", school.school.as_str())]);
                }
                println!("{}", previews.join("\n\n"));
                Ok(())
            }
            Command::Db { action: DbAction::Migrate } => {
                create(&settings, console).await?;
                console.say("cli-db-up-to-date", &args![("url", redact_url(&settings.database.url))]);
                Ok(())
            }
            Command::Db { action: DbAction::Copy { from, to } } => {
                let source = Db::connect(&from).await.map_err(|e| e.context(console.text("cli-db-from", &args![])))?;
                let target = Db::connect(&to).await.map_err(|e| e.context(console.text("cli-db-to", &args![])))?;
                source
                    .copy_into(&target, |table, rows| {
                        console.note("cli-db-copied-table", &args![("table", table), ("rows", rows)]);
                    })
                    .await?;
                console.say("cli-db-copied", &args![("from", redact_url(&from)), ("to", redact_url(&to))]);
                Ok(())
            }
            Command::Questionnaire { .. } | Command::Key { .. } => unreachable!("handled above"),
        }
    }
}

async fn invite(settings: &Settings, target: &InviteFor, expires_in: &str, console: &Console) -> anyhow::Result<()> {
    let db = open(settings, console).await?;
    let valid_for = crate::config::parse_duration(expires_in)?;
    let (link, expires_at) =
        app::staff::invite(&db, target, valid_for, &settings.telegram.bot_username, Utc::now()).await?;
    console.say("cli-invitation", &args![("until", local_time(settings, expires_at))]);
    println!("{link}");
    Ok(())
}

/// A moment as the region reads it: in `survey.default_timezone`, the zone named.
fn local_time(settings: &Settings, moment: chrono::DateTime<Utc>) -> String {
    app::staff::local_time(settings.survey.default_timezone, moment)
}

fn check(file: &Path, console: &Console) -> anyhow::Result<()> {
    let questionnaire = app::campaigns::check_questionnaire(file)
        .map_err(|e| e.context(console.text("cli-questionnaire-invalid", &args![])))?;
    let conditional = questionnaire.questions.iter().filter(|q| q.show_if.is_some()).count();
    console.say(
        "cli-questionnaire-valid",
        &args![
            ("file", file.display().to_string()),
            ("id", questionnaire.id.as_str()),
            ("audience", questionnaire.audience.code()),
            ("questions", questionnaire.questions.len()),
            ("conditional", conditional)
        ],
    );
    Ok(())
}
