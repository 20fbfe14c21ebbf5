//! The НОКО report: results by the official criteria and the proposals, built in memory for the
//! bot's `/report` and written to files by `anketa report`; the expert file's audited indicators.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::campaigns::{campaign_named, campaign_survey};
use super::exports::{ExportFormat, scope_responses};

use crate::csv_out::Dialect;
use crate::db::{Db, Reader};
use crate::expert;
use crate::failure::Failure;
use crate::i18n::Texts;
use crate::report::{self, Report, SchoolKey};
use crate::roles::Scope;
use crate::survey::Lang;
use crate::survey::scoring::{self, ExpertScores, OpennessVariant};

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
}
