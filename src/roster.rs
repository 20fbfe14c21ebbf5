//! The roster file: municipalities, schools, classes and their headcounts, as a region keeps them
//! in a spreadsheet (CSV in UTF-8 or Windows-1251, or an XLSX workbook). Checked whole before
//! anything is stored: every problem is found with its line, names are written one way
//! ([`crate::names`]), and the file is compared with the stored roster ([`diff`]) for a preview.
//! The bot and the CLI show the same [`Preview`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;

use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::args;
use crate::i18n::Texts;
use crate::names;
use crate::survey::Lang;

/// One class of the roster, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub line: u64,
    pub municipality: String,
    pub school: String,
    pub class: String,
    pub headcount: i64,
    /// The school's timezone when the file gives one.
    pub timezone: Option<Tz>,
}

/// A column of the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Municipality,
    School,
    Class,
    Students,
    Timezone,
}

impl Column {
    /// The English header name, as documented.
    pub fn code(self) -> &'static str {
        match self {
            Column::Municipality => "municipality",
            Column::School => "school",
            Column::Class => "class",
            Column::Students => "students",
            Column::Timezone => "timezone",
        }
    }

    /// Accepted header names (English as documented, plus the Russian a region's spreadsheet
    /// is likely to carry).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Municipality => &["municipality", "муниципалитет", "муниципальное образование", "район"],
            Column::School => &["school", "школа", "оо", "образовательная организация"],
            Column::Class => &["class", "класс"],
            Column::Students => &[
                "students",
                "учащихся",
                "обучающихся",
                "учеников",
                "численность",
                "количество обучающихся",
                "количество учеников",
            ],
            Column::Timezone => &["timezone", "часовой пояс"],
        }
    }
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("the {} is missing", .0.code())]
    Missing(Column),
    #[error("the number of students must be a positive whole number, got {0:?}")]
    Headcount(String),
    #[error("unknown timezone {0:?} (use an IANA name such as Europe/Moscow or Asia/Irkutsk)")]
    Timezone(String),
    #[error("school {school:?} has timezone {here} here but {other} on line {other_line}")]
    TimezoneConflict { school: String, here: String, other: String, other_line: u64 },
    /// The class is listed twice (perhaps written differently: `5а` and `5А` are one class).
    #[error("class {class:?} of school {school:?} is already listed on line {first_line} (as {first:?})")]
    Duplicate { class: String, first: String, school: String, first_line: u64 },
}

/// Why a roster file was rejected; `line` is the line number a spreadsheet shows.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RosterError {
    #[error("the file is neither text nor an Excel workbook")]
    NotText,
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    #[error("the file is empty")]
    Empty,
    #[error(
        "the header row has no {:?} column (needed: municipality, school, class, students; optional: timezone)",
        .0.code()
    )]
    MissingColumn(Column),
    #[error("line {line}: {problem}")]
    Row { line: u64, problem: Problem },
    #[error("the file has a header but no classes")]
    NoRows,
}

/// A problem with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    pub line: u64,
    pub problem: Problem,
}

/// A name the roster writes differently from the file (`5A` → `5А`).
#[derive(Debug, Clone, PartialEq)]
pub struct Renamed {
    pub line: u64,
    pub column: Column,
    pub from: String,
    pub to: String,
}

/// A file read whole: its good rows, the names written one way, and every problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub rows: Vec<RosterRow>,
    pub renamed: Vec<Renamed>,
    pub problems: Vec<RowProblem>,
}

/// The separator of a spreadsheet's CSV: Russian Excel writes semicolons, so whichever of `;` and
/// `,` the header line uses more.
pub(crate) fn delimiter(header_line: &str) -> u8 {
    if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' }
}

/// The first line with something on it, whichever line ends the file uses.
pub(crate) fn first_line(text: &str) -> Option<&str> {
    text.split(['\r', '\n']).find(|l| !l.trim().is_empty())
}

/// A text file's characters: UTF-8 (a byte order mark dropped) or, failing that, Windows-1251,
/// which Russian Excel's «CSV (разделители — запятые)» writes. Bytes with NUL in them are no text
/// (a UTF-16 file, a picture).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, RosterError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text))),
        Err(_) if bytes.contains(&0) => Err(RosterError::NotText),
        Err(_) => Ok(encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes).0),
    }
}

/// Whether `bytes` are a workbook: XLSX is a ZIP, the old XLS an OLE file.
fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// A record of the file: its line and its fields.
type Record = (u64, Vec<String>);

/// The file's records with their lines, header first; blank records are left out.
fn records(bytes: &[u8]) -> Result<(Vec<Record>, Vec<RowProblem>), RosterError> {
    if is_workbook(bytes) {
        return workbook_records(bytes).map(|records| (records, Vec::new()));
    }
    let text = decode(bytes)?;
    let header_line = first_line(&text).ok_or(RosterError::Empty)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(&text);
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = lines.line_at(record.position());
                if record.iter().any(|f| !f.is_empty()) {
                    records.push((line, record.iter().map(str::to_string).collect()));
                }
            }
            Err(e) => {
                let line = lines.line_at(e.position());
                problems.push(RowProblem { line, problem: Problem::Unreadable(e.to_string()) });
            }
        }
    }
    Ok((records, problems))
}

/// The first sheet of a workbook, a record per row; a row's line is its number in Excel.
fn workbook_records(bytes: &[u8]) -> Result<Vec<Record>, RosterError> {
    use calamine::{Data, Reader};
    let mut workbook =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| RosterError::Workbook(e.to_string()))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| RosterError::Workbook(e.to_string()))?,
        None => return Err(RosterError::Empty),
    };
    let first_row = u64::from(range.start().map_or(0, |(row, _)| row));
    let records = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let fields = cells
                .iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    other => other.to_string().trim().to_string(),
                })
                .collect::<Vec<_>>();
            (first_row + i as u64 + 1, fields)
        })
        .filter(|(_, fields)| fields.iter().any(|f| !f.is_empty()))
        .collect();
    Ok(records)
}

/// Reads a roster file whole: every row's problem is found, not only the first.
pub fn check(bytes: &[u8]) -> Result<Checked, RosterError> {
    let (records, mut problems) = records(bytes)?;
    let mut records = records.into_iter();
    let (_, headers) = records.next().ok_or(RosterError::Empty)?;
    let find = |column: Column| {
        headers.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
            column.aliases().contains(&h.as_str())
        })
    };
    let required = |column: Column| find(column).ok_or(RosterError::MissingColumn(column));
    let (m_col, s_col, c_col, n_col) = (
        required(Column::Municipality)?,
        required(Column::School)?,
        required(Column::Class)?,
        required(Column::Students)?,
    );
    let tz_col = find(Column::Timezone);

    let mut rows = Vec::new();
    let mut renamed = Vec::new();
    let mut seen: HashMap<(String, String, String), (u64, String)> = HashMap::new();
    let mut school_zones: HashMap<(String, String), (Tz, u64)> = HashMap::new();
    for (line, record) in records {
        let mut problem = |problem| problems.push(RowProblem { line, problem });
        let field = |col: usize| record.get(col).map(|v| v.trim()).filter(|v| !v.is_empty());
        let (Some(municipality), Some(school), Some(class), Some(students)) =
            (field(m_col), field(s_col), field(c_col), field(n_col))
        else {
            let required = [
                (m_col, Column::Municipality),
                (s_col, Column::School),
                (c_col, Column::Class),
                (n_col, Column::Students),
            ];
            let missing = required
                .into_iter()
                .find(|(col, _)| field(*col).is_none())
                .map_or(Column::Students, |(_, column)| column);
            problem(Problem::Missing(missing));
            continue;
        };
        let mut written = |column: Column, from: &str, to: String| {
            if from != to {
                renamed.push(Renamed { line, column, from: from.to_string(), to: to.clone() });
            }
            to
        };
        let municipality = written(Column::Municipality, municipality, names::to_cyrillic(municipality));
        let school = written(Column::School, school, names::to_cyrillic(school));
        let class_as_written = class.to_string();
        let class = written(Column::Class, class, names::class_name(class));
        let headcount = match students.parse::<i64>() {
            Ok(n) if n > 0 => n,
            _ => {
                problem(Problem::Headcount(students.to_string()));
                continue;
            }
        };
        let timezone = match field_at(&record, tz_col) {
            None => None,
            Some(name) => match name.parse::<Tz>() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    problem(Problem::Timezone(name.to_string()));
                    continue;
                }
            },
        };
        if let Some(tz) = timezone {
            let key = (municipality.clone(), school.clone());
            match school_zones.get(&key) {
                Some((other, other_line)) if *other != tz => {
                    problem(Problem::TimezoneConflict {
                        school: school.clone(),
                        here: tz.name().to_string(),
                        other: other.name().to_string(),
                        other_line: *other_line,
                    });
                    continue;
                }
                Some(_) => {}
                None => {
                    school_zones.insert(key, (tz, line));
                }
            }
        }
        let key = (municipality.clone(), school.clone(), class.clone());
        if let Some((first_line, first)) = seen.get(&key) {
            problem(Problem::Duplicate {
                class: class_as_written,
                first: first.clone(),
                school: school.clone(),
                first_line: *first_line,
            });
            continue;
        }
        seen.insert(key, (line, class_as_written));
        rows.push(RosterRow { line, municipality, school, class, headcount, timezone });
    }
    problems.sort_by_key(|p| p.line);
    if rows.is_empty() && problems.is_empty() {
        return Err(RosterError::NoRows);
    }
    Ok(Checked { rows, renamed, problems })
}

fn field_at(record: &[String], col: Option<usize>) -> Option<&str> {
    col.and_then(|c| record.get(c)).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Parses a roster file strictly: the first problem rejects it (for tools and tests that want
/// the rows or nothing).
pub fn parse(bytes: &[u8]) -> Result<Vec<RosterRow>, RosterError> {
    let checked = check(bytes)?;
    match checked.problems.into_iter().next() {
        Some(RowProblem { line, problem }) => Err(RosterError::Row { line, problem }),
        None => Ok(checked.rows),
    }
}

/// Line numbers as a spreadsheet shows them. The csv crate does not count blank lines, so lines
/// come from byte offsets; records arrive in order, so counting resumes where it stopped instead of
/// starting again from the top of the file for every record (which made a region's roster of
/// 30,000 classes take seconds to parse). A line ends with LF, CR LF or a bare CR (the csv crate
/// reads all three, and Excel's «CSV (Macintosh)» writes the last).
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Where counting stopped, and the line there.
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    pub(crate) fn line_at(&mut self, position: Option<&csv::Position>) -> u64 {
        let bytes = self.bytes;
        let mut start = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
        // A record's position may sit on the blank lines skipped before it.
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        if start < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        // `start` never sits between the CR and LF of one line end: those were skipped above.
        let breaks = (self.offset..start)
            .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count();
        self.line += breaks as u64;
        self.offset = start;
        self.line
    }
}

/// A class as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredClass {
    pub id: i64,
    pub municipality: String,
    pub school: String,
    pub timezone: String,
    pub class: String,
    pub headcount: i64,
}

/// A digest of the stored roster: a preview confirmed after it changed is refused.
pub fn fingerprint(stored: &[StoredClass]) -> String {
    let mut sorted: Vec<&StoredClass> = stored.iter().collect();
    sorted.sort_by_key(|c| c.id);
    let mut hash = Sha256::new();
    for c in sorted {
        hash.update(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            c.id, c.municipality, c.school, c.timezone, c.class, c.headcount
        ));
    }
    hex::encode(hash.finalize())
}

/// A class whose headcount the file changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub line: u64,
    pub school: String,
    pub class: String,
    pub from: i64,
    pub to: i64,
}

/// A school whose timezone the file changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneChange {
    pub line: u64,
    pub school: String,
    pub from: String,
    pub to: String,
}

/// The file against the stored roster.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// For each row of the file, the stored class it is (`None`: a new class).
    pub matches: Vec<Option<i64>>,
    pub new: usize,
    pub changed: Vec<Change>,
    pub zones: Vec<ZoneChange>,
    pub unchanged: usize,
    /// Stored classes the file does not list.
    pub absent: Vec<StoredClass>,
    /// Stored schools ("municipality / school") the file lists no class of.
    pub schools_without_classes: Vec<String>,
    /// Names of the file that are not in the database but differ from a stored one only in quotes,
    /// case, spaces or `ё` (`Школа №1` and `Школа № 1`): most likely a typo making a second school.
    pub look_alike_names: Vec<LookAlike>,
}

/// A name of the file that folds like a different stored name.
#[derive(Debug, Clone, PartialEq)]
pub struct LookAlike {
    pub line: u64,
    pub name: String,
    pub stored: String,
}

/// Compares the file's rows with the stored roster. A stored class is found by its school and its
/// name written one way, so a `5A` stored by an older version is the file's `5А` (and is renamed).
pub fn diff(rows: &[RosterRow], stored: &[StoredClass]) -> Diff {
    let mut by_key: HashMap<(&str, &str, String), &StoredClass> = HashMap::new();
    for class in stored {
        let key = (class.municipality.as_str(), class.school.as_str(), names::class_name(&class.class));
        // The class stored under exactly the normalised name wins over a look-alike twin.
        let exact = class.class == key.2;
        match by_key.get(&key) {
            Some(other) if other.class == key.2 || !exact => {}
            _ => {
                by_key.insert(key, class);
            }
        }
    }
    let zones_stored: HashMap<(&str, &str), &str> =
        stored.iter().map(|c| ((c.municipality.as_str(), c.school.as_str()), c.timezone.as_str())).collect();
    let mut matched = BTreeSet::new();
    let mut diff = Diff {
        matches: Vec::with_capacity(rows.len()),
        new: 0,
        changed: Vec::new(),
        zones: Vec::new(),
        unchanged: 0,
        absent: Vec::new(),
        schools_without_classes: Vec::new(),
        look_alike_names: Vec::new(),
    };
    let mut zone_seen = BTreeSet::new();
    for row in rows {
        if let Some(tz) = row.timezone
            && let Some(from) = zones_stored.get(&(row.municipality.as_str(), row.school.as_str()))
            && *from != tz.name()
            && zone_seen.insert((row.municipality.clone(), row.school.clone()))
        {
            diff.zones.push(ZoneChange {
                line: row.line,
                school: row.school.clone(),
                from: from.to_string(),
                to: tz.name().to_string(),
            });
        }
        let key = (row.municipality.as_str(), row.school.as_str(), row.class.clone());
        match by_key.get(&key) {
            Some(class) => {
                matched.insert(class.id);
                diff.matches.push(Some(class.id));
                if class.headcount != row.headcount {
                    diff.changed.push(Change {
                        line: row.line,
                        school: row.school.clone(),
                        class: row.class.clone(),
                        from: class.headcount,
                        to: row.headcount,
                    });
                } else {
                    diff.unchanged += 1;
                }
            }
            None => {
                diff.matches.push(None);
                diff.new += 1;
            }
        }
    }
    diff.absent = stored.iter().filter(|c| !matched.contains(&c.id)).cloned().collect();
    let listed: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.municipality.as_str(), r.school.as_str())).collect();
    let stored_schools: BTreeSet<(&str, &str)> =
        stored.iter().map(|c| (c.municipality.as_str(), c.school.as_str())).collect();
    diff.schools_without_classes = stored_schools.difference(&listed).map(|(m, s)| format!("{m} / {s}")).collect();
    let municipalities: BTreeSet<&str> = stored_schools.iter().map(|(m, _)| *m).collect();
    let mut warned = BTreeSet::new();
    for row in rows {
        let similar = |name: &str, known: Vec<&str>| {
            let folded = names::fold(name);
            known.into_iter().find(|k| *k != name && names::fold(k) == folded).map(str::to_string)
        };
        let look_alike = if municipalities.contains(row.municipality.as_str()) {
            if stored_schools.contains(&(row.municipality.as_str(), row.school.as_str())) {
                None
            } else {
                let schools = stored_schools.iter().filter(|(m, _)| *m == row.municipality.as_str()).map(|(_, s)| *s);
                similar(&row.school, schools.collect()).map(|stored| (row.school.clone(), stored))
            }
        } else {
            similar(&row.municipality, municipalities.iter().copied().collect())
                .map(|stored| (row.municipality.clone(), stored))
        };
        if let Some((name, stored)) = look_alike
            && warned.insert(name.clone())
        {
            diff.look_alike_names.push(LookAlike { line: row.line, name, stored });
        }
    }
    diff
}

/// Everything a person is shown before an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub checked: Checked,
    pub diff: Diff,
}

/// How many items of one list a preview names before it says how many more there are.
pub const SHOWN: usize = 20;

impl Preview {
    pub fn new(checked: Checked, stored: &[StoredClass]) -> Preview {
        let diff = diff(&checked.rows, stored);
        Preview { checked, diff }
    }

    pub fn has_errors(&self) -> bool {
        !self.checked.problems.is_empty()
    }

    /// The preview as text in `lang`.
    pub fn render(&self, texts: &Texts, lang: Lang) -> String {
        let rows = &self.checked.rows;
        let municipalities: BTreeSet<&str> = rows.iter().map(|r| r.municipality.as_str()).collect();
        let schools: BTreeSet<(&str, &str)> =
            rows.iter().map(|r| (r.municipality.as_str(), r.school.as_str())).collect();
        let students: i64 = rows.iter().map(|r| r.headcount).sum();
        let mut out = vec![texts.get_with(
            lang,
            "roster-preview-counts",
            &args![
                ("municipalities", municipalities.len()),
                ("schools", schools.len()),
                ("classes", rows.len()),
                ("students", students)
            ],
        )];
        let diff = &self.diff;
        out.push(texts.get_with(
            lang,
            "roster-preview-diff",
            &args![
                ("new", diff.new),
                ("changed", diff.changed.len()),
                ("unchanged", diff.unchanged),
                ("absent", diff.absent.len())
            ],
        ));
        let mut section = |title: &str, items: Vec<String>| {
            if items.is_empty() {
                return;
            }
            let mut text = texts.get_with(lang, title, &args![("count", items.len())]);
            for item in items.iter().take(SHOWN) {
                text.push_str("\n• ");
                text.push_str(item);
            }
            if items.len() > SHOWN {
                text.push('\n');
                text.push_str(&texts.get_with(lang, "roster-more", &args![("count", items.len() - SHOWN)]));
            }
            out.push(text);
        };
        section(
            "roster-new-title",
            rows.iter()
                .zip(&diff.matches)
                .filter(|(_, matched)| matched.is_none())
                .map(|(r, _)| {
                    texts.get_with(
                        lang,
                        "roster-new-item",
                        &args![
                            ("line", r.line),
                            ("municipality", r.municipality.as_str()),
                            ("school", r.school.as_str()),
                            ("class", r.class.as_str()),
                            ("students", r.headcount)
                        ],
                    )
                })
                .collect(),
        );
        section(
            "roster-changed-title",
            diff.changed
                .iter()
                .map(|c| {
                    texts.get_with(
                        lang,
                        "roster-changed-item",
                        &args![
                            ("line", c.line),
                            ("school", c.school.as_str()),
                            ("class", c.class.as_str()),
                            ("from", c.from),
                            ("to", c.to)
                        ],
                    )
                })
                .collect(),
        );
        section(
            "roster-zones-title",
            diff.zones
                .iter()
                .map(|z| {
                    texts.get_with(
                        lang,
                        "roster-zone-item",
                        &args![
                            ("line", z.line),
                            ("school", z.school.as_str()),
                            ("from", z.from.as_str()),
                            ("to", z.to.as_str())
                        ],
                    )
                })
                .collect(),
        );
        section(
            "roster-absent-title",
            diff.absent.iter().map(|c| format!("{} / {} / {}", c.municipality, c.school, c.class)).collect(),
        );
        let renamed = |column: Column| {
            self.checked
                .renamed
                .iter()
                .filter(|r| (r.column == Column::Class) == (column == Column::Class))
                .map(|r| {
                    texts.get_with(
                        lang,
                        "roster-renamed-item",
                        &args![("line", r.line), ("from", r.from.as_str()), ("to", r.to.as_str())],
                    )
                })
                .collect::<Vec<_>>()
        };
        section("roster-renamed-classes-title", renamed(Column::Class));
        section("roster-renamed-names-title", renamed(Column::School));
        section("roster-schools-without-classes-title", diff.schools_without_classes.clone());
        section(
            "roster-look-alike-title",
            diff.look_alike_names
                .iter()
                .map(|l| {
                    texts.get_with(
                        lang,
                        "roster-look-alike-item",
                        &args![("line", l.line), ("name", l.name.as_str()), ("stored", l.stored.as_str())],
                    )
                })
                .collect(),
        );
        section(
            "roster-errors-title",
            self.checked.problems.iter().map(|p| render_row_problem(texts, lang, p.line, &p.problem)).collect(),
        );
        out.join("\n\n")
    }
}

fn column_name(texts: &Texts, lang: Lang, column: Column) -> String {
    texts.get(lang, &format!("roster-column-{}", column.code()))
}

/// A row's problem in `lang`, with its line.
pub fn render_row_problem(texts: &Texts, lang: Lang, line: u64, problem: &Problem) -> String {
    let text = match problem {
        Problem::Unreadable(detail) => {
            texts.get_with(lang, "roster-problem-unreadable", &args![("detail", detail.as_str())])
        }
        Problem::Missing(column) => {
            texts.get_with(lang, "roster-problem-missing", &args![("column", column_name(texts, lang, *column))])
        }
        Problem::Headcount(value) => {
            texts.get_with(lang, "roster-problem-headcount", &args![("value", value.as_str())])
        }
        Problem::Timezone(value) => texts.get_with(lang, "roster-problem-timezone", &args![("value", value.as_str())]),
        Problem::TimezoneConflict { school, here, other, other_line } => texts.get_with(
            lang,
            "roster-problem-timezone-conflict",
            &args![
                ("school", school.as_str()),
                ("here", here.as_str()),
                ("other", other.as_str()),
                ("other_line", *other_line)
            ],
        ),
        Problem::Duplicate { class, first, school, first_line } => texts.get_with(
            lang,
            "roster-problem-duplicate",
            &args![
                ("class", class.as_str()),
                ("first", first.as_str()),
                ("school", school.as_str()),
                ("first_line", *first_line)
            ],
        ),
    };
    texts.get_with(lang, "roster-line", &args![("line", line), ("problem", text)])
}

impl RosterError {
    /// The error in `lang`, with what to do about it.
    pub fn render(&self, texts: &Texts, lang: Lang) -> String {
        match self {
            RosterError::NotText => texts.get(lang, "roster-error-not-text"),
            RosterError::Workbook(detail) => {
                texts.get_with(lang, "roster-error-workbook", &args![("detail", detail.as_str())])
            }
            RosterError::Empty => texts.get(lang, "roster-error-empty"),
            RosterError::MissingColumn(column) => texts.get_with(
                lang,
                "roster-error-missing-column",
                &args![("column", column_name(texts, lang, *column))],
            ),
            RosterError::Row { line, problem } => render_row_problem(texts, lang, *line, problem),
            RosterError::NoRows => texts.get(lang, "roster-error-no-rows"),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Classes removed because the file lacks them ("municipality / school / class").
    pub removed: Vec<String>,
    /// Classes the file lacks that something still refers to, so they stay.
    pub kept: Vec<String>,
}

impl Applied {
    pub fn render(&self, texts: &Texts, lang: Lang) -> String {
        let mut text = texts.get_with(
            lang,
            "roster-applied",
            &args![
                ("added", self.added),
                ("changed", self.changed),
                ("unchanged", self.unchanged),
                ("removed", self.removed.len())
            ],
        );
        if !self.kept.is_empty() {
            text.push_str("\n\n");
            text.push_str(&texts.get_with(lang, "roster-kept-title", &args![("count", self.kept.len())]));
            for item in self.kept.iter().take(SHOWN) {
                text.push_str("\n• ");
                text.push_str(item);
            }
            if self.kept.len() > SHOWN {
                text.push('\n');
                text.push_str(&texts.get_with(lang, "roster-more", &args![("count", self.kept.len() - SHOWN)]));
            }
        }
        text
    }
}

/// Stored classes grouped for display, "municipality / school / class".
pub fn class_label(class: &StoredClass) -> String {
    format!("{} / {} / {}", class.municipality, class.school, class.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_error(line: u64, problem: Problem) -> RosterError {
        RosterError::Row { line, problem }
    }

    #[test]
    fn reads_semicolons_bom_and_optional_timezone() {
        let file = "\u{feff}municipality;school;class;students;timezone\nИркутск;Школа № 1;5А;25;Asia/Irkutsk\nИркутск;Школа № 1;5Б;24;\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].school, "Школа № 1");
        assert_eq!(rows[0].timezone, Some(chrono_tz::Asia::Irkutsk));
        assert_eq!(rows[1].timezone, None);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn reads_commas_quotes_and_russian_headers() {
        let file = "Муниципалитет,Школа,Класс,Учащихся\nКунгур,\"Школа № 2, корпус 1\",9В,30\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].school, "Школа № 2, корпус 1");
        assert_eq!(rows[0].headcount, 30);
        // The header a methodologist's spreadsheet has, as the campaign letters write it.
        let rows = parse("Муниципалитет;Школа;Класс;Учеников\nКунгур;Школа № 2;9В;30\n".as_bytes()).unwrap();
        assert_eq!(rows[0].headcount, 30);
    }

    #[test]
    fn reads_windows_1251() {
        let text = "Муниципалитет;Школа;Класс;Учеников\r\nКунгур;Школа № 2;9в;30\r\n";
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(text);
        assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
        let rows = parse(&bytes).unwrap();
        assert_eq!((rows[0].school.as_str(), rows[0].class.as_str(), rows[0].line), ("Школа № 2", "9В", 2));
    }

    #[test]
    fn reads_the_first_sheet_of_a_workbook() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (col, header) in ["Муниципалитет", "Школа", "Класс", "Учеников"].iter().enumerate()
        {
            sheet.write_string(0, col as u16, *header).unwrap();
        }
        sheet.write_string(1, 0, "Кунгур").unwrap();
        sheet.write_string(1, 1, "Школа № 2").unwrap();
        sheet.write_string(1, 2, "5A").unwrap();
        sheet.write_number(1, 3, 25.0).unwrap();
        sheet.write_string(3, 0, "Кунгур").unwrap();
        sheet.write_string(3, 1, "Школа № 2").unwrap();
        sheet.write_string(3, 2, "5а").unwrap();
        sheet.write_number(3, 3, 26.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let checked = check(&bytes).unwrap();
        assert_eq!(checked.rows.len(), 1);
        assert_eq!((checked.rows[0].class.as_str(), checked.rows[0].headcount), ("5А", 25));
        assert_eq!(
            checked.problems,
            [RowProblem {
                line: 4,
                problem: Problem::Duplicate {
                    class: "5а".into(),
                    first: "5A".into(),
                    school: "Школа № 2".into(),
                    first_line: 2
                }
            }]
        );
    }

    #[test]
    fn every_problem_is_found_with_its_line() {
        let file = "municipality,school,class,students\nA,S,1А,20\nA,S,1Б,двадцать\n\nA,,1В,20\nA,S,1а,3\nA,S,2А,4\n";
        let checked = check(file.as_bytes()).unwrap();
        let lines: Vec<u64> = checked.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 5, 6]);
        assert_eq!(checked.problems[0].problem, Problem::Headcount("двадцать".into()));
        assert_eq!(checked.problems[1].problem, Problem::Missing(Column::School));
        assert!(matches!(&checked.problems[2].problem, Problem::Duplicate { first_line: 2, .. }));
        assert_eq!(checked.rows.len(), 2, "the good rows are still read");
    }

    #[test]
    fn reports_the_line_of_a_bad_row() {
        let file = "municipality,school,class,students\nA,S,1А,20\nA,S,1Б,двадцать\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap_err().to_string(),
            "line 3: the number of students must be a positive whole number, got \"двадцать\""
        );
        let file = "municipality,school,class,students\nA,S,1А,20\n\nA,,1Б,20\n";
        assert_eq!(parse(file.as_bytes()).unwrap_err(), row_error(4, Problem::Missing(Column::School)));
        let file = "municipality,school,class,students,timezone\nA,S,1А,20,Mars/Olympus\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().starts_with("line 2: unknown timezone"));
        let file = "municipality,school,class,students\nA,S,1А,0\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().starts_with("line 2:"));
        let file = "municipality,school,class,students\nA,S,1А,20\nA,S,1А,21\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().contains("already listed on line 2"));
        // Line numbers stay right far down a file with CRLF line ends and blank lines on the way.
        let mut file = String::from("municipality;school;class;students\r\n");
        for n in 1..=500 {
            file.push_str(&format!("A;S;{n};20\r\n"));
            if n % 100 == 0 {
                file.push_str("\r\n");
            }
        }
        file.push_str("A;S;x;0\r\n");
        assert_eq!(parse(file.as_bytes()).unwrap_err().to_string().split(':').next(), Some("line 507"));
    }

    #[test]
    fn counts_bare_cr_line_ends() {
        // Found by tests/fuzz.rs: with the old Mac's line ends every row was reported as line 1.
        let file = "municipality;school;class;students\rA;S;1А;20\r\rA;S;1Б;0\r";
        assert_eq!(parse(file.as_bytes()).unwrap_err(), row_error(4, Problem::Headcount("0".into())));
        let rows = parse(b"municipality,school,class,students\rA,S,1,20\r\nA,S,2,20\nA,S,3,20").unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn rejects_missing_columns_and_empty_files() {
        assert_eq!(parse(b"municipality,school,students\n").unwrap_err(), RosterError::MissingColumn(Column::Class));
        assert_eq!(parse(b"").unwrap_err(), RosterError::Empty);
        assert_eq!(parse(b"municipality,school,class,students\n").unwrap_err(), RosterError::NoRows);
        assert_eq!(parse(&[0xff, 0xfe, 0x00]).unwrap_err(), RosterError::NotText);
    }

    #[test]
    fn names_are_written_one_way_and_the_changes_listed() {
        let file = "municipality;school;class;students\nИркутск;Шкoла № 1;5A;20\nИркутск;Школа № 1;5 б;21\nИркутск;Школа № 1;6В;22\n";
        let checked = check(file.as_bytes()).unwrap();
        let classes: Vec<&str> = checked.rows.iter().map(|r| r.class.as_str()).collect();
        assert_eq!(classes, ["5А", "5Б", "6В"]);
        assert!(checked.rows.iter().all(|r| r.school == "Школа № 1"), "a Latin o inside a Cyrillic word");
        let renamed: Vec<(u64, Column, &str, &str)> =
            checked.renamed.iter().map(|r| (r.line, r.column, r.from.as_str(), r.to.as_str())).collect();
        assert_eq!(
            renamed,
            [
                (2, Column::School, "Шкoла № 1", "Школа № 1"),
                (2, Column::Class, "5A", "5А"),
                (3, Column::Class, "5 б", "5Б")
            ]
        );
        let text = Preview::new(checked, &[]).render(&Texts::default(), Lang::Ru);
        assert!(text.contains("строка 2: 5A → 5А") && text.contains("строка 3: 5 б → 5Б"), "{text}");
        assert!(text.contains("Шкoла № 1 → Школа № 1"), "{text}");
    }

    fn stored(id: i64, school: &str, class: &str, headcount: i64) -> StoredClass {
        StoredClass {
            id,
            municipality: "Иркутск".into(),
            school: school.into(),
            timezone: "Europe/Moscow".into(),
            class: class.into(),
            headcount,
        }
    }

    #[test]
    fn the_diff_names_new_changed_unchanged_and_absent_classes() {
        let db = [
            stored(1, "Школа № 1", "5А", 25),
            stored(2, "Школа № 1", "5Б", 20),
            stored(3, "Школа № 1", "6a", 10),
            stored(4, "Лицей № 2", "9В", 30),
            stored(5, "Школа № 1", "7А", 15),
        ];
        let file = "municipality;school;class;students;timezone\nИркутск;Школа № 1;5А;25;Asia/Irkutsk\n\
                    Иркутск;Школа № 1;5Б;22;\nИркутск;Школа № 1;6А;10;\nИркутск;Школа № 1;8А;12;\n";
        let checked = check(file.as_bytes()).unwrap();
        let diff = diff(&checked.rows, &db);
        assert_eq!(diff.matches, [Some(1), Some(2), Some(3), None], "6a stored is the file's 6А");
        assert_eq!((diff.new, diff.unchanged), (1, 2));
        assert_eq!(
            diff.changed,
            [Change { line: 3, school: "Школа № 1".into(), class: "5Б".into(), from: 20, to: 22 }]
        );
        assert_eq!(
            diff.zones,
            [ZoneChange {
                line: 2,
                school: "Школа № 1".into(),
                from: "Europe/Moscow".into(),
                to: "Asia/Irkutsk".into()
            }]
        );
        assert_eq!(diff.absent.iter().map(|c| c.id).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(diff.schools_without_classes, ["Иркутск / Лицей № 2"]);
        let text = Preview { checked, diff }.render(&Texts::default(), Lang::Ru);
        assert!(text.contains("новых: 1") && text.contains("20 → 22") && text.contains("Лицей № 2 / 9В"), "{text}");
        assert!(text.contains("строка 5: Иркутск / Школа № 1 / 8А (12)"), "the new class listed: {text}");
    }

    #[test]
    fn names_that_differ_from_stored_ones_only_in_spelling_are_warned_of() {
        let db = [stored(1, "МАОУ \"Лицей № 2\"", "9В", 30)];
        let file = "municipality;school;class;students\nИркутск;МАОУ «Лицей №2»;9В;30\nИркутск;МАОУ «Лицей №2»;9Г;30\n\
                    иркутск;Школа № 1;5А;25\nИркутск;Школа № 3;5А;25\n";
        let checked = check(file.as_bytes()).unwrap();
        let diff = diff(&checked.rows, &db);
        let warned: Vec<(u64, &str, &str)> =
            diff.look_alike_names.iter().map(|l| (l.line, l.name.as_str(), l.stored.as_str())).collect();
        assert_eq!(warned, [(2, "МАОУ «Лицей №2»", "МАОУ \"Лицей № 2\""), (4, "иркутск", "Иркутск")]);
        let text = Preview { checked, diff }.render(&Texts::default(), Lang::Ru);
        assert!(text.contains("строка 2: «МАОУ «Лицей №2»» — в базе «МАОУ \"Лицей № 2\"»"), "{text}");
    }

    #[test]
    fn a_stored_look_alike_twin_does_not_shadow_the_exact_class() {
        let db = [stored(1, "S", "5A", 25), stored(2, "S", "5А", 26)];
        let rows = parse("municipality;school;class;students\nИркутск;S;5А;26\n".as_bytes()).unwrap();
        let diff = diff(&rows, &db);
        assert_eq!(diff.matches, [Some(2)]);
        assert_eq!(diff.absent.iter().map(|c| c.id).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn a_preview_lists_the_first_errors_and_counts_the_rest() {
        let mut file = String::from("municipality;school;class;students\n");
        for n in 0..30 {
            file.push_str(&format!("A;S;{n};много\n"));
        }
        let preview = Preview::new(check(file.as_bytes()).unwrap(), &[]);
        assert!(preview.has_errors());
        let text = preview.render(&Texts::default(), Lang::Ru);
        assert!(text.contains("строка 21:") && !text.contains("строка 22:") && text.contains("ещё 10"), "{text}");
        let english = preview.render(&Texts::default(), Lang::En);
        assert!(english.contains("line 21:") && english.contains("10 more"), "{english}");
    }

    #[test]
    fn fingerprints_change_with_the_roster() {
        let db = vec![stored(1, "S", "5А", 25)];
        let mut other = db.clone();
        other[0].headcount = 26;
        assert_eq!(fingerprint(&db), fingerprint(&db.clone()));
        assert_ne!(fingerprint(&db), fingerprint(&other));
    }
}
