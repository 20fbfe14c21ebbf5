//! The results report by the official НОКО criteria (`anketa report`): per school, then pooled per
//! municipality and for the region, each survey indicator with its numerator and denominator, the
//! survey part of each criterion and, with the expert file, К1–К5 and the total; whether each
//! school reached its minimum sample; the municipalities' means of their schools and the region's
//! ranking; as CSV or XLSX, with the notes a reader needs to read the figures. Also the free-text
//! proposals, which go to a file of their own so the figures can be passed around without them.
//!
//! The arithmetic is the engine's ([`crate::survey::scoring`]); this module groups the responses,
//! lays out the tables and writes them.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};

use crate::args;
use crate::csv_out::Dialect;
use crate::db::ExportRow;
use crate::i18n::Texts;
use crate::survey::scoring::{
    self, Criterion, EmptyIndicators, ExpertInput, ExpertScores, Indicator, Method, OpennessVariant, Scores, Tally,
};
use crate::survey::{Audience, Lang};

/// The minimum sample of a school: `percent` of its students, rounded up, but never more than
/// `cap` (0: no cap). Families are counted as students, and parents and students who answer both
/// count: each is a recipient of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleRule {
    pub percent: u32,
    pub cap: u64,
}

impl SampleRule {
    /// The number of respondents a school of `students` needs.
    pub fn minimum(self, students: u64) -> u64 {
        let share = (u64::from(self.percent) * students).div_ceil(100);
        if self.cap == 0 { share } else { share.min(self.cap) }
    }
}

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
    /// Respondents who answered as parents.
    pub parents: u64,
    /// Respondents who answered as students.
    pub students: u64,
    /// The students of the classes: the base of the minimum sample.
    pub base: u64,
    /// The school's audited indicators, when the expert file has them (never for pooled rows).
    pub expert: Option<ExpertScores>,
}

impl Line {
    fn new(level: Level, municipality: String, school: String, base: u64) -> Line {
        Line { level, municipality, school, tally: Tally::default(), parents: 0, students: 0, base, expert: None }
    }

    fn add(&mut self, row: &ExportRow) {
        self.tally.add(row.answers.iter().map(|(q, v)| (q.as_str(), v.as_str())));
        match Audience::from_code(&row.audience) {
            Some(Audience::Parent) => self.parents += 1,
            Some(Audience::Student) => self.students += 1,
            None => {}
        }
    }

    fn pool(&mut self, other: &Line) {
        self.tally.pool(&other.tally);
        self.parents += other.parents;
        self.students += other.students;
        self.base += other.base;
    }

    pub fn scores(&self, method: Method) -> Scores {
        Scores::of(&self.tally, method, self.expert.as_ref())
    }
}

/// The schools, then the municipalities and the region pooled, in that order of reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub method: Method,
    /// Whether an expert file was given, and so whether the criteria columns exist.
    pub with_expert: bool,
    /// A school with fewer respondents (but some) shows its count and no figure drawn from its
    /// answers: with so few, the counts of «Да» would be the answers of people one can name.
    pub min_group: u64,
    pub sample: SampleRule,
    pub lines: Vec<Line>,
}

/// (municipality, school)
pub type SchoolKey = (String, String);

/// How a row stands out in a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowStyle {
    #[default]
    Plain,
    /// Schools pooled: bold on grey.
    Pooled,
    /// A school below its minimum sample: on orange.
    BelowSample,
}

/// The report's school lines, counted as the responses stream by (a region's responses are
/// never held in memory): [`Schools::finish`] pools them into the [`Report`].
pub struct Schools<'a> {
    expert: Option<&'a HashMap<SchoolKey, ExpertScores>>,
    schools: BTreeMap<SchoolKey, Line>,
    /// The school of the last response, the key of the line it went to: responses come by school,
    /// so most need no look-up.
    last: Option<SchoolKey>,
}

impl<'a> Schools<'a> {
    /// Every school of `roster` (with its number of students) gets a row, even one nobody
    /// answered for.
    pub fn new(roster: &[(SchoolKey, u64)], expert: Option<&'a HashMap<SchoolKey, ExpertScores>>) -> Schools<'a> {
        let mut schools = Schools { expert, schools: BTreeMap::new(), last: None };
        for (key, base) in roster {
            let line = schools.line(key, *base);
            schools.schools.insert(key.clone(), line);
        }
        schools
    }

    fn line(&self, (m, s): &SchoolKey, base: u64) -> Line {
        let mut line = Line::new(Level::School, m.clone(), s.clone(), base);
        line.expert = self.expert.and_then(|e| e.get(&(m.clone(), s.clone()))).copied();
        line
    }

    pub fn add(&mut self, row: &ExportRow) {
        let same = self.last.as_ref().is_some_and(|(m, s)| *m == row.municipality && *s == row.school);
        if !same {
            let key = (row.municipality.clone(), row.school.clone());
            if !self.schools.contains_key(&key) {
                let line = self.line(&key, 0);
                self.schools.insert(key.clone(), line);
            }
            self.last = Some(key);
        }
        let key = self.last.as_ref().expect("set above");
        self.schools.get_mut(key).expect("inserted above").add(row);
    }

    /// The schools, then each municipality's pooled row, then the region's.
    pub fn finish(self, method: Method, min_group: u64, sample: SampleRule) -> Report {
        let mut municipalities: BTreeMap<String, Line> = BTreeMap::new();
        let mut region = Line::new(Level::Region, String::new(), String::new(), 0);
        for line in self.schools.values() {
            municipalities
                .entry(line.municipality.clone())
                .or_insert_with_key(|m| Line::new(Level::Municipality, m.clone(), String::new(), 0))
                .pool(line);
            region.pool(line);
        }
        let lines = self.schools.into_values().chain(municipalities.into_values()).chain([region]).collect();
        Report { method, with_expert: self.expert.is_some(), min_group, sample, lines }
    }
}

impl Report {
    /// Groups `rows` by school: every school of `roster` (with its number of students) gets a row
    /// (one nobody answered for shows 0 respondents and н/д); the schools come first, then each
    /// municipality's pooled row, then the region's.
    pub fn build(
        roster: &[(SchoolKey, u64)],
        rows: &[ExportRow],
        expert: Option<&HashMap<SchoolKey, ExpertScores>>,
        method: Method,
        min_group: u64,
        sample: SampleRule,
    ) -> Report {
        let mut schools = Schools::new(roster, expert);
        for row in rows {
            schools.add(row);
        }
        schools.finish(method, min_group, sample)
    }

    /// Whether a school's figures are withheld: too few respondents to hide among.
    fn hidden(&self, line: &Line) -> bool {
        line.level == Level::School && line.tally.respondents > 0 && line.tally.respondents < self.min_group
    }

    /// A school's minimum sample; none for pooled rows.
    pub fn required(&self, line: &Line) -> Option<u64> {
        (line.level == Level::School).then(|| self.sample.minimum(line.base))
    }

    /// Whether a school has fewer respondents than its minimum sample.
    pub fn below_sample(&self, line: &Line) -> bool {
        self.required(line).is_some_and(|required| line.tally.respondents < required)
    }

    fn schools(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|line| line.level == Level::School)
    }

    /// The report as a table: the header, one row per line, and the notes (the schools below
    /// their minimum sample first).
    pub fn table(&self, texts: &Texts, lang: Lang) -> Table {
        let t = |id: &str| texts.get(lang, id);
        let mut header = [
            "report-col-municipality",
            "report-col-school",
            "report-col-respondents",
            "report-col-parents",
            "report-col-students",
            "report-col-base",
            "report-col-required",
            "report-col-reached",
        ]
        .map(t)
        .to_vec();
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
            header.extend(criteria_headers(texts, lang));
        }
        let rows = self.lines.iter().map(|line| self.cells(line, texts, lang)).collect();
        let styles = self
            .lines
            .iter()
            .map(|line| match line.level {
                Level::School if self.below_sample(line) => RowStyle::BelowSample,
                Level::School => RowStyle::Plain,
                Level::Municipality | Level::Region => RowStyle::Pooled,
            })
            .collect();
        let mut notes = self.sample_notes(texts, lang);
        notes.extend(["report-note-values", "report-note-no-data"].map(t));
        notes.push(t(match self.method.openness {
            OpennessVariant::PerAnswered => "report-note-openness-per-answered",
            OpennessVariant::PerRespondent => "report-note-openness-per-respondent",
        }));
        notes.push(t("report-note-survey-parts"));
        notes.push(t(match self.method.empty {
            EmptyIndicators::Reweight => "report-note-empty-reweight",
            EmptyIndicators::Strict => "report-note-empty-strict",
        }));
        notes.push(t("report-note-pooling"));
        notes.push(texts.get_with(lang, "report-note-too-few", &args![("threshold", self.min_group as i64)]));
        notes.push(t(if self.with_expert { "report-note-expert" } else { "report-note-no-expert" }));
        Table { header, rows, styles, notes }
    }

    /// The schools below their minimum sample, one a line, then the rule.
    fn sample_notes(&self, texts: &Texts, lang: Lang) -> Vec<String> {
        let below: Vec<&Line> = self.schools().filter(|line| self.below_sample(line)).collect();
        let mut notes = vec![texts.get_with(lang, "report-note-below-sample", &args![("count", below.len() as i64)])];
        for line in below {
            notes.push(texts.get_with(
                lang,
                "report-note-below-sample-school",
                &args![
                    ("municipality", line.municipality.as_str()),
                    ("school", line.school.as_str()),
                    ("respondents", line.tally.respondents as i64),
                    ("required", self.required(line).unwrap_or_default() as i64),
                    ("base", line.base as i64)
                ],
            ));
        }
        notes.push(texts.get_with(
            lang,
            "report-note-sample-rule",
            &args![("percent", i64::from(self.sample.percent)), ("cap", self.sample.cap as i64)],
        ));
        notes
    }

    fn cells(&self, line: &Line, texts: &Texts, lang: Lang) -> Vec<Cell> {
        let (municipality, school) = match line.level {
            Level::School => (line.municipality.clone(), line.school.clone()),
            Level::Municipality => (line.municipality.clone(), texts.get(lang, "report-all-schools")),
            Level::Region => (texts.get(lang, "report-region"), texts.get(lang, "report-all-schools")),
        };
        let too_few = Cell::Text(texts.get(lang, "report-too-few"));
        let hidden = self.hidden(line);
        let mut cells = vec![Cell::Text(municipality), Cell::Text(school), Cell::Count(line.tally.respondents)];
        if hidden {
            cells.extend([too_few.clone(), too_few.clone()]);
        } else {
            cells.extend([Cell::Count(line.parents), Cell::Count(line.students)]);
        }
        cells.push(Cell::Count(line.base));
        match self.required(line) {
            Some(required) => {
                let reached = if self.below_sample(line) { "report-sample-below" } else { "report-sample-reached" };
                cells.extend([Cell::Count(required), Cell::Text(texts.get(lang, reached))]);
            }
            None => cells.extend([Cell::Blank, Cell::Blank]),
        }
        if hidden {
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
        let scores = line.scores(self.method);
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

    /// A school's figures as published: the indicators, the survey parts and (with the expert
    /// file) the criteria and the total, in the order of [`Report::municipal_means`]' columns;
    /// `None` for a school whose figures are withheld.
    fn published(&self, line: &Line) -> Option<Vec<Option<f64>>> {
        if self.hidden(line) {
            return None;
        }
        let scores = line.scores(self.method);
        let mut values: Vec<Option<f64>> = Indicator::ALL.iter().map(|i| scores.indicators.get(*i)).collect();
        values.extend(scores.survey_parts);
        if self.with_expert {
            let criteria = scores.criteria.unwrap_or(scoring::Criteria { values: [None; 5], total: None });
            values.extend(criteria.values);
            values.push(criteria.total);
        }
        Some(values)
    }

    /// A row per municipality: the mean of its schools' figures, each school weighing the same
    /// (the pooled rows of the results weigh each respondent the same).
    pub fn municipal_means(&self, texts: &Texts, lang: Lang) -> Table {
        let t = |id: &str| texts.get(lang, id);
        let mut header = ["report-col-municipality", "report-col-schools", "report-col-schools-below"].map(t).to_vec();
        header.extend(Indicator::ALL.map(|i| t(indicator_label(i))));
        header.extend(
            Criterion::ALL.map(|c| texts.get_with(lang, "report-col-survey-part", &args![("number", c.number())])),
        );
        if self.with_expert {
            header.extend(criteria_headers(texts, lang));
        }
        let columns = header.len() - 3;
        let mut by_municipality: BTreeMap<&str, (u64, u64, Vec<Vec<f64>>)> = BTreeMap::new();
        for line in self.schools() {
            let (schools, below, values) =
                by_municipality.entry(&line.municipality).or_insert_with(|| (0, 0, vec![Vec::new(); columns]));
            *schools += 1;
            *below += u64::from(self.below_sample(line));
            for (column, value) in values.iter_mut().zip(self.published(line).unwrap_or_default()) {
                column.extend(value);
            }
        }
        let rows = by_municipality
            .into_iter()
            .map(|(municipality, (schools, below, values))| {
                let mut cells = vec![Cell::Text(municipality.to_string()), Cell::Count(schools), Cell::Count(below)];
                cells.extend(values.iter().map(|column| {
                    Cell::Points((!column.is_empty()).then(|| column.iter().sum::<f64>() / column.len() as f64))
                }));
                cells
            })
            .collect();
        Table::plain(header, rows, vec![t("report-note-means")])
    }

    /// The schools by total, best first; equal totals (to two decimals, as published) share a
    /// place. Schools without a total, with too few respondents or below their minimum sample
    /// follow, unranked and marked.
    pub fn ranking(&self, texts: &Texts, lang: Lang) -> Table {
        let t = |id: &str| texts.get(lang, id);
        let header = [
            "report-col-place",
            "report-col-municipality",
            "report-col-school",
            "report-col-total",
            "report-col-respondents",
            "report-col-required",
            "report-col-remark",
        ]
        .map(t)
        .to_vec();
        let mut ranked: Vec<(i64, &Line, f64)> = Vec::new();
        let mut unranked: Vec<(&Line, Cell, &str)> = Vec::new();
        for line in self.schools() {
            let total = line.scores(self.method).criteria.and_then(|c| c.total);
            if self.hidden(line) {
                unranked.push((line, Cell::Text(t("report-too-few")), "report-rank-too-few"));
            } else if self.below_sample(line) {
                unranked.push((line, Cell::Points(total), "report-rank-below-sample"));
            } else if let Some(total) = total {
                ranked.push(((total * 100.0).round() as i64, line, total));
            } else {
                unranked.push((line, Cell::Points(None), "report-rank-no-total"));
            }
        }
        ranked.sort_by_key(|(hundredths, _, _)| std::cmp::Reverse(*hundredths));
        let (mut rows, mut styles) = (Vec::new(), Vec::new());
        let mut place = 0;
        for (index, (hundredths, line, total)) in ranked.iter().enumerate() {
            if index == 0 || ranked[index - 1].0 != *hundredths {
                place = index as u64 + 1;
            }
            rows.push(self.rank_row(Cell::Count(place), line, Cell::Points(Some(*total)), String::new()));
            styles.push(RowStyle::Plain);
        }
        for (line, total, remark) in unranked {
            rows.push(self.rank_row(Cell::Blank, line, total, t(remark)));
            styles.push(if self.below_sample(line) { RowStyle::BelowSample } else { RowStyle::Plain });
        }
        Table { header, rows, styles, notes: vec![t("report-note-ranking")] }
    }

    fn rank_row(&self, place: Cell, line: &Line, total: Cell, remark: String) -> Vec<Cell> {
        vec![
            place,
            Cell::Text(line.municipality.clone()),
            Cell::Text(line.school.clone()),
            total,
            Cell::Count(line.tally.respondents),
            Cell::Count(self.required(line).unwrap_or_default()),
            Cell::Text(remark),
        ]
    }
}

/// The headers of К1–К5 and the total.
fn criteria_headers(texts: &Texts, lang: Lang) -> Vec<String> {
    let mut header: Vec<String> = Criterion::ALL
        .iter()
        .map(|c| texts.get_with(lang, "report-col-criterion", &args![("number", c.number())]))
        .collect();
    header.push(texts.get(lang, "report-col-total"));
    header
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
    let mut proposals = Proposals::default();
    for row in &rows {
        proposals.add(row);
    }
    proposals.finish(threshold).0
}

/// How many respondents of `rows` wrote a proposal: those [`proposals`] leaves out are held back
/// by the privacy rule.
pub fn proposals_written(rows: &[ExportRow]) -> usize {
    let question = scoring::proposals_question();
    rows.iter().filter(|row| row.answer(question).is_some_and(|text| !text.trim().is_empty())).count()
}

/// The proposals gathered as the responses stream by: every class's number of responses (the
/// privacy rule needs all of them) and the responses that hold a proposal, nothing else.
#[derive(Debug, Default)]
pub struct Proposals {
    /// (municipality, school, class) → responses.
    per_class: HashMap<(String, String, String), usize>,
    /// The class of the last responses and how many came in a row: responses come by class, so
    /// the map is written once a class rather than once a response.
    run: Option<((String, String, String), usize)>,
    written: Vec<Proposal>,
}

impl Proposals {
    pub fn add(&mut self, row: &ExportRow) {
        let same = self
            .run
            .as_ref()
            .is_some_and(|((m, s, c), _)| *m == row.municipality && *s == row.school && *c == row.class);
        if !same {
            self.end_run();
            self.run = Some(((row.municipality.clone(), row.school.clone(), row.class.clone()), 0));
        }
        if let Some((_, count)) = &mut self.run {
            *count += 1;
        }
        let text = row.answer(scoring::proposals_question()).map(str::trim).unwrap_or_default();
        if !text.is_empty() {
            self.written.push(Proposal {
                municipality: row.municipality.clone(),
                school: row.school.clone(),
                class: row.class.clone(),
                text: text.to_string(),
            });
        }
    }

    fn end_run(&mut self) {
        if let Some((key, count)) = self.run.take() {
            *self.per_class.entry(key).or_default() += count;
        }
    }

    /// The proposals shown, sorted, and how many were written: the rule of
    /// [`crate::privacy::hide_small_groups`] over all responses (a class below `threshold` loses
    /// its name; a school's unnamed responses together below it are left out).
    pub fn finish(mut self, threshold: usize) -> (Vec<Proposal>, usize) {
        self.end_run();
        let mut pooled: HashMap<(&str, &str), usize> = HashMap::new();
        for ((municipality, school, class), count) in &self.per_class {
            if class.is_empty() || *count < threshold {
                *pooled.entry((municipality, school)).or_default() += count;
            }
        }
        let written = self.written.len();
        let mut shown: Vec<Proposal> = self
            .written
            .into_iter()
            .filter_map(|mut proposal| {
                let key = (proposal.municipality.clone(), proposal.school.clone(), proposal.class.clone());
                if self.per_class[&key] < threshold {
                    proposal.class.clear();
                }
                let unnamed = pooled.get(&(proposal.municipality.as_str(), proposal.school.as_str())).copied();
                (!proposal.class.is_empty() || unnamed.unwrap_or_default() >= threshold).then_some(proposal)
            })
            .collect();
        shown.sort();
        (shown, written)
    }
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
    Table::plain(header, rows, notes)
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
    /// How each row stands out in a workbook, row by row.
    pub styles: Vec<RowStyle>,
    /// Lines a reader needs to read the figures; below the rows in CSV, a sheet of their own in XLSX.
    pub notes: Vec<String>,
}

impl Table {
    /// A table whose rows are all plain.
    pub fn plain(header: Vec<String>, rows: Vec<Vec<Cell>>, notes: Vec<String>) -> Table {
        let styles = vec![RowStyle::Plain; rows.len()];
        Table { header, rows, styles, notes }
    }
}

/// Named tables written together: the sheets of a workbook, or the sections of one CSV file.
pub type Sheets<'a> = [(String, &'a Table)];

/// CSV: the first table (its header, then its rows), an empty line and the notes of all the
/// tables, one a line; then each further table after an empty line, under a line with its name.
/// Points are rounded to two decimals, with the dialect's decimal separator.
pub fn to_csv(sheets: &Sheets<'_>, no_data: &str, dialect: Dialect) -> anyhow::Result<Vec<u8>> {
    let write_table = |writer: &mut crate::csv_out::Writer<Vec<u8>>, table: &Table| -> anyhow::Result<()> {
        writer.write_record(&table.header)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|cell| match cell {
                Cell::Text(text) => text.clone(),
                Cell::Count(n) => n.to_string(),
                Cell::Points(Some(points)) => dialect.decimal(*points, 2),
                Cell::Points(None) => no_data.to_string(),
                Cell::Blank => String::new(),
            }))?;
        }
        Ok(())
    };
    let mut writer = crate::csv_out::Writer::flexible(Vec::new(), dialect)?;
    let Some(((_, first), rest)) = sheets.split_first() else {
        return writer.into_inner().map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"));
    };
    write_table(&mut writer, first)?;
    // A blank line keeps the notes apart from the table they explain.
    writer = writer.blank_line()?;
    for note in sheets.iter().flat_map(|(_, table)| &table.notes) {
        writer.write_record([note])?;
    }
    for (name, table) in rest {
        writer = writer.blank_line()?;
        writer.write_record([name])?;
        write_table(&mut writer, table)?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"))
}

/// XLSX: each table on a sheet of its name (points as numbers shown with two decimals, so Excel
/// can sort and chart them; pooled rows bold on grey, schools below their sample on orange), then
/// the notes of all of them on a sheet named `notes_sheet`.
pub fn to_xlsx(sheets: &Sheets<'_>, notes_sheet: &str, no_data: &str) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold().set_text_wrap();
    let styled = |style: RowStyle, format: Format| match style {
        RowStyle::Plain => format,
        RowStyle::Pooled => format.set_bold().set_background_color(Color::RGB(0xD9D9D9)),
        RowStyle::BelowSample => format.set_background_color(Color::RGB(0xFCE4D6)),
    };
    let mut workbook = Workbook::new();
    for (name, table) in sheets {
        // Constant memory: each row goes to a temporary file as it is written (a region's
        // proposals are tens of thousands of rows), so the widths come first.
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        sheet.set_column_width(0, 20)?;
        sheet.set_column_width(1, 30)?;
        for (column, title) in table.header.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, title, &bold)?;
        }
        for (index, row) in table.rows.iter().enumerate() {
            let line = index as u32 + 1;
            let style = table.styles.get(index).copied().unwrap_or_default();
            let (text, points) = (styled(style, Format::new()), styled(style, Format::new().set_num_format("0.00")));
            for (column, cell) in row.iter().enumerate() {
                let column = column as u16;
                // A plain cell is written without a format: the workbook looks every format up by
                // its hash, and the proposals of a region are tens of thousands of plain cells.
                match cell {
                    Cell::Text(value) if style == RowStyle::Plain => sheet.write_string(line, column, value)?,
                    Cell::Count(n) if style == RowStyle::Plain => sheet.write_number(line, column, *n as f64)?,
                    Cell::Text(value) => sheet.write_string_with_format(line, column, value, &text)?,
                    Cell::Count(n) => sheet.write_number_with_format(line, column, *n as f64, &text)?,
                    Cell::Points(Some(value)) => sheet.write_number_with_format(line, column, *value, &points)?,
                    Cell::Points(None) => sheet.write_string_with_format(line, column, no_data, &text)?,
                    // The fill runs across the whole row.
                    Cell::Blank if style != RowStyle::Plain => sheet.write_blank(line, column, &text)?,
                    Cell::Blank => continue,
                };
            }
        }
        sheet.set_freeze_panes(1, 2)?;
    }
    let notes = workbook.add_worksheet();
    notes.set_name(notes_sheet)?;
    notes.set_column_width(0, 150)?;
    let wrap = Format::new().set_text_wrap();
    let all_notes = sheets.iter().flat_map(|(_, table)| &table.notes);
    for (line, note) in all_notes.enumerate() {
        notes.write_string_with_format(line as u32, 0, note, &wrap)?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(municipality: &str, school: &str, class: &str, answers: &[(&str, &str)]) -> ExportRow {
        ExportRow {
            municipality: municipality.into(),
            school: school.into(),
            class: class.into(),
            audience: "parent".into(),
            answers: answers.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect(),
            ..ExportRow::default()
        }
    }

    fn key(m: &str, s: &str) -> SchoolKey {
        (m.into(), s.into())
    }

    const NO_SAMPLE: SampleRule = SampleRule { percent: 1, cap: 1 };

    fn build(
        roster: &[(SchoolKey, u64)],
        rows: &[ExportRow],
        expert: Option<&HashMap<SchoolKey, ExpertScores>>,
        min_group: u64,
    ) -> Report {
        Report::build(roster, rows, expert, Method::default(), min_group, NO_SAMPLE)
    }

    #[test]
    fn the_minimum_sample_is_a_share_rounded_up_and_capped() {
        let rule = SampleRule { percent: 40, cap: 600 };
        assert_eq!(rule.minimum(64), 26, "25.6 rounds up");
        assert_eq!(rule.minimum(10), 4);
        assert_eq!(rule.minimum(0), 0);
        assert_eq!(rule.minimum(2000), 600, "capped");
        assert_eq!(SampleRule { percent: 40, cap: 0 }.minimum(2000), 800, "0: no cap");
    }

    #[test]
    fn schools_first_then_the_municipalities_then_the_region_pooled() {
        let roster = [(key("B", "S3"), 10), (key("A", "S2"), 20), (key("A", "S1"), 30)];
        let mut rows = vec![
            response("A", "S1", "1", &[("q5", "yes")]),
            response("A", "S2", "1", &[("q5", "no")]),
            response("A", "S2", "1", &[("q5", "no")]),
        ];
        rows[2].audience = "student".into();
        let report = build(&roster, &rows, None, 1);
        let order: Vec<(Level, &str, &str, u64, u64, u64, u64)> = report
            .lines
            .iter()
            .map(|l| {
                (
                    l.level,
                    l.municipality.as_str(),
                    l.school.as_str(),
                    l.tally.respondents,
                    l.parents,
                    l.students,
                    l.base,
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                (Level::School, "A", "S1", 1, 1, 0, 30),
                (Level::School, "A", "S2", 2, 1, 1, 20),
                (Level::School, "B", "S3", 0, 0, 0, 10),
                (Level::Municipality, "A", "", 3, 2, 1, 50),
                (Level::Municipality, "B", "", 0, 0, 0, 10),
                (Level::Region, "", "", 3, 2, 1, 60),
            ]
        );
        let comfort = |line: &Line| line.scores(Method::default()).indicators.get(Indicator::Comfort);
        // Pooled: 1 «Да» of 3, not the mean of the schools' 100 and 0.
        assert!((comfort(&report.lines[3]).unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(comfort(&report.lines[2]), None, "nobody answered at S3");
        let table = report.table(&Texts::default(), Lang::Ru);
        assert_eq!(
            table.styles,
            [
                RowStyle::Plain,
                RowStyle::Plain,
                RowStyle::BelowSample,
                RowStyle::Pooled,
                RowStyle::Pooled,
                RowStyle::Pooled
            ],
            "S3 has nobody of the one it needs"
        );
    }

    #[test]
    fn every_row_has_a_cell_under_every_header() {
        let texts = Texts::default();
        let roster = [(key("A", "S1"), 1), (key("A", "S2"), 1)];
        let rows = [response("A", "S1", "1", &[("q1", "yes"), ("q2", "yes")])];
        let expert = HashMap::from([(
            key("A", "S1"),
            ExpertScores { inf: 1.0, dist: 2.0, komf_usl: 3.0, org_dost: 4.0, uslug_dost: 5.0 },
        )]);
        for expert in [None, Some(&expert)] {
            let table = build(&roster, &rows, expert, 1).table(&texts, Lang::Ru);
            // 8 (place, counts, sample) + 1.3 (value and two pairs) + 8 × (value and a pair) + 5 survey parts
            // [+ 5 inputs, 5 criteria, total].
            let expected = 8 + 5 + 8 * 3 + 5 + if expert.is_some() { 11 } else { 0 };
            assert_eq!(table.header.len(), expected);
            assert!(table.rows.iter().all(|row| row.len() == expected));
            assert_eq!(table.header[8], "1.3 Поткр уд (открытость информации)");
            assert_eq!(table.header[9], "1.3: «Да» на q2");
            assert_eq!(table.rows[0][8], Cell::Points(Some(100.0)));
            assert_eq!(table.rows[1][8], Cell::Points(None), "S2: н/д");
            // With a threshold of 2, S1's one respondent shows as a count and «мало ответов».
            let table = build(&roster, &rows, expert, 2).table(&texts, Lang::Ru);
            assert!(table.rows.iter().all(|row| row.len() == expected));
            assert_eq!(table.rows[0][2], Cell::Count(1));
            let too_few = Cell::Text("мало ответов".into());
            assert_eq!(table.rows[0][3..5], [too_few.clone(), too_few.clone()], "nor who they were");
            assert_eq!(table.rows[0][8..8 + 5 + 8 * 3 + 5], vec![too_few.clone(); 5 + 8 * 3 + 5]);
            if expert.is_some() {
                assert_eq!(table.rows[0][42], Cell::Points(Some(1.0)), "the audit's own figures stay");
                assert_eq!(table.rows[0][47..], vec![too_few; 6]);
            }
            assert_eq!(table.rows[1][8], Cell::Points(None), "S2 has nobody: н/д, nothing to hide");
            assert_eq!(table.rows[2][8], Cell::Points(Some(100.0)), "the municipality's row includes S1");
            let means = build(&roster, &rows, expert, 1).municipal_means(&texts, Lang::Ru);
            assert!(means.rows.iter().all(|row| row.len() == means.header.len()));
            let ranking = build(&roster, &rows, expert, 1).ranking(&texts, Lang::Ru);
            assert!(ranking.rows.iter().all(|row| row.len() == ranking.header.len()));
            assert_eq!(ranking.rows.len(), 2);
        }
    }

    /// All «Да» but 3.3 and 4.3 (nobody asked): 1.3 and the rest 100.
    const HAPPY: &[(&str, &str)] = &[
        ("q1", "yes"),
        ("q2", "yes"),
        ("q3", "no"),
        ("q5", "yes"),
        ("q6", "no"),
        ("q8", "yes"),
        ("q9", "yes"),
        ("q10", "no"),
        ("q12", "yes"),
        ("q13", "yes"),
        ("q14", "yes"),
    ];

    #[test]
    fn the_sample_check_flags_a_school_and_lists_it_first() {
        let texts = Texts::default();
        // S1: 3 respondents of 64 students (needs 26); S2: 2 of 5 (needs 2).
        let roster = [(key("A", "S1"), 64), (key("A", "S2"), 5)];
        let mut rows: Vec<ExportRow> = (0..3).map(|_| response("A", "S1", "1", HAPPY)).collect();
        rows.extend((0..2).map(|_| response("A", "S2", "1", HAPPY)));
        let report = Report::build(&roster, &rows, None, Method::default(), 1, SampleRule { percent: 40, cap: 600 });
        let table = report.table(&texts, Lang::Ru);
        assert_eq!(
            table.rows[0][2..8],
            [3, 3, 0, 64, 26]
                .map(Cell::Count)
                .into_iter()
                .chain([Cell::Text("⚠ ниже выборки".into())])
                .collect::<Vec<_>>()
        );
        assert_eq!(table.rows[1][6..8], [Cell::Count(2), Cell::Text("да".into())]);
        assert_eq!(table.rows[0][8], Cell::Points(Some(100.0)), "still computed: the operator decides");
        assert_eq!(table.styles[..2], [RowStyle::BelowSample, RowStyle::Plain]);
        assert_eq!(table.rows[2][6..8], [Cell::Blank, Cell::Blank], "no sample for pooled rows");
        assert!(table.notes[0].starts_with("Не набрали минимальную выборку (1)"), "{}", table.notes[0]);
        assert_eq!(table.notes[1], "⚠ A / S1: 3 из 26 (обучающихся в классах: 64)");
        assert!(table.notes[2].contains("40 %") && table.notes[2].contains("не больше 600"), "{}", table.notes[2]);
    }

    #[test]
    fn ranking_shares_places_and_puts_the_unranked_last() {
        let texts = Texts::default();
        let expert = |inf| ExpertScores { inf, dist: 100.0, komf_usl: 100.0, org_dost: 100.0, uslug_dost: 100.0 };
        // Totals: S1 and S2 100, S3 less (К1 = 30 + 30 + 40 = 100 − 0.3 × 50), S4 below its sample, S5 no expert row.
        let roster =
            [(key("A", "S1"), 1), (key("B", "S2"), 1), (key("A", "S3"), 1), (key("A", "S4"), 100), (key("B", "S5"), 1)];
        let rows: Vec<ExportRow> = ["S1", "S2", "S3", "S4", "S5"]
            .iter()
            .map(|s| response(if *s == "S2" || *s == "S5" { "B" } else { "A" }, s, "1", HAPPY))
            .collect();
        let scores = HashMap::from([
            (key("A", "S1"), expert(100.0)),
            (key("B", "S2"), expert(100.0)),
            (key("A", "S3"), expert(50.0)),
            (key("A", "S4"), expert(100.0)),
        ]);
        let report =
            Report::build(&roster, &rows, Some(&scores), Method::default(), 1, SampleRule { percent: 40, cap: 600 });
        let ranking = report.ranking(&texts, Lang::Ru);
        let shown: Vec<(Cell, &Cell, &Cell)> = ranking.rows.iter().map(|r| (r[0].clone(), &r[2], &r[6])).collect();
        let text = |s: &str| Cell::Text(s.into());
        assert_eq!(
            shown,
            [
                (Cell::Count(1), &text("S1"), &text("")),
                (Cell::Count(1), &text("S2"), &text("")),
                (Cell::Count(3), &text("S3"), &text("")),
                (Cell::Blank, &text("S4"), &text("⚠ ниже выборки — не ранжируется")),
                (Cell::Blank, &text("S5"), &text("нет итогового балла — не ранжируется")),
            ]
        );
        let points = |cell: &Cell| match cell {
            Cell::Points(Some(points)) => *points,
            other => panic!("{other:?}"),
        };
        assert!((points(&ranking.rows[2][3]) - 97.0).abs() < 1e-9);
        assert!((points(&ranking.rows[3][3]) - 100.0).abs() < 1e-9, "its total is shown, unranked");
        assert_eq!(ranking.styles[3], RowStyle::BelowSample);

        // Means: A's schools S1, S3, S4 (each weighs the same); B's S2 (S5 has no total).
        let means = report.municipal_means(&texts, Lang::Ru);
        let total = means.header.len() - 1;
        assert_eq!(means.rows[0][..3], [Cell::Text("A".into()), Cell::Count(3), Cell::Count(1)]);
        assert!((points(&means.rows[0][total]) - (100.0 + 97.0 + 100.0) / 3.0).abs() < 1e-9);
        assert!((points(&means.rows[1][total]) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn proposals_name_a_class_only_from_the_threshold_and_in_no_telling_order() {
        let mut rows: Vec<ExportRow> =
            (0..5).map(|n| response("A", "S", "5А", &[("q15", if n == 0 { "  Кружки " } else { "" })])).collect();
        rows.push(response("A", "S", "5Б", &[("q15", "Буфет")]));
        rows.extend((0..4).map(|_| response("A", "S", "6В", &[("q14", "yes")])));
        rows.push(response("A", "T", "1", &[("q15", "Одна")]));
        assert_eq!(proposals_written(&rows), 3);
        let proposals = proposals(rows, 5);
        let shown: Vec<(&str, &str, &str)> =
            proposals.iter().map(|p| (p.school.as_str(), p.class.as_str(), p.text.as_str())).collect();
        // 5Б (one response) pools with 6В (four) to five: shown without a class. T has one response: left out.
        assert_eq!(shown, [("S", "", "Буфет"), ("S", "5А", "Кружки")]);
    }

    #[test]
    fn workbook_rows_stand_out_by_their_style() {
        use std::io::Read;
        let row = || vec![Cell::Text("x".into()), Cell::Blank];
        let table = Table {
            header: vec!["a".into(), "b".into()],
            rows: vec![row(), row(), row()],
            styles: vec![RowStyle::Plain, RowStyle::Pooled, RowStyle::BelowSample],
            notes: vec!["n".into()],
        };
        let bytes = to_xlsx(&[("T".into(), &table)], "Notes", "н/д").unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a ZIP");
        let mut styles = String::new();
        archive.by_name("xl/styles.xml").unwrap().read_to_string(&mut styles).unwrap();
        assert!(styles.contains("FFD9D9D9") && styles.contains("FFFCE4D6"), "grey and orange fills: {styles}");
        let mut sheet = String::new();
        archive.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
        // The blank cell of a styled row is written, so its fill runs across the row.
        assert!(sheet.contains("r=\"B3\"") && sheet.contains("r=\"B4\"") && !sheet.contains("r=\"B2\""), "{sheet}");
    }

    #[test]
    fn csv_rounds_points_and_writes_no_data_sections_and_notes() {
        let table = Table::plain(
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec![vec![Cell::Text("x".into()), Cell::Count(3), Cell::Points(Some(100.0 / 3.0)), Cell::Points(None)]],
            vec!["note, with a comma".into()],
        );
        let csv = String::from_utf8(to_csv(&[("T".into(), &table)], "н/д", Dialect::Rfc4180).unwrap()).unwrap();
        assert_eq!(csv, "a,b,c,d\r\nx,3,33.33,н/д\r\n\r\n\"note, with a comma\"\r\n");
        let csv = String::from_utf8(to_csv(&[("T".into(), &table)], "н/д", Dialect::Excel).unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}a;b;c;d\r\nx;3;33,33;н/д\r\n\r\nnote, with a comma\r\n");
        let second = Table::plain(vec!["e".into()], vec![vec![Cell::Blank]], vec!["second".into()]);
        let csv = String::from_utf8(
            to_csv(&[("T".into(), &table), ("Второй".into(), &second)], "н/д", Dialect::Rfc4180).unwrap(),
        )
        .unwrap();
        assert_eq!(
            csv,
            "a,b,c,d\r\nx,3,33.33,н/д\r\n\r\n\"note, with a comma\"\r\nsecond\r\n\r\nВторой\r\ne\r\n\"\"\r\n"
        );
    }
}
