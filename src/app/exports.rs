//! Responses for reading: a campaign's released answers within a scope, as CSV or a workbook.

use std::path::Path;

use super::campaigns::{campaign_named, campaign_survey};

use crate::csv_out::Dialect;
use crate::db::{Db, ExportRow, Reader};
use crate::failure::Failure;
use crate::i18n::Texts;
use crate::roles::Scope;
use crate::survey::Lang;
use crate::survey::Survey;
use crate::workbook;

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
            let mut day = String::new();
            let count = db
                .export_responses(campaign.id, Scope::Region, Reader::Operator, |row: &ExportRow| {
                    writer.write_record(row.record(&columns, &mut day))?;
                    Ok(())
                })
                .await?;
            writer.flush()?;
            Ok(count)
        }
        ExportFormat::Xlsx => {
            // Row by row into the workbook, which keeps them in a temporary file, not in memory.
            let texts = Texts::default();
            let mut book = workbook::Responses::new(&texts, Lang::Ru, &survey, &columns, Reader::Operator)?;
            let count = db
                .export_responses(campaign.id, Scope::Region, Reader::Operator, |row| {
                    book.add(row)?;
                    Ok(())
                })
                .await?;
            book.finish()?.save(file).map_err(|e| match e {
                rust_xlsxwriter::XlsxError::IoError(e) => anyhow::Error::from(Failure::Write(file.to_path_buf(), e)),
                other => other.into(),
            })?;
            Ok(count)
        }
    }
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
        rows.push(row.clone());
        Ok(())
    })
    .await?;
    Ok(rows)
}
