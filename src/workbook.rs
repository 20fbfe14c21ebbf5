//! The responses workbook (XLSX): the anonymous responses, the distribution of answers per
//! question, and the question texts — what an administrator opens in Excel.

use std::collections::HashMap;

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::args;
use crate::db::{ExportRow, Reader};
use crate::i18n::Texts;
use crate::survey::{Audience, Lang, Question, QuestionKind, Survey};

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

/// An answer code as a reader sees it: «Да»/«Нет», an option's text (several joined by «; »),
/// a rating or the free text as given.
fn answer_label(texts: &Texts, lang: Lang, question: &Question, value: &str) -> String {
    match &question.kind {
        QuestionKind::YesNo => texts.get(lang, if value == "yes" { "survey-yes" } else { "survey-no" }),
        QuestionKind::Single { .. } | QuestionKind::Multiple { .. } => value
            .split('|')
            .map(|code| question.option(code).map_or(code, |o| o.text.get(lang)))
            .collect::<Vec<_>>()
            .join("; "),
        QuestionKind::Rating { .. } | QuestionKind::Text { .. } => value.to_string(),
    }
}

/// Counts the answers of every question column over `rows`.
pub fn distributions(
    texts: &Texts,
    lang: Lang,
    survey: &Survey,
    columns: &[String],
    rows: &[ExportRow],
) -> Vec<Distribution> {
    let mut counts = Counts::new(survey, columns);
    for row in rows {
        counts.add(row);
    }
    counts.distributions(texts, lang)
}

/// The distributions counted as the rows go by: per question column, how many answered and, per
/// answer code, how many gave it (a multiple choice counts once for each of its codes).
struct Counts<'a> {
    columns: Vec<ColumnCount<'a>>,
}

/// A column, its question, its question's answer codes (none for free text) with their counts,
/// and how many answered.
type ColumnCount<'a> = (&'a str, Option<&'a Question>, Vec<(String, usize)>, usize);

impl<'a> Counts<'a> {
    fn new(survey: &'a Survey, columns: &'a [String]) -> Counts<'a> {
        let columns = columns
            .iter()
            .map(|id| {
                let question = question(survey, id);
                let codes = question.and_then(Question::answer_codes).unwrap_or_default();
                (id.as_str(), question, codes.into_iter().map(|code| (code, 0)).collect(), 0)
            })
            .collect();
        Counts { columns }
    }

    fn add(&mut self, row: &ExportRow) {
        for (id, question, codes, answered) in &mut self.columns {
            if question.is_none() {
                continue;
            }
            let Some(value) = row.answer(id) else { continue };
            *answered += 1;
            for (code, count) in codes.iter_mut() {
                if value.split('|').any(|part| part == code) {
                    *count += 1;
                }
            }
        }
    }

    fn distributions(self, texts: &Texts, lang: Lang) -> Vec<Distribution> {
        self.columns
            .into_iter()
            .filter_map(|(id, question, codes, answered)| {
                let question = question?;
                // Free text has no codes: only how many answered.
                let answers = codes
                    .into_iter()
                    .map(|(code, count)| {
                        let label = answer_label(texts, lang, question, &code);
                        (code, label, count)
                    })
                    .collect();
                Some(Distribution { question_id: id.to_string(), answered, answers })
            })
            .collect()
    }
}

fn label(question: &Question, lang: Lang) -> String {
    question.short.as_ref().map_or_else(|| question.text.get(lang).to_string(), |s| s.get(lang).to_string())
}

fn audience_name(texts: &Texts, lang: Lang, audience: Audience) -> String {
    texts.get(lang, &format!("export-audience-{}", audience.code()))
}

/// Builds the workbook in the reader's language from rows in memory (see [`Responses`]).
pub fn build(
    texts: &Texts,
    lang: Lang,
    survey: &Survey,
    columns: &[String],
    rows: &[ExportRow],
    reader: Reader,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Responses::new(texts, lang, survey, columns, reader)?;
    for row in rows {
        workbook.add(row)?;
    }
    workbook.finish()?.save_to_buffer()
}

/// How one question column's stored answers read in one audience's questionnaire: the labels of
/// its codes worked out once, not once a cell (a region's export has millions of cells).
struct ColumnLabels<'a> {
    question: Option<&'a Question>,
    labels: HashMap<String, String>,
}

/// The responses workbook written as the rows come, its responses sheet in rust_xlsxwriter's
/// constant-memory mode (each row goes to a temporary file as it is written), so a region's
/// export never holds the region: headers, who answered, and answers as the respondent saw them
/// (the CSV export keeps the codes, for tools). The operator's has each response's release day,
/// staff's has no date. Then a sheet of answer distributions and one of question texts.
pub struct Responses<'a> {
    texts: &'a Texts,
    lang: Lang,
    survey: &'a Survey,
    columns: &'a [String],
    dated: bool,
    workbook: Workbook,
    day: Format,
    first_answer: u16,
    header_len: u16,
    /// The last row written.
    line: u32,
    /// Each audience's name and its questionnaire's labels per column; the last entry serves a
    /// row whose audience is unknown (the first questionnaire asking each question).
    audiences: Vec<(Option<Audience>, String, Vec<ColumnLabels<'a>>)>,
    counts: Counts<'a>,
}

impl<'a> Responses<'a> {
    pub fn new(
        texts: &'a Texts,
        lang: Lang,
        survey: &'a Survey,
        columns: &'a [String],
        reader: Reader,
    ) -> Result<Responses<'a>, XlsxError> {
        let t = |id: &str| texts.get(lang, id);
        let bold = Format::new().set_bold().set_text_wrap();
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(t("export-sheet-responses"))?;
        let dated = reader == Reader::Operator;
        let mut header: Vec<String> =
            ["export-col-municipality", "export-col-school", "export-col-class", "export-col-audience"].map(t).into();
        if dated {
            header.push(t("export-col-released"));
        }
        let first_answer = header.len() as u16;
        header.extend(columns.iter().map(|id| match question(survey, id) {
            Some(question) => format!("{id} · {}", label(question, lang)),
            None => id.clone(),
        }));
        // A constant-memory sheet writes its rows as they come: the widths go first.
        for column in 0..first_answer {
            sheet.set_column_width(column, 24)?;
        }
        for column in first_answer..header.len() as u16 {
            sheet.set_column_width(column, 18)?;
        }
        write_row(sheet, 0, &header, Some(&bold))?;
        // Answers are read with the respondent's own questionnaire (the audiences' texts differ).
        let labels = |questionnaire: Option<&'a crate::survey::Questionnaire>| -> Vec<ColumnLabels<'a>> {
            columns
                .iter()
                .map(|id| {
                    let question = questionnaire.and_then(|q| q.question(id)).or_else(|| question(survey, id));
                    let labels = match question.map(|q| (q, &q.kind)) {
                        Some((question, QuestionKind::YesNo | QuestionKind::Single { .. })) => question
                            .answer_codes()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|code| {
                                let label = answer_label(texts, lang, question, &code);
                                (code, label)
                            })
                            .collect(),
                        _ => HashMap::new(),
                    };
                    ColumnLabels { question, labels }
                })
                .collect()
        };
        let mut audiences: Vec<(Option<Audience>, String, Vec<ColumnLabels<'a>>)> = survey
            .audiences()
            .map(|audience| {
                (Some(audience), audience_name(texts, lang, audience), labels(survey.questionnaire(audience)))
            })
            .collect();
        audiences.push((None, String::new(), labels(None)));
        Ok(Responses {
            texts,
            lang,
            survey,
            columns,
            dated,
            workbook,
            day: Format::new().set_num_format("dd.mm.yyyy"),
            first_answer,
            header_len: header.len() as u16,
            line: 0,
            audiences,
            counts: Counts::new(survey, columns),
        })
    }

    /// Writes one response, below the last.
    pub fn add(&mut self, row: &ExportRow) -> Result<(), XlsxError> {
        self.counts.add(row);
        self.line += 1;
        let line = self.line;
        let audience = Audience::from_code(&row.audience);
        let (_, name, labels) = self
            .audiences
            .iter()
            .find(|(a, _, _)| a.is_some() && *a == audience)
            .or_else(|| self.audiences.last())
            .expect("the unknown audience's entry");
        let sheet = self.workbook.worksheet_from_index(0)?;
        sheet.write_string(line, 0, &row.municipality)?;
        sheet.write_string(line, 1, &row.school)?;
        sheet.write_string(line, 2, &row.class)?;
        sheet.write_string(line, 3, if audience.is_some() { name } else { &row.audience })?;
        if let (true, Some(released)) = (self.dated, row.released_on) {
            let released =
                ExcelDateTime::from_ymd(released.year() as u16, released.month() as u8, released.day() as u8)?;
            sheet.write_datetime_with_format(line, 4, &released, &self.day)?;
        }
        for (offset, (id, column)) in self.columns.iter().zip(labels).enumerate() {
            let (Some(value), Some(question)) = (row.answer(id), column.question) else {
                continue;
            };
            let at = self.first_answer + offset as u16;
            match (&question.kind, value.parse::<f64>()) {
                (QuestionKind::Rating { .. }, Ok(number)) => sheet.write_number(line, at, number)?,
                _ => match column.labels.get(value) {
                    Some(label) => sheet.write_string(line, at, label)?,
                    None => sheet.write_string(line, at, answer_label(self.texts, self.lang, question, value))?,
                },
            };
        }
        Ok(())
    }

    /// The workbook with its distributions and questions sheets, ready to save.
    pub fn finish(mut self) -> Result<Workbook, XlsxError> {
        let (texts, lang, survey) = (self.texts, self.lang, self.survey);
        let t = |id: &str| texts.get(lang, id);
        let bold = Format::new().set_bold().set_text_wrap();
        let sheet = self.workbook.worksheet_from_index(0)?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, self.line, self.header_len.saturating_sub(1))?;

        let sheet = self.workbook.add_worksheet();
        sheet.set_name(t("export-sheet-distribution"))?;
        let header =
            ["export-col-question", "export-col-label", "export-col-answer", "export-col-count", "export-col-percent"]
                .map(t);
        write_row(sheet, 0, &header, Some(&bold))?;
        let percent = Format::new().set_num_format("0.0%");
        let mut line = 1;
        for distribution in self.counts.distributions(texts, lang) {
            let Some(question) = question(survey, &distribution.question_id) else { continue };
            sheet.write_string(line, 0, &distribution.question_id)?;
            sheet.write_string(line, 1, label(question, lang))?;
            if distribution.answers.is_empty() {
                let answered =
                    texts.get_with(lang, "export-text-answers", &args![("count", distribution.answered as i64)]);
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

        // Every questionnaire of the campaign, each question with the words its audience was asked.
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(t("export-sheet-questions"))?;
        let header =
            ["export-col-audience", "export-col-question", "export-col-label", "export-col-text", "export-col-options"]
                .map(t);
        write_row(sheet, 0, &header, Some(&bold))?;
        let mut line = 1;
        for audience in survey.audiences() {
            let Some(questionnaire) = survey.questionnaire(audience) else { continue };
            for question in &questionnaire.questions {
                let options = question
                    .answer_codes()
                    .map(|codes| {
                        codes.iter().map(|c| answer_label(texts, lang, question, c)).collect::<Vec<_>>().join("; ")
                    })
                    .unwrap_or_default();
                write_row(
                    sheet,
                    line,
                    &[
                        audience_name(texts, lang, audience),
                        question.id.clone(),
                        label(question, lang),
                        question.text.get(lang).to_string(),
                        options,
                    ],
                    None,
                )?;
                line += 1;
            }
        }
        sheet.set_column_width(0, 16)?;
        sheet.set_column_width(2, 30)?;
        sheet.set_column_width(3, 100)?;
        sheet.set_column_width(4, 40)?;
        sheet.set_freeze_panes(1, 0)?;
        Ok(self.workbook)
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use calamine::Reader as _;

    use super::*;
    use crate::survey::Questionnaire;

    fn noko_survey() -> Survey {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires");
        let load = |id: &str| Arc::new(Questionnaire::load(std::path::Path::new(&format!("{dir}/{id}.toml"))).unwrap());
        Survey::new(vec![load("noko-parents"), load("noko-students")])
    }

    fn sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
        let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        workbook
            .worksheets()
            .into_iter()
            .map(|(name, range)| (name, range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()))
            .collect()
    }

    #[test]
    fn speaks_the_readers_language_and_lists_every_questionnaire() {
        let survey = noko_survey();
        let columns = crate::app::exports::question_columns(&survey);
        let row = |audience: &str| ExportRow {
            municipality: "Иркутск".into(),
            school: "Школа № 1".into(),
            class: "5А".into(),
            audience: audience.into(),
            released_on: None,
            answers: vec![("q1".into(), "yes".into()), ("q3".into(), "no".into())],
        };
        let rows = [row("parent"), row("student")];
        let texts = Texts::default();
        for (lang, header, yes, parent, student) in [
            (Lang::Ru, "Муниципалитет", "Да", "Родитель", "Обучающийся"),
            (Lang::En, "Municipality", "Yes", "Parent", "Student"),
        ] {
            let sheets = sheets(build(&texts, lang, &survey, &columns, &rows, Reader::Staff).unwrap());
            let responses = &sheets[0].1;
            assert_eq!(responses[0][0], header);
            assert_eq!((responses[1][3].as_str(), responses[2][3].as_str()), (parent, student));
            assert_eq!(responses[1][4], yes, "answers as the respondent saw them, not codes");
            let questions = &sheets[2].1;
            let q6: Vec<&Vec<String>> = questions.iter().filter(|r| r[1] == "q6").collect();
            assert_eq!(q6.len(), 2, "q6 of each audience: {questions:?}");
            assert_eq!((q6[0][0].as_str(), q6[1][0].as_str()), (parent, student));
            assert_ne!(q6[0][3], q6[1][3], "each audience's own wording");
            let asked = |audience: &str| questions.iter().filter(|r| r[0] == audience).count();
            assert_eq!(asked(parent), survey.questionnaire(Audience::Parent).unwrap().questions.len());
            assert_eq!(asked(student), survey.questionnaire(Audience::Student).unwrap().questions.len());
        }
    }
}
