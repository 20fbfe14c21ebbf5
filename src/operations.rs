//! What the operator's command line does: one function per subcommand, free of argument parsing
//! and printing, so tests and other front ends can call them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use rand::Rng;

use crate::csv_out::Dialect;
use crate::db::{CampaignSummary, ClassLink, Db, ExportRow, NewCampaign, Reader};
use crate::expert;
use crate::failure::Failure;
use crate::i18n::Texts;
use crate::poster::{Poster, Printer};
use crate::qr::Qr;
use crate::report::{self, Report, SchoolKey};
use crate::roles::Scope;
use crate::roster;
use crate::survey::Lang;
use crate::survey::scoring::{self, ExpertScores, OpennessVariant};
use crate::survey::{Audience, Questionnaire, Survey};
use crate::workbook;

/// The symbols of class link codes: digits and lowercase letters without the ones a printed poster
/// lets people mistake for each other (0/o, 1/l/i), and one case only, as people type.
const LINK_CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Length of a class link code: 14 of 31 symbols is 69 bits, far beyond guessing.
const LINK_CODE_LEN: usize = 14;

/// What `roster import` found in a file and did with it.
#[derive(Debug)]
pub enum RosterImport {
    /// The file cannot be read as a roster at all.
    Rejected(roster::RosterError),
    /// The file read whole; imported unless it has errors or only a check was asked for.
    Checked { preview: Box<roster::Preview>, applied: Option<roster::Applied> },
}

/// Checks a roster file (CSV or XLSX) against the stored roster and, unless it has errors or
/// `dry_run` is set, imports it in one transaction; `remove_missing` removes the stored classes
/// the file lacks where nothing refers to them.
pub async fn import_roster(
    db: &Db,
    file: &[u8],
    default_timezone: chrono_tz::Tz,
    remove_missing: bool,
    dry_run: bool,
) -> anyhow::Result<RosterImport> {
    let checked = match roster::check(file) {
        Ok(checked) => checked,
        Err(error) => return Ok(RosterImport::Rejected(error)),
    };
    let preview = Box::new(roster::Preview::new(checked, &db.stored_roster().await?));
    if preview.has_errors() || dry_run {
        return Ok(RosterImport::Checked { preview, applied: None });
    }
    let applied = match db.apply_roster(&preview.checked.rows, default_timezone, remove_missing, None).await? {
        crate::db::ImportOutcome::Imported(applied) => applied,
        other => anyhow::bail!("the roster was not imported: {other:?}"),
    };
    Ok(RosterImport::Checked { preview, applied: Some(applied) })
}

/// Finds a questionnaire by id (or file path) in the questionnaires folder and validates it.
/// Returns the questionnaire and its exact text, which a campaign keeps.
pub fn find_questionnaire(dir: &Path, id_or_path: &str) -> anyhow::Result<(Questionnaire, String)> {
    let as_path = PathBuf::from(id_or_path);
    let candidates: Vec<PathBuf> = if as_path.extension().is_some_and(|e| e == "toml") && as_path.is_file() {
        vec![as_path]
    } else {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Failure::Read(dir.to_path_buf(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    };
    let mut known = Vec::new();
    for path in candidates {
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::Read(path.clone(), e))?;
        let questionnaire =
            Questionnaire::from_toml(&text).map_err(|e| Failure::QuestionnaireInvalid(path.clone(), e))?;
        if questionnaire.id == id_or_path || path == Path::new(id_or_path) {
            return Ok((questionnaire, text));
        }
        known.push(questionnaire.id);
    }
    Err(Failure::NoQuestionnaire { id: id_or_path.to_string(), dir: dir.to_path_buf(), known: known.join(", ") }.into())
}

/// Every valid questionnaire in the questionnaires folder, by file name (the bot offers them).
pub fn list_questionnaires(dir: &Path) -> anyhow::Result<Vec<Questionnaire>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::Read(dir.to_path_buf(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut questionnaires = Vec::new();
    for path in files {
        match Questionnaire::load(&path) {
            Ok(questionnaire) => questionnaires.push(questionnaire),
            Err(e) => tracing::warn!(file = %path.display(), error = format!("{e:#}"), "invalid questionnaire skipped"),
        }
    }
    Ok(questionnaires)
}

/// The validated content of a questionnaire file, for `questionnaire check`.
pub fn check_questionnaire(file: &Path) -> anyhow::Result<Questionnaire> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::Read(file.to_path_buf(), e))?;
    Ok(Questionnaire::from_toml(&text).map_err(|e| Failure::QuestionnaireInvalid(file.to_path_buf(), e))?)
}

/// What `campaign create` is asked for, before it is checked.
pub struct CampaignRequest<'a> {
    pub name: &'a str,
    pub questionnaires: &'a [String],
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_percent: i64,
}

pub async fn create_campaign(db: &Db, dir: &Path, request: CampaignRequest<'_>) -> anyhow::Result<i64> {
    let new = checked_campaign(dir, &request)?;
    Ok(db.create_campaign(&new, Utc::now()).await?)
}

/// What an operator may wave through when creating a campaign.
#[derive(Debug, Clone, Copy)]
pub struct CreateGuards {
    /// The earliest day it is anywhere in the region (UTC: Russia's time zones are all ahead of it).
    pub today: NaiveDate,
    /// Starting on a day already past (e.g. entering a campaign that began on paper).
    pub allow_past_start: bool,
}

/// Creates a campaign as an operator asks for it, in the CLI or in the bot: besides what
/// [`create_campaign`] checks, a start day already past and an empty roster are refused.
pub async fn create_campaign_checked(
    db: &Db,
    dir: &Path,
    request: CampaignRequest<'_>,
    guards: CreateGuards,
) -> anyhow::Result<i64> {
    let new = checked_campaign(dir, &request)?;
    if db.campaign_by_name(&new.name).await?.is_some() {
        return Err(crate::db::CampaignError::NameTaken(new.name).into());
    }
    if new.starts_on < guards.today && !guards.allow_past_start {
        return Err(Failure::StartInPast { starts: new.starts_on, today: guards.today }.into());
    }
    if db.class_count().await? == 0 {
        return Err(Failure::EmptyRoster.into());
    }
    Ok(db.create_campaign(&new, Utc::now()).await?)
}

/// A campaign request checked against itself and the questionnaires folder.
fn checked_campaign(dir: &Path, request: &CampaignRequest<'_>) -> anyhow::Result<NewCampaign> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(Failure::EmptyName.into());
    }
    if request.ends_on < request.starts_on {
        return Err(Failure::EndBeforeStart { starts: request.starts_on, ends: request.ends_on }.into());
    }
    if !(1..=100).contains(&request.target_percent) {
        return Err(Failure::TargetOutOfRange(request.target_percent).into());
    }
    if request.questionnaires.is_empty() {
        return Err(Failure::NoQuestionnaireGiven.into());
    }
    let mut by_audience: BTreeMap<Audience, (String, String)> = BTreeMap::new();
    for id in request.questionnaires {
        let (questionnaire, text) = find_questionnaire(dir, id)?;
        if let Some((other, _)) = by_audience.get(&questionnaire.audience) {
            return Err(Failure::SameAudience {
                first: other.clone(),
                second: questionnaire.id,
                audience: questionnaire.audience.code().to_string(),
            }
            .into());
        }
        by_audience.insert(questionnaire.audience, (questionnaire.id, text));
    }
    let new = NewCampaign {
        name: name.to_string(),
        starts_on: request.starts_on,
        ends_on: request.ends_on,
        target_percent: request.target_percent,
        questionnaires: by_audience.into_iter().map(|(audience, (id, text))| (audience, id, text)).collect(),
    };
    Ok(new)
}

pub async fn list_campaigns(db: &Db) -> anyhow::Result<Vec<CampaignSummary>> {
    Ok(db.list_campaigns().await?)
}

fn new_link_code() -> String {
    let mut rng = rand::thread_rng();
    (0..LINK_CODE_LEN).map(|_| char::from(LINK_CODE_ALPHABET[rng.gen_range(0..LINK_CODE_ALPHABET.len())])).collect()
}

/// The deep link a class's parents open.
pub fn deep_link(bot_username: &str, code: &str) -> String {
    format!("https://t.me/{bot_username}?start={code}")
}

/// What `links export` wrote.
pub struct LinksExport {
    pub csv: PathBuf,
    /// The same links in a table with clickable links, [`crate::kit::LINKS_XLSX`].
    pub xlsx: PathBuf,
    pub classes: usize,
    pub schools: usize,
}

/// How often `links export` reports progress, in classes: a region has tens of thousands.
pub const PROGRESS_EVERY: usize = 100;

/// Gives every class a link for the campaign and writes `DIR/links.csv`; then, for each class,
/// its QR code and poster as `DIR/<municipality>/<school>/<class>.png|.svg|.pdf`, and for each
/// school all its posters in `posters.pdf`. Calls `progress(done, total)` every
/// [`PROGRESS_EVERY`] classes and once at the end.
pub async fn export_links(
    db: &Db,
    campaign: &str,
    dir: &Path,
    bot_username: &str,
    csv_dialect: Dialect,
    progress: impl FnMut(usize, usize) + Send,
) -> anyhow::Result<LinksExport> {
    if bot_username.is_empty() {
        return Err(Failure::NoBotUsername.into());
    }
    let campaign = campaign_named(db, campaign).await?;
    let links = db.ensure_links(campaign.id, Utc::now(), new_link_code).await?;
    if links.is_empty() {
        return Err(Failure::EmptyRoster.into());
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::CreateFolder(dir.to_path_buf(), e))?;
    let csv = dir.join("links.csv");
    let mut writer =
        crate::csv_out::Writer::from_path(&csv, csv_dialect).map_err(|e| Failure::Write(csv.clone(), e))?;
    writer.write_record(["municipality", "school", "class", "url"])?;
    for link in &links {
        writer.write_record([&link.municipality, &link.school, &link.class, &deep_link(bot_username, &link.code)])?;
    }
    writer.flush()?;
    let xlsx = dir.join(crate::kit::LINKS_XLSX);
    let table = crate::kit::links_xlsx(&kit_classes(&links, bot_username))?;
    std::fs::write(&xlsx, table).map_err(|e| Failure::Write(xlsx.clone(), e))?;
    let schools = write_posters(dir, bot_username, &links, progress)?;
    Ok(LinksExport { csv, xlsx, classes: links.len(), schools })
}

/// Every class's link for the campaign, creating the missing ones.
pub async fn campaign_links(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<ClassLink>> {
    Ok(db.ensure_links(campaign_id, Utc::now(), new_link_code).await?)
}

/// The classes of a kit, each with its deep link.
pub fn kit_classes(links: &[ClassLink], bot_username: &str) -> Vec<crate::kit::KitClass> {
    links
        .iter()
        .map(|link| crate::kit::KitClass {
            municipality: link.municipality.clone(),
            school: link.school.clone(),
            class: link.class.clone(),
            headcount: link.headcount,
            link: deep_link(bot_username, &link.code),
        })
        .collect()
}

/// One school's folder and its classes with their file stems.
struct SchoolFiles<'a> {
    school: &'a str,
    dir: PathBuf,
    classes: Vec<(&'a ClassLink, PathBuf)>,
}

/// Decides every folder and file name before anything is drawn, in one pass over the sorted
/// roster, so a name never depends on which thread got there first.
fn plan_files<'a>(dir: &Path, links: &'a [ClassLink]) -> Vec<SchoolFiles<'a>> {
    let mut by_school: BTreeMap<(&str, &str), Vec<&ClassLink>> = BTreeMap::new();
    for link in links {
        by_school.entry((&link.municipality, &link.school)).or_default().push(link);
    }
    let mut municipalities = Folder::reserving("links.csv");
    let mut municipality: Option<(&str, PathBuf, Folder)> = None;
    let mut plan = Vec::new();
    for ((municipality_name, school), mut classes) in by_school {
        if municipality.as_ref().is_none_or(|(name, ..)| *name != municipality_name) {
            let path = dir.join(municipalities.name_for(municipality_name));
            municipality = Some((municipality_name, path, Folder::default()));
        }
        let (_, municipality_dir, schools) = municipality.as_mut().expect("set above");
        let school_dir = municipality_dir.join(schools.name_for(school));
        // The school's booklet is printed in class order: 5А, 5Б, …, 10А, not 10А before 5А.
        classes.sort_by_cached_key(|link| class_order(&link.class));
        let mut files = Folder::reserving("posters");
        let classes = classes.into_iter().map(|link| (link, school_dir.join(files.name_for(&link.class)))).collect();
        plan.push(SchoolFiles { school, dir: school_dir, classes });
    }
    plan
}

/// Writes the QR codes and posters of every class, a school at a time on each core (a region
/// takes minutes on one); returns the school count.
fn write_posters(
    dir: &Path,
    bot_username: &str,
    links: &[ClassLink],
    progress: impl FnMut(usize, usize) + Send,
) -> anyhow::Result<usize> {
    let plan = plan_files(dir, links);
    let printer = Printer::default();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // The count and the report move together, so reports come in order.
    let done = Mutex::new((0_usize, progress));
    let class_done = || {
        let mut done = done.lock().expect("no thread panics holding it");
        done.0 += 1;
        if done.0.is_multiple_of(PROGRESS_EVERY) && done.0 < links.len() {
            let count = done.0;
            (done.1)(count, links.len());
        }
    };
    let work = || -> anyhow::Result<()> {
        while let Some(school) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            write_school(school, bot_username, &printer, class_done).inspect_err(|_| {
                failed.store(true, Ordering::Relaxed);
            })?;
        }
        Ok(())
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(plan.len());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers.into_iter().try_for_each(|worker| worker.join().expect("a poster thread panicked"))
    })?;
    let (count, mut progress) = done.into_inner().expect("no thread panicked");
    progress(count, links.len());
    Ok(plan.len())
}

/// One school: each class's PNG, SVG and poster, then the school's `posters.pdf`.
fn write_school(
    school: &SchoolFiles<'_>,
    bot_username: &str,
    printer: &Printer,
    class_done: impl Fn(),
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&school.dir).map_err(|e| Failure::CreateFolder(school.dir.to_path_buf(), e))?;
    let mut codes = Vec::new();
    for (link, stem) in &school.classes {
        let url = deep_link(bot_username, &link.code);
        let qr = Qr::new(&url)?;
        write_file(stem, "png", &qr.png()?)?;
        write_file(stem, "svg", qr.svg().as_bytes())?;
        let poster = Poster { school: school.school, class: &link.class, link: &url, qr: &qr, campaign: None };
        write_file(stem, "pdf", &printer.pdf(&[poster])?)?;
        codes.push((link, url, qr));
        class_done();
    }
    let posters: Vec<Poster> = codes
        .iter()
        .map(|(link, url, qr)| Poster { school: school.school, class: &link.class, link: url, qr, campaign: None })
        .collect();
    write_file(&school.dir.join("posters"), "pdf", &printer.pdf(&posters)?)
}

/// Writes `STEM.EXTENSION` (added, not `Path::with_extension`: class "5.1" keeps its dot).
fn write_file(stem: &Path, extension: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = stem.with_added_extension(extension);
    std::fs::write(&path, bytes).map_err(|e| Failure::Write(path, e).into())
}

/// Sorts class names by their leading number, then by name; names without a number go last.
pub(crate) fn class_order(class: &str) -> (u32, String) {
    let digits: String = class.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), class.to_string())
}

/// Longest file or folder name, in characters: a typical long school name fits whole, and three
/// levels plus a 40-character output folder stay under the 260 characters that Windows Explorer
/// and many programs still allow for a whole path.
const MAX_NAME_CHARS: usize = 100;

/// Longest name in UTF-8 bytes, leaving room for " (2)" and an extension under the 255 bytes Linux
/// allows (Cyrillic takes two bytes a letter, some scripts four).
const MAX_NAME_BYTES: usize = 240;

/// Names Windows keeps for devices, with or without an extension (`CON`, `nul.pdf`).
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹",
    "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²",
    "LPT³",
];

/// A file or folder name made from a roster name that a person still recognises (Cyrillic kept)
/// and that Windows, macOS and Linux all accept: forbidden characters (`<>:"/\|?*`, control
/// characters) become `_`, a leading dot (a hidden file) too, trailing dots and spaces (which
/// Windows drops) go, device names (`CON`, `NUL`…) get a `_` in front, and a very long name keeps
/// its beginning and end around a `…`, since school names differ at the end ("… № 12").
pub fn safe_file_name(name: &str) -> String {
    let chars: Vec<char> =
        name.trim().chars().map(|c| if c.is_control() || r#"<>:"/\|?*"#.contains(c) { '_' } else { c }).collect();
    // Keeps `keep` characters: all of them, or the beginning and the end around a `…`.
    let shortened = |keep: usize| -> String {
        if keep >= chars.len() {
            return chars.iter().collect();
        }
        let head = (keep - 1).div_ceil(2);
        let (start, end) = (&chars[..head], &chars[chars.len() - (keep - 1 - head)..]);
        start.iter().chain(&['…']).chain(end).collect()
    };
    let mut keep = chars.len().min(MAX_NAME_CHARS);
    let mut safe = shortened(keep);
    while safe.len() > MAX_NAME_BYTES {
        keep -= 1;
        safe = shortened(keep);
    }
    safe.truncate(safe.trim_end_matches(['.', ' ']).len());
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    let device = safe.split('.').next().unwrap_or_default().trim_end().to_uppercase();
    if safe.is_empty() || RESERVED_NAMES.contains(&device.as_str()) {
        safe.insert(0, '_');
    }
    safe
}

/// The names given inside one folder: [`safe_file_name`]s, made distinct even where Windows and
/// macOS ignore case ("5А" and "5а" become "5А" and "5а (2)"), so no file overwrites another.
#[derive(Default)]
pub(crate) struct Folder {
    taken: HashSet<String>,
}

impl Folder {
    pub(crate) fn reserving(name: &str) -> Folder {
        Folder { taken: HashSet::from([name.to_lowercase()]) }
    }

    pub(crate) fn name_for(&mut self, name: &str) -> String {
        let base = safe_file_name(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while !self.taken.insert(candidate.to_lowercase()) {
            candidate = format!("{base} ({n})");
            n += 1;
        }
        candidate
    }
}

/// The questionnaires a campaign was created with.
pub async fn campaign_survey(db: &Db, campaign_id: i64) -> anyhow::Result<Survey> {
    let mut questionnaires = Vec::new();
    for (id, text) in db.campaign_questionnaires(campaign_id).await? {
        let questionnaire =
            Questionnaire::from_toml(&text).map_err(|e| anyhow::anyhow!("stored questionnaire {id}: {e}"))?;
        questionnaires.push(Arc::new(questionnaire));
    }
    anyhow::ensure!(!questionnaires.is_empty(), "campaign {campaign_id} has no questionnaire");
    Ok(Survey::new(questionnaires))
}

/// One column per question id, in questionnaire order, over all of a campaign's audiences.
pub fn question_columns(survey: &Survey) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for audience in survey.audiences() {
        for question in &survey.questionnaire(audience).expect("listed").questions {
            if !ids.contains(&question.id) {
                ids.push(question.id.clone());
            }
        }
    }
    ids
}

/// The export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Exports a campaign's released responses for the region's operator, each with the day of its
/// release: CSV streams one row per response; XLSX adds a sheet of answer distributions and one of
/// question texts. Answers still sealed in the ballot box are not in it (see [`crate::releases`]).
pub async fn export_responses(
    db: &Db,
    campaign: &str,
    file: &Path,
    format: ExportFormat,
    csv_dialect: Dialect,
) -> anyhow::Result<u64> {
    let campaign = campaign_named(db, campaign).await?;
    let survey = campaign_survey(db, campaign.id).await?;
    let columns = question_columns(&survey);
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure::CreateFolder(parent.to_path_buf(), e))?;
    }
    match format {
        ExportFormat::Csv => {
            let mut writer = crate::csv_out::Writer::from_path(file, csv_dialect)
                .map_err(|e| Failure::Write(file.to_path_buf(), e))?;
            writer.write_record(ExportRow::header(&columns, true))?;
            let count = db
                .export_responses(campaign.id, Scope::Region, Reader::Operator, |row: ExportRow| {
                    writer.write_record(row.record(&columns))?;
                    Ok(())
                })
                .await?;
            writer.flush()?;
            Ok(count)
        }
        ExportFormat::Xlsx => {
            let rows = scope_responses(db, campaign.id, Scope::Region, Reader::Operator).await?;
            let bytes = workbook::build(&Texts::default(), Lang::Ru, &survey, &columns, &rows, Reader::Operator)?;
            std::fs::write(file, bytes).map_err(|e| Failure::Write(file.to_path_buf(), e))?;
            Ok(rows.len() as u64)
        }
    }
}

/// What `report` is asked for.
pub struct ReportRequest<'a> {
    pub campaign: &'a str,
    pub out: &'a Path,
    pub format: ExportFormat,
    /// The expert CSV of audited indicators, for the criteria К1–К5 and the total.
    pub expert: Option<&'a Path>,
    pub variant: OpennessVariant,
    /// A class with fewer responses is not named next to its proposals.
    pub min_group_size: usize,
    pub csv_dialect: Dialect,
}

/// What `report` wrote.
#[derive(Debug)]
pub struct ReportSummary {
    pub schools: usize,
    pub respondents: u64,
    pub proposals_file: PathBuf,
    pub proposals: usize,
    /// With an expert file: the roster's schools it does not list ("municipality / school"),
    /// whose criteria are left empty.
    pub without_expert: Vec<String>,
}

/// A report made in memory: the results and the proposals as files of one format.
#[derive(Debug)]
pub struct ReportFiles {
    pub results: Vec<u8>,
    pub proposals: Vec<u8>,
    pub schools: usize,
    pub respondents: u64,
    pub proposal_count: usize,
    /// The roster's schools the expert file does not list ("municipality / school").
    pub without_expert: Vec<String>,
}

/// How a report is made, wherever it goes.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub format: ExportFormat,
    pub variant: OpennessVariant,
    /// A class with fewer responses is not named next to its proposals.
    pub min_group_size: usize,
    pub csv_dialect: Dialect,
    /// The operator's report holds every released answer; staff's only the releases shown to
    /// staff (see [`crate::releases`]).
    pub reader: Reader,
    pub lang: Lang,
}

/// Writes the results report by the official НОКО criteria to `out` and the free-text proposals
/// beside it (`<stem>-proposals.<format>`).
pub async fn report(db: &Db, request: ReportRequest<'_>) -> anyhow::Result<ReportSummary> {
    let campaign = campaign_named(db, request.campaign).await?;
    let expert = match request.expert {
        Some(path) => {
            let roster = roster_schools(db, campaign.id).await?;
            Some(read_expert(path, &roster)?)
        }
        None => None,
    };
    let options = ReportOptions {
        format: request.format,
        variant: request.variant,
        min_group_size: request.min_group_size,
        csv_dialect: request.csv_dialect,
        reader: Reader::Operator,
        lang: Lang::Ru,
    };
    let files = report_files(db, &campaign, expert.as_ref(), options).await?;
    let proposals_file = proposals_path(request.out, request.format);
    if let Some(parent) = request.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure::CreateFolder(parent.to_path_buf(), e))?;
    }
    for (file, bytes) in [(request.out, &files.results), (proposals_file.as_path(), &files.proposals)] {
        std::fs::write(file, bytes).map_err(|e| Failure::Write(file.to_path_buf(), e))?;
    }
    Ok(ReportSummary {
        schools: files.schools,
        respondents: files.respondents,
        proposals_file,
        proposals: files.proposal_count,
        without_expert: files.without_expert,
    })
}

/// The results report by the official НОКО criteria and the free-text proposals of a campaign,
/// in memory, for the command line and the bot alike.
pub async fn report_files(
    db: &Db,
    campaign: &crate::db::Campaign,
    expert: Option<&HashMap<SchoolKey, ExpertScores>>,
    options: ReportOptions,
) -> anyhow::Result<ReportFiles> {
    let survey = campaign_survey(db, campaign.id).await?;
    for audience in survey.audiences() {
        scoring::check(survey.questionnaire(audience).expect("listed"))
            .map_err(|e| Failure::CannotScore(campaign.name.clone(), e))?;
    }
    let roster = roster_schools(db, campaign.id).await?;
    let rows = scope_responses(db, campaign.id, Scope::Region, options.reader).await?;
    let report = Report::build(&roster, &rows, expert, options.variant, options.min_group_size as u64);
    let proposals = report::proposals(rows, options.min_group_size);

    let (texts, lang) = (Texts::default(), options.lang);
    let t = |id: &str| texts.get(lang, id);
    let table = report.table(&texts, lang);
    let proposals_table = report::proposals_table(&proposals, options.min_group_size, &texts, lang);
    let (results, proposals_bytes) = match options.format {
        ExportFormat::Csv => (
            table.to_csv(&t("report-no-data"), options.csv_dialect)?,
            proposals_table.to_csv(&t("report-no-data"), options.csv_dialect)?,
        ),
        ExportFormat::Xlsx => {
            let (notes, no_data) = (t("report-sheet-notes"), t("report-no-data"));
            (
                table.to_xlsx(&t("report-sheet-results"), &notes, &no_data)?,
                proposals_table.to_xlsx(&t("report-sheet-proposals"), &notes, &no_data)?,
            )
        }
    };
    let without_expert = match expert {
        Some(scores) => {
            roster.iter().filter(|key| !scores.contains_key(*key)).map(|(m, s)| format!("{m} / {s}")).collect()
        }
        None => Vec::new(),
    };
    let respondents = report.lines.last().map_or(0, |region| region.tally.respondents);
    Ok(ReportFiles {
        results,
        proposals: proposals_bytes,
        schools: roster.len(),
        respondents,
        proposal_count: proposals.len(),
        without_expert,
    })
}

/// Every school of the roster, so that one nobody answered for still has its row in the report.
async fn roster_schools(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<SchoolKey>> {
    Ok(roster_school_ids(db, campaign_id).await?.into_iter().map(|(key, _)| key).collect())
}

/// Every school of the roster with its id.
async fn roster_school_ids(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<(SchoolKey, i64)>> {
    let mut schools = Vec::new();
    for municipality in db.participation_by_municipality(campaign_id).await? {
        for school in db.participation_by_school(campaign_id, municipality.id).await? {
            schools.push(((municipality.name.clone(), school.name), school.id));
        }
    }
    Ok(schools)
}

/// Reads the expert file; a school it names must be in the roster, so a misspelt name is caught
/// rather than silently leaving a school without criteria.
fn read_expert(path: &Path, roster: &[SchoolKey]) -> anyhow::Result<HashMap<SchoolKey, ExpertScores>> {
    let bytes = std::fs::read(path).map_err(|e| Failure::Read(path.to_path_buf(), e))?;
    expert_scores(&bytes, roster).map_err(|e| Failure::ExpertNotUsed(path.to_path_buf(), e).into())
}

/// The expert file's scores by school, each school checked against the roster.
fn expert_scores(bytes: &[u8], roster: &[SchoolKey]) -> anyhow::Result<HashMap<SchoolKey, ExpertScores>> {
    let rows = expert::parse(bytes)?;
    let known: HashSet<&SchoolKey> = roster.iter().collect();
    let mut scores = HashMap::new();
    for row in rows {
        let key = (row.municipality, row.school);
        if !known.contains(&key) {
            let (municipality, school) = key;
            return Err(Failure::ExpertUnknownSchool { line: row.line, school, municipality }.into());
        }
        scores.insert(key, row.scores);
    }
    Ok(scores)
}

/// What storing an expert file did.
#[derive(Debug)]
pub struct ExpertImport {
    /// Schools the file gives scores for.
    pub schools: usize,
    /// The roster's schools it does not list ("municipality / school"): no criteria for them.
    pub without: Vec<String>,
}

/// Checks an expert file against the roster and stores its scores as the campaign's, replacing
/// any earlier file; a bad row stores nothing.
pub async fn store_expert(db: &Db, campaign_id: i64, bytes: &[u8]) -> anyhow::Result<ExpertImport> {
    let roster = roster_school_ids(db, campaign_id).await?;
    let keys: Vec<SchoolKey> = roster.iter().map(|(key, _)| key.clone()).collect();
    let mut scores = expert_scores(bytes, &keys)?;
    let mut stored = Vec::new();
    let mut without = Vec::new();
    for ((municipality, school), id) in roster {
        match scores.remove(&(municipality.clone(), school.clone())) {
            Some(found) => stored.push((id, found)),
            None => without.push(format!("{municipality} / {school}")),
        }
    }
    db.save_expert_scores(campaign_id, &stored).await?;
    Ok(ExpertImport { schools: stored.len(), without })
}

/// `results.csv` → `results-proposals.csv`, beside it.
fn proposals_path(out: &Path, format: ExportFormat) -> PathBuf {
    let stem = out.file_stem().map_or_else(|| "report".to_string(), |s| s.to_string_lossy().into_owned());
    let extension = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    };
    out.with_file_name(format!("{stem}-proposals.{extension}"))
}

/// A campaign's responses within a scope as `reader` may see them, in memory (for workbooks).
pub async fn scope_responses(
    db: &Db,
    campaign_id: i64,
    scope: Scope,
    reader: Reader,
) -> anyhow::Result<Vec<ExportRow>> {
    let mut rows = Vec::new();
    db.export_responses(campaign_id, scope, reader, |row| {
        rows.push(row);
        Ok(())
    })
    .await?;
    Ok(rows)
}

async fn campaign_named(db: &Db, name: &str) -> anyhow::Result<crate::db::Campaign> {
    db.campaign_by_name(name).await?.ok_or_else(|| Failure::NoCampaign(name.to_string()).into())
}

/// Closes a campaign; its links then refuse politely and nothing more is stored.
pub async fn close_campaign(db: &Db, name: &str) -> anyhow::Result<()> {
    let campaign = campaign_named(db, name).await?;
    if !db.close_campaign(campaign.id).await? {
        return Err(Failure::AlreadyClosed(name.to_string()).into());
    }
    Ok(())
}

/// Reopens a closed campaign, moving its last day to `ends_on` if given. A campaign whose last
/// day is past needs a new one, today (`today`, the earliest day anywhere) or later.
pub async fn reopen_campaign(
    db: &Db,
    name: &str,
    ends_on: Option<NaiveDate>,
    today: NaiveDate,
) -> anyhow::Result<NaiveDate> {
    let campaign = campaign_named(db, name).await?;
    if !campaign.closed {
        return Err(Failure::NotClosed(name.to_string()).into());
    }
    let ends_on = match ends_on {
        Some(ends_on) => ends_on,
        None if campaign.ends_on < today => {
            return Err(Failure::ReopenNeedsEnd { name: name.to_string(), ends: campaign.ends_on }.into());
        }
        None => campaign.ends_on,
    };
    check_new_end(&campaign, ends_on, today)?;
    db.reopen_campaign(campaign.id, ends_on).await?;
    Ok(ends_on)
}

/// Why `ends_on` cannot be the campaign's last day, if it cannot.
pub fn check_new_end(campaign: &crate::db::Campaign, ends_on: NaiveDate, today: NaiveDate) -> anyhow::Result<()> {
    if ends_on < campaign.starts_on {
        return Err(Failure::EndBeforeStart { starts: campaign.starts_on, ends: ends_on }.into());
    }
    if ends_on < today {
        return Err(Failure::EndInPast { name: campaign.name.clone(), ends: ends_on, today }.into());
    }
    Ok(())
}

/// Moves a campaign's last day (it may also reopen answering if the old end has passed).
pub async fn extend_campaign(db: &Db, name: &str, ends_on: NaiveDate) -> anyhow::Result<()> {
    let campaign = campaign_named(db, name).await?;
    // The earliest day it still is anywhere (UTC; Russia's time zones are all ahead of it).
    check_new_end(&campaign, ends_on, Utc::now().date_naive())?;
    if campaign.closed {
        return Err(Failure::ClosedNotExtended(name.to_string()).into());
    }
    Ok(db.extend_campaign(campaign.id, ends_on).await?)
}

/// Revokes a class's link (e.g. it leaked into the wrong chat) and issues a new one; returns the new URL.
pub async fn reissue_link(
    db: &Db,
    campaign: &str,
    school: &str,
    class: &str,
    bot_username: &str,
) -> anyhow::Result<String> {
    if bot_username.is_empty() {
        return Err(Failure::NoBotUsername.into());
    }
    let campaign = campaign_named(db, campaign).await?;
    let school = crate::invitations::resolve_school(db, school).await?;
    let class_id = crate::invitations::resolve_class(db, &school, class).await?;
    let code = db
        .reissue_link(campaign.id, class_id, &new_link_code(), Utc::now())
        .await?
        .ok_or_else(|| Failure::NoLinkYet(class.to_string()))?;
    Ok(deep_link(bot_username, &code))
}

/// The class's current link in a campaign, created if the class has none yet.
pub async fn class_link(db: &Db, campaign_id: i64, class_id: i64, bot_username: &str) -> anyhow::Result<String> {
    let code = db.class_link(campaign_id, class_id, Utc::now(), &new_link_code()).await?;
    Ok(deep_link(bot_username, &code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_go_beside_the_report() {
        assert_eq!(
            proposals_path(Path::new("out/results.xlsx"), ExportFormat::Xlsx),
            PathBuf::from("out/results-proposals.xlsx")
        );
        assert_eq!(proposals_path(Path::new("results"), ExportFormat::Csv), PathBuf::from("results-proposals.csv"));
    }

    #[test]
    fn link_codes_fit_telegram_deep_links_and_differ() {
        let a = new_link_code();
        assert_eq!(a.len(), LINK_CODE_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, new_link_code());
        // Nothing a printed poster lets people mistake: no 0/O/o, 1/l/I/i, no capitals.
        let many: String = (0..200).map(|_| new_link_code()).collect();
        assert!(!many.contains(['0', 'o', 'O', '1', 'l', 'I', 'i']), "{many}");
        assert!(!many.bytes().any(|b| b.is_ascii_uppercase()));
    }

    #[test]
    fn file_names_keep_cyrillic_and_drop_what_windows_forbids() {
        assert_eq!(safe_file_name("Школа № 1"), "Школа № 1");
        assert_eq!(safe_file_name("5А"), "5А");
        assert_eq!(safe_file_name(r#"Лицей "Открытие": 5/6\7 <a>|b?*"#), "Лицей _Открытие__ 5_6_7 _a__b__");
        assert_eq!(safe_file_name("9\tБ\n"), "9_Б");
        assert_eq!(safe_file_name("  Гимназия ...  "), "Гимназия");
        assert_eq!(safe_file_name(".hidden"), "_hidden");
        assert_eq!(safe_file_name(".."), "_");
        assert_eq!(safe_file_name(""), "_");
        assert_eq!(safe_file_name("???"), "___");
        for device in ["CON", "con", "Nul", "AUX", "prn", "COM1", "lpt9", "nul.tar", "CON .x"] {
            assert!(safe_file_name(device).starts_with('_'), "{device}");
        }
        assert_eq!(safe_file_name("CONTACT"), "CONTACT");
        assert_eq!(safe_file_name("COM10"), "COM10");
    }

    #[test]
    fn long_file_names_keep_their_beginning_and_end() {
        let typical = "МБОУ «Средняя общеобразовательная школа № 12 с углублённым изучением отдельных предметов»";
        assert_eq!(safe_file_name(typical), typical);
        let name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 12 \
                    с углублённым изучением отдельных предметов имени Героя Советского Союза И. И. Иванова»";
        let safe = safe_file_name(name);
        assert_eq!(safe.chars().count(), MAX_NAME_CHARS);
        assert!(safe.starts_with("Муниципальное бюджетное") && safe.ends_with("Союза И. И. Иванова»"), "{safe}");
        assert!(safe.contains('…'));
        for long in ["ш".repeat(300), "😀".repeat(300), "a".repeat(300)] {
            let safe = safe_file_name(&long);
            assert!(safe.len() + " (99).pdf".len() <= 255, "Linux's byte limit: {} bytes", safe.len());
            assert!(safe.starts_with(&long[..4]) && safe.ends_with(&long[long.len() - 4..]), "{safe}");
        }
        let dots = format!("{}.{}", "а".repeat(40), ".".repeat(40));
        assert!(!safe_file_name(&dots).ends_with('.'), "no trailing dot after shortening");
    }

    #[test]
    fn names_in_one_folder_stay_distinct_ignoring_case() {
        let mut folder = Folder::reserving("posters");
        assert_eq!(folder.name_for("5А"), "5А");
        assert_eq!(folder.name_for("5а"), "5а (2)");
        assert_eq!(folder.name_for("5:А"), "5_А");
        assert_eq!(folder.name_for("5/А"), "5_А (2)");
        assert_eq!(folder.name_for("Posters"), "Posters (2)", "the school's posters.pdf is not overwritten");
    }

    #[test]
    fn classes_sort_by_grade_then_name() {
        let mut classes = vec!["10А", "5Б", "11", "5А", "Подготовительный", "1В"];
        classes.sort_by_key(|c| class_order(c));
        assert_eq!(classes, ["1В", "5А", "5Б", "10А", "11", "Подготовительный"]);
    }

    #[test]
    fn the_shipped_questionnaires_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
        let (parents, _) = find_questionnaire(&dir, "noko-parents").unwrap();
        let (students, _) = find_questionnaire(&dir, "noko-students").unwrap();
        assert_eq!((parents.audience, students.audience), (Audience::Parent, Audience::Student));
        assert_eq!(parents.questions.len(), 15);
        let conditional: Vec<_> =
            parents.questions.iter().filter(|q| q.show_if.is_some()).map(|q| q.id.as_str()).collect();
        assert_eq!(conditional, ["q2", "q4", "q7", "q11"]);
        assert!(parents.questions.iter().all(|q| q.text.en.is_some() && q.short.is_some()));
    }
}
