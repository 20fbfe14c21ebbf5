//! The НОКО report: results by the official criteria and the proposals, built in memory for the
//! bot's `/report` and written to files by `anketa report`; the expert file's audited indicators.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::campaigns::{campaign_named, campaign_survey};
use super::exports::ExportFormat;

use crate::csv_out::Dialect;
use crate::db::{Db, Reader};
use crate::expert;
use crate::failure::Failure;
use crate::i18n::Texts;
use crate::report::{self, SampleRule, SchoolKey};
use crate::roles::Scope;
use crate::survey::Lang;
use crate::survey::scoring::{self, ExpertScores, Method};

/// What `report` is asked for.
pub struct ReportRequest<'a> {
    pub campaign: &'a str,
    pub out: &'a Path,
    pub format: ExportFormat,
    /// The expert CSV of audited indicators, for the criteria К1–К5 and the total.
    pub expert: Option<&'a Path>,
    pub method: Method,
    pub sample: SampleRule,
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
    /// Proposals left out by the privacy rule (their school or class has too few responses).
    pub proposals_held_back: usize,
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
    /// Proposals left out by the privacy rule (their school or class has too few responses).
    pub proposals_held_back: usize,
    /// The roster's schools the expert file does not list ("municipality / school").
    pub without_expert: Vec<String>,
}

/// How a report is made, wherever it goes.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub format: ExportFormat,
    pub method: Method,
    pub sample: SampleRule,
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
        method: request.method,
        sample: request.sample,
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
        proposals_held_back: files.proposals_held_back,
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
    let bases = db.school_bases(campaign.id).await?;
    let roster: Vec<(SchoolKey, u64)> =
        bases.into_iter().map(|b| ((b.municipality, b.school), u64::try_from(b.students).unwrap_or(0))).collect();
    // One pass over the responses as they stream: the school lines and the proposals.
    let mut schools = report::Schools::new(&roster, expert);
    let mut proposals = report::Proposals::default();
    db.export_responses(campaign.id, Scope::Region, options.reader, |row| {
        schools.add(row);
        proposals.add(row);
        Ok(())
    })
    .await?;
    let report = schools.finish(options.method, options.min_group_size as u64, options.sample);
    let (proposals, written) = proposals.finish(options.min_group_size);

    let (texts, lang) = (Texts::default(), options.lang);
    let t = |id: &str| texts.get(lang, id);
    let (table, means, ranking) =
        (report.table(&texts, lang), report.municipal_means(&texts, lang), report.ranking(&texts, lang));
    let sheets = [
        (t("report-sheet-results"), &table),
        (t("report-sheet-municipalities"), &means),
        (t("report-sheet-ranking"), &ranking),
    ];
    let proposals_table = report::proposals_table(&proposals, options.min_group_size, &texts, lang);
    let proposals_sheets = [(t("report-sheet-proposals"), &proposals_table)];
    let no_data = t("report-no-data");
    let (results, proposals_bytes) = match options.format {
        ExportFormat::Csv => (
            report::to_csv(&sheets, &no_data, options.csv_dialect)?,
            report::to_csv(&proposals_sheets, &no_data, options.csv_dialect)?,
        ),
        ExportFormat::Xlsx => {
            let notes = t("report-sheet-notes");
            (report::to_xlsx(&sheets, &notes, &no_data)?, report::to_xlsx(&proposals_sheets, &notes, &no_data)?)
        }
    };
    let without_expert = match expert {
        Some(scores) => {
            roster.iter().filter(|(key, _)| !scores.contains_key(key)).map(|((m, s), _)| format!("{m} / {s}")).collect()
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
        proposals_held_back: written - proposals.len(),
        without_expert,
    })
}

/// Every school of the roster, so that one nobody answered for still has its row in the report.
async fn roster_schools(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<SchoolKey>> {
    Ok(roster_school_ids(db, campaign_id).await?.into_iter().map(|(key, _)| key).collect())
}

/// Every school of the roster with its id.
async fn roster_school_ids(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<(SchoolKey, i64)>> {
    let bases = db.school_bases(campaign_id).await?;
    Ok(bases.into_iter().map(|b| ((b.municipality, b.school), b.school_id)).collect())
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
