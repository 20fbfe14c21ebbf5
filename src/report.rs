//! The results report by the official НОКО criteria (`anketa report`): per school, then pooled per
//! municipality and for the region, each survey indicator with its numerator and denominator, the
//! survey part of each criterion and, with the expert file, К1–К5 and the total; as CSV or XLSX,
//! with the notes a reader needs to read the figures. Also the free-text proposals, which go to a
//! file of their own so the figures can be passed around without them.
//!
//! The arithmetic is the engine's ([`crate::survey::scoring`]); this module groups the responses,
//! lays out the table and writes it.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::args;
use crate::csv_out::Dialect;
use crate::db::ExportRow;
use crate::i18n::Texts;
use crate::survey::Lang;
use crate::survey::scoring::{self, Criterion, ExpertInput, ExpertScores, Indicator, OpennessVariant, Scores, Tally};

/// What a row of the report stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    School,
    /// All schools of a municipality, pooled.
    Municipality,
    /// All schools of the region, pooled.
    Region,
}

/// One row of the report: a school, or schools pooled.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub level: Level,
    /// Empty for the region.
    pub municipality: String,
    /// Empty for pooled rows.
    pub school: String,
    pub tally: Tally,
    /// The school's audited indicators, when the expert file has them (never for pooled rows).
    pub expert: Option<ExpertScores>,
}

impl Line {
    pub fn scores(&self, variant: OpennessVariant) -> Scores {
        Scores::of(&self.tally, variant, self.expert.as_ref())
    }
}

/// The schools, their municipalities and the region, in that order of reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub variant: OpennessVariant,
    /// Whether an expert file was given, and so whether the criteria columns exist.
    pub with_expert: bool,
    /// A school with fewer respondents (but some) shows its count and no figure drawn from its
    /// answers: with so few, the counts of «Да» would be the answers of people one can name.
    pub min_group: u64,
    pub lines: Vec<Line>,
}

/// (municipality, school)
pub type SchoolKey = (String, String);

impl Report {
    /// Groups `rows` by school: every school of `roster` gets a row (one nobody answered for shows
    /// 0 respondents and н/д), each municipality's schools are followed by their pooled row, and
    /// the region's pooled row comes last.
    pub fn build(
        roster: &[SchoolKey],
        rows: &[ExportRow],
        expert: Option<&HashMap<SchoolKey, ExpertScores>>,
        variant: OpennessVariant,
        min_group: u64,
    ) -> Report {
        let mut schools: BTreeMap<SchoolKey, Tally> =
            roster.iter().map(|key| (key.clone(), Tally::default())).collect();
        for row in rows {
            schools
                .entry((row.municipality.clone(), row.school.clone()))
                .or_default()
                .add(row.answers.iter().map(|(q, v)| (q.as_str(), v.as_str())));
        }
        let mut lines = Vec::new();
        let mut region = Tally::default();
        let mut municipality: Option<(String, Tally)> = None;
        for ((m, school), tally) in schools {
            if municipality.as_ref().is_some_and(|(name, _)| *name != m) {
                let (name, pooled) = municipality.take().expect("checked");
                lines.push(pooled_line(Level::Municipality, name, pooled));
            }
            let (_, pooled) = municipality.get_or_insert_with(|| (m.clone(), Tally::default()));
            pooled.pool(&tally);
            region.pool(&tally);
            let key = (m, school);
            let expert = expert.and_then(|e| e.get(&key)).copied();
            lines.push(Line { level: Level::School, municipality: key.0, school: key.1, tally, expert });
        }
        if let Some((name, pooled)) = municipality {
            lines.push(pooled_line(Level::Municipality, name, pooled));
        }
        lines.push(pooled_line(Level::Region, String::new(), region));
        Report { variant, with_expert: expert.is_some(), min_group, lines }
    }

    /// The report as a table: the header, one row per line, and the notes.
    pub fn table(&self, texts: &Texts, lang: Lang) -> Table {
        let t = |id: &str| texts.get(lang, id);
        let mut header = ["report-col-municipality", "report-col-school", "report-col-respondents"].map(t).to_vec();
        for indicator in Indicator::ALL {
            header.push(t(indicator_label(indicator)));
            for question in indicator.questions() {
                let args = args![("indicator", indicator.code()), ("question", question)];
                header.push(texts.get_with(lang, "report-col-yes", &args));
                header.push(texts.get_with(lang, "report-col-answered", &args));
            }
        }
        for criterion in Criterion::ALL {
            header.push(texts.get_with(lang, "report-col-survey-part", &args![("number", criterion.number())]));
        }
        if self.with_expert {
            header.extend(EXPERT_INPUTS.map(|(_, id)| t(id)));
            for criterion in Criterion::ALL {
                header.push(texts.get_with(lang, "report-col-criterion", &args![("number", criterion.number())]));
            }
            header.push(t("report-col-total"));
        }
        let rows = self.lines.iter().map(|line| self.cells(line, texts, lang)).collect();
        let mut notes = ["report-note-values", "report-note-no-data"].map(t).to_vec();
        notes.push(t(match self.variant {
            OpennessVariant::PerAnswered => "report-note-openness-per-answered",
            OpennessVariant::PerRespondent => "report-note-openness-per-respondent",
        }));
        notes.push(t("report-note-survey-parts"));
        notes.push(t("report-note-pooling"));
        notes.push(texts.get_with(lang, "report-note-too-few", &args![("threshold", self.min_group as i64)]));
        notes.push(t(if self.with_expert { "report-note-expert" } else { "report-note-no-expert" }));
        Table { header, rows, notes }
    }

    fn cells(&self, line: &Line, texts: &Texts, lang: Lang) -> Vec<Cell> {
        let (municipality, school) = match line.level {
            Level::School => (line.municipality.clone(), line.school.clone()),
            Level::Municipality => (line.municipality.clone(), texts.get(lang, "report-all-schools")),
            Level::Region => (texts.get(lang, "report-region"), texts.get(lang, "report-all-schools")),
        };
        let mut cells = vec![Cell::Text(municipality), Cell::Text(school), Cell::Count(line.tally.respondents)];
        let respondents = line.tally.respondents;
        if line.level == Level::School && respondents > 0 && respondents < self.min_group {
            let too_few = Cell::Text(texts.get(lang, "report-too-few"));
            let answers =
                Indicator::ALL.iter().map(|i| 1 + 2 * i.questions().count()).sum::<usize>() + Criterion::ALL.len();
            cells.extend(std::iter::repeat_n(too_few.clone(), answers));
            if self.with_expert {
                match line.expert {
                    Some(expert) => cells.extend(EXPERT_INPUTS.map(|(input, _)| Cell::Points(Some(expert.get(input))))),
                    None => cells.extend(std::iter::repeat_n(Cell::Blank, EXPERT_INPUTS.len())),
                }
                cells.extend(std::iter::repeat_n(too_few, Criterion::ALL.len() + 1));
            }
            return cells;
        }
        let scores = line.scores(self.variant);
        for indicator in Indicator::ALL {
            cells.push(Cell::Points(scores.indicators.get(indicator)));
            for question in indicator.questions() {
                let share = line.tally.share(question);
                cells.extend([Cell::Count(share.yes), Cell::Count(share.answered)]);
            }
        }
        cells.extend(scores.survey_parts.map(Cell::Points));
        if self.with_expert {
            match (line.expert, scores.criteria) {
                (Some(expert), Some(criteria)) => {
                    cells.extend(EXPERT_INPUTS.map(|(input, _)| Cell::Points(Some(expert.get(input)))));
                    cells.extend(criteria.values.map(Cell::Points));
                    cells.push(Cell::Points(criteria.total));
                }
                // Pooled rows, and schools the expert file does not list.
                _ => cells.extend(std::iter::repeat_n(Cell::Blank, EXPERT_INPUTS.len() + Criterion::ALL.len() + 1)),
            }
        }
        cells
    }
}

fn pooled_line(level: Level, municipality: String, tally: Tally) -> Line {
    Line { level, municipality, school: String::new(), tally, expert: None }
}

/// The expert inputs in the order of the expert file's columns, with their headers.
const EXPERT_INPUTS: [(ExpertInput, &str); 5] = [
    (ExpertInput::Inf, "report-col-p-inf"),
    (ExpertInput::Dist, "report-col-p-dist"),
    (ExpertInput::KomfUsl, "report-col-p-komf-usl"),
    (ExpertInput::OrgDost, "report-col-p-org-dost"),
    (ExpertInput::UslugDost, "report-col-p-uslug-dost"),
];

pub fn indicator_label(indicator: Indicator) -> &'static str {
    match indicator {
        Indicator::Openness => "report-ind-openness",
        Indicator::Comfort => "report-ind-comfort",
        Indicator::Accessibility => "report-ind-accessibility",
        Indicator::FirstContact => "report-ind-first-contact",
        Indicator::Teaching => "report-ind-teaching",
        Indicator::Remote => "report-ind-remote",
        Indicator::Recommend => "report-ind-recommend",
        Indicator::Organisation => "report-ind-organisation",
        Indicator::Overall => "report-ind-overall",
    }
}

/// One free-text proposal, with the class only when the class is large enough to hide in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Proposal {
    pub municipality: String,
    pub school: String,
    /// Empty when the class has fewer responses than the privacy threshold.
    pub class: String,
    pub text: String,
}

/// The proposals (the НОКО free-text question) of `rows`, after
/// [`crate::privacy::hide_small_groups`] over all responses, so a class's size is its number of
/// responses, not of proposals. Sorted by school, class and text: neither the order of the
/// responses (their time) nor the position of unnamed rows among the classes gives anything away.
pub fn proposals(rows: Vec<ExportRow>, threshold: usize) -> Vec<Proposal> {
    let question = scoring::proposals_question();
    let mut proposals: Vec<Proposal> = crate::privacy::hide_small_groups(rows, threshold)
        .into_iter()
        .filter_map(|row| {
            let text = row.answer(question)?.trim().to_string();
            (!text.is_empty()).then_some(Proposal {
                municipality: row.municipality,
                school: row.school,
                class: row.class,
                text,
            })
        })
        .collect();
    proposals.sort();
    proposals
}

/// The proposals as a table.
pub fn proposals_table(proposals: &[Proposal], threshold: usize, texts: &Texts, lang: Lang) -> Table {
    let t = |id: &str| texts.get(lang, id);
    let mut header = ["report-col-municipality", "report-col-school", "report-col-class"].map(t).to_vec();
    header.push(texts.get_with(lang, "report-col-proposal", &args![("question", scoring::proposals_question())]));
    let rows = proposals
        .iter()
        .map(|p| [&p.municipality, &p.school, &p.class, &p.text].map(|s| Cell::Text(s.clone())).to_vec())
        .collect();
    let notes = vec![texts.get_with(lang, "report-note-proposals", &args![("threshold", threshold as i64)])];
    Table { header, rows, notes }
}

/// A cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// Points 0–100; `None` is «н/д».
    Points(Option<f64>),
    /// Nothing to show (e.g. criteria of a pooled row).
    Blank,
}

/// A header, rows and notes, written as CSV or as a workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Lines a reader needs to read the figures; below the rows in CSV, a sheet of their own in XLSX.
    pub notes: Vec<String>,
}

impl Table {
    /// CSV: the header, the rows, an empty line, then one note per line. Points are rounded to two
    /// decimals with a decimal point, as the responses export writes numbers.
    pub fn to_csv(&self, no_data: &str, dialect: Dialect) -> anyhow::Result<Vec<u8>> {
        let mut writer = crate::csv_out::Writer::flexible(Vec::new(), dialect)?;
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row.iter().map(|cell| match cell {
                Cell::Text(text) => text.clone(),
                Cell::Count(n) => n.to_string(),
                Cell::Points(Some(points)) => dialect.decimal(*points, 2),
                Cell::Points(None) => no_data.to_string(),
                Cell::Blank => String::new(),
            }))?;
        }
        // A blank line keeps the notes apart from the table.
        let mut writer = writer.blank_line()?;
        for note in &self.notes {
            writer.write_record([note])?;
        }
        writer.into_inner().map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"))
    }

    /// XLSX: the table on a sheet named `sheet` (points as numbers shown with two decimals, so
    /// Excel can sort and chart them), the notes on a sheet named `notes_sheet`.
    pub fn to_xlsx(&self, sheet: &str, notes_sheet: &str, no_data: &str) -> Result<Vec<u8>, XlsxError> {
        let bold = Format::new().set_bold().set_text_wrap();
        let points = Format::new().set_num_format("0.00");
        let mut workbook = Workbook::new();
        let table = workbook.add_worksheet();
        table.set_name(sheet)?;
        for (column, title) in self.header.iter().enumerate() {
            table.write_string_with_format(0, column as u16, title, &bold)?;
        }
        for (index, row) in self.rows.iter().enumerate() {
            let line = index as u32 + 1;
            for (column, cell) in row.iter().enumerate() {
                let column = column as u16;
                match cell {
                    Cell::Text(text) => table.write_string(line, column, text)?,
                    Cell::Count(n) => table.write_number(line, column, *n as f64)?,
                    Cell::Points(Some(value)) => table.write_number_with_format(line, column, *value, &points)?,
                    Cell::Points(None) => table.write_string(line, column, no_data)?,
                    Cell::Blank => continue,
                };
            }
        }
        table.set_freeze_panes(1, 2)?;
        table.set_column_width(0, 20)?;
        table.set_column_width(1, 30)?;
        let notes = workbook.add_worksheet();
        notes.set_name(notes_sheet)?;
        notes.set_column_width(0, 150)?;
        let wrap = Format::new().set_text_wrap();
        for (line, note) in self.notes.iter().enumerate() {
            notes.write_string_with_format(line as u32, 0, note, &wrap)?;
        }
        workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(municipality: &str, school: &str, class: &str, answers: &[(&str, &str)]) -> ExportRow {
        ExportRow {
            municipality: municipality.into(),
            school: school.into(),
            class: class.into(),
            answers: answers.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect(),
            ..ExportRow::default()
        }
    }

    fn key(m: &str, s: &str) -> SchoolKey {
        (m.into(), s.into())
    }

    #[test]
    fn schools_then_their_municipality_then_the_region_pooled() {
        let roster = [key("B", "S3"), key("A", "S2"), key("A", "S1")];
        let rows = [
            response("A", "S1", "1", &[("q5", "yes")]),
            response("A", "S2", "1", &[("q5", "no")]),
            response("A", "S2", "1", &[("q5", "no")]),
        ];
        let report = Report::build(&roster, &rows, None, OpennessVariant::PerAnswered, 1);
        let order: Vec<(Level, &str, &str, u64)> = report
            .lines
            .iter()
            .map(|l| (l.level, l.municipality.as_str(), l.school.as_str(), l.tally.respondents))
            .collect();
        assert_eq!(
            order,
            [
                (Level::School, "A", "S1", 1),
                (Level::School, "A", "S2", 2),
                (Level::Municipality, "A", "", 3),
                (Level::School, "B", "S3", 0),
                (Level::Municipality, "B", "", 0),
                (Level::Region, "", "", 3),
            ]
        );
        let comfort = |line: &Line| line.scores(OpennessVariant::PerAnswered).indicators.get(Indicator::Comfort);
        // Pooled: 1 «Да» of 3, not the mean of the schools' 100 and 0.
        assert!((comfort(&report.lines[2]).unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(comfort(&report.lines[3]), None, "nobody answered at S3");
    }

    #[test]
    fn every_row_has_a_cell_under_every_header() {
        let texts = Texts::default();
        let roster = [key("A", "S1"), key("A", "S2")];
        let rows = [response("A", "S1", "1", &[("q1", "yes"), ("q2", "yes")])];
        let expert = HashMap::from([(
            key("A", "S1"),
            ExpertScores { inf: 1.0, dist: 2.0, komf_usl: 3.0, org_dost: 4.0, uslug_dost: 5.0 },
        )]);
        for expert in [None, Some(&expert)] {
            let table = Report::build(&roster, &rows, expert, OpennessVariant::PerAnswered, 1).table(&texts, Lang::Ru);
            // 3 + 1.3 (value and two pairs) + 8 × (value and a pair) + 5 survey parts [+ 5 inputs, 5 criteria, total].
            let expected = 3 + 5 + 8 * 3 + 5 + if expert.is_some() { 11 } else { 0 };
            assert_eq!(table.header.len(), expected);
            assert!(table.rows.iter().all(|row| row.len() == expected));
            assert_eq!(table.header[3], "1.3 Поткр уд (открытость информации)");
            assert_eq!(table.header[4], "1.3: «Да» на q2");
            assert_eq!(table.rows[0][3], Cell::Points(Some(100.0)));
            assert_eq!(table.rows[1][3], Cell::Points(None), "S2: н/д");
            // With a threshold of 2, S1's one respondent shows as a count and «мало ответов».
            let table = Report::build(&roster, &rows, expert, OpennessVariant::PerAnswered, 2).table(&texts, Lang::Ru);
            assert!(table.rows.iter().all(|row| row.len() == expected));
            assert_eq!(table.rows[0][2], Cell::Count(1));
            let too_few = Cell::Text("мало ответов".into());
            assert_eq!(table.rows[0][3..3 + 5 + 8 * 3 + 5], vec![too_few.clone(); 5 + 8 * 3 + 5]);
            if expert.is_some() {
                assert_eq!(table.rows[0][37], Cell::Points(Some(1.0)), "the audit's own figures stay");
                assert_eq!(table.rows[0][42..], vec![too_few; 6]);
            }
            assert_eq!(table.rows[1][3], Cell::Points(None), "S2 has nobody: н/д, nothing to hide");
            assert_eq!(table.rows[2][3], Cell::Points(Some(100.0)), "the municipality's row includes S1");
        }
    }

    #[test]
    fn proposals_name_a_class_only_from_the_threshold_and_in_no_telling_order() {
        let mut rows: Vec<ExportRow> =
            (0..5).map(|n| response("A", "S", "5А", &[("q15", if n == 0 { "  Кружки " } else { "" })])).collect();
        rows.push(response("A", "S", "5Б", &[("q15", "Буфет")]));
        rows.extend((0..4).map(|_| response("A", "S", "6В", &[("q14", "yes")])));
        rows.push(response("A", "T", "1", &[("q15", "Одна")]));
        let proposals = proposals(rows, 5);
        let shown: Vec<(&str, &str, &str)> =
            proposals.iter().map(|p| (p.school.as_str(), p.class.as_str(), p.text.as_str())).collect();
        // 5Б (one response) pools with 6В (four) to five: shown without a class. T has one response: left out.
        assert_eq!(shown, [("S", "", "Буфет"), ("S", "5А", "Кружки")]);
    }

    #[test]
    fn csv_rounds_points_and_writes_no_data_and_notes() {
        let table = Table {
            header: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            rows: vec![vec![
                Cell::Text("x".into()),
                Cell::Count(3),
                Cell::Points(Some(100.0 / 3.0)),
                Cell::Points(None),
            ]],
            notes: vec!["note, with a comma".into()],
        };
        let csv = String::from_utf8(table.to_csv("н/д", Dialect::Rfc4180).unwrap()).unwrap();
        assert_eq!(csv, "a,b,c,d\r\nx,3,33.33,н/д\r\n\r\n\"note, with a comma\"\r\n");
        let csv = String::from_utf8(table.to_csv("н/д", Dialect::Excel).unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}a;b;c;d\r\nx;3;33,33;н/д\r\n\r\nnote, with a comma\r\n");
    }
}
