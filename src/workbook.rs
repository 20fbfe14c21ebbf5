//! The responses workbook (XLSX): the anonymous responses, the distribution of answers per
//! question, and the question texts — what an administrator opens in Excel.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::args;
use crate::db::{ExportRow, Reader};
use crate::i18n::Texts;
use crate::survey::{Lang, Question, QuestionKind, Survey};

/// How often each answer was given to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub question_id: String,
    /// Respondents who were asked the question and answered it.
    pub answered: usize,
    /// (answer code, label, count); empty for free text.
    pub answers: Vec<(String, String, usize)>,
}

fn question<'a>(survey: &'a Survey, id: &str) -> Option<&'a Question> {
    survey.audiences().find_map(|a| survey.questionnaire(a).and_then(|q| q.question(id)))
}

/// Counts the answers of every question column over `rows`.
pub fn distributions(
    texts: &Texts,
    lang: Lang,
    survey: &Survey,
    columns: &[String],
    rows: &[ExportRow],
) -> Vec<Distribution> {
    columns
        .iter()
        .filter_map(|id| {
            let question = question(survey, id)?;
            let values: Vec<&str> = rows.iter().filter_map(|r| r.answer(id)).collect();
            let answers = match question.answer_codes() {
                None => Vec::new(),
                Some(codes) => codes
                    .into_iter()
                    .map(|code| {
                        let count = values.iter().filter(|v| v.split('|').any(|part| part == code)).count();
                        let label = match &question.kind {
                            QuestionKind::YesNo => {
                                texts.get(lang, if code == "yes" { "survey-yes" } else { "survey-no" })
                            }
                            QuestionKind::Single { .. } | QuestionKind::Multiple { .. } => {
                                question.option(&code).map_or(code.clone(), |o| o.text.get(lang).to_string())
                            }
                            _ => code.clone(),
                        };
                        (code, label, count)
                    })
                    .collect(),
            };
            Some(Distribution { question_id: id.clone(), answered: values.len(), answers })
        })
        .collect()
}

fn label(question: &Question, lang: Lang) -> String {
    question.short.as_ref().map_or_else(|| question.text.get(lang).to_string(), |s| s.get(lang).to_string())
}

/// Builds the workbook; the operator's has each response's release day, staff's has no date.
pub fn build(
    texts: &Texts,
    lang: Lang,
    survey: &Survey,
    columns: &[String],
    rows: &[ExportRow],
    reader: Reader,
) -> Result<Vec<u8>, XlsxError> {
    let t = |id: &str| texts.get(lang, id);
    let bold = Format::new().set_bold();
    let mut workbook = Workbook::new();

    let sheet = workbook.add_worksheet();
    sheet.set_name(t("export-sheet-responses"))?;
    write_row(sheet, 0, &ExportRow::header(columns, reader == Reader::Operator), Some(&bold))?;
    for (i, row) in rows.iter().enumerate() {
        write_row(sheet, i as u32 + 1, &row.record(columns), None)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for column in 0..3 {
        sheet.set_column_width(column, 24)?;
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(t("export-sheet-distribution"))?;
    let header =
        ["export-col-question", "export-col-label", "export-col-answer", "export-col-count", "export-col-percent"]
            .map(t);
    write_row(sheet, 0, &header, Some(&bold))?;
    let percent = Format::new().set_num_format("0.0%");
    let mut line = 1;
    for distribution in distributions(texts, lang, survey, columns, rows) {
        let Some(question) = question(survey, &distribution.question_id) else { continue };
        sheet.write_string(line, 0, &distribution.question_id)?;
        sheet.write_string(line, 1, label(question, lang))?;
        if distribution.answers.is_empty() {
            let answered = texts.get_with(lang, "export-text-answers", &args![("count", distribution.answered as i64)]);
            sheet.write_string(line, 2, answered)?;
            sheet.write_number(line, 3, distribution.answered as f64)?;
            line += 1;
            continue;
        }
        for (_, answer, count) in &distribution.answers {
            sheet.write_string(line, 0, &distribution.question_id)?;
            sheet.write_string(line, 1, label(question, lang))?;
            sheet.write_string(line, 2, answer)?;
            sheet.write_number(line, 3, *count as f64)?;
            if distribution.answered > 0 {
                sheet.write_number_with_format(line, 4, *count as f64 / distribution.answered as f64, &percent)?;
            }
            line += 1;
        }
    }
    sheet.set_column_width(1, 40)?;
    sheet.set_column_width(2, 30)?;
    sheet.set_freeze_panes(1, 0)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(t("export-sheet-questions"))?;
    write_row(sheet, 0, &["export-col-question", "export-col-text"].map(t), Some(&bold))?;
    for (i, id) in columns.iter().enumerate() {
        if let Some(question) = question(survey, id) {
            sheet.write_string(i as u32 + 1, 0, id)?;
            sheet.write_string(i as u32 + 1, 1, question.text.get(lang))?;
        }
    }
    sheet.set_column_width(1, 120)?;

    workbook.save_to_buffer()
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[String], format: Option<&Format>) -> Result<(), XlsxError> {
    for (column, cell) in cells.iter().enumerate() {
        match format {
            Some(format) => sheet.write_string_with_format(row, column as u16, cell, format)?,
            None => sheet.write_string(row, column as u16, cell)?,
        };
    }
    Ok(())
}
